import SQLite from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type MigrationProvider,
  type SqliteDatabase,
} from 'kysely';
import pg from 'pg';
import { allMigrations } from './migrations/index.js';
import type { Database, DbKind } from './schema.js';

export type DbConfig =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; poolSize?: number | undefined };

export interface DbHandle {
  kind: DbKind;
  db: Kysely<Database>;
  /**
   * PostgreSQL only: connections whose statements are planned for their values on every run
   * (`plan_cache_mode = force_custom_plan`), for the few statements whose best plan depends on
   * them (search's GIN statement, ADR 0003). Not for writes: it is another connection.
   */
  customPlans?: Kysely<Database>;
  close(): Promise<void>;
}

/**
 * How long a SQLite writer waits for another process's lock before failing. Requests are short;
 * 5 s covers a burst of writers without ever surfacing SQLITE_BUSY as a 500.
 */
const SQLITE_BUSY_TIMEOUT_MS = 5000;
/** How much of a SQLite file is read through a memory map (SQLite caps it at its build's maximum). */
export const SQLITE_MMAP_BYTES = 2 ** 31;
/** Default pg pool size: two cores here, and PostgreSQL prefers few busy connections to many idle ones. */
const PG_POOL_SIZE = 10;

/** Opens the metadata database. Does not migrate: call {@link migrateToLatest}. */
export function openDatabase(config: DbConfig): DbHandle {
  if (config.kind === 'sqlite') {
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
    const sqlite = new SQLite(config.path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    // Reads through the OS page cache in place of a copy into SQLite's 2 MB one: a search that
    // joins 1,000 FTS5 matches spread over a 1.3 GB index to their rows (bench/search, `LIB500`)
    // took 4.3 ms, mapped 2.0. SQLite caps the size (2 GiB in this build); it is address space,
    // not memory. https://www.sqlite.org/mmap.html
    sqlite.pragma(`mmap_size = ${SQLITE_MMAP_BYTES}`);
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: cachingStatements(sqlite) }),
    });
    return { kind: 'sqlite', db, close: () => db.destroy() };
  }
  const size = config.poolSize ?? PG_POOL_SIZE;
  // Our statements are prepared by name (below) and their shapes are fixed, so one generic plan
  // per statement serves every parameter: planning cost 0.5-2.2 ms of a deep samples page, run
  // 0.3 ms. PostgreSQL's own choice kept re-planning it (the generic estimate for LIMIT/OFFSET
  // parameters looks dear).
  const db = postgresPool(config.url, size, 'force_generic_plan');
  // Statements whose plan must follow their values (ADR 0003) run here, still prepared by name
  // (parsed once) but planned on every run, in one round trip. They used to run in a transaction
  // with `SET LOCAL plan_cache_mode`: four round trips, and under load (bench/search, 10
  // connections on 2 vCPUs) each of `BEGIN`, `SET LOCAL` and `COMMIT` waited p50 1.3-4.6 ms.
  // As many as the main pool (opened on first use): with half as many, searches waited for a
  // connection (bench/search: checkout p50 6-12 ms, p99 44-46 ms; ADR 0003, addendum 2).
  const customPlans = postgresPool(config.url, size, 'force_custom_plan');
  return {
    kind: 'postgres',
    db,
    customPlans,
    close: async () => {
      await Promise.all([db.destroy(), customPlans.destroy()]);
    },
  };
}

/** A Kysely over a pg pool whose connections run with the given `plan_cache_mode`. */
function postgresPool(
  url: string,
  max: number,
  planCacheMode: 'force_generic_plan' | 'force_custom_plan',
): Kysely<Database> {
  // Idle connections are kept for 10 minutes, not pg's 10 s: a new backend pays first planning
  // of each statement (22-38 ms for the search statements) and first-touch page faults, which a
  // server whose traffic pauses for a few seconds paid over and over (seen in bench/search).
  // Idle connections do not hold a process open (`allowExitOnIdle`), so one-shot commands still
  // exit as soon as their work is done.
  const pool = new pg.Pool({
    connectionString: url,
    max,
    idleTimeoutMillis: 10 * 60_000,
    allowExitOnIdle: true,
  });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  // pg queues this before any query the pool hands the client out for.
  pool.on('connect', (client) => {
    // pg-pool listens for errors only on idle clients: a connection that dies while Kysely holds
    // its client (between the statements of a transaction, say) emitted 'error' on a client with
    // no listener and took the whole process down (test/e2e/faults-dependencies.test.ts cuts
    // PostgreSQL). The waiting queries still reject, and the pool drops the broken client.
    client.on('error', () => undefined);
    client.query(`SET plan_cache_mode = ${planCacheMode}`).catch(() => undefined);
  });
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool: preparingStatements(pool) }),
  });
}

