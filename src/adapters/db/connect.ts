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
  close(): Promise<void>;
}

/**
 * How long a SQLite writer waits for another process's lock before failing. Requests are short;
 * 5 s covers a burst of writers without ever surfacing SQLITE_BUSY as a 500.
 */
const SQLITE_BUSY_TIMEOUT_MS = 5000;
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
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: cachingStatements(sqlite) }),
    });
    return { kind: 'sqlite', db, close: () => db.destroy() };
  }
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize ?? PG_POOL_SIZE,
  });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { kind: 'postgres', db, close: () => db.destroy() };
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

/** Applies every pending numbered migration. Safe to run from several processes at once. */
export async function migrateToLatest(handle: DbHandle): Promise<void> {
  const migrations = allMigrations(handle.kind);
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  // 0006 (OAuth, issue 4) and 0007 (sharing) are built side by side: a database migrated with
  // 0007 first must still accept 0006 when it arrives.
  const migrator = new Migrator({ db: handle.db, provider, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `database migration ${failed} failed: ${(error as Error).message ?? String(error)}`,
    );
  }
}

/** True when `error` is a unique-constraint violation, on either database. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string } | undefined;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}
