import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql, type Kysely } from 'kysely';
import { copyDatabase, type TableCopy } from '../adapters/db/copy.js';
import { migrateToLatest, openDatabase, type DbHandle } from '../adapters/db/index.js';
import { describeDb, type Config } from '../config/index.js';
import type { BlobStore } from '../ports.js';
import { openBlobStore } from './hub.js';

/**
 * Objects copied at once. Each copy is one stream in and one out (S3 PUTs of up to 5 MiB parts
 * in flight): 4 keeps a 2-core machine's network busy without queuing hundreds of sockets.
 */
export const BLOB_COPY_CONCURRENCY = 4;

export interface TransferReport {
  tables: TableCopy[];
  objects: number;
  bytes: number;
}

export interface TransferProgress {
  (
    event:
      | { kind: 'objects'; listed: number }
      | { kind: 'object'; done: number; listed: number; bytes: number }
      | { kind: 'table'; table: string; rows: number },
  ): void;
}

/**
 * Moves an embedded hub (SQLite, local or S3 storage) to PostgreSQL and an object store
 * (`seqhub admin migrate-to`, docs/deployment.md "Moving an embedded hub"). The source is only
 * read; run it with the hub stopped.
 *
 * Objects first, every one read back from the target and its SHA-256 compared with the source's
 * (and with the file's recorded SHA-256 where the database has one); then every row in one
 * PostgreSQL transaction. A failure leaves the target database as it was (objects already copied
 * are simply copied again by the next attempt), so the command can be run again.
 */
export async function transferHub(
  source: Config,
  target: Config,
  onProgress: TransferProgress = () => undefined,
): Promise<TransferReport> {
  if (source.db.kind !== 'sqlite')
    throw new Error(
      `the source must be an embedded (SQLite) hub, not ${describeDb(source)}: use pg_dump`,
    );
  if (target.db.kind !== 'postgres')
    throw new Error('the target needs DATABASE_URL naming a PostgreSQL database');
  if (sameStorage(source.storage, target.storage))
    throw new Error(
      'the target storage is the source storage: give another bucket, prefix or folder',
    );

  const from = openDatabase(source.db);
  let to: DbHandle | undefined;
  try {
    // The same code opens both, so both speak the same schema version.
    await migrateToLatest(from);
    to = openDatabase(target.db);
    await migrateToLatest(to);
    const users = await (to.db as Kysely<any>)
      .selectFrom('users')
      .select(sql<string>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    if (Number(users.n) > 0)
      throw new Error('the target database already holds users: give an empty database');

    const fromBlobs = await openBlobStore(source);
    const toBlobs = await openBlobStore(target);
    const recorded = await recordedChecksums(from);
    const { objects, bytes } = await copyObjects(fromBlobs, toBlobs, recorded, onProgress);
    const tables = await copyDatabase(from, to, (t) =>
      onProgress({ kind: 'table', table: t.table, rows: t.rows }),
    );
    return { tables, objects, bytes };
  } finally {
    await to?.close();
    await from.close();
  }
}

function sameStorage(a: Config['storage'], b: Config['storage']): boolean {
  if (a.kind === 'local' && b.kind === 'local') return a.root === b.root;
  if (a.kind === 's3' && b.kind === 's3')
    return a.endpoint === b.endpoint && a.bucket === b.bucket && a.prefix === b.prefix;
  return false;
}

/** SHA-256 by storage key of every complete file that has one (what uploads verified). */
async function recordedChecksums(db: DbHandle): Promise<Map<string, string>> {
  const rows = await db.db
    .selectFrom('files')
    .select(['storage_key', 'sha256'])
    .where('upload_status', '=', 'complete')
    .where('storage_key', 'is not', null)
    .where('sha256', 'is not', null)
    .execute();
  return new Map(rows.map((r) => [r.storage_key!, r.sha256!]));
}

/** Every object of the store: `tmp/` holds only writes in progress (LocalBlobStore). */
async function allKeys(blobs: BlobStore): Promise<string[]> {
  const keys = await blobs.listOlderThan('', new Date(8.64e15));
  return keys.filter((k) => !k.startsWith('tmp/')).sort();
}

async function copyObjects(
  from: BlobStore,
  to: BlobStore,
  recorded: ReadonlyMap<string, string>,
  onProgress: TransferProgress,
): Promise<{ objects: number; bytes: number }> {
  const keys = await allKeys(from);
  onProgress({ kind: 'objects', listed: keys.length });
  let next = 0;
  let done = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      const copied = await copyObject(from, to, key, recorded.get(key));
      done += 1;
      bytes += copied;
      onProgress({ kind: 'object', done, listed: keys.length, bytes });
    }
  };
  await Promise.all(Array.from({ length: BLOB_COPY_CONCURRENCY }, worker));
  return { objects: keys.length, bytes };
}

/** Copies one object and proves it arrived whole; resolves to its size. */
async function copyObject(
  from: BlobStore,
  to: BlobStore,
  key: string,
  expected: string | undefined,
): Promise<number> {
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const source = await from.read(key);
  source.on('error', (error) => hashing.destroy(error));
  const written = await to.write(key, source.pipe(hashing));
  const sent = hash.digest('hex');
  if (expected !== undefined && sent !== expected)
    throw new Error(
      `object ${key} does not match the SHA-256 its file recorded (${sent} != ${expected}): the source copy is damaged`,
    );
  const back = await sha256Of(await to.read(key));
  if (back.digest !== sent || back.size !== written)
    throw new Error(`object ${key} read back from the target differs from the source`);
  return written;
}

async function sha256Of(stream: Readable): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(stream, async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.length;
    }
  });
  return { digest: hash.digest('hex'), size };
}
