// PostgreSQL backend CPU per search, one query at a time, through the search repository with the
// server's own pools (main: generic plans; custom-plan pool), on the database that
// `BENCH_KEEP=1 node bench/search.mjs` keeps (seqhub_bench_search). For before/after comparisons
// on a shared machine, where bench/search's latencies are noise: CPU per query and minor page
// faults per query of the two backends, from /proc. See bench/README.md ("search").
//
//   SEQHUB_BENCH_POSTGRES_URL=postgres://postgres:postgres@127.0.0.1:5432/postgres \
//     node bench/search-pg-cpu.mjs [class] [queries]
//
// class: `and-common` (KIT<k> TISSUE<t> sharing 10,000 rows), `and-none` (sharing none), `word`
// (TISSUE<t>), `exact` (Sample-<n>: the phrase `sample <-> <n>`), `name` (name:"Sample-<n>"),
// `unique` (BC<n>). BENCH_DIST: another build's dist directory (default ../dist), for "before".
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(process.env.BENCH_DIST ?? resolve(here, '..', 'dist'));
const { openDatabase } = await import(`${dist}/adapters/db/connect.js`);
const { KyselySearchRepository } = await import(
  `${dist}/adapters/db/repositories/search.repository.js`
);
const { parseSearchQuery, parseSearchScope } = await import(`${dist}/domain/search.js`);

const admin = process.env.SEQHUB_BENCH_POSTGRES_URL?.trim();
if (!admin) throw new Error('set SEQHUB_BENCH_POSTGRES_URL (the URL bench/search.mjs uses)');
const url = new URL(admin);
url.pathname = '/seqhub_bench_search';
const kind = process.argv[2] ?? 'and-common';
const CLASSES = ['and-common', 'and-none', 'word', 'exact', 'name', 'unique'];
if (!CLASSES.includes(kind))
  throw new Error(`class must be one of ${CLASSES.join(', ')}, got '${kind}'`);
const n = Number(process.argv[3] ?? 300);

const handle = openDatabase({ kind: 'postgres', url: url.toString(), poolSize: 1 });
const repo = new KyselySearchRepository(handle.db, 'postgres', handle.customPlans);
const { rows: users } = await sql`SELECT id FROM users WHERE email = 'bench@lab.example'`.execute(
  handle.db,
);
if (!users[0]) throw new Error('no bench user: run BENCH_KEEP=1 node bench/search.mjs first');
const viewer = { kind: 'user', userId: String(users[0].id) };
const pids = [];
for (const db of [handle.db, handle.customPlans])
  pids.push((await sql`SELECT pg_backend_pid() AS pid`.execute(db)).rows[0].pid);
const stat = (pid) => {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
};
const cpuMs = () => pids.reduce((t, pid) => t + (+stat(pid)[11] + +stat(pid)[12]) * 10, 0);
const faults = () => pids.map((pid) => Number(stat(pid)[7]));

let seed = 7;
const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const query = () => {
  const k = Math.floor(random() * 10);
  let t = Math.floor(random() * 100);
  if (kind === 'word') return `tissue${t}`;
  const sample = String(Math.floor(random() * 1_000_000)).padStart(7, '0');
  if (kind === 'exact') return `Sample-${sample}`;
  if (kind === 'name') return `name:"Sample-${sample}"`;
  if (kind === 'unique') return `BC${Number(sample)}`;
  // TISSUE<t> is on rows i with i mod 100 = t, KIT<k> on i mod 10 = k: common iff t mod 10 = k.
  if (kind === 'and-common') t = t - (t % 10) + k;
  else if (t % 10 === k) t = (t + 1) % 100;
  return `kit${k} tissue${t}`;
};
const run = async (count) => {
  for (let i = 0; i < count; i++)
    await repo.search(
      parseSearchQuery(query()),
      { viewer, kinds: parseSearchScope(undefined), access: { global: true } },
      { offset: 0, limit: 10, sortBy: 'Score', sortDir: 'Desc' },
    );
};
await run(30); // plans, catalog caches, first touches of shared buffers
const [f0, c0, t0] = [faults(), cpuMs(), performance.now()];
await run(n);
const [f1, c1, t1] = [faults(), cpuMs(), performance.now()];
console.log(
  `${kind} (${dist}): PostgreSQL CPU ${((c1 - c0) / n).toFixed(2)} ms/query, wall ` +
    `${((t1 - t0) / n).toFixed(2)} ms/query, minor faults/query main ` +
    `${((f1[0] - f0[0]) / n).toFixed(0)} custom-plan ${((f1[1] - f0[1]) / n).toFixed(0)} (n=${n})`,
);
await handle.close();
