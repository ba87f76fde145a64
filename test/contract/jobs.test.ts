import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedJobQueue, PgBossJobQueue } from '../../src/adapters/queue/index.js';
import type { JobContext, JobHandler, JobQueue, JobRecord } from '../../src/ports.js';
import { backends, openMigrated, type Backend } from '../support/backends.js';

/** The JobQueue contract: the embedded queue on every database, and pg-boss on PostgreSQL. */
async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const settled = (queue: JobQueue, id: string) =>
  until(`job ${id} to settle`, async () => {
    const job = await queue.get(id);
    return job && !['queued', 'active'].includes(job.state) ? job : undefined;
  });

type Opened = Awaited<ReturnType<typeof openMigrated>>;

interface QueueOptions {
  leaseMs?: number;
}

/** One queue implementation over one database, and how a test fakes a worker killed with -9. */
interface Subject {
  label: string;
  backend: Backend;
  make(db: Opened, options: QueueOptions): JobQueue & { close?(): Promise<void> };
  /** Leaves job `id` active after `attempts` attempts, held by a dead worker whose lease ran out. */
  crash(db: Opened, id: string, attempts: number): Promise<void>;
}

const subjects: Subject[] = backends().flatMap((backend): Subject[] => {
  const embedded: Subject = {
    label: `embedded on ${backend.kind}`,
    backend,
    make: ({ handle }, options) => new EmbeddedJobQueue(handle.db, { pollMs: 50, ...options }),
    crash: async ({ handle }, id, attempts) => {
      await handle.db
        .updateTable('jobs')
        .set({
          state: 'active',
          attempts,
          lease_owner: 'dead-worker',
          lease_until: new Date(Date.now() - 1000).toISOString(),
        })
        .where('id', '=', id)
        .execute();
    },
  };
  if (backend.kind !== 'postgres') return [embedded];
  const pgboss: Subject = {
    label: 'pg-boss on postgres',
    backend,
    make: ({ url }, options) =>
      new PgBossJobQueue({
        connectionString: url!,
        pollMs: 50,
        maintenanceSeconds: 1,
        retryDelaySeconds: 1,
        ...options,
      }),
    crash: async ({ handle }, id, attempts) => {
      await sql`UPDATE pgboss.job SET state = 'active', retry_count = ${attempts - 1},
        started_on = now() - interval '10 seconds', expire_in = interval '1 second'
        WHERE id = ${id}`.execute(handle.db);
    },
  };
  return [embedded, pgboss];
});

