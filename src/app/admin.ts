import { sql } from 'kysely';
import { migrateToLatest, migrationStatus, openDatabase } from '../adapters/db/index.js';
import { describeDb, type Config } from '../config/index.js';
import type { BlobStore } from '../ports.js';

/** `seqhub admin migrate`: applies pending migrations; resolves to their names. */
export async function migrateDatabase(config: Config): Promise<string[]> {
  const db = openDatabase(config.db);
  try {
    return await migrateToLatest(db);
  } finally {
    await db.close();
  }
}

/** One line of `seqhub admin check`. */
export interface CheckLine {
  name: 'config' | 'database' | 'schema' | 'storage' | 'queue';
  ok: boolean;
  detail: string;
}

/** A dependency that has not answered in this long is reported unreachable. */
const CHECK_TIMEOUT_MS = 5000;

/**
 * `seqhub admin check`: what the config selects and whether each dependency answers, changing
 * nothing (no migration, no bucket created). A database that lacks migrations is reported (serve
 * applies them at start) but is not a failure.
 */
export async function checkHub(config: Config): Promise<CheckLine[]> {
  const lines: CheckLine[] = [
    {
      name: 'config',
      ok: true,
      detail: `${describeDb(config)}; ${describeStorage(config)}; queue ${config.queue.kind}${
        config.queue.workers ? ' (workers in serve)' : ' (no workers in serve)'
      }; metrics ${config.metricsToken ? 'behind a bearer token' : 'open'}`,
    },
  ];
  const db = openDatabase(config.db);
  try {
    const reached = await timed(sql`select 1`.execute(db.db).then(() => undefined));
    lines.push({
      name: 'database',
      ok: reached === undefined,
      detail: reached ?? `${describeDb(config)} answers`,
    });
    if (reached === undefined) {
      const { applied, pending } = await migrationStatus(db);
      lines.push({
        name: 'schema',
        ok: true,
        detail:
          pending.length === 0
            ? `up to date (${applied.length} migrations)`
            : `${pending.length} migration(s) to apply (${pending.join(', ')}): run seqhub admin migrate, or serve applies them at start`,
      });
      const queue = await timed(
        applied.includes('0011-jobs')
          ? db.db
              .selectFrom('jobs')
              .select('id')
              .limit(1)
              .execute()
              .then(() => undefined)
          : Promise.resolve(),
      );
      lines.push({
        name: 'queue',
        ok: queue === undefined,
        detail: queue ?? `${config.queue.kind}: jobs table reachable`,
      });
    } else {
      lines.push({ name: 'queue', ok: false, detail: 'its database is unreachable' });
    }
  } finally {
    await db.close();
  }
  lines.push(await checkStorage(config));
  return lines;
}

function describeStorage(config: Config): string {
  const s = config.storage;
  if (s.kind === 'local') return `files under ${s.root}`;
  return `S3 bucket '${s.bucket}'${s.prefix ? ` prefix '${s.prefix}'` : ''} at ${
    s.endpoint ?? `AWS ${s.region}`
  }`;
}

async function checkStorage(config: Config): Promise<CheckLine> {
  let store: BlobStore;
  if (config.storage.kind === 'local') {
    const { LocalBlobStore } = await import('../adapters/blob/local.blob-store.js');
    store = new LocalBlobStore(config.storage.root);
  } else {
    const { S3BlobStore } = await import('../adapters/blob/s3.blob-store.js');
    store = new S3BlobStore(config.storage);
  }
  const controller = new AbortController();
  const failure = await timed(store.check(controller.signal), controller);
  return {
    name: 'storage',
    ok: failure === undefined,
    detail: failure ?? `${describeStorage(config)}: reachable and writable`,
  };
}

/** Undefined when `work` settles in time; else why not, in one line. */
async function timed(
  work: Promise<void>,
  controller?: AbortController,
): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller?.abort();
          reject(new Error(`no answer in ${CHECK_TIMEOUT_MS / 1000} s`));
        }, CHECK_TIMEOUT_MS);
      }),
    ]);
    return undefined;
  } catch (error) {
    const e = error as { code?: string; message?: string; name?: string };
    const message = e.message || e.name || String(error);
    return e.code && !message.includes(e.code) ? `${e.code}: ${message}` : message;
  } finally {
    clearTimeout(timer);
  }
}
