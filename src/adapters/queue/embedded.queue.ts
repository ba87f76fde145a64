import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type {
  EnqueueOptions,
  JobContext,
  JobHandler,
  JobQueue,
  JobRecord,
  JobState,
} from '../../ports.js';
import { isUniqueViolation } from '../db/connect.js';
import type { Database, JobsTable } from '../db/schema.js';

/**
 * Jobs run at once by one embedded queue (one process). Demultiplexing already uses every core
 * through its worker threads (bench/README: both vCPUs busy for one run), so a second job at the
 * same time would only make both slower and double the memory.
 */
export const EMBEDDED_JOB_CONCURRENCY = 1;

/** Default attempts for a job whose workers keep dying before it finishes. */
export const DEFAULT_MAX_ATTEMPTS = 3;

export interface EmbeddedQueueOptions {
  /**
   * How long a claimed job stays claimed without a heartbeat. A job whose worker died is run
   * again this long after the worker's last heartbeat. Default 60 s.
   */
  leaseMs?: number | undefined;
  /** How often idle workers look for jobs queued by other processes. Default 1 s. */
  pollMs?: number | undefined;
  /** Jobs run at once; default {@link EMBEDDED_JOB_CONCURRENCY}. */
  concurrency?: number | undefined;
  /** Reports a handler's or the loop's failure (the queue itself never throws them). */
  onError?: ((error: unknown, job: JobRecord | undefined) => void) | undefined;
  now?: (() => Date) | undefined;
}

/** Why a job's signal was aborted. */
export class JobInterrupted extends Error {
  constructor(readonly why: 'cancelled' | 'lease-lost' | 'stopping') {
    super(`job interrupted: ${why}`);
    this.name = 'JobInterrupted';
  }
}

type Row = Selectable<JobsTable>;

function record(row: Row): JobRecord {
  return {
    id: String(row.id),
    name: row.name,
    payload: JSON.parse(row.payload) as unknown,
    state: row.state as JobState,
    singletonKey: row.singleton_key ?? undefined,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    progress: row.progress === null ? undefined : (JSON.parse(row.progress) as unknown),
    error: row.error ?? undefined,
    createdAt: row.created_at,
    startedAt: row.started_at ?? undefined,
    finishedAt: row.finished_at ?? undefined,
  };
}

/**
 * The queue of `seqhub serve` on embedded defaults: jobs are rows of the `jobs` table (migration
 * 0011) in the hub's own database, SQLite or PostgreSQL, so a restarted hub finds what it was
 * doing. Claims are conditional UPDATEs (one winner across processes); a heartbeat renews the
 * lease every third of it; a job left `active` past its lease is claimed again from scratch.
 */
