import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { AppError } from '../domain/index.js';

/**
 * Passes bytes through unchanged while computing MD5 (and SHA-256 when asked) and counting them;
 * fails with a 413 as soon as more than `maxBytes` have passed, so an oversized body is never
 * stored whole.
 *
 * The hashing runs off the event loop, one worker thread per algorithm (see `HashWorker`).
 * Hashed inline, MD5 (~650 MB/s on the 2-CPU bench machine) and SHA-256 (~1.4 GB/s) cost 2.3 s
 * of main-thread CPU per GiB on top of ~1 s for the socket and the file, and that one thread
 * capped a single-stream upload: bench/files, 2 GiB, 230-268 MB/s (cp + fsync of the same file:
 * ~1,350 MB/s). With the workers, the main thread copies each chunk once into a ring both
 * workers read, and MD5, SHA-256, socket reads and file writes overlap: 297-330 MB/s in the same
 * bench (400-450 MB/s with the early flushes of LocalBlobStore and the ring reuse below). When
 * no worker can be started the stream hashes inline, as before.
 */
export class ChecksumStream extends Transform {
  private readonly algorithms: readonly Algorithm[];
  private job: HashJob | undefined;
  private inline: Hash[] | undefined;
  private results: string[] | undefined;
  /**
   * CRC-32 of the bytes so far, computed inline: at ~5 GB/s (zlib, PCLMUL) it costs ~0.2 s of
   * this thread per GiB, less than handing each chunk to a worker would.
   */
  private crc = 0;
  bytes = 0;

