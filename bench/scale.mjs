// Scale-out: API throughput for a mixed read/write workload, and upload throughput, through a
// round-robin proxy (bench/rr-proxy.mjs) in front of 1 and then 2 `seqhub serve` processes
// (SEQHUB_WORKERS=0) on one PostgreSQL; prints the 2-over-1 scaling ratio. See bench/README.md.
// Runs the built server in ../dist: run through `npm run bench` (BENCH=scale), which builds first.
import autocannon from 'autocannon';
import pg from 'pg';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
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
  durationS: intEnv('BENCH_DURATION', 10),
  warmupS: intEnv('BENCH_WARMUP', 2),
  connections: intEnv('BENCH_CONNECTIONS', 16),
  samples: intEnv('BENCH_SCALE_SAMPLES', 200),
  uploadMiB: intEnv('BENCH_UPLOAD_MIB', 16),
  uploadStreams: intEnv('BENCH_UPLOAD_STREAMS', 4),
  processes: [1, 2],
};
const DB = 'seqhub_bench_scale';
const dataDir = join(root, '.bench-data', 'scale');

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

/** Spawns `node args`; resolves with its URL (and stdout so far) once it prints `listening on`. */
function start(label, args, env) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url)
        ok({
          url,
          out,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }).finally(() => children.delete(child)),
        });
    });
    child.once('exit', (code) => fail(new Error(`${label} exited ${code}\n${err}`)));
  });
}

async function main() {
  const dbUrl = new URL(pgAdminUrl);
  dbUrl.pathname = `/${DB}`;
  await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const env = {
    ...Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(SEQHUB_|DATABASE_URL$)/.test(k)),
    ),
    DATABASE_URL: dbUrl.toString(),
    SEQHUB_DATA_DIR: dataDir,
    SEQHUB_WORKERS: '0',
    SEQHUB_LOG_LEVEL: 'warn',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const bin = join(root, 'dist', 'app', 'main.js');
  const serve = () => start('serve', [bin, 'serve', '--port', '0'], env);

  // Seed through one process: the first start prints the admin token.
  const first = await serve();
  const token = /admin access token: (\w+)/.exec(first.out)?.[1];
  if (!token) throw new Error('no admin token printed: is the bench database fresh?');
  const headers = { 'x-access-token': token, 'content-type': 'application/json' };
  const post = async (path, body) => {
    const res = await fetch(`${first.url}/v1pre3/${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()).Response;
  };
  const project = await post('projects', { Name: 'scale' });
  const samples = [];
  for (let i = 0; i < settings.samples; i++)
    samples.push((await post(`projects/${project.Id}/samples`, { Name: `S${i}` })).Id);
  const appResult = await post(`projects/${project.Id}/appresults`, { Name: 'uploads' });
  await first.stop();

  const results = [];
  for (const n of settings.processes) {
    const servers = [];
    for (let i = 0; i < n; i++) servers.push(await serve());
    const proxy = await start(
      'proxy',
      [join(here, 'rr-proxy.mjs'), ...servers.map((s) => s.url)],
      env,
    );
    try {
      const api = await mixed(proxy.url, token, project.Id, samples);
      const upload = await uploads(proxy.url, token, appResult.Id);
      results.push({ processes: n, ...api, ...upload });
      log(
        `scale: ${n} serve process(es): ${api.rps.toFixed(0)} req/s mixed (p50 ${api.p50} ms, p99 ${api.p99} ms, ${api.errors} non-2xx), uploads ${upload.uploadMBps.toFixed(0)} MB/s`,
      );
    } finally {
      await proxy.stop();
      for (const s of servers) await s.stop();
    }
  }
  const [one, two] = results;
  const ratio = { api: two.rps / one.rps, upload: two.uploadMBps / one.uploadMBps };
  log('');
  log('| serve processes | mixed req/s | p50 ms | p99 ms | non-2xx | upload MB/s |');
  log('| --------------- | ----------- | ------ | ------ | ------- | ----------- |');
  for (const r of results)
    log(
      `| ${r.processes} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.uploadMBps.toFixed(1)} |`,
    );
  log(
    `scale: scaling ratio 2/1 processes: API ${ratio.api.toFixed(2)}x, uploads ${ratio.upload.toFixed(2)}x (${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)} at the end)`,
  );
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(
    join(here, 'results', 'scale.json'),
    JSON.stringify({ settings, cpus: os.cpus().length, results, ratio }, null, 2),
  );
  await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  rmSync(dataDir, { recursive: true, force: true });
}

/**
 * The mixed workload, per connection in turn: four reads (a project, a samples page, a sample,
 * its properties) and one write (a property set on a sample): 80% reads, like a LIMS polling
 * and annotating.
 */
async function mixed(url, token, projectId, samples) {
  const headers = { 'x-access-token': token, 'content-type': 'application/json' };
  const pick = () => samples[Math.floor(Math.random() * samples.length)];
  let counter = 0;
  const requests = [
    { method: 'GET', path: `/v1pre3/projects/${projectId}`, headers },
    { method: 'GET', path: `/v1pre3/projects/${projectId}/samples?Limit=25&SortBy=Name`, headers },
    { method: 'GET', setupRequest: (r) => ({ ...r, path: `/v1pre3/samples/${pick()}` }), headers },
    {
      method: 'GET',
      setupRequest: (r) => ({ ...r, path: `/v1pre3/samples/${pick()}/properties` }),
      headers,
    },
    {
      method: 'POST',
      headers,
      setupRequest: (r) => ({
        ...r,
        path: `/v1pre3/samples/${pick()}/properties`,
        body: JSON.stringify({
          Properties: [
            { Type: 'String', Name: 'bench.n', Description: '', Content: String(++counter) },
          ],
        }),
      }),
    },
  ];
  const run = (duration) =>
    autocannon({ url, connections: settings.connections, duration, requests });
  await run(settings.warmupS);
  const r = await run(settings.durationS);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.non2xx + r.errors,
  };
}

/** `uploadStreams` clients each uploading `uploadMiB` MiB files back to back for the duration. */
async function uploads(url, token, appResultId) {
  const body = randomBytes(settings.uploadMiB * 1024 * 1024);
  const until = performance.now() + settings.durationS * 1000;
  const began = performance.now();
  let bytes = 0;
  let n = 0;
  await Promise.all(
    Array.from({ length: settings.uploadStreams }, async (_, stream) => {
      while (performance.now() < until) {
        const qs = new URLSearchParams({ name: `u${stream}-${n++}.bin`, directory: 'bench' });
        const res = await fetch(`${url}/v1pre3/appresults/${appResultId}/files?${qs}`, {
          method: 'POST',
          headers: { 'x-access-token': token, 'content-type': 'application/octet-stream' },
          body,
        });
        if (res.status !== 200) throw new Error(`upload: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        bytes += body.length;
      }
    }),
  );
  return { uploadMBps: bytes / 1e6 / ((performance.now() - began) / 1000) };
}

if (!pgAdminUrl) {
  log('scale: skipped (set SEQHUB_BENCH_POSTGRES_URL: scale-out needs PostgreSQL)');
} else {
  await main();
}