/**
 * How many prepared statements to keep. Kysely's SQLite driver calls `prepare` for every query;
 * the API sends a few dozen distinct SQL texts, so a small cache keeps all of them.
 */
const STATEMENT_CACHE_SIZE = 500;

/**
 * better-sqlite3 with prepared statements reused by SQL text. Kysely runs one query at a time on
 * the connection, so a cached statement is never in use twice at once. Measured with autocannon
 * on a deep samples page (10 connections): preparing each query cost more than running it.
 */
function cachingStatements(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (statement) {
        // Refresh its place: the map's order is least- to most-recently used.
        cache.delete(sql);
      } else {
        statement = sqlite.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}

/** How many distinct SQL texts get a server-side prepared statement (per pooled connection). */
const PG_NAMED_STATEMENTS = 1000;
/** Only plain DML is prepared by name; DDL (migrations) and anything else runs unnamed. */
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;

/**
 * pg with server-side prepared statements reused by SQL text. node-postgres sends every
 * parameterized query as an unnamed statement, so PostgreSQL parses and plans it each time; a
 * named one is parsed once per connection and, after five runs, usually served from a generic
 * plan. Measured on the deep samples page (bench/samples-pages, log_min_duration_statement):
 * parse 0.2-0.4 ms + bind/plan 0.5-2.2 ms against 0.3 ms of execution per request.
 *
 * The name is a counter per distinct text, so two texts never share one. When another process
 * changes a table under a prepared `select *` (a migration during a rolling upgrade), PostgreSQL
 * answers "cached plan must not change result type": the text then gets a fresh name and the
 * query runs once more.
 */
function preparingStatements(pool: pg.Pool): pg.Pool {
  const names = new Map<string, string>();
  let next = 0;
  const nameFor = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < PG_NAMED_STATEMENTS && PREPARABLE.test(text)) {
      name = `seqhub_${(next++).toString(36)}`;
      names.set(text, name);
    }
    return name;
  };
  const wrap = (client: pg.PoolClient): pg.PoolClient => {
    const plain = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    const named = async (text: unknown, values?: unknown): Promise<unknown> => {
      if (typeof text !== 'string' || !Array.isArray(values)) return plain(text, values);
      const name = nameFor(text);
      if (name === undefined) return plain(text, values);
      try {
        return await plain({ name, text, values });
      } catch (error) {
        const e = error as { code?: string; message?: string };
        if (e.code !== '0A000' || !/cached plan must not change result type/.test(e.message ?? ''))
          throw error;
        names.delete(text);
        return plain({ name: nameFor(text), text, values });
      }
    };
    return new Proxy(client, {
      get: (target, key, receiver) =>
        key === 'query' ? named : (Reflect.get(target, key, receiver) as unknown),
    });
  };
  return new Proxy(pool, {
    get: (target, key, receiver) =>
      key === 'connect'
        ? async () => wrap(await target.connect())
        : (Reflect.get(target, key, receiver) as unknown),
  });
}

function migratorOf(handle: DbHandle): Migrator {
  const migrations = allMigrations(handle.kind);
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  // 0006 (OAuth, issue 4) and 0007 (sharing) are built side by side: a database migrated with
  // 0007 first must still accept 0006 when it arrives.
  return new Migrator({ db: handle.db, provider, allowUnorderedMigrations: true });
}

/**
 * Applies every pending numbered migration; resolves to the names it applied (none when the
 * database was up to date). Safe to run from several processes at once.
 */
export async function migrateToLatest(handle: DbHandle): Promise<string[]> {
  const { error, results } = await migratorOf(handle).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `database migration ${failed} failed: ${(error as Error).message ?? String(error)}`,
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Which numbered migrations the database has and which it still lacks (reads, changes nothing). */
export async function migrationStatus(
  handle: DbHandle,
): Promise<{ applied: string[]; pending: string[] }> {
  const all = await migratorOf(handle).getMigrations();
  return {
    applied: all.filter((m) => m.executedAt !== undefined).map((m) => m.name),
    pending: all.filter((m) => m.executedAt === undefined).map((m) => m.name),
  };
}

/** True when `error` is a unique-constraint violation, on either database. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string } | undefined;
  // SQLite reports a clash on a PRIMARY KEY (settings.key) under its own code.
  return (
    e?.code === '23505' ||
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
