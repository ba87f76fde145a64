// Load (issue 11): a mixed workload from many concurrent clients against a real `seqhub serve`
// (embedded: SQLite + local disk; and PostgreSQL when SEQHUB_BENCH_POSTGRES_URL is set). Reports
// throughput and p50/p99 per request class; ANY error response fails the run (exit 1): this one
// is a gate, not only a report. See bench/README.md. Runs the built server in ../dist: run it
// through `npm run bench` (BENCH=load), which builds first. test/load/load.test.ts runs it short.
import pg from 'pg';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const log = (line) => process.stdout.write(`${line}\n`);

const intEnv = (name, fallback) => {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
};
const pgAdminUrl = process.env.SEQHUB_BENCH_POSTGRES_URL?.trim();
const settings = {
  durationS: intEnv('BENCH_DURATION', 60),
  clients: intEnv('BENCH_CLIENTS', 200),
  samples: intEnv('BENCH_LOAD_SAMPLES', 50),
  files: intEnv('BENCH_LOAD_FILES', 20),
  uploadBytes: intEnv('BENCH_LOAD_UPLOAD_BYTES', 16 * 1024),
  dbs: (process.env.BENCH_DB?.trim() || (pgAdminUrl ? 'both' : 'sqlite'))
    .replace('both', 'sqlite,postgres')
    .split(','),
};
const resultsFile = process.env.BENCH_RESULTS?.trim() || join(here, 'results', 'load.json');
// Each run gets its own data dir and database, so the test suite and a bench can run at once.
const runId = `${process.pid}-${randomBytes(3).toString('hex')}`;
const DB = `seqhub_bench_load_${runId.replace(/-/g, '_')}`;
const dataRoot = join(root, '.bench-data', `load-${runId}`);

/**
 * The request classes and their shares of the mix (out of 100): mostly reads, as a LIMS and a
 * genome browser poll a hub, with a steady trickle of writes and small uploads.
 */
const MIX = [
  ['list', 25],
  ['get', 20],
  ['property-write', 15],
  ['upload', 10],
  ['download', 15],
  ['region', 15],
];

async function admin(text) {
  const client = new pg.Client({ connectionString: pgAdminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts `seqhub serve` with `env`; resolves with its URL and the first-start admin token. */
function serve(env) {
  const child = spawn(
    process.execPath,
    [join(root, 'dist', 'app', 'main.js'), 'serve', '--port', '0'],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-8000)));
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      const token = /admin access token: (\w+)/.exec(out)?.[1];
      if (url && token)
        ok({
          url,
          token,
          stderr: () => err,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }).finally(() => children.delete(child)),
        });
    });
    child.once('exit', (code) => fail(new Error(`serve exited ${code}\n${err}`)));
  });
}

/**
 * One request over a keep-alive agent shared by all clients (node:http: a fraction of fetch's
 * CPU per request, bench/README `download`, and the generator shares the CPUs with the hub).
 * Resolves with the status and the body (the whole of it is read: downloads are real).
 */
