import { randomUUID } from 'node:crypto';
import pg from 'pg';
import PgBoss from 'pg-boss';
import type {
  EnqueueOptions,
  JobContext,
  JobHandler,
  JobQueue,
  JobRecord,
  JobState,
} from '../../ports.js';
import { DEFAULT_MAX_ATTEMPTS, JobInterrupted } from './embedded.queue.js';

/**
 * Jobs one `seqhub worker` runs at once unless `--concurrency` says otherwise: demultiplexing
 * already keeps every core of a machine busy through its worker threads (bench/README), so a
 * second job on the same machine only makes both slower.
 */
export const PGBOSS_JOB_CONCURRENCY = 1;

/** First delay before a crashed job is run again; pg-boss doubles it (with jitter) each time. */
export const DEFAULT_RETRY_DELAY_SECONDS = 2;

/** pg-boss's schema in the hub's PostgreSQL database (pg-boss creates and migrates it). */
export const PGBOSS_SCHEMA = 'pgboss';

/** The queue where pg-boss puts jobs given up after their last crashed attempt. */
const abandonedQueue = (name: string) => `${name}__abandoned`;

/** The advisory lock key under which processes set pg-boss up one at a time ('seqh'). */
const SETUP_LOCK = 0x73657168;

/** pg-boss's message on a job it failed because its worker stopped renewing the lease. */
const TIMEOUT_MESSAGE = 'job failed by timeout in active state';

export interface PgBossQueueOptions {
  /** The hub's PostgreSQL database (pg-boss keeps its tables in schema {@link PGBOSS_SCHEMA}). */
  connectionString: string;
  /** A job whose worker stopped heart-beating this long is run again. Default 60 s. */
  leaseMs?: number | undefined;
  /** How often idle workers ask for jobs. Default 1 s. */
  pollMs?: number | undefined;
  /** Jobs run at once by this process; default {@link PGBOSS_JOB_CONCURRENCY}. */
  concurrency?: number | undefined;
  /** Default {@link DEFAULT_RETRY_DELAY_SECONDS}. */
  retryDelaySeconds?: number | undefined;
  /** How often pg-boss's maintenance (expiry of dead workers' jobs) runs; default half a lease. */
  maintenanceSeconds?: number | undefined;
  /** Reports a handler's or the loop's failure (the queue itself never throws them). */
  onError?: ((error: unknown, job: JobRecord | undefined) => void) | undefined;
}

interface Fetched {
  id: string;
  name: string;
  data: { payload?: unknown };
  retryCount: number;
}

interface JobRow {
  id: string;
  name: string;
  data: { payload?: unknown } | null;
  state: string;
  singleton_key: string | null;
  retry_count: number;
  retry_limit: number;
  output: { message?: unknown; value?: { message?: unknown }; progress?: unknown } | null;
  created_on: Date;
  started_on: Date | null;
  completed_on: Date | null;
}

