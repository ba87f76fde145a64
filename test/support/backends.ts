import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrateToLatest, openDatabase, type DbHandle } from '../../src/adapters/db/index.js';

/**
 * The databases the suite runs against: SQLite always; PostgreSQL when
 * SEQHUB_TEST_POSTGRES_URL names a server (an admin URL, e.g.
 * postgres://postgres:postgres@127.0.0.1:5432/postgres). Each test file gets its own database.
 */
export interface Backend {
  kind: 'sqlite' | 'postgres';
  /** Makes a fresh, empty database; returns its env (DATABASE_URL or nothing) and a dropper. */
  create(): Promise<{ env: Record<string, string>; drop(): Promise<void> }>;
}

export function backends(): Backend[] {
  const list: Backend[] = [
    { kind: 'sqlite', create: async () => ({ env: {}, drop: async () => undefined }) },
  ];
  const adminUrl = process.env.SEQHUB_TEST_POSTGRES_URL;
  if (adminUrl) {
    list.push({
      kind: 'postgres',
      create: async () => {
        const name = `seqhub_t_${randomBytes(6).toString('hex')}`;
        await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
        const url = new URL(adminUrl);
        url.pathname = `/${name}`;
        return {
          env: { DATABASE_URL: url.toString() },
          drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
        };
      },
    });
  }
  return list;
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * Where file bytes go: the local data dir always; a real S3-compatible server when
 * SEQHUB_TEST_S3_ENDPOINT names one (CI starts OpenStack Swift's S3 API: scripts/s3-swift.sh).
 * Each hub gets its own key prefix in one bucket.
 */
export interface Storage {
  kind: 'local' | 's3';
  env(): Record<string, string>;
}

export function storages(): Storage[] {
  const list: Storage[] = [{ kind: 'local', env: () => ({}) }];
  const endpoint = process.env.SEQHUB_TEST_S3_ENDPOINT;
  if (endpoint) {
    list.push({
      kind: 's3',
      env: () => ({
        SEQHUB_STORAGE: 's3',
        SEQHUB_S3_ENDPOINT: endpoint,
        SEQHUB_S3_BUCKET: process.env.SEQHUB_TEST_S3_BUCKET ?? 'seqhub-test',
        SEQHUB_S3_ACCESS_KEY_ID: process.env.SEQHUB_TEST_S3_ACCESS_KEY_ID ?? 'hub:admin',
        SEQHUB_S3_SECRET_ACCESS_KEY:
          process.env.SEQHUB_TEST_S3_SECRET_ACCESS_KEY ?? 'HUBSECRETKEY123',
        SEQHUB_S3_PREFIX: `t-${randomBytes(6).toString('hex')}/`,
      }),
    });
  }
  return list;
}

/**
 * A fresh, migrated database of `backend` for a contract test (SQLite in a temporary folder named
 * after `label`), its URL when it is PostgreSQL, and how to close and remove it.
 */
export async function openMigrated(
  backend: Backend,
  label: string,
): Promise<{ handle: DbHandle; url: string | undefined; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `seqhub-contract-${label}-`));
  const db = await backend.create();
  const handle = openDatabase(
    db.env.DATABASE_URL
      ? { kind: 'postgres', url: db.env.DATABASE_URL }
      : { kind: 'sqlite', path: join(dir, 'x.db') },
  );
  await migrateToLatest(handle);
  return {
    handle,
    url: db.env.DATABASE_URL,
    close: async () => {
      await handle.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
