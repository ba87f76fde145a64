import { LocalBlobStore } from '../adapters/blob/local.blob-store.js';
import {
  kyselyRepositories,
  migrateToLatest,
  openDatabase,
  type DbHandle,
} from '../adapters/db/index.js';
import { join } from 'node:path';
import { EmbeddedJobQueue } from '../adapters/queue/embedded.queue.js';
import { LocalStaging } from '../adapters/run-folder/index.js';
import { bwrapWorks, LocalAppSandbox, type AppIsolation } from '../adapters/runner/index.js';
import type { Config } from '../config/index.js';
import { appRunJob, demuxJob, genomeIndexJob, indexFileJob } from '../jobs/index.js';
import { isoNow } from '../domain/index.js';
import { sql } from 'kysely';
import { createMetrics, type HubMetrics } from '../http/plugins/metrics.js';
import type { ReadinessCheck } from '../http/plugins/ops.js';
import type { BlobStore, Clock, JobHandler, JobQueue, Repositories } from '../ports.js';
import {
  APP_RUN_JOB,
  DEMUX_JOB,
  GENOME_INDEX_JOB,
  INDEX_FILE_JOB,
  createServices,
  type Services,
} from '../services/index.js';
import { armFaultPoint, faultPoint } from '../services/fault-points.js';

/** A hub's wired parts: what serve, admin commands and tests share. */
export interface Hub {
  config: Config;
  services: Services;
  repos: Repositories;
  db: DbHandle;
  blobs: BlobStore;
  queue: JobQueue;
  /** This process's Prometheus metrics (`/metrics`). */
  metrics: HubMetrics;
  /** What `/readyz` and `seqhub admin check` probe: the database, blob storage and job queue. */
  readiness: Record<'database' | 'storage' | 'queue', ReadinessCheck>;
  /**
   * Starts this process's job workers (demultiplexing, indexing); `serve` does unless told not
   * to, `seqhub worker` does only this. `onStart` hears of every job a worker here takes.
   */
  startWorkers(
    onError?: (error: unknown) => void,
    onStart?: (job: { name: string; id: string; attempt: number }) => void,
  ): Promise<void>;
  /** Stops the workers (running jobs go back to the queue) and closes the database. */
  close(): Promise<void>;
}

const systemClock: Clock = { now: () => new Date() };

