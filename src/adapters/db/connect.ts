import SQLite from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type MigrationProvider } from 'kysely';
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
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
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

/** Applies every pending numbered migration. Safe to run from several processes at once. */
export async function migrateToLatest(handle: DbHandle): Promise<void> {
  const migrations = allMigrations(handle.kind);
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const migrator = new Migrator({ db: handle.db, provider });
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
