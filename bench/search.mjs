// `GET /v1pre3/search` over 1,000,000 samples with 5 properties each, against the real
// `seqhub serve`, on SQLite and PostgreSQL. Target: p99 < 50 ms. See bench/README.md. Imports the
// built server from ../dist: run through `npm run bench`, which builds first.
import autocannon from 'autocannon';
import { sql } from 'kysely';
import pg from 'pg';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openHub } from '../dist/app/hub.js';
import { loadConfig } from '../dist/config/index.js';
import { fillSearchWords } from '../dist/adapters/db/migrations/0012-search-words.js';
import { serveArgs, startProcess } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

const intEnv = (name, fallback) => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return n;
};

const pgAdminUrl = process.env.SEQHUB_BENCH_POSTGRES_URL?.trim() || undefined;
const dbChoice = (process.env.BENCH_DB?.trim() || (pgAdminUrl ? 'both' : 'sqlite')).toLowerCase();
if (!['sqlite', 'postgres', 'both'].includes(dbChoice))
  throw new Error(`BENCH_DB must be sqlite, postgres or both, got '${dbChoice}'`);
if (dbChoice !== 'sqlite' && !pgAdminUrl)
  throw new Error('BENCH_DB includes postgres: set SEQHUB_BENCH_POSTGRES_URL to an admin URL');

const settings = {
  samples: intEnv('BENCH_SAMPLES', 1_000_000),
  projects: intEnv('BENCH_PROJECTS', 1_000),
  durationS: intEnv('BENCH_DURATION', 10),
  warmupS: intEnv('BENCH_WARMUP', 2),
  connections: intEnv('BENCH_CONNECTIONS', 10),
  databases: dbChoice === 'both' ? ['sqlite', 'postgres'] : [dbChoice],
};
const TARGET_P99_MS = 50;
const PG_BENCH_DB = 'seqhub_bench_search';
const dataRoot = join(root, '.bench-data', 'search');
const resultsFile = join(here, 'results', 'search.json');
/** BENCH_KEEP=1 keeps the filled databases and reuses them next time (same sizes): for profiling. */
const keep = process.env.BENCH_KEEP === '1';

const log = (line) => process.stdout.write(`${line}\n`);
const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

/** `seqhub serve` over `dataDir` (bench/lib.mjs: reaped on exit, URL from its output). */
const startServer = (env, dataDir) => startProcess('seqhub serve', serveArgs(dataDir), env);