/** Opens the database named by the config, migrates it, and wires the services over it. */
export async function openHub(config: Config, clock: Clock = systemClock): Promise<Hub> {
  if (config.faultPoint !== undefined) armFaultPoint(config.faultPoint);
  const db = openDatabase(config.db);
  try {
    await migrateToLatest(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  let blobs: BlobStore;
  try {
    blobs = await openBlobStore(config);
  } catch (error) {
    await db.close();
    throw error;
  }
  const repos = kyselyRepositories(db.db, db.kind, () => isoNow(clock.now()), db.customPlans);
  const { sessionTtlSeconds, tokenFailuresPerIp, ...oauth } = config.oauth;
  let onJobError: (error: unknown) => void = () => undefined;
  let queue: JobQueue & { close?(): Promise<void> };
  try {
    queue = await openQueue(config, db, (error) => onJobError(error));
  } catch (error) {
    await db.close();
    throw error;
  }
  const services = createServices(
    repos,
    clock,
    {
      blobs,
      files: config.files,
      log: (message, error) => {
        if (config.logLevel !== 'silent') console.error(message, error);
      },
    },
    { oauth, sessionTtlSeconds, tokenFailuresPerIp },
    queue,
  );
  const metrics = createMetrics();
  return {
    config,
    services,
    repos,
    db,
    blobs,
    queue,
    metrics,
    readiness: {
      database: async () => {
        await sql`select 1`.execute(db.db);
      },
      storage: (signal) => blobs.check(signal),
      queue: () => queue.check(),
    },
    startWorkers: async (onError, onStart) => {
      if (onError) onJobError = onError;
      const sandbox = new LocalAppSandbox(
        join(config.dataDir, 'staging', 'apps'),
        await appIsolation(config.apps.isolation, (message) => {
          if (config.logLevel !== 'silent') console.error(message);
        }),
      );
      const handlers: Record<string, JobHandler> = {
        [DEMUX_JOB]: demuxJob({
          repos,
          blobs,
          clock,
          staging: new LocalStaging(join(config.dataDir, 'staging')),
        }),
        [INDEX_FILE_JOB]: indexFileJob(services.indexer),
        [APP_RUN_JOB]: appRunJob({
          repos,
          blobs,
          clock,
          sandbox,
          onFilesPublished: (files) => files.forEach(services.indexer.onFileCompleted),
        }),
        [GENOME_INDEX_JOB]: genomeIndexJob({ repos, blobs, sandbox }),
      };
      if (onStart)
        for (const [name, handler] of Object.entries(handlers))
          handlers[name] = {
            ...handler,
            run: (payload, context) => {
              onStart({ name, id: context.id, attempt: context.attempt });
              return handler.run(payload, context);
            },
          };
      return queue.start(timedJobs(metrics, handlers));
    },
    close: async () => {
      await (queue.close ? queue.close() : queue.stop());
      await db.close();
    },
  };
}

/**
 * The isolation app runs get (docs/apps.md): `bwrap` must work when asked for; `auto` takes it
 * when it works and says so when it falls back to process isolation.
 */
async function appIsolation(
  wanted: Config['apps']['isolation'],
  warn: (message: string) => void,
): Promise<AppIsolation> {
  if (wanted === 'process') return 'process';
  if (await bwrapWorks()) return 'bwrap';
  if (wanted === 'bwrap')
    throw new Error(
      'SEQHUB_APP_ISOLATION=bwrap, but bubblewrap does not work here: install it (apt-get install bubblewrap) and allow user namespaces, or set SEQHUB_APP_ISOLATION=process',
    );
  warn(
    'seqhub: apps run without a sandbox (bubblewrap is missing or cannot create namespaces here): they can read what the hub user can read. Install bubblewrap, or set SEQHUB_APP_ISOLATION=process to silence this.',
  );
  return 'process';
}

/** The configured job queue (issue 10): pg-boss on PostgreSQL, or the embedded `jobs` table. */
async function openQueue(
  config: Config,
  db: DbHandle,
  onError: (error: unknown) => void,
): Promise<JobQueue & { close?(): Promise<void> }> {
  const leaseMs = config.queue.leaseSeconds * 1000;
  const { concurrency } = config.queue;
  if (config.queue.kind === 'embedded' || config.db.kind !== 'postgres')
    return new EmbeddedJobQueue(db.db, { leaseMs, concurrency, onError });
  // Loaded only when used, like the AWS SDK below: SQLite hubs never need it.
  const { PgBossJobQueue } = await import('../adapters/queue/pgboss.queue.js');
  return new PgBossJobQueue({ connectionString: config.db.url, leaseMs, concurrency, onError });
}

/**
 * Wraps each handler to time its runs into `seqhub_job_duration_seconds` by outcome: completed,
 * failed (it threw), or interrupted (cancelled, lease lost, worker stopping: its signal aborted).
 * Around the handlers, not inside a queue adapter, so the embedded queue and pg-boss count alike.
 */
export function timedJobs(
  metrics: HubMetrics,
  handlers: Readonly<Record<string, JobHandler>>,
): Record<string, JobHandler> {
  const timed: Record<string, JobHandler> = {};
  for (const [name, handler] of Object.entries(handlers)) {
    const wrapped: JobHandler = {
      run: async (payload, context) => {
        const end = metrics.jobDuration.startTimer({ name });
        try {
          faultPoint('job.started');
          await handler.run(payload, context);
          faultPoint('job.finished');
          end({ outcome: 'completed' });
        } catch (error) {
          end({ outcome: context.signal.aborted ? 'interrupted' : 'failed' });
          throw error;
        }
      },
    };
    if (handler.abandoned) wrapped.abandoned = handler.abandoned.bind(handler);
    timed[name] = wrapped;
  }
  return timed;
}

/** The blob store the config names (an S3 bucket is created when missing). */
export async function openBlobStore(config: Config): Promise<BlobStore> {
  if (config.storage.kind === 'local') return new LocalBlobStore(config.storage.root);
  // Loaded only when used: importing the AWS SDK took ~300 ms here (0.45 s vs 0.13 s for a bare
  // node), start-up time that local hubs need not pay.
  const { S3BlobStore } = await import('../adapters/blob/s3.blob-store.js');
  const store = new S3BlobStore(config.storage);
  try {
    await store.ensureBucket();
  } catch (error) {
    throw new Error(
      `S3 bucket '${config.storage.bucket}' is not reachable: ${(error as Error).message}`,
    );
  }
  return store;
}
