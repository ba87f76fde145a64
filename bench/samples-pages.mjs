// Deep, sorted `GET /v1pre3/projects/{id}/samples` pages against the real `seqhub serve`, next to a
// bare Fastify route serving the same JSON (bench/bare-server.mjs), on SQLite and PostgreSQL.
// See bench/README.md for the methodology. Imports the built server from ../dist: run through
// `npm run bench`, which builds first.
import autocannon from 'autocannon';
import { sql } from 'kysely';
import pg from 'pg';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openHub } from '../dist/app/hub.js';
import { loadConfig } from '../dist/config/index.js';
import { serveArgs, startProcess } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

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
if (dbChoice !== 'sqlite' && !pgAdminUrl) {
  throw new Error(
    'BENCH_DB includes postgres: set SEQHUB_BENCH_POSTGRES_URL to an admin URL, e.g. postgres://postgres:postgres@127.0.0.1:5432/postgres',
  );
}

const settings = {
  samples: intEnv('BENCH_SAMPLES', 1_000_000),
  projects: intEnv('BENCH_PROJECTS', 1_000),
  durationS: intEnv('BENCH_DURATION', 10),
  warmupS: intEnv('BENCH_WARMUP', 2),
  connections: intEnv('BENCH_CONNECTIONS', 10),
  limit: 10,
  databases: dbChoice === 'both' ? ['sqlite', 'postgres'] : [dbChoice],
};
const TARGET_P99_MS = 20;
const TARGET_RATIO = 0.5;
const SORTS = ['Name', 'DateCreated', 'Id'];
const DIRS = ['Asc', 'Desc'];
const PG_BENCH_DB = 'seqhub_bench';
const dataRoot = join(root, '.bench-data', 'samples-pages');
const resultsFile = join(here, 'results', 'samples-pages.json');
/** Extra node flags for the served hub, e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
/** BENCH_KEEP=1 keeps the filled databases and reuses them next time (same sizes): for profiling. */
const keep = process.env.BENCH_KEEP === '1';
const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

const log = (line) => process.stdout.write(`${line}\n`);
const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------------------------
// Setup: fresh database, migrations, one user + token, set-based fill
// ---------------------------------------------------------------------------------------------