  constructor(
    options: { sha256: boolean; maxBytes?: number | undefined },
    private readonly maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    this.algorithms = options.sha256 ? ['md5', 'sha256'] : ['md5'];
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      done(
        new AppError(
          'PayloadTooLarge',
          `The upload is larger than ${this.maxBytes} bytes: use a multipart upload`,
        ),
      );
      return;
    }
    this.crc = crc32(chunk, this.crc);
    if (!this.job && !this.inline) {
      this.job = HashJob.start(this.algorithms, (error) => this.destroy(error));
      if (!this.job) this.inline = this.algorithms.map((a) => createHash(a));
    }
    if (this.inline) {
      for (const hash of this.inline) hash.update(chunk);
      done(null, chunk);
      return;
    }
    // The chunk goes on right away; only a full ring (the workers behind) holds the stream back.
    this.job!.update(chunk, () => done(null, chunk));
  }

  override _flush(done: TransformCallback): void {
    if (!this.job) {
      this.results = (this.inline ?? this.algorithms.map((a) => createHash(a))).map((h) =>
        h.digest('hex'),
      );
      done();
      return;
    }
    this.job.digest().then(
      (hex) => {
        this.results = hex;
        done();
      },
      (error: Error) => done(error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.job?.drop();
    callback(error);
  }

  /**
   * Hex digests; call once the stream has finished. `crc32` is the CRC-32 (as zlib and gzip
   * compute it), 8 hex digits, kept so clients can verify a download cheaply (issue 8).
   */
  digests(): { md5: string; sha256: string | undefined; crc32: string } {
    if (!this.results) throw new Error('ChecksumStream.digests() before the stream finished');
    return {
      md5: this.results[0]!,
      sha256: this.results[1],
      crc32: (this.crc >>> 0).toString(16).padStart(8, '0'),
    };
  }
}

type Algorithm = 'md5' | 'sha256';

/**
 * Bytes of the ring a stream's chunks are copied into: what one stream holds here at most. 8 MiB
 * keeps 8 batches in flight per worker; 4 MiB batches in a 16 MiB ring measured the same.
 */
const RING_BYTES = 8 * 1024 * 1024;
/**
 * Workers hear of new bytes once per MiB, not per 64 KiB socket read: a postMessage that wakes a
 * thread cost 80-140 us here under load, ~0.2 s per GiB even at this batch size.
 */
const BATCH_BYTES = 1024 * 1024;
/** Rings kept for reuse once their stream is done (see `HashJob.spareRings`): 32 MiB at most. */
const MAX_SPARE_RINGS = 4;

/**
 * One stream's hashing in the workers: chunks are copied into a SharedArrayBuffer ring, and each
 * algorithm's worker hashes the ring up to the announced position and acknowledges it; space is
 * reused once every worker has acknowledged it.
 */
class HashJob {
  private static nextId = 1;
  /**
   * Rings of finished jobs, for the next ones, instead of a fresh 8 MiB SharedArrayBuffer per
   * stream. On the bench VM, where a page fault is expensive, that churn showed in the hub's page
   * faults (bench/files, 5 x 2 GiB, same code otherwise): per upload 35-56k faults without reuse,
   * 0.9-2.5k with it, and 343-402 against 399-448 MB/s; the downloads after those uploads had
   * ~90k faults and 616-854 MB/s, now under 1k and 2099-2495 MB/s.
   */
  private static readonly spareRings: Buffer[] = [];
  private readonly id = HashJob.nextId++;
  private readonly ring =
    HashJob.spareRings.pop() ?? Buffer.from(new SharedArrayBuffer(RING_BYTES));
  /** Bytes copied into the ring, announced to the workers, and acknowledged by each. */
  private written = 0;
  private announced = 0;
  private readonly acked: number[];
  private readonly digests: (string | undefined)[];
  private waiting: (() => void) | undefined;
  private finishing: { resolve: (hex: string[]) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  private constructor(
    private readonly workers: HashWorker[],
    private readonly onError: (error: Error) => void,
  ) {
    this.acked = workers.map(() => 0);
    this.digests = workers.map(() => undefined);
  }

  /** A job on the shared workers, or undefined when they cannot be started. */
  static start(algorithms: readonly Algorithm[], onError: (error: Error) => void) {
    const workers: HashWorker[] = [];
    for (const algorithm of algorithms) {
      const worker = HashWorker.for(algorithm);
      if (!worker) return undefined;
      workers.push(worker);
    }
    const job = new HashJob(workers, onError);
    const ring = job.ring.buffer as SharedArrayBuffer;
    workers.forEach((w, i) => w.attach(job.id, ring, job, i));
    return job;
  }

  /** Copies `chunk` into the ring (waiting for space as needed), then calls `then`. */
  update(chunk: Buffer, then: () => void): void {
    let offset = 0;
    const copy = (): void => {
      while (offset < chunk.length) {
        const free = RING_BYTES - (this.written - Math.min(...this.acked));
        if (free === 0) {
          this.announce();
          this.waiting = copy;
          return;
        }
        const at = this.written % RING_BYTES;
        const n = Math.min(chunk.length - offset, free, RING_BYTES - at);
        chunk.copy(this.ring, at, offset, offset + n);
        offset += n;
        this.written += n;
        if (this.written - this.announced >= BATCH_BYTES) this.announce();
      }
      then();
    };
    if (this.failure) return;
    copy();
  }

  /** Resolves with the hex digests, in the order of the algorithms. */
  digest(): Promise<string[]> {
    if (this.failure) return Promise.reject(this.failure);
    this.announce();
    return new Promise((resolve, reject) => {
      this.finishing = { resolve, reject };
      this.workers.forEach((w) => w.send({ op: 'digest', id: this.id }));
    });
  }

  /** Forgets the job (stream destroyed, or finished). */
  drop(): void {
    this.waiting = undefined;
    this.workers.forEach((w) => w.detach(this.id, true));
  }

  private announce(): void {
    if (this.written === this.announced) return;
    this.announced = this.written;
    this.workers.forEach((w) => w.send({ op: 'update', id: this.id, end: this.written }));
  }

  /** From worker `index`: acknowledged position or final digests. */
  onMessage(index: number, message: WorkerReply): void {
    if ('ack' in message) {
      this.acked[index] = message.ack;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.();
      return;
    }
    this.digests[index] = message.digest;
    this.workers[index]!.detach(this.id, false);
    if (this.digests.every((d) => d !== undefined)) {
      // Every worker is done with the ring (a dropped job's ring is left to the GC instead: a
      // worker may still be reading it).
      if (HashJob.spareRings.length < MAX_SPARE_RINGS) HashJob.spareRings.push(this.ring);
      this.finishing?.resolve(this.digests as string[]);
    }
  }

  onWorkerError(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.waiting = undefined;
    this.workers.forEach((w) => w.detach(this.id, true));
    if (this.finishing) this.finishing.reject(error);
    else this.onError(error);
  }
}

type WorkerRequest =
  | { op: 'start'; id: number; algorithm: Algorithm; ring: SharedArrayBuffer }
  | { op: 'update'; id: number; end: number }
  | { op: 'digest'; id: number }
  | { op: 'drop'; id: number };
type WorkerReply = { id: number; ack: number } | { id: number; digest: string };

/** The worker's code (CommonJS, evaluated): hashes ring regions as they are announced. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const jobs = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'start') {
    jobs.set(m.id, { hash: createHash(m.algorithm), ring: new Uint8Array(m.ring), pos: 0 });
    return;
  }
  const job = jobs.get(m.id);
  if (!job) return;
  if (m.op === 'update') {
    const size = job.ring.length;
    while (job.pos < m.end) {
      const at = job.pos % size;
      const n = Math.min(m.end - job.pos, size - at);
      job.hash.update(job.ring.subarray(at, at + n));
      job.pos += n;
    }
    parentPort.postMessage({ id: m.id, ack: job.pos });
  } else if (m.op === 'digest') {
    jobs.delete(m.id);
    parentPort.postMessage({ id: m.id, digest: job.hash.digest('hex') });
  } else if (m.op === 'drop') {
    jobs.delete(m.id);
  }
});
`;

/**
 * Long-lived worker threads, one per algorithm, shared by all concurrent streams (started on first
 * use, so a small upload does not pay for a thread start). A worker keeps the process alive only
 * while it has jobs. If one dies, its jobs fail and the next stream starts a new one.
 */
class HashWorker {
  private static readonly pool = new Map<Algorithm, HashWorker>();
  private static unavailable = false;
  private readonly jobs = new Map<number, { job: HashJob; index: number }>();

  private constructor(
    private readonly algorithm: Algorithm,
    private readonly worker: Worker,
  ) {
    worker.unref();
    worker.on('message', (message: WorkerReply) => {
      const entry = this.jobs.get(message.id);
      entry?.job.onMessage(entry.index, message);
    });
    const fail = (error: Error) => {
      if (HashWorker.pool.get(algorithm) === this) HashWorker.pool.delete(algorithm);
      const jobs = [...this.jobs.values()];
      this.jobs.clear();
      for (const { job } of jobs) job.onWorkerError(error);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`${algorithm} hashing thread exited (${code})`)));
  }

  static for(algorithm: Algorithm): HashWorker | undefined {
    if (HashWorker.unavailable) return undefined;
    let worker = HashWorker.pool.get(algorithm);
    if (!worker) {
      try {
        worker = new HashWorker(algorithm, new Worker(WORKER_SOURCE, { eval: true }));
      } catch {
        HashWorker.unavailable = true;
        return undefined;
      }
      HashWorker.pool.set(algorithm, worker);
    }
    return worker;
  }

  attach(id: number, ring: SharedArrayBuffer, job: HashJob, index: number): void {
    if (this.jobs.size === 0) this.worker.ref();
    this.jobs.set(id, { job, index });
    this.send({ op: 'start', id, algorithm: this.algorithm, ring });
  }

  detach(id: number, tellWorker: boolean): void {
    if (!this.jobs.delete(id)) return;
    if (tellWorker) this.send({ op: 'drop', id });
    if (this.jobs.size === 0) this.worker.unref();
  }

  send(message: WorkerRequest): void {
    this.worker.postMessage(message);
  }
}

/**
 * Waits for both sides of a copy into the blob store: `reading` (the source piped through a
 * {@link ChecksumStream}) and `writing` (the store's `write` of that stream). Unlike
 * `Promise.all`, it returns only once the store has finished, so a failed write has removed its
 * temporary object before the caller answers (a 507 on a full disk left the part's bytes behind
 * until later, test/e2e/faults-disk-full.test.ts). When both fail, the store's error is the one
 * thrown: the reading side then fails only because the store stopped taking bytes (its error, a
 * premature close, says nothing of the cause, ENOSPC or an unreachable S3).
 */
export async function copied(reading: Promise<unknown>, writing: Promise<unknown>): Promise<void> {
  const [read, written] = await Promise.allSettled([reading, writing]);
  if (written.status === 'rejected') throw written.reason;
  if (read.status === 'rejected') throw read.reason;
}