const STATES: Readonly<Record<string, JobState>> = {
  created: 'queued',
  retry: 'queued',
  active: 'active',
  completed: 'completed',
  cancelled: 'cancelled',
  failed: 'failed',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The JobQueue of a scaled-out hub (issue 10): pg-boss on the hub's own PostgreSQL, so jobs are
 * fetched with `FOR UPDATE SKIP LOCKED` by any number of `seqhub worker` processes.
 *
 * - At most one job per singleton key is queued or active: queues use pg-boss's `stately`
 *   policy (a unique index per state and key), and enqueue also refuses a key that is active.
 * - The lease is pg-boss's expiration: each job is sent with `expireInSeconds` = the lease, and a
 *   running job's heartbeat (every third of the lease, and every `progress`) pushes its
 *   `expire_in` forward. pg-boss's maintenance fails a job past it; while attempts remain it
 *   goes to `retry` with exponential backoff and another worker runs it from scratch.
 * - After the last crashed attempt pg-boss moves the job to its dead-letter queue, whose worker
 *   calls the handler's `abandoned`.
 * - A handler that throws fails its job at once, without retry (the JobHandler contract): the
 *   job's retry limit is lowered to its retry count and its dead letter cleared first.
 */
export class PgBossJobQueue implements JobQueue {
  private readonly boss: PgBoss;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly retryDelay: number;
  private booted: Promise<void> | undefined;
  private readonly queues = new Map<string, Promise<void>>();
  private handlers: Readonly<Record<string, JobHandler>> = {};
  private readonly running = new Map<
    string,
    { controller: AbortController; done: Promise<void> }
  >();
  private started = false;
  private stopping = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> | undefined;
  private lookAgain = false;

  constructor(private readonly options: PgBossQueueOptions) {
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollMs = options.pollMs ?? 1000;
    this.concurrency = options.concurrency ?? PGBOSS_JOB_CONCURRENCY;
    this.retryDelay = options.retryDelaySeconds ?? DEFAULT_RETRY_DELAY_SECONDS;
    this.boss = new PgBoss({
      connectionString: options.connectionString,
      schema: PGBOSS_SCHEMA,
      application_name: 'seqhub-queue',
      // A small pool: workers fetch one job at a time; API processes only send and read.
      max: 4,
      // No cron schedules: the timekeeper would only poll for nothing.
      schedule: false,
      supervise: true,
      // Expiry runs in maintenance: a dead worker's job is picked up within a lease and a half.
      maintenanceIntervalSeconds:
        options.maintenanceSeconds ?? Math.max(1, Math.ceil(this.leaseMs / 2000)),
    });
    this.boss.on('error', (error) => options.onError?.(error, undefined));
  }

  /** Starts pg-boss (creating or migrating its schema, under its own advisory lock) once. */
  private boot(): Promise<void> {
    this.booted ??= this.locked(() => this.boss.start()).then(
      () => undefined,
      (error: unknown) => {
        this.booted = undefined;
        throw error;
      },
    );
    return this.booted;
  }

  private sql<T>(text: string, values: unknown[]): Promise<T[]> {
    return this.boss
      .getDb()
      .executeSql(text.replaceAll('$schema', PGBOSS_SCHEMA), values)
      .then((r) => r.rows as T[]);
  }

  private queue(name: string): Promise<void> {
    let made = this.queues.get(name);
    if (!made) {
      made = (async () => {
        await this.boot();
        await this.ensureQueue(abandonedQueue(name), { name: abandonedQueue(name) });
        await this.ensureQueue(name, {
          name,
          policy: 'stately',
          deadLetter: abandonedQueue(name),
        });
      })();
      made.catch(() => this.queues.delete(name));
      this.queues.set(name, made);
    }
    return made;
  }

  /**
   * Creates a queue unless it exists. pg-boss 10 makes each queue a partition of its job table;
   * processes starting together deadlocked doing so (seen: two workers' first start, "deadlock
   * detected"), so creation runs under the hub's pg-boss setup lock.
   */
  private async ensureQueue(name: string, options: PgBoss.Queue): Promise<void> {
    if (await this.boss.getQueue(name)) return;
    await this.locked(async () => {
      if (!(await this.boss.getQueue(name))) await this.boss.createQueue(name, options);
    });
  }

  /**
   * Runs `work` holding a PostgreSQL advisory lock of its own, so only one process at a time
   * installs pg-boss's schema or creates a queue: pg-boss checks "installed?" before its own
   * lock, so two first starts both tried to create the schema and one failed.
   */
  private async locked<T>(work: () => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.options.connectionString });
    // A lost connection rejects the query in flight; unheard, the 'error' event would end the process.
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [SETUP_LOCK]);
      return await work();
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async enqueue(
    name: string,
    payload: unknown,
    options: EnqueueOptions = {},
  ): Promise<string | undefined> {
    await this.queue(name);
    const key = options.singletonKey;
    if (key !== undefined) {
      // `stately` allows one queued and one active job per key; the port allows one in all.
      const [busy] = await this.sql<{ id: string }>(
        `SELECT id FROM $schema.job WHERE name = $1 AND singleton_key = $2 AND state <= 'active' LIMIT 1`,
        [name, key],
      );
      if (busy) return undefined;
    }
    const id = await this.boss.send(
      name,
      { payload: payload ?? null },
      {
        // Every job gets a key: `stately` would otherwise keep one keyless job per queue.
        singletonKey: key ?? `job-${randomUUID()}`,
        retryLimit: (options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS) - 1,
        retryDelay: this.retryDelay,
        retryBackoff: true,
        expireInSeconds: Math.max(1, Math.ceil(this.leaseMs / 1000)),
      },
    );
    if (id === null) return undefined;
    this.kick();
    return id;
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    if (!UUID.test(jobId)) return undefined;
    await this.boot();
    const columns =
      'id, name, data, state, singleton_key, retry_count, retry_limit, output, created_on, started_on, completed_on';
    const [row] = await this.sql<JobRow>(
      `SELECT ${columns} FROM $schema.job WHERE id = $1
       UNION ALL SELECT ${columns} FROM $schema.archive WHERE id = $1 LIMIT 1`,
      [jobId],
    );
    return row && this.record(row);
  }

  private record(row: JobRow): JobRecord {
    const state = STATES[row.state] ?? 'failed';
    const message = row.output?.message ?? row.output?.value?.message;
    let error = typeof message === 'string' ? message : undefined;
    if (error === TIMEOUT_MESSAGE)
      error = `the job's worker stopped ${row.retry_limit + 1} times before it finished`;
    return {
      id: row.id,
      name: row.name,
      payload: row.data?.payload,
      state,
      singletonKey: row.singleton_key?.startsWith('job-')
        ? undefined
        : (row.singleton_key ?? undefined),
      attempts: row.started_on ? row.retry_count + 1 : 0,
      maxAttempts: row.retry_limit + 1,
      progress: row.output?.progress,
      error: state === 'failed' ? error : undefined,
      createdAt: row.created_on.toISOString(),
      startedAt: row.started_on?.toISOString(),
      finishedAt: row.completed_on?.toISOString(),
    };
  }

  async cancel(jobId: string): Promise<boolean> {
    if (!UUID.test(jobId)) return false;
    await this.boot();
    const [row] = await this.sql<{ name: string }>(
      `SELECT name FROM $schema.job WHERE id = $1 AND state < 'completed'`,
      [jobId],
    );
    if (!row) return false;
    const result = (await this.boss.cancel(row.name, jobId)) as unknown as { affected?: number };
    this.running.get(jobId)?.controller.abort(new JobInterrupted('cancelled'));
    return (result?.affected ?? 0) > 0;
  }

  async start(handlers: Readonly<Record<string, JobHandler>>): Promise<void> {
    this.handlers = handlers;
    await Promise.all(Object.keys(handlers).map((name) => this.queue(name)));
    this.started = true;
    this.stopping = false;
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
    this.kick();
    await this.looking;
  }

  /** Rejects when pg-boss's tables cannot be read (for `/readyz` and `admin check`). */
  async check(): Promise<void> {
    await this.boot();
    await this.sql('SELECT 1 FROM $schema.version LIMIT 1', []);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.looking;
    for (const { controller } of this.running.values())
      controller.abort(new JobInterrupted('stopping'));
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** Stops the workers, then pg-boss and its connections (the queue is unusable after). */
  async close(): Promise<void> {
    await this.stop();
    if (this.booted && !this.closed) {
      this.closed = true;
      await this.booted.catch(() => undefined);
      await this.boss.stop({ graceful: false, wait: true, close: true }).catch(() => undefined);
    }
  }

  /** Looks for work now (after an enqueue, a finished job, or a poll tick). */
  private kick(): void {
    if (!this.started || this.stopping) return;
    if (this.looking) {
      this.lookAgain = true;
      return;
    }
    this.looking = this.fill()
      .catch((error: unknown) => this.options.onError?.(error, undefined))
      .finally(() => {
        this.looking = undefined;
        if (this.lookAgain) {
          this.lookAgain = false;
          this.kick();
        }
      });
  }

  private async fill(): Promise<void> {
    for (const [name, handler] of Object.entries(this.handlers)) {
      for (;;) {
        const [dead] = await this.boss.fetch<{ payload?: unknown }>(abandonedQueue(name), {
          includeMetadata: true,
        });
        if (!dead) break;
        await this.abandon(name, handler, dead);
      }
    }
    let found = true;
    while (found && !this.stopping && this.running.size < this.concurrency) {
      found = false;
      for (const name of Object.keys(this.handlers)) {
        if (this.stopping || this.running.size >= this.concurrency) return;
        const [job] = await this.boss.fetch<{ payload?: unknown }>(name, {
          includeMetadata: true,
          batchSize: 1,
        });
        if (!job) continue;
        found = true;
        this.launch(job);
      }
    }
  }

  /** Tells the handler about a job pg-boss gave up (its dead letter carries the retry limit). */
  private async abandon(
    name: string,
    handler: JobHandler,
    dead: PgBoss.JobWithMetadata<{ payload?: unknown }>,
  ): Promise<void> {
    const reason = `the job's worker stopped ${dead.retryLimit + 1} times before it finished`;
    try {
      await handler.abandoned?.(dead.data?.payload, reason);
      await this.boss.complete(abandonedQueue(name), dead.id);
    } catch (error) {
      this.options.onError?.(error, undefined);
      await this.boss.fail(abandonedQueue(name), dead.id, { message: String(error) });
    }
  }

  private launch(job: Fetched): void {
    const controller = new AbortController();
    const handler = this.handlers[job.name]!;
    const attempt = job.retryCount + 1;
    let progress: unknown;
    const record = (): JobRecord => ({
      id: job.id,
      name: job.name,
      payload: job.data?.payload,
      state: 'active',
      singletonKey: undefined,
      attempts: attempt,
      maxAttempts: 0,
      progress,
      error: undefined,
      createdAt: new Date().toISOString(),
      startedAt: undefined,
      finishedAt: undefined,
    });
    const lost = () => {
      if (!controller.signal.aborted) controller.abort(new JobInterrupted('lease-lost'));
    };
    const heartbeat = setInterval(() => {
      void this.renew(job, undefined).then(
        (held) => held || lost(),
        (error: unknown) => this.options.onError?.(error, record()),
      );
    }, this.leaseMs / 3);
    heartbeat.unref();
    const context: JobContext = {
      id: job.id,
      attempt,
      signal: controller.signal,
      progress: async (value) => {
        progress = value;
        if (!(await this.renew(job, value))) lost();
      },
    };
    const done = (async () => {
      try {
        await handler.run(job.data?.payload, context);
        clearInterval(heartbeat);
        if (!controller.signal.aborted)
          await this.boss.complete(job.name, job.id, progress === undefined ? {} : { progress });
      } catch (error) {
        clearInterval(heartbeat);
        const reason = controller.signal.reason as unknown;
        if (reason instanceof JobInterrupted && reason.why === 'stopping') {
          await this.release(job).catch((e: unknown) => this.options.onError?.(e, record()));
        } else if (!(reason instanceof JobInterrupted)) {
          this.options.onError?.(error, record());
          await this.failForGood(job, error, progress).catch((e: unknown) =>
            this.options.onError?.(e, record()),
          );
        }
      } finally {
        clearInterval(heartbeat);
        this.running.delete(job.id);
        this.kick();
      }
    })();
    this.running.set(job.id, { controller, done });
  }

  /**
   * Pushes the job's expiry a lease past now (and saves progress); false when this attempt no
   * longer holds the job (cancelled, or expired and taken by another worker).
   */
  private async renew(job: Fetched, progress: unknown): Promise<boolean> {
    const rows = await this.sql<{ id: string }>(
      `UPDATE $schema.job
         SET expire_in = (now() - started_on) + make_interval(secs => $4),
             output = CASE WHEN $5::jsonb IS NULL THEN output ELSE $5::jsonb END
       WHERE name = $1 AND id = $2 AND state = 'active' AND retry_count = $3
       RETURNING id`,
      [
        job.name,
        job.id,
        job.retryCount,
        this.leaseMs / 1000,
        progress === undefined ? null : JSON.stringify({ progress }),
      ],
    );
    return rows.length > 0;
  }

  /** Fails the job without retry and without the dead letter (it did not crash: it failed). */
  private async failForGood(job: Fetched, error: unknown, progress: unknown): Promise<void> {
    await this.sql(
      `UPDATE $schema.job SET retry_limit = retry_count, dead_letter = NULL
       WHERE name = $1 AND id = $2 AND state = 'active' AND retry_count = $3`,
      [job.name, job.id, job.retryCount],
    );
    const message = ((error as Error)?.message ?? String(error)).slice(0, 4000);
    await this.boss.fail(job.name, job.id, {
      message,
      ...(progress !== undefined && { progress }),
    });
  }

  /** Puts a job this worker stops running back in the queue; the attempt does not count. */
  private async release(job: Fetched): Promise<void> {
    await this.sql(
      `UPDATE $schema.job
         SET state = 'retry', start_after = now(),
             started_on = CASE WHEN retry_count = 0 THEN NULL ELSE started_on END,
             retry_count = GREATEST(retry_count - 1, 0)
       WHERE name = $1 AND id = $2 AND state = 'active' AND retry_count = $3`,
      [job.name, job.id, job.retryCount],
    );
  }
}