async function adminQuery(text) {
  const client = new pg.Client({ connectionString: pgAdminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

function pgBenchUrl() {
  const url = new URL(pgAdminUrl);
  url.pathname = `/${PG_BENCH_DB}`;
  return url.toString();
}

/** The environment both the setup hub and the served hub see. */
function hubEnv(kind) {
  const env = { ...process.env, SEQHUB_LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  if (kind === 'postgres') env.DATABASE_URL = pgBenchUrl();
  return env;
}

/**
 * Sample k (0-based) goes to project k mod P, so a project's samples are spread over the whole
 * table as if many projects filled at once. Names and creation times are scrambled by
 * multiplying k by a prime, so neither sort follows the id order, and both have some ties.
 */
const SAMPLE_NAME_MOD = 499_979;
const CREATED_SPREAD_S = 2_000_003;
const EPOCH_2026 = 1_767_225_600; // 2026-01-01T00:00:00.000Z

async function fill(kind, db, ownerId) {
  // Numbers go in as SQL literals: better-sqlite3 binds JS numbers as REAL, which would turn
  // integer division into real division, and pg would bind them as text.
  const p = sql.lit(settings.projects);
  const last = sql.lit(settings.samples - 1);
  const lastProject = sql.lit(settings.projects - 1);
  const owner = sql.lit(Number(ownerId));
  const nameMod = sql.lit(SAMPLE_NAME_MOD);
  const spread = sql.lit(CREATED_SPREAD_S);
  const epoch = sql.lit(EPOCH_2026);
  // Projects, then one Complete "import" AppSession per project, then a k -> (project, session) map.
  if (kind === 'sqlite') {
    await sql`
      WITH RECURSIVE seq(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM seq WHERE k < ${lastProject})
      INSERT INTO projects (owner_id, name, description, created_at, modified_at, total_size)
      SELECT ${owner}, printf('Project %05d', k), 'benchmark project',
             strftime('%Y-%m-%dT%H:%M:%fZ', ${epoch} - 86400 + k * 60, 'unixepoch'),
             strftime('%Y-%m-%dT%H:%M:%fZ', ${epoch} - 86400 + k * 60, 'unixepoch'), 0
      FROM seq`.execute(db);
  } else {
    await sql`
      INSERT INTO projects (owner_id, name, description, created_at, modified_at, total_size)
      SELECT ${owner}, 'Project ' || lpad(k::text, 5, '0'), 'benchmark project', ts, ts, 0
      FROM (SELECT k, to_char(timestamp '2025-12-31 00:00:00' + k * interval '1 minute',
                              'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts
            FROM generate_series(0, ${lastProject}) AS g(k)) s`.execute(db);
  }
  await sql`
    INSERT INTO appsessions (owner_id, application_id, name, status, status_summary, project_id,
                             created_at, modified_at, completed_at, total_size)
    SELECT owner_id, '1', 'Import into ' || name, 'Complete', 'Imported by the benchmark', id,
           created_at, created_at, created_at, 0
    FROM projects WHERE owner_id = ${owner} ORDER BY id`.execute(db);
  await sql`CREATE TABLE bench_map (k integer PRIMARY KEY, pid bigint NOT NULL, aid bigint NOT NULL)`.execute(
    db,
  );
  await sql`
    INSERT INTO bench_map (k, pid, aid)
    SELECT (row_number() OVER (ORDER BY p.id)) - 1, p.id, a.id
    FROM projects p JOIN appsessions a ON a.project_id = p.id`.execute(db);

  if (kind === 'sqlite') {
    // One statement = one transaction; CROSS JOIN keeps the series as the outer loop.
    await sql`
      WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${last})
      INSERT INTO samples (project_id, owner_id, appsession_id, run_id, name, description, sample_id,
                           sample_number, experiment_name, num_reads_raw, num_reads_pf, read1, read2,
                           is_paired_end, genome_id, refs, created_at, modified_at, total_size)
      SELECT m.pid, ${owner}, m.aid, NULL, printf('Sample-%06d', (s.i * 7919) % ${nameMod}), '',
             printf('SID%07d', s.i), s.i / ${p} + 1, 'Benchmark', 2000000 + s.i % 100000,
             1800000 + s.i % 100000, 151, 151, 1, NULL, NULL, s.ts, s.ts, (s.i * 7) % 1000000007
      FROM (SELECT i, strftime('%Y-%m-%dT%H:%M:%fZ', ${epoch} + (i * 104729) % ${spread}, 'unixepoch') AS ts
            FROM seq) s
      CROSS JOIN bench_map m
      WHERE m.k = s.i % ${p}`.execute(db);
  } else {
    await sql`
      INSERT INTO samples (project_id, owner_id, appsession_id, run_id, name, description, sample_id,
                           sample_number, experiment_name, num_reads_raw, num_reads_pf, read1, read2,
                           is_paired_end, genome_id, refs, created_at, modified_at, total_size)
      SELECT m.pid, ${owner}, m.aid, NULL, 'Sample-' || lpad(((s.i * 7919) % ${nameMod})::text, 6, '0'), '',
             'SID' || lpad(s.i::text, 7, '0'), s.i / ${p} + 1, 'Benchmark', 2000000 + s.i % 100000,
             1800000 + s.i % 100000, 151, 151, 1, NULL, NULL, s.ts, s.ts, (s.i * 7) % 1000000007
      FROM (SELECT i, to_char(timestamp '2026-01-01 00:00:00' + ((i * 104729) % ${spread}) * interval '1 second',
                              'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts
            FROM generate_series(0::bigint, ${last}) AS g(i)) s
      JOIN bench_map m ON m.k = s.i % ${p}`.execute(db);
  }
  await sql`DROP TABLE bench_map`.execute(db);

  // Every sample's session belongs to its project: the map above did what it should.
  const { rows } = await sql`
    SELECT count(*) AS n FROM samples s JOIN appsessions a ON a.id = s.appsession_id AND a.project_id = s.project_id`.execute(
    db,
  );
  if (Number(rows[0].n) !== settings.samples)
    throw new Error(
      `fill check failed: ${rows[0].n} of ${settings.samples} samples are consistent`,
    );

  // Planner statistics. On PostgreSQL also VACUUM: it sets the visibility map, as autovacuum
  // would shortly after a bulk insert (its insert threshold), so this is the steady state.
  if (kind === 'sqlite') {
    await sql`ANALYZE`.execute(db);
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
  } else {
    await sql`VACUUM (ANALYZE)`.execute(db);
  }
}

/** Expected Ids of one deep page per sort, straight from SQL, to check the server's answers. */
async function expectedPages(db, projectId, offset) {
  const expected = {};
  const columns = { Name: sql.ref('name'), DateCreated: sql.ref('created_at'), Id: sql.ref('id') };
  for (const sortBy of SORTS) {
    for (const sortDir of DIRS) {
      const dir = sql.raw(sortDir === 'Desc' ? 'DESC' : 'ASC');
      const { rows } = await sql`
        SELECT id FROM samples WHERE project_id = ${projectId}
        ORDER BY ${columns[sortBy]} ${dir}, id ${dir} LIMIT ${sql.lit(settings.limit)} OFFSET ${sql.lit(offset)}`.execute(
        db,
      );
      expected[`${sortBy} ${sortDir}`] = rows.map((r) => String(r.id));
    }
  }
  return expected;
}

/** Version and the memory settings that matter most here: both databases run at their defaults. */
async function databaseInfo(kind, db) {
  if (kind === 'sqlite') {
    const { rows } = await sql`SELECT sqlite_version() AS version`.execute(db);
    return { version: rows[0].version };
  }
  const setting = async (name) =>
    (await sql`SELECT current_setting(${name}) AS v`.execute(db)).rows[0].v;
  return {
    version: await setting('server_version'),
    shared_buffers: await setting('shared_buffers'),
    work_mem: await setting('work_mem'),
  };
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
  const hub = await openHub(config); // runs the migrations
  try {
    const user = await hub.services.auth.createUser({
      email: 'bench@lab.example',
      name: 'Bench User',
    });
    const { token } = await hub.services.auth.createToken(user.id);
    const started = performance.now();
    await fill(kind, hub.db.db, user.id);
    log(
      `  filled ${settings.projects.toLocaleString('en')} projects, ${settings.samples.toLocaleString('en')} samples in ${seconds(started)}`,
    );
    const { rows } =
      await sql`SELECT id FROM projects WHERE owner_id = ${user.id} ORDER BY id`.execute(hub.db.db);
    const projectIds = rows.map((r) => String(r.id));
    const counts =
      await sql`SELECT min(n) AS lo FROM (SELECT count(*) AS n FROM samples GROUP BY project_id) c`.execute(
        hub.db.db,
      );
    const perProject = Number(counts.rows[0].lo);
    const probe = { projectId: projectIds[0], offset: deepOffsets(perProject).from };
    const expected = await expectedPages(hub.db.db, probe.projectId, probe.offset);
    const server = await databaseInfo(kind, hub.db.db);
    const state = {
      dataDir,
      ownerId: user.id,
      token,
      projectIds,
      perProject,
      probe,
      expected,
      server,
    };
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
// Requests
// ---------------------------------------------------------------------------------------------

/** Offsets in the last ~10% of a project's samples, full pages only (900..990 for 1,000). */
function deepOffsets(perProject) {
  const to = Math.max(0, perProject - settings.limit);
  const from = Math.min(to, Math.floor(perProject * 0.9));
  return { from, to };
}

/** Small seeded PRNG (mulberry32): both servers get the very same URL sequence. */
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

function pathGenerator(projectIds, perProject, seed) {
  const random = prng(seed);
  const { from, to } = deepOffsets(perProject);
  let n = 0;
  return () => {
    const projectId = projectIds[Math.floor(random() * projectIds.length)];
    const offset = from + Math.floor(random() * (to - from + 1));
    const sortBy = SORTS[n % SORTS.length];
    const sortDir = DIRS[Math.floor(n / SORTS.length) % DIRS.length];
    n += 1;
    return `/v1pre3/projects/${projectId}/samples?Offset=${offset}&Limit=${settings.limit}&SortBy=${sortBy}&SortDir=${sortDir}`;
  };
}

async function getJson(url, token) {
  const response = await fetch(url, { headers: { 'x-access-token': token } });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`GET ${url} -> ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/** The served pages are the pages SQL says they are, in every sort. */
async function verify(base, state) {
  const { probe, expected, perProject } = state;
  for (const key of Object.keys(expected)) {
    const [sortBy, sortDir] = key.split(' ');
    const body = await getJson(
      `${base}/v1pre3/projects/${probe.projectId}/samples?Offset=${probe.offset}&Limit=${settings.limit}&SortBy=${sortBy}&SortDir=${sortDir}`,
      state.token,
    );
    const got = body.Response.Items.map((item) => item.Id);
    if (JSON.stringify(got) !== JSON.stringify(expected[key])) {
      throw new Error(
        `wrong page for SortBy=${sortBy} SortDir=${sortDir}: got ${got.join(',')} expected ${expected[key].join(',')}`,
      );
    }
    if (body.Response.TotalCount < perProject)
      throw new Error(`TotalCount ${body.Response.TotalCount} < ${perProject}`);
  }
}

/** One autocannon run; the same settings and URL sequence for both servers. */
async function load(base, state, durationS, seed) {
  const next = pathGenerator(state.projectIds, state.perProject, seed);
  const result = await autocannon({
    url: base,
    connections: settings.connections,
    pipelining: 1,
    duration: durationS,
    headers: { 'x-access-token': state.token },
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: next() }) }],
  });
  return {
    requestsPerSecond: result.requests.average,
    requestsTotal: result.requests.total,
    durationS: result.duration,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.average,
    },
    bytesPerSecond: result.throughput.average,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
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

/** PostgreSQL backends serving the bench database: where the database's CPU time goes. */
async function pgBackendPids() {
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
}

/**
 * Warmup, then the measured run. Besides autocannon's figures, records the CPU time the server
 * (and, on PostgreSQL, its backends) spent per request: on a small shared machine that is a
 * steadier figure than req/s, which moves with whatever else runs.
 */
async function measure(label, base, state, pids) {
  log(
    `  ${label}: warmup ${settings.warmupS} s, then ${settings.durationS} s x ${settings.connections} connections`,
  );
  await load(base, state, settings.warmupS, 1);
  const dbPids = pids.database ? await pids.database() : [];
  const tracked = () =>
    [pids.server, process.pid, ...dbPids].reduce((sum, pid) => sum + (cpuSeconds(pid) ?? 0), 0);
  const before = {
    server: cpuSeconds(pids.server),
    db: dbPids.map(cpuSeconds),
    client: process.cpuUsage(),
    machine: machineBusySeconds(),
    tracked: tracked(),
  };
  const result = await load(base, state, settings.durationS, 42);
  const perRequestUs = (cpu) =>
    cpu === undefined ? undefined : Math.round((cpu / result.requestsTotal) * 1e6);
  const serverAfter = cpuSeconds(pids.server);
  const client = process.cpuUsage(before.client);
  result.cpuUsPerRequest = {
    server: perRequestUs(serverAfter === undefined ? undefined : serverAfter - before.server),
    database: dbPids.length
      ? perRequestUs(
          dbPids.reduce((sum, pid, i) => sum + ((cpuSeconds(pid) ?? 0) - (before.db[i] ?? 0)), 0),
        )
      : undefined,
    loadGenerator: perRequestUs((client.user + client.system) / 1e6),
  };
  // CPUs busy with anything but this run (other jobs on the machine): they skew req/s and tails.
  const machine = machineBusySeconds();
  if (machine !== undefined && before.machine !== undefined) {
    const other = machine - before.machine - (tracked() - before.tracked);
    result.otherCpus = Number(Math.max(0, other / result.durationS).toFixed(2));
  }
  return result;
}

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

// ---------------------------------------------------------------------------------------------
// One database
// ---------------------------------------------------------------------------------------------

async function benchDatabase(kind) {
  log(`\n== ${kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'} ==`);
  const state = await setup(kind);

  const server = startProcess(
    'seqhub serve',
    [...nodeArgs, ...serveArgs(state.dataDir)],
    hubEnv(kind),
  );
  let bare;
  let floor;
  try {
    const oursUrl = await server.url;
    await verify(oursUrl, state);
    // The bare route serves one real deep page of ours, byte for byte the same JSON.
    const body = await getJson(
      `${oursUrl}/v1pre3/projects/${state.probe.projectId}/samples?Offset=${state.probe.offset}&Limit=${settings.limit}&SortBy=Name&SortDir=Asc`,
      state.token,
    );
    const bodyFile = join(state.dataDir, 'bare-body.json');
    writeFileSync(bodyFile, JSON.stringify(body));
    bare = startProcess('bare server', ['bench/bare-server.mjs'], {
      ...process.env,
      BENCH_BODY_FILE: bodyFile,
    });
    const bareUrl = await bare.url;
    const bareBody = await getJson(`${bareUrl}/v1pre3/projects/1/samples`, state.token);
    if (JSON.stringify(bareBody) !== JSON.stringify(body))
      throw new Error('the bare route does not serve the captured body');

    // The floor: the same database work with hand-written SQL and nothing else. It must answer
    // the probe page exactly as we do, or it is not doing the same work.
    floor = startProcess('bare+SQL server', ['bench/bare-sql-server.mjs'], {
      ...process.env,
      BENCH_DB_KIND: kind,
      BENCH_SQLITE_PATH: join(state.dataDir, 'seqhub.db'),
      BENCH_PG_URL: kind === 'postgres' ? pgBenchUrl() : '',
      BENCH_OWNER_ID: state.ownerId ?? '1',
    });
    const floorUrl = await floor.url;
    for (const [sortBy, sortDir] of [
      ['Name', 'Asc'],
      ['DateCreated', 'Desc'],
      ['Id', 'Desc'],
    ]) {
      const path = `/v1pre3/projects/${state.probe.projectId}/samples?Offset=${state.probe.offset}&Limit=${settings.limit}&SortBy=${sortBy}&SortDir=${sortDir}`;
      const [a, b] = await Promise.all([
        getJson(`${oursUrl}${path}`, state.token),
        getJson(`${floorUrl}${path}`, state.token),
      ]);
      if (JSON.stringify(a) !== JSON.stringify(b))
        throw new Error(`the bare+SQL route answers ${path} differently from ours`);
    }

    const ours = await measure('seqhub', oursUrl, state, {
      server: server.pid,
      database: kind === 'postgres' ? pgBackendPids : undefined,
    });
    const floorResult = await measure('bare fastify + same SQL', floorUrl, state, {
      server: floor.pid,
      database: kind === 'postgres' ? pgBackendPids : undefined,
    });
    await floor.stop();
    floor = undefined;
    const reference = await measure('bare fastify', bareUrl, state, { server: bare.pid });
    const ratio = ours.requestsPerSecond / reference.requestsPerSecond;
    const checks = {
      p99: ours.latencyMs.p99 < TARGET_P99_MS,
      ratio: ratio >= TARGET_RATIO,
      no_errors:
        ours.non2xx === 0 && ours.errors === 0 && ours.timeouts === 0 && reference.non2xx === 0,
    };
    return {
      database: kind,
      databaseServer: state.server,
      perProject: state.perProject,
      offsets: deepOffsets(state.perProject),
      responseBytes: Buffer.byteLength(JSON.stringify(body)),
      ours,
      floor: floorResult,
      floorRatio: floorResult.requestsPerSecond / reference.requestsPerSecond,
      oursVsFloor: ours.requestsPerSecond / floorResult.requestsPerSecond,
      bare: reference,
      ratio,
      checks,
      pass: Object.values(checks).every(Boolean),
    };
  } catch (error) {
    const serverErr = server.stderr();
    if (serverErr) log(`  seqhub stderr:\n${serverErr}`);
    throw error;
  } finally {
    await floor?.stop();
    await bare?.stop();
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

function formatTable(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function table(results) {
  const head = [
    'database',
    'ours req/s',
    'bare+SQL req/s',
    'bare req/s',
    'ratio',
    'bare+SQL ratio',
    'p50 ms',
    'p99 ms',
    'bare p99',
    'non-2xx',
    'result',
  ];
  const rows = results.map((r) => [
    r.database,
    r.ours.requestsPerSecond.toFixed(0),
    r.floor.requestsPerSecond.toFixed(0),
    r.bare.requestsPerSecond.toFixed(0),
    `${r.ratio.toFixed(2)}x`,
    `${r.floorRatio.toFixed(2)}x`,
    String(r.ours.latencyMs.p50),
    String(r.ours.latencyMs.p99),
    String(r.bare.latencyMs.p99),
    String(r.ours.non2xx + r.ours.errors + r.ours.timeouts),
    r.pass ? 'PASS' : 'FAIL',
  ]);
  return formatTable(head, rows);
}

/** Where the CPU went, per request (microseconds): what req/s alone hides on a shared machine. */
function cpuTable(results) {
  const us = (v) => (v === undefined ? '-' : String(v));
  const head = [
    'CPU us/request',
    'ours server',
    'ours database',
    'bare+SQL server',
    'bare+SQL database',
    'bare server',
    'load generator (ours/bare)',
    'other CPUs busy (ours/bare)',
  ];
  const rows = results.map((r) => [
    r.database,
    us(r.ours.cpuUsPerRequest.server),
    r.database === 'sqlite' ? '(in server)' : us(r.ours.cpuUsPerRequest.database),
    us(r.floor.cpuUsPerRequest.server),
    r.database === 'sqlite' ? '(in server)' : us(r.floor.cpuUsPerRequest.database),
    us(r.bare.cpuUsPerRequest.server),
    `${us(r.ours.cpuUsPerRequest.loadGenerator)} / ${us(r.bare.cpuUsPerRequest.loadGenerator)}`,
    `${r.ours.otherCpus ?? '-'} / ${r.bare.otherCpus ?? '-'}`,
  ]);
  return formatTable(head, rows);
}

async function main() {
  log('seqhub bench: deep sorted projects/{id}/samples pages vs a bare Fastify route');
  log(
    `  ${settings.samples.toLocaleString('en')} samples across ${settings.projects.toLocaleString('en')} projects, ` +
      `Limit ${settings.limit}, ${settings.connections} connections, ${settings.durationS} s per server after ${settings.warmupS} s warmup`,
  );
  log(
    `  targets: p99 < ${TARGET_P99_MS} ms, throughput >= ${TARGET_RATIO}x the bare route, no non-2xx`,
  );
  if (!pgAdminUrl) {
    log('  note: SEQHUB_BENCH_POSTGRES_URL is not set, so PostgreSQL is skipped (SQLite only).');
    log(
      '        e.g. SEQHUB_BENCH_POSTGRES_URL=postgres://postgres:postgres@127.0.0.1:5432/postgres npm run bench',
    );
  }

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

  log(`\n${table(results)}\n\n${cpuTable(results)}\n`);
  for (const r of results) {
    if (r.pass) continue;
    const why = [];
    if (!r.checks.p99) why.push(`p99 ${r.ours.latencyMs.p99} ms >= ${TARGET_P99_MS} ms`);
    if (!r.checks.ratio) why.push(`throughput ratio ${r.ratio.toFixed(2)}x < ${TARGET_RATIO}x`);
    if (!r.checks.no_errors) why.push('non-2xx responses, errors or timeouts');
    log(`!!! FAIL (${r.database}): ${why.join('; ')} !!!`);
  }
  if (results.every((r) => r.pass)) log('All targets met.');
  const otherCpus = Math.max(
    0,
    ...results.flatMap((r) => [
      r.ours.otherCpus ?? 0,
      r.floor.otherCpus ?? 0,
      r.bare.otherCpus ?? 0,
    ]),
  );
  if (otherCpus > 0.2) {
    log(
      `note: other processes kept up to ${otherCpus.toFixed(2)} of the ${os.cpus().length} CPUs busy during a measured run;`,
    );
    log(
      '      req/s and latencies suffer from that; the CPU us/request table suffers least. Re-run on a quiet machine.',
    );
  }

  mkdirSync(dirname(resultsFile), { recursive: true });
  const report = {
    benchmark: 'samples-pages',
    date: new Date().toISOString(),
    totalSeconds: Math.round((performance.now() - started) / 1000),
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
    },
    settings,
    targets: { p99Ms: TARGET_P99_MS, ratio: TARGET_RATIO },
    results,
  };
  writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
  log(`results: ${resultsFile.replace(`${root}/`, '')} (took ${seconds(started)})`);
}

await main();
