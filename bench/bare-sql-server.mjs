// The floor for bench/samples-pages.mjs: a bare Fastify route that does the database work a deep
// `projects/{id}/samples` page needs and nothing else. Per request: the project's access check
// (one row by id and owner), the count of the project's samples and the page (cut by id from the
// (project_id, sort column, id) index, joined back to sample, owner and AppSession), with
// hand-written SQL run as prepared statements (better-sqlite3 `prepare` once; pg named statements
// with generic plans), rows mapped to the same BaseSpace JSON and sent with `reply.send(obj)`. No
// token lookup, no validation, no query builder, no response schema.
//
// If this route cannot reach 0.5x the bare route's throughput, no server that reads the page from
// the database per request can: the difference is the database work itself.
//
// Usage: BENCH_DB_KIND=sqlite BENCH_SQLITE_PATH=... | BENCH_DB_KIND=postgres BENCH_PG_URL=...
//        BENCH_OWNER_ID=1 node bench/bare-sql-server.mjs  -> prints `listening on http://...`
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { createHash } from 'node:crypto';
import pg from 'pg';

const kind = process.env.BENCH_DB_KIND;
const ownerId = Number(process.env.BENCH_OWNER_ID ?? 1);
const SORT = { id: 's.id', name: 's.name', datecreated: 's.created_at' };

const projectSql = (p) =>
  `select p.id, p.name from projects p where p.id = ${p(1)} and p.owner_id = ${p(2)}`;
const countSql = (p) => `select count(*) as n from samples s where s.project_id = ${p(1)}`;
const pageSql = (p, column, dir) =>
  `select s.id, s.name, s.sample_id, s.created_at, s.total_size, u.id as owner_id, u.name as owner_name,
     u.email as owner_email, a.status, a.status_summary
   from (select s.id from samples s where s.project_id = ${p(1)}
         order by ${column} ${dir}${column === 's.id' ? '' : `, s.id ${dir}`}
         limit ${p(2)} offset ${p(3)}) as pg
   join samples s on s.id = pg.id
   join users u on u.id = s.owner_id
   join appsessions a on a.id = s.appsession_id
   order by ${column} ${dir}${column === 's.id' ? '' : `, s.id ${dir}`}`;

let run; // (sql, params) => rows
if (kind === 'sqlite') {
  const db = new Database(process.env.BENCH_SQLITE_PATH, { readonly: true });
  db.pragma('journal_mode = WAL');
  const statements = new Map();
  run = (text, params) => {
    let statement = statements.get(text);
    if (!statement) statements.set(text, (statement = db.prepare(text)));
    return statement.all(...params);
  };
} else if (kind === 'postgres') {
  const pool = new pg.Pool({ connectionString: process.env.BENCH_PG_URL, max: 10 });
  pool.on('connect', (client) => {
    client.query('SET plan_cache_mode = force_generic_plan').catch(() => undefined);
  });
  const names = new Map();
  run = async (text, values) => {
    let name = names.get(text);
    if (!name) names.set(text, (name = `b${names.size}`));
    return (await pool.query({ name, text, values })).rows;
  };
} else {
  process.stderr.write('BENCH_DB_KIND must be sqlite or postgres\n');
  process.exit(2);
}
const param = kind === 'sqlite' ? () => '?' : (n) => `$${n}`;

const isoDate = (value) => {
  const d = value instanceof Date ? value.toISOString() : String(value);
  return `${d.slice(0, 19)}.${d.slice(20, 23).padEnd(7, '0')}Z`;
};
const gravatar = (email) =>
  `https://secure.gravatar.com/avatar/${createHash('md5').update(email.trim().toLowerCase()).digest('hex')}.jpg?d=mm`;

const app = Fastify({ logger: false });
app.get('/v1pre3/projects/:id/samples', async (request, reply) => {
  const q = Object.fromEntries(
    Object.entries(request.query).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  const offset = Number(q.offset ?? 0);
  const limit = Number(q.limit ?? 10);
  const sortBy = (q.sortby ?? 'Id').toLowerCase();
  const dir = (q.sortdir ?? 'Asc').toLowerCase() === 'desc' ? 'desc' : 'asc';
  const projectId = Number(request.params.id);

  const [project] = await run(projectSql(param), [projectId, ownerId]);
  if (!project) return reply.code(404).send({ ResponseStatus: { ErrorCode: 'NotFound' } });
  const [{ n }] = await run(countSql(param), [projectId]);
  const rows = await run(pageSql(param, SORT[sortBy] ?? 's.id', dir), [projectId, limit, offset]);
  const items = rows.map((r) => ({
    Id: String(r.id),
    Href: `v1pre3/samples/${r.id}`,
    Name: r.name,
    SampleId: r.sample_id,
    Status: r.status,
    StatusSummary: r.status_summary,
    DateCreated: isoDate(r.created_at),
    UserOwnedBy: {
      Id: String(r.owner_id),
      Href: `v1pre3/users/${r.owner_id}`,
      Name: r.owner_name,
      GravatarUrl: gravatar(r.owner_email),
    },
    TotalSize: Number(r.total_size),
  }));
  return reply.send({
    Response: {
      Items: items,
      DisplayedCount: items.length,
      TotalCount: Number(n),
      Offset: offset,
      Limit: limit,
      SortDir: dir === 'desc' ? 'Desc' : 'Asc',
      SortBy: q.sortby ?? 'Id',
    },
    ResponseStatus: {},
    Notifications: [],
  });
});

const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0) });
process.stdout.write(`listening on ${address}\n`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    app.close().then(() => process.exit(0));
  });
}