describe.each(subjects)('job queue: $label', (subject) => {
  let db: Opened;
  const queues: (JobQueue & { close?(): Promise<void> })[] = [];
  const queue = (options: QueueOptions = {}) => {
    const q = subject.make(db, options);
    queues.push(q);
    return q;
  };

  beforeAll(async () => {
    db = await openMigrated(subject.backend, 'jobs');
  });
  afterAll(async () => {
    for (const q of queues) await (q.close ? q.close() : q.stop());
    await db?.close();
  });
  it('runs a queued job once with its payload and progress, and keeps one job per singleton key', async () => {
    const q = queue();
    const seen: { payload: unknown; attempt: number }[] = [];
    const id = (await q.enqueue('echo', { n: 1 }, { singletonKey: 'k1' }))!;
    expect(id).toMatch(/^[\w-]+$/);
    expect(await q.enqueue('echo', { n: 2 }, { singletonKey: 'k1' })).toBeUndefined();
    expect((await q.get(id))!.state).toBe('queued');
    await q.start({
      echo: {
        run: async (payload, ctx) => {
          seen.push({ payload, attempt: ctx.attempt });
          await ctx.progress({ step: 1 });
        },
      },
    });
    const job = await settled(q, id);
    expect(job).toMatchObject({
      state: 'completed',
      attempts: 1,
      payload: { n: 1 },
      progress: { step: 1 },
    });
    expect(seen).toEqual([{ payload: { n: 1 }, attempt: 1 }]);
    // Once the first is done, the key is free again.
    const again = await q.enqueue('echo', { n: 3 }, { singletonKey: 'k1' });
    expect(again).toBeDefined();
    await settled(q, again!);
    await q.stop();
  });

  it('refuses a second job for a singleton key while the first is active', async () => {
    const q = queue();
    let release: () => void = () => undefined;
    let running = false;
    await q.start({
      hold: {
        run: () =>
          new Promise<void>((ok) => {
            running = true;
            release = ok;
          }),
      },
    });
    const id = (await q.enqueue('hold', {}, { singletonKey: 'busy' }))!;
    await until('the job to start', async () => (running ? true : undefined));
    expect((await q.get(id))!.state).toBe('active');
    expect(await q.enqueue('hold', {}, { singletonKey: 'busy' })).toBeUndefined();
    release();
    expect((await settled(q, id)).state).toBe('completed');
    await q.stop();
  });

  it('marks a throwing job failed with its message and does not retry it', async () => {
    const q = queue();
    let runs = 0;
    await q.start({
      boom: {
        run: () => {
          runs++;
          return Promise.reject(new Error('bad input'));
        },
      },
    });
    const id = (await q.enqueue('boom', {}))!;
    expect(await settled(q, id)).toMatchObject({
      state: 'failed',
      error: 'bad input',
      attempts: 1,
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(runs).toBe(1);
    await q.stop();
  });

  it('cancels a queued job, and aborts the signal of an active one', async () => {
    const q = queue();
    const queuedId = (await q.enqueue('wait', {}))!;
    expect(await q.cancel(queuedId)).toBe(true);
    expect((await q.get(queuedId))!.state).toBe('cancelled');
    let context: JobContext | undefined;
    await q.start({
      wait: {
        run: (_, ctx) =>
          new Promise((_ok, fail) => {
            context = ctx;
            ctx.signal.addEventListener('abort', () => fail(ctx.signal.reason));
          }),
      },
    });
    const id = (await q.enqueue('wait', {}))!;
    await until('the job to start', async () => context);
    expect(await q.cancel(id)).toBe(true);
    expect(context!.signal.aborted).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect((await q.get(id))!.state).toBe('cancelled');
    expect(await q.cancel(id)).toBe(false);
    expect(await q.cancel('999999')).toBe(false);
    await q.stop();
  });

  it('runs a job again from scratch when its worker died (lease expired); two workers never both run it', async () => {
    // What a worker killed with -9 leaves behind: the row active, leased by a dead owner.
    const dead = queue({ leaseMs: 60_000 });
    const id = (await dead.enqueue('work', { x: 1 }))!;
    await subject.crash(db, id, 1);
    const runs: { attempt: number; worker: string }[] = [];
    const handler = (worker: string): JobHandler => ({
      run: async (_, ctx) => {
        runs.push({ attempt: ctx.attempt, worker });
        await new Promise((r) => setTimeout(r, 200));
      },
    });
    const a = queue();
    const b = queue();
    await Promise.all([a.start({ work: handler('a') }), b.start({ work: handler('b') })]);
    const job = await settled(a, id);
    expect(job.state).toBe('completed');
    expect(job.attempts).toBe(2);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.attempt).toBe(2);
    await a.stop();
    await b.stop();
  });

  it('a live worker keeps its lease by heart-beating: nobody else takes a long job', async () => {
    const runs: string[] = [];
    const slow = (worker: string): JobHandler => ({
      run: async () => {
        runs.push(worker);
        await new Promise((r) => setTimeout(r, 1500));
      },
    });
    const a = queue({ leaseMs: 300 });
    await a.start({ slow: slow('a') });
    const id = (await a.enqueue('slow', {}))!;
    await until('a to start', async () => (runs.length ? true : undefined));
    const b = queue({ leaseMs: 300 });
    await b.start({ slow: slow('b') });
    const job = await settled(a, id);
    expect(job).toMatchObject({ state: 'completed', attempts: 1 });
    expect(runs).toEqual(['a']);
    await a.stop();
    await b.stop();
  });

  it('gives a job up after maxAttempts crashed attempts and tells its handler', async () => {
    const q = queue();
    const id = (await q.enqueue('doomed', { y: 2 }, { maxAttempts: 2 }))!;
    await subject.crash(db, id, 2);
    const abandoned: unknown[] = [];
    let ran = false;
    await q.start({
      doomed: {
        run: async () => {
          ran = true;
        },
        abandoned: async (payload, reason) => {
          abandoned.push({ payload, reason });
        },
      },
    });
    const job: JobRecord = await settled(q, id);
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/stopped 2 times/);
    expect(ran).toBe(false);
    await until('the handler to hear of it', async () => (abandoned.length ? true : undefined));
    expect(abandoned).toEqual([{ payload: { y: 2 }, reason: job.error }]);
    await q.stop();
  });

  it('stop() puts a running job back in the queue for the next worker, without counting the attempt', async () => {
    let started = 0;
    const handler: JobHandler = {
      run: (_, ctx) =>
        new Promise((ok, fail) => {
          started++;
          if (started > 1) return ok();
          ctx.signal.addEventListener('abort', () => fail(ctx.signal.reason));
        }),
    };
    const a = queue();
    await a.start({ again: handler });
    const id = (await a.enqueue('again', {}))!;
    await until('the job to start', async () => (started ? true : undefined));
    await a.stop();
    expect(await a.get(id)).toMatchObject({ state: 'queued', attempts: 0 });
    const b = queue();
    await b.start({ again: handler });
    expect(await settled(b, id)).toMatchObject({ state: 'completed', attempts: 1 });
    await b.stop();
  });
});