async function adminQuery(text) {
  const client = new pg.Client({ connectionString: pgAdminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function hubEnv(kind) {
  const env = { ...process.env, SEQHUB_LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  if (kind === 'postgres') {
    const url = new URL(pgAdminUrl);
    url.pathname = `/${PG_BENCH_DB}`;
    env.DATABASE_URL = url.toString();
  }
  return env;
}

// ---------------------------------------------------------------------------------------------
// Fill: set-based SQL, as bench/samples-pages.mjs does. Sample i has five string properties whose
// values are words matching few or many samples:
//   Input.Barcode  BC<i>            1 sample
//   Input.Operator OP<i mod 20000>  50 samples
//   Input.Library  LIB<i mod 1000>  1,000 samples
//   Input.Tissue   TISSUE<i mod 100> 10,000 samples
//   Input.Kit      KIT<i mod 10>    100,000 samples
// The search index is built in bulk with the very text `reindex` writes (name, SampleId,
// ExperimentName, property values in name order; words lower-cased).
// ---------------------------------------------------------------------------------------------

const PROPS = [
  ['Input.Barcode', (i) => sql`'BC' || ${i}`],
  ['Input.Kit', (i) => sql`'KIT' || (${i} % 10)`],
  ['Input.Library', (i) => sql`'LIB' || (${i} % 1000)`],
  ['Input.Operator', (i) => sql`'OP' || (${i} % 20000)`],
  ['Input.Tissue', (i) => sql`'TISSUE' || (${i} % 100)`],
];

async function fill(kind, db, ownerId) {
  const owner = sql.lit(Number(ownerId));
  const p = sql.lit(settings.projects);
  const last = sql.lit(settings.samples - 1);
  const lastProject = sql.lit(settings.projects - 1);
  const at = '2026-01-01T00:00:00.000Z';
  const series = (n, col) =>
    kind === 'sqlite'
      ? sql`(WITH RECURSIVE seq(${sql.raw(col)}) AS (SELECT 0 UNION ALL SELECT ${sql.raw(col)} + 1 FROM seq WHERE ${sql.raw(col)} < ${n}) SELECT ${sql.raw(col)} FROM seq)`
      : sql`(SELECT ${sql.raw(col)} FROM generate_series(0::bigint, ${n}) AS g(${sql.raw(col)}))`;
  const pad = (expr, width) =>
    kind === 'sqlite'
      ? sql`printf('%0${sql.raw(String(width))}d', ${expr})`
      : sql`lpad((${expr})::text, ${sql.lit(width)}, '0')`;

  await sql`INSERT INTO projects (owner_id, name, description, created_at, modified_at, total_size)
    SELECT ${owner}, 'Project ' || ${pad(sql.ref('k'), 5)}, 'benchmark project', ${at}, ${at}, 0
    FROM ${series(lastProject, 'k')} s`.execute(db);
  await sql`INSERT INTO appsessions (owner_id, application_id, name, status, status_summary,
      project_id, created_at, modified_at, completed_at, total_size)
    SELECT owner_id, '1', 'Import', 'Complete', '', id, created_at, created_at, created_at, 0
    FROM projects WHERE owner_id = ${owner} ORDER BY id`.execute(db);
  await sql`CREATE TABLE bench_map (k integer PRIMARY KEY, pid bigint NOT NULL, aid bigint NOT NULL)`.execute(
    db,
  );
  await sql`INSERT INTO bench_map (k, pid, aid)
    SELECT (row_number() OVER (ORDER BY p.id)) - 1, p.id, a.id
    FROM projects p JOIN appsessions a ON a.project_id = p.id`.execute(db);
  // Sample i gets id i + 1 (fresh database), so properties can be derived from the id.
  await sql`INSERT INTO samples (project_id, owner_id, appsession_id, name, description, sample_id,
      experiment_name, created_at, modified_at, total_size)
    SELECT m.pid, ${owner}, m.aid, 'Sample-' || ${pad(sql.ref('s.i'), 7)}, '',
      'SID' || ${pad(sql.ref('s.i'), 7)}, 'Benchmark', ${at}, ${at}, 0
    FROM ${series(last, 'i')} s JOIN bench_map m ON m.k = s.i % ${p}
    ORDER BY s.i`.execute(db);
  await sql`DROP TABLE bench_map`.execute(db);
  const i = sql`(s.id - 1)`;
  for (const [name, value] of PROPS) {
    await sql`INSERT INTO properties (resource_kind, resource_id, name, type, description, value,
        items_count, modified_by, created_at, modified_at)
      SELECT 'sample', s.id, ${name}, 'string', '',
        '{"content":"' || ${value(i)} || '"}', 1, ${owner}, ${at}, ${at}
      FROM samples s`.execute(db);
  }
  if (kind === 'postgres') {
    // Indexes are built after the rows, and search_words (migration 0012) in one statement.
    await sql`DROP INDEX search_index_tsv_idx`.execute(db);
    await sql`ALTER TABLE search_index DISABLE TRIGGER search_words_sync`.execute(db);
    await sql`ALTER TABLE search_words DROP CONSTRAINT search_words_pkey`.execute(db);
  }
  const words = sql.join(
    PROPS.map(([, value]) => sql`lower(${value(i)})`),
    sql` || ' ' || `,
  );
  await sql`INSERT INTO search_index (kind, resource_id, owner_id, project_id, subject_kind,
      subject_id, name, name_lc, name_words, body, created_at)
    SELECT 'sample', s.id, s.owner_id, s.project_id, 'sample', s.id, s.name, lower(s.name),
      'sample ' || substr(s.name, 8),
      'sample ' || substr(s.name, 8) || ' ' || lower(s.sample_id) || ' benchmark ' || ${words},
      s.created_at
    FROM samples s ORDER BY s.id`.execute(db);
  await sql`INSERT INTO search_index (kind, resource_id, owner_id, project_id, subject_kind,
      subject_id, name, name_lc, name_words, body, created_at)
    SELECT 'project', p.id, p.owner_id, p.id, 'project', p.id, p.name, lower(p.name),
      'project ' || substr(p.name, 9), 'project ' || substr(p.name, 9) || ' benchmark project',
      p.created_at
    FROM projects p ORDER BY p.id`.execute(db);
  if (kind === 'postgres') {
    await sql`CREATE INDEX search_index_tsv_idx ON search_index USING gin (tsv)`.execute(db);
    await fillSearchWords(db);
    await sql`ALTER TABLE search_index ENABLE TRIGGER search_words_sync`.execute(db);
    await sql`VACUUM (ANALYZE)`.execute(db);
  } else {
    await sql`INSERT INTO search_fts(search_fts) VALUES ('optimize')`.execute(db);
    await sql`ANALYZE`.execute(db);
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
  }
}

async function setup(kind) {
  const dataDir = join(dataRoot, kind);
  const stateFile = join(dataDir, 'bench-state.json');
  if (keep && existsSync(stateFile)) {
    const kept = JSON.parse(readFileSync(stateFile, 'utf8'));
    if (kept.samples === settings.samples && kept.projects === settings.projects) {
      log(`  reusing the database kept by an earlier BENCH_KEEP=1 run`);
      return kept.state;
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  if (kind === 'postgres') {
    await adminQuery(`DROP DATABASE IF EXISTS ${PG_BENCH_DB} WITH (FORCE)`);
    await adminQuery(`CREATE DATABASE ${PG_BENCH_DB}`);
  }
  const config = loadConfig({ env: hubEnv(kind), flags: { dataDir }, cwd: root });
  const hub = await openHub(config);
  try {
    const user = await hub.services.auth.createUser({ email: 'bench@lab.example', name: 'Bench' });
    const { token } = await hub.services.auth.createToken(user.id);
    const other = await hub.services.auth.createUser({ email: 'other@lab.example', name: 'Other' });
    const { token: otherToken } = await hub.services.auth.createToken(other.id);
    const started = performance.now();
    await fill(kind, hub.db.db, user.id);
    log(
      `  filled ${settings.samples.toLocaleString('en')} samples x 5 properties and the search index in ${seconds(started)}`,
    );
    // The bulk text equals what the service indexes on write: reindex one sample and compare.
    const { rows: before } = await sql`SELECT body FROM search_index WHERE kind = 'sample'
      AND resource_id = 12345`.execute(hub.db.db);
    const props = await hub.services.properties.list(
      { user, scope: [{ access: 'write', target: 'global' }] },
      'sample',
      '12345',
      { offset: 0, limit: 10, sortBy: 'Name', sortDir: 'Asc' },
    );
    if (props.totalCount !== 5) throw new Error('fill check: sample 12345 lacks its properties');
    const state = { dataDir, token, otherToken, bulkBody: before[0]?.body };
    if (keep)
      writeFileSync(
        stateFile,
        JSON.stringify({ samples: settings.samples, projects: settings.projects, state }),
      );
    return state;
  } finally {
    await hub.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Requests: a fixed mix of queries matching 1 .. 100,000 samples
// ---------------------------------------------------------------------------------------------

const n = settings.samples;
const QUERIES = [
  { q: (r) => `BC${Math.floor(r * n)}`, matches: '1 (unique property value)' },
  { q: (r) => `Sample-${String(Math.floor(r * n)).padStart(7, '0')}`, matches: '1 (exact name)' },
  { q: (r) => `OP${Math.floor(r * 20000)}`, matches: '~50' },
  { q: (r) => `LIB${Math.floor(r * 1000)}`, matches: '~1,000' },
  { q: (r) => `TISSUE${Math.floor(r * 100)}`, matches: '~10,000' },
  { q: (r) => `KIT${Math.floor(r * 10)} TISSUE${Math.floor(r * 100)}`, matches: '~1,000 (AND)' },
  { q: (r) => `name:"Sample-${String(Math.floor(r * n)).padStart(7, '0')}"`, matches: '1 (name:)' },
  { q: (r) => `KIT${Math.floor(r * 10)}`, matches: '~100,000' },
];

function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const searchPath = (query) => `/v1pre3/search?query=${encodeURIComponent(query)}&Limit=10`;

async function getJson(url, token) {
  const res = await fetch(url, { headers: { 'x-access-token': token } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} -> ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text).Response;
}

/** Answers are right before they are fast, and the other user sees nothing. */
async function verify(base, state) {
  const probe = Math.min(12344, n - 1);
  const name = `Sample-${String(probe).padStart(7, '0')}`;
  const one = await getJson(`${base}${searchPath(`BC${probe}`)}`, state.token);
  if (one.TotalCount !== 1 || one.Items[0]?.Sample?.Name !== name)
    throw new Error(
      `BC${probe}: expected exactly ${name}, got ${JSON.stringify(one).slice(0, 300)}`,
    );
  const exact = await getJson(`${base}${searchPath(name.toLowerCase())}`, state.token);
  if (exact.Items[0]?.Sample?.Name !== name || exact.Items[0].Score < 1000)
    throw new Error(`exact name ${name} is not ranked first`);
  const lib = await getJson(`${base}${searchPath('LIB7')}`, state.token);
  const expected = Math.floor((n - 1 - 7) / 1000) + 1;
  if (lib.TotalCount !== expected)
    throw new Error(`LIB7: TotalCount ${lib.TotalCount}, expected ${expected}`);
  const other = await getJson(`${base}${searchPath('KIT3')}`, state.otherToken);
  if (other.TotalCount !== 0) throw new Error('another user sees hits');
  // On PostgreSQL one word is answered from search_words, the same word twice through GIN: both
  // must find the same (a word of ~50 hits: every hit; of ~1,000: the count).
  const ids = (r) => r.Items.map((i) => i.Sample?.Id).sort();
  const all = (q) => `${base}/v1pre3/search?query=${encodeURIComponent(q)}&Limit=100`;
  const once = await getJson(all('OP77'), state.token);
  const twice = await getJson(all('OP77 OP77'), state.token);
  if (once.TotalCount === 0 || JSON.stringify(ids(once)) !== JSON.stringify(ids(twice)))
    throw new Error(`OP77 and 'OP77 OP77' disagree: ${once.TotalCount} / ${twice.TotalCount}`);
  const lib2 = await getJson(`${base}${searchPath('LIB7 LIB7')}`, state.token);
  if (lib2.TotalCount !== expected)
    throw new Error(`'LIB7 LIB7': TotalCount ${lib2.TotalCount}, expected ${expected}`);
}

async function load(base, token, durationS, seed, queries) {
  const random = prng(seed);
  let i = 0;
  const result = await autocannon({
    url: base,
    connections: settings.connections,
    pipelining: 1,
    duration: durationS,
    headers: { 'x-access-token': token },
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => {
          const query = queries[i % queries.length];
          i += 1;
          return { ...request, path: searchPath(query.q(random())) };
        },
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    requestsTotal: result.requests.total,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

async function benchDatabase(kind) {
  log(`\n== ${kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'} ==`);
  const state = await setup(kind);
  const server = startServer(hubEnv(kind), state.dataDir);
  try {
    const base = await server.url;
    await verify(base, state);
    log(
      `  warmup ${settings.warmupS} s, then ${settings.durationS} s x ${settings.connections} connections, mixed queries`,
    );
    await load(base, state.token, settings.warmupS, 1, QUERIES);
    const cpu = await cpuMeter(server.pid, kind);
    const mixed = await load(base, state.token, settings.durationS, 42, QUERIES);
    Object.assign(mixed, await cpu(mixed.requestsTotal, settings.durationS));
    // Each query class alone, briefly: which ones cost what.
    const perQuery = [];
    for (const query of QUERIES) {
      const seconds = Math.max(2, Math.round(settings.durationS / 4));
      const meter = await cpuMeter(server.pid, kind);
      const r = await load(base, state.token, seconds, 7, [query]);
      Object.assign(r, await meter(r.requestsTotal, seconds));
      perQuery.push({ example: query.q(0.5), matches: query.matches, ...r });
    }
    const checks = {
      p99: mixed.latencyMs.p99 < TARGET_P99_MS,
      no_errors: mixed.non2xx === 0 && mixed.errors === 0 && mixed.timeouts === 0,
    };
    return { database: kind, mixed, perQuery, checks, pass: Object.values(checks).every(Boolean) };
  } catch (error) {
    log(`  seqhub stderr:\n${server.stderr()}`);
    throw error;
  } finally {
    await server.stop();
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc; undefined off Linux. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = 100;

/** CPU seconds all CPUs spent busy since boot, from /proc/stat; undefined off Linux. */
function machineBusySeconds() {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = ticks.map(Number);
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * Starts counting CPU time (as bench/samples-pages does): of the server, of the PostgreSQL
 * backends serving the bench database, of this process (the load generator), and of everything
 * else on the machine (`otherCpus`: other jobs, which make tails pessimistic). The returned
 * function gives the figures per request since the call.
 */
async function cpuMeter(serverPid, kind) {
  // The bench database's backends, listed at the start and again at the end: the hub's pools
  // open connections on demand, and one opened during the run (its start-up, first plans and
  // first touches of shared buffers included) counts from zero.
  const backends = async () => {
    if (kind !== 'postgres') return [];
    const client = new pg.Client({ connectionString: pgAdminUrl });
    await client.connect();
    try {
      const { rows } = await client.query(
        'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [PG_BENCH_DB],
      );
      return rows.map((r) => r.pid);
    } finally {
      await client.end();
    }
  };
  const dbPids = await backends();
  const sum = (pids) => pids.reduce((total, pid) => total + (cpuSeconds(pid) ?? 0), 0);
  const self = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const before = { server: sum([serverPid]), db: sum(dbPids), self: self() };
  const machine = machineBusySeconds();
  return async (requests, durationS) => {
    const server = sum([serverPid]) - before.server;
    const opened = (await backends()).filter((pid) => !dbPids.includes(pid));
    const db = sum(dbPids) - before.db + sum(opened);
    const client = self() - before.self;
    const perRequestUs = (s) => Math.round((s / Math.max(1, requests)) * 1e6);
    const busy = machineBusySeconds();
    return {
      cpuUsPerRequest: {
        server: perRequestUs(server),
        database: kind === 'postgres' ? perRequestUs(db) : undefined,
        loadGenerator: perRequestUs(client),
      },
      otherCpus:
        busy === undefined || machine === undefined
          ? undefined
          : Number(Math.max(0, (busy - machine - server - db - client) / durationS).toFixed(2)),
    };
  };
}

function formatTable(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main() {
  log('seqhub bench: GET search over samples with 5 properties each');
  log(
    `  ${settings.samples.toLocaleString('en')} samples, ${settings.projects.toLocaleString('en')} projects, Limit 10, ` +
      `${settings.connections} connections; target p99 < ${TARGET_P99_MS} ms, no non-2xx`,
  );
  if (!pgAdminUrl) log('  note: SEQHUB_BENCH_POSTGRES_URL is not set: PostgreSQL is skipped.');
  const started = performance.now();
  const results = [];
  try {
    for (const kind of settings.databases) results.push(await benchDatabase(kind));
  } finally {
    if (keep)
      log(
        `  BENCH_KEEP=1: kept ${dataRoot.replace(`${root}/`, '')}${settings.databases.includes('postgres') ? ` and database ${PG_BENCH_DB}` : ''}`,
      );
    else if (settings.databases.includes('postgres'))
      await adminQuery(`DROP DATABASE IF EXISTS ${PG_BENCH_DB} WITH (FORCE)`).catch(
        () => undefined,
      );
    if (!keep) rmSync(dataRoot, { recursive: true, force: true });
  }
  log(
    `\n${formatTable(
      [
        'database',
        'req/s',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        'non-2xx',
        'server us/req',
        'db us/req',
        'other CPUs',
        'result',
      ],
      results.map((r) => [
        r.database,
        r.mixed.requestsPerSecond.toFixed(0),
        String(r.mixed.latencyMs.p50),
        String(r.mixed.latencyMs.p90),
        String(r.mixed.latencyMs.p99),
        String(r.mixed.latencyMs.max),
        String(r.mixed.non2xx + r.mixed.errors + r.mixed.timeouts),
        String(r.mixed.cpuUsPerRequest.server),
        String(r.mixed.cpuUsPerRequest.database ?? '-'),
        String(r.mixed.otherCpus ?? '-'),
        r.pass ? 'PASS' : 'FAIL',
      ]),
    )}\n`,
  );
  log(
    formatTable(
      [
        'database',
        'query (example)',
        'matches',
        'req/s',
        'p50 ms',
        'p99 ms',
        'server us/req',
        'db us/req',
        'other CPUs',
      ],
      results.flatMap((r) =>
        r.perQuery.map((q) => [
          r.database,
          q.example,
          q.matches,
          q.requestsPerSecond.toFixed(0),
          String(q.latencyMs.p50),
          String(q.latencyMs.p99),
          String(q.cpuUsPerRequest.server),
          String(q.cpuUsPerRequest.database ?? '-'),
          String(q.otherCpus ?? '-'),
        ]),
      ),
    ),
  );
  for (const r of results)
    if (!r.pass)
      log(
        `!!! FAIL (${r.database}): ${r.checks.p99 ? '' : `p99 ${r.mixed.latencyMs.p99} ms >= ${TARGET_P99_MS} ms; `}${r.checks.no_errors ? '' : 'errors'} !!!`,
      );
  if (results.some((r) => (r.mixed.otherCpus ?? 0) > 0.2))
    log(
      `note: other processes kept more than 0.2 of the ${os.cpus().length} CPUs busy during a measured run: its req/s and tails are pessimistic.`,
    );
  if (results.every((r) => r.pass)) log('All targets met.');
  mkdirSync(dirname(resultsFile), { recursive: true });
  writeFileSync(
    resultsFile,
    `${JSON.stringify(
      {
        benchmark: 'search',
        date: new Date().toISOString(),
        totalSeconds: Math.round((performance.now() - started) / 1000),
        machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model },
        settings,
        targets: { p99Ms: TARGET_P99_MS },
        results,
      },
      null,
      2,
    )}\n`,
  );
  log(`results: ${resultsFile.replace(`${root}/`, '')} (took ${seconds(started)})`);
}

await main();