function request(agent, base, token, method, path, body, contentType) {
  return new Promise((ok, fail) => {
    const req = http.request(
      `${base}/${path}`,
      {
        method,
        agent,
        headers: {
          'x-access-token': token,
          ...(body !== undefined && {
            'content-type': contentType ?? 'application/json',
            'content-length': Buffer.byteLength(body),
          }),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => ok({ status: res.statusCode, body: Buffer.concat(chunks) }));
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

/** Seeds a project through the API; returns what the workload picks from. */
async function seed(base, token) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const call = async (method, path, body, type) => {
    const res = await request(agent, base, token, method, `v1pre3/${path}`, body, type);
    if (res.status !== 200) throw new Error(`seed ${method} ${path}: ${res.status} ${res.body}`);
    return JSON.parse(res.body.toString()).Response;
  };
  const json = (v) => JSON.stringify(v);
  const project = await call('POST', 'projects', json({ Name: 'load' }));
  const samples = [];
  for (let i = 0; i < settings.samples; i++)
    samples.push(
      (await call('POST', `projects/${project.Id}/samples`, json({ Name: `S${i}` }))).Id,
    );
  const result = await call('POST', `projects/${project.Id}/appresults`, json({ Name: 'load' }));
  const files = [];
  for (let i = 0; i < settings.files; i++) {
    const f = await call(
      'POST',
      `appresults/${result.Id}/files?name=seed-${i}.bin`,
      randomBytes(settings.uploadBytes),
      'application/octet-stream',
    );
    files.push(f.Id);
  }
  const fixture = (name) => readFileSync(join(root, 'test', 'fixtures', 'genomics', name));
  const vcf = await call(
    'POST',
    `appresults/${result.Id}/files?name=volvox.test.vcf.gz`,
    fixture('volvox.test.vcf.gz'),
    'application/octet-stream',
  );
  const bam = await call(
    'POST',
    `appresults/${result.Id}/files?name=volvox-sorted.bam`,
    fixture('volvox-sorted.bam'),
    'application/octet-stream',
  );
  // Region queries need the indexes: wait for the indexing jobs.
  const end = Date.now() + 120_000;
  for (const id of [vcf.Id, bam.Id]) {
    while ((await call('GET', `files/${id}`)).IndexStatus !== 'ready') {
      if (Date.now() > end) throw new Error(`file ${id} was not indexed in 120 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  agent.destroy();
  return {
    projectId: project.Id,
    appResultId: result.Id,
    samples,
    files,
    vcf: vcf.Id,
    bam: bam.Id,
  };
}

/** The percentile `p` (0..1) of sorted `xs`, in ms with one decimal. */
const percentile = (xs, p) =>
  xs.length === 0
    ? 0
    : Math.round(xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] * 10) / 10;

/** `clients` loops, each picking a request class from MIX, for `durationS` seconds. */
async function workload(base, token, data) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: settings.clients });
  const stats = Object.fromEntries(MIX.map(([name]) => [name, { latencies: [], errors: 0 }]));
  const errors = [];
  const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];
  const total = MIX.reduce((n, [, w]) => n + w, 0);
  let uploads = 0;
  let writes = 0;
  const one = (kind) => {
    switch (kind) {
      case 'list': {
        const which = Math.random();
        if (which < 0.4)
          return ['GET', `v1pre3/projects/${data.projectId}/samples?Limit=25&SortBy=Name`];
        if (which < 0.7)
          return ['GET', `v1pre3/appresults/${data.appResultId}/files?Limit=25&SortBy=Name`];
        return ['GET', 'v1pre3/users/current/projects?Limit=25'];
      }
      case 'get': {
        const which = Math.random();
        if (which < 0.5) return ['GET', `v1pre3/samples/${pick(data.samples)}`];
        if (which < 0.75) return ['GET', `v1pre3/files/${pick(data.files)}`];
        return ['GET', `v1pre3/samples/${pick(data.samples)}/properties`];
      }
      case 'property-write':
        return [
          'POST',
          `v1pre3/samples/${pick(data.samples)}/properties`,
          JSON.stringify({
            Properties: [
              { Type: 'string', Name: 'load.n', Content: String(++writes) },
              { Type: 'string[]', Name: 'load.tags', Items: ['a', String(writes % 7)] },
            ],
          }),
        ];
      case 'upload':
        return [
          'POST',
          `v1pre3/appresults/${data.appResultId}/files?name=u-${++uploads}.bin&directory=load`,
          randomBytes(settings.uploadBytes),
          'application/octet-stream',
        ];
      case 'download':
        return ['GET', `v1pre3/files/${pick(data.files)}/content`];
      case 'region': {
        const start = 1 + Math.floor(Math.random() * 40_000);
        const end = start + 1 + Math.floor(Math.random() * 5_000);
        return Math.random() < 0.5
          ? [
              'GET',
              `v1pre3/variantset/${data.vcf}/variants/ctgA?StartPos=${start}&EndPos=${end}&Limit=100`,
            ]
          : ['GET', `v1pre3/coverage/${data.bam}/ctgA?StartPos=${start}&EndPos=${end}&zoomLevel=2`];
      }
    }
    throw new Error(kind);
  };
  const classOf = () => {
    let r = Math.random() * total;
    for (const [name, w] of MIX) if ((r -= w) < 0) return name;
    return MIX[0][0];
  };
  const began = performance.now();
  const until = began + settings.durationS * 1000;
  await Promise.all(
    Array.from({ length: settings.clients }, async () => {
      while (performance.now() < until) {
        const kind = classOf();
        const [method, path, body, type] = one(kind);
        const t0 = performance.now();
        let status;
        let text = '';
        try {
          const res = await request(agent, base, token, method, path, body, type);
          status = res.status;
          if (status >= 300) text = res.body.toString().slice(0, 300);
        } catch (error) {
          status = 'network';
          text = String(error);
        }
        const ms = performance.now() - t0;
        // Region queries answer 404 for a window with no variants (spec 4.11; IGV relies on it).
        const fine =
          (typeof status === 'number' && status < 300) ||
          (kind === 'region' && status === 404 && text.includes('BASESPACE.GENOMICS.NOT_FOUND'));
        if (fine) stats[kind].latencies.push(ms);
        else {
          stats[kind].errors++;
          if (errors.length < 20) errors.push(`${kind} ${method} ${path}: ${status} ${text}`);
        }
      }
    }),
  );
  const seconds = (performance.now() - began) / 1000;
  agent.destroy();
  const classes = MIX.map(([name]) => {
    const xs = stats[name].latencies.sort((a, b) => a - b);
    return {
      class: name,
      requests: xs.length,
      errors: stats[name].errors,
      rps: Math.round((xs.length / seconds) * 10) / 10,
      p50: percentile(xs, 0.5),
      p99: percentile(xs, 0.99),
    };
  });
  const all = MIX.flatMap(([name]) => stats[name].latencies).sort((a, b) => a - b);
  return {
    seconds,
    rps: Math.round((all.length / seconds) * 10) / 10,
    p50: percentile(all, 0.5),
    p99: percentile(all, 0.99),
    errors: classes.reduce((n, c) => n + c.errors, 0),
    classes,
    firstErrors: errors,
  };
}

async function runOne(kind) {
  const dataDir = join(dataRoot, kind);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const env = {
    ...Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(SEQHUB_|DATABASE_URL$)/.test(k)),
    ),
    SEQHUB_DATA_DIR: dataDir,
    SEQHUB_LOG_LEVEL: 'warn',
  };
  if (kind === 'postgres') {
    const url = new URL(pgAdminUrl);
    url.pathname = `/${DB}`;
    await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${DB}`);
    env.DATABASE_URL = url.toString();
  }
  const hub = await serve(env);
  try {
    const data = await seed(hub.url, hub.token);
    const r = await workload(hub.url, hub.token, data);
    const serverErrors = hub
      .stderr()
      .split('\n')
      .filter((l) => /"level":(50|60)/.test(l));
    return { db: kind, ...r, serverErrorLogLines: serverErrors.length };
  } finally {
    await hub.stop();
    if (kind === 'postgres') await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const runs = [];
for (const kind of settings.dbs) {
  if (kind === 'postgres' && !pgAdminUrl) {
    log('load: PostgreSQL skipped (set SEQHUB_BENCH_POSTGRES_URL)');
    continue;
  }
  if (kind !== 'sqlite' && kind !== 'postgres') throw new Error(`BENCH_DB: unknown '${kind}'`);
  log(`load: ${kind}: ${settings.clients} clients for ${settings.durationS} s...`);
  const r = await runOne(kind);
  runs.push(r);
  log('');
  log(`| ${kind} class   | requests | req/s | p50 ms | p99 ms | errors |`);
  log('| -------------- | -------: | ----: | -----: | -----: | -----: |');
  for (const c of r.classes)
    log(`| ${c.class} | ${c.requests} | ${c.rps} | ${c.p50} | ${c.p99} | ${c.errors} |`);
  log(
    `| **all** | ${r.classes.reduce((n, c) => n + c.requests, 0)} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} |`,
  );
  for (const e of r.firstErrors) log(`load: ERROR ${e}`);
}
rmSync(dataRoot, { recursive: true, force: true });
mkdirSync(dirname(resultsFile), { recursive: true });
writeFileSync(
  resultsFile,
  JSON.stringify(
    {
      settings,
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
      loadAverageAtEnd: os.loadavg()[0],
      runs,
    },
    null,
    2,
  ),
);
const failed = runs.filter((r) => r.errors > 0);
if (failed.length > 0) {
  log(`load: FAIL: error responses on ${failed.map((r) => r.db).join(', ')}`);
  process.exitCode = 1;
} else {
  log(`load: PASS: no error responses (${runs.map((r) => r.db).join(', ')})`);
}