export class EmbeddedJobQueue implements JobQueue {
  /** Names this worker in `lease_owner`, so a lost lease is noticed. */
  private readonly owner = `${process.pid}-${randomBytes(6).toString('hex')}`;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly now: () => Date;
  private handlers: Readonly<Record<string, JobHandler>> = {};
  private readonly running = new Map<
    string,
    { controller: AbortController; done: Promise<void> }
  >();
  private started = false;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> | undefined;
  private lookAgain = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: EmbeddedQueueOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollMs = options.pollMs ?? 1000;
    this.concurrency = options.concurrency ?? EMBEDDED_JOB_CONCURRENCY;
    this.now = options.now ?? (() => new Date());
  }

  private iso(offsetMs = 0): string {
    return new Date(this.now().getTime() + offsetMs).toISOString();
  }

  async enqueue(
    name: string,
    payload: unknown,
    options: EnqueueOptions = {},
  ): Promise<string | undefined> {
    try {
      const row = await this.db
        .insertInto('jobs')
        .values({
          name,
          payload: JSON.stringify(payload ?? null),
          state: 'queued',
          singleton_key: options.singletonKey ?? null,
          max_attempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
          created_at: this.iso(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      this.kick();
      return String(row.id);
    } catch (error) {
      if (options.singletonKey !== undefined && isUniqueViolation(error)) return undefined;
      throw error;
    }
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    if (!/^\d{1,18}$/.test(jobId)) return undefined;
    const row = await this.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', jobId)
      .executeTakeFirst();
    return row && record(row);
  }

  async cancel(jobId: string): Promise<boolean> {
    if (!/^\d{1,18}$/.test(jobId)) return false;
    const result = await this.db
      .updateTable('jobs')
      .set({ state: 'cancelled', finished_at: this.iso(), lease_owner: null, lease_until: null })
      .where('id', '=', jobId)
      .where('state', 'in', ['queued', 'active'])
      .executeTakeFirst();
    this.running.get(jobId)?.controller.abort(new JobInterrupted('cancelled'));
    return Number(result.numUpdatedRows) > 0;
  }

  async start(handlers: Readonly<Record<string, JobHandler>>): Promise<void> {
    this.handlers = handlers;
    this.started = true;
    this.stopping = false;
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
    this.kick();
    await this.looking;
  }

  async check(): Promise<void> {
    await this.db.selectFrom('jobs').select('id').limit(1).execute();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.looking;
    for (const { controller } of this.running.values())
      controller.abort(new JobInterrupted('stopping'));
    await Promise.all([...this.running.values()].map((r) => r.done));
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
    while (!this.stopping && this.running.size < this.concurrency) {
      const job = await this.claim();
      if (!job) return;
      if (job.attempts > job.maxAttempts) {
        await this.giveUp(job);
        continue;
      }
      this.launch(job);
    }
  }

  /** Claims the oldest queued job, or an active one whose worker's lease ran out. */
  private async claim(): Promise<JobRecord | undefined> {
    const names = Object.keys(this.handlers);
    if (names.length === 0) return undefined;
    for (;;) {
      const now = this.iso();
      const claimable = (eb: any) =>
        eb.or([
          eb('state', '=', 'queued'),
          eb.and([eb('state', '=', 'active'), eb('lease_until', '<', now)]),
        ]);
      const candidate = await this.db
        .selectFrom('jobs')
        .select('id')
        .where('state', 'in', ['queued', 'active'])
        .where('name', 'in', names)
        .where(claimable)
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      if (!candidate) return undefined;
      // The same condition again: of two workers that saw this candidate, one updates it.
      const row = await this.db
        .updateTable('jobs')
        .set({
          state: 'active',
          attempts: sql`attempts + 1`,
          lease_owner: this.owner,
          lease_until: this.iso(this.leaseMs),
          heartbeat_at: now,
          started_at: now,
          progress: null,
        })
        .where('id', '=', candidate.id)
        .where(claimable)
        .returningAll()
        .executeTakeFirst();
      if (row) return record(row);
    }
  }

  private async giveUp(job: JobRecord): Promise<void> {
    const reason = `the job's worker stopped ${job.maxAttempts} times before it finished`;
    await this.finish(job.id, 'failed', reason);
    try {
      await this.handlers[job.name]?.abandoned?.(job.payload, reason);
    } catch (error) {
      this.options.onError?.(error, job);
    }
  }

  private launch(job: JobRecord): void {
    const controller = new AbortController();
    const handler = this.handlers[job.name]!;
    const heartbeat = setInterval(() => {
      void this.renew(job.id).then(
        (held) => {
          if (!held) controller.abort(new JobInterrupted('lease-lost'));
        },
        (error: unknown) => this.options.onError?.(error, job),
      );
    }, this.leaseMs / 3);
    heartbeat.unref();
    const context: JobContext = {
      id: job.id,
      attempt: job.attempts,
      signal: controller.signal,
      progress: async (value) => {
        const held = await this.renew(job.id, value);
        if (!held && !controller.signal.aborted) controller.abort(new JobInterrupted('lease-lost'));
      },
    };
    const done = (async () => {
      try {
        await handler.run(job.payload, context);
        await this.finish(job.id, 'completed', undefined);
      } catch (error) {
        const reason = controller.signal.reason as unknown;
        if (reason instanceof JobInterrupted && reason.why === 'stopping') {
          // Put back for the next worker (this attempt does not count: it was not a crash).
          await this.release(job.id).catch((e: unknown) => this.options.onError?.(e, job));
        } else if (!(reason instanceof JobInterrupted)) {
          this.options.onError?.(error, job);
          await this.finish(job.id, 'failed', (error as Error).message ?? String(error)).catch(
            (e: unknown) => this.options.onError?.(e, job),
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

  /** Extends the lease (and saves progress); false when this worker no longer holds the job. */
  private async renew(jobId: string, progress?: unknown): Promise<boolean> {
    const result = await this.db
      .updateTable('jobs')
      .set({
        lease_until: this.iso(this.leaseMs),
        heartbeat_at: this.iso(),
        ...(progress !== undefined && { progress: JSON.stringify(progress) }),
      })
      .where('id', '=', jobId)
      .where('state', '=', 'active')
      .where('lease_owner', '=', this.owner)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  private async finish(
    jobId: string,
    state: 'completed' | 'failed',
    error: string | undefined,
  ): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({
        state,
        error: error?.slice(0, 4000) ?? null,
        finished_at: this.iso(),
        lease_owner: null,
        lease_until: null,
      })
      .where('id', '=', jobId)
      .where('state', 'in', ['queued', 'active'])
      .where((eb) => eb.or([eb('lease_owner', '=', this.owner), eb('lease_owner', 'is', null)]))
      .execute();
  }

  private async release(jobId: string): Promise<void> {
    await this.db
      .updateTable('jobs')
      .set({ state: 'queued', attempts: sql`attempts - 1`, lease_owner: null, lease_until: null })
      .where('id', '=', jobId)
      .where('state', '=', 'active')
      .where('lease_owner', '=', this.owner)
      .execute();
  }
}
