/**
 * The ranged GETs of a large download, run in a worker thread (Node only): each range streams
 * from its signed URL into the `.part` file at its offset, its CRC-32 computed on the way.
 *
 * Why a thread: every socket read allocates a fresh 64 KiB buffer, and in the CLI's main thread
 * (an old generation of ~8 MB: commander, the SDK, the config schemas) V8 answered that stream
 * of external memory with a major GC every ~16 MiB: 63 mark-compacts per GiB (`--trace-gc`),
 * against 2 in a thread of its own, whose heap holds little more than node:http. Measured on the
 * bench VM, 1 GiB, same minutes: client CPU 4.1 s in the thread against 6.7-7.4 s in the main
 * thread (bench/README.md, `download`).
 */
import { Worker } from 'node:worker_threads';
import { apiErrorOf, NetworkError } from './errors.js';

/** Buffer of a range's write stream: chunks queued behind a write go to the disk in one writev. */
const WRITE_SIZE = 1024 * 1024;

/**
 * Progress is posted at most this often per range, not per 64 KiB read: posting per MiB was 9%
 * of the thread's CPU in a profile (each message wakes the main thread), and a progress line
 * samples every 100 ms anyway.
 */
const PROGRESS_MS = 100;

/**
 * The thread. A pipeline into a write stream (which batches with writev) keeps reading while the
 * disk writes; awaiting each write in a loop instead halved the throughput (bench/download.mjs).
 * node:http, not fetch: fetch cost several times its CPU per byte. Inline (eval) so the SDK needs
 * no separate worker file wherever it is bundled or run from.
 */
const RANGE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { request: httpGet } = require('node:http');
const { request: httpsGet } = require('node:https');
const { createWriteStream } = require('node:fs');
const { pipeline } = require('node:stream/promises');
const zlib = require('node:zlib');
const running = new Map();
const post = (m) => parentPort.postMessage(m);
parentPort.on('message', (m) => {
  if (m.type === 'abort') return void running.get(m.id)?.abort();
  const controller = new AbortController();
  running.set(m.id, controller);
  fetchRange(m, controller.signal).then(
    (r) => post({ type: 'done', id: m.id, at: r.at, crc: r.crc }),
    (e) => post({ type: 'error', id: m.id, ...e }),
  ).finally(() => running.delete(m.id));
});
function failure(e, signal) {
  if (signal.aborted) return { aborted: true };
  if (e && e.status !== undefined) return e;
  if (e && e.code === 'ECONNRESET') return { network: 'download broke: ' + e.message };
  return { message: String(e && e.message || e), code: e && e.code };
}
async function fetchRange(m, signal) {
  let res;
  try {
    res = await new Promise((ok, fail) => {
      const target = new URL(m.url);
      const get = target.protocol === 'https:' ? httpsGet : httpGet;
      const headers = { Range: 'bytes=' + m.start + '-' + (m.end - 1) };
      const req = get(target, { headers, signal }, (res) => {
        if (res.statusCode === 206) return ok(res);
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text = (text + c).slice(0, 4096)));
        res.on('end', () => fail({ status: res.statusCode || 0, text }));
        res.on('error', (e) => fail({ network: 'download broke: ' + e.message }));
      });
      req.on('error', (e) =>
        fail(signal.aborted ? e : { network: 'cannot reach ' + target.origin + ': ' + e.message }));
      req.end();
    });
  } catch (e) {
    throw failure(e, signal);
  }
  let at = m.start;
  let crc = 0;
  let unsent = 0;
  let posted = performance.now();
  res.on('data', (chunk) => {
    at += chunk.length;
    if (at > m.end) return void res.destroy(new Error('the hub sent too many bytes'));
    if (m.crc) crc = zlib.crc32(chunk, crc);
    unsent += chunk.length;
    const now = performance.now();
    if (now - posted >= workerData.progressMs) {
      post({ type: 'bytes', id: m.id, n: unsent });
      unsent = 0;
      posted = now;
    }
  });
  try {
    await pipeline(res, createWriteStream(m.part, {
      flags: 'r+', start: m.start, highWaterMark: workerData.writeSize,
    }));
  } catch (e) {
    throw failure(e, signal);
  } finally {
    if (unsent > 0) post({ type: 'bytes', id: m.id, n: unsent });
  }
  return { at, crc };
}
`;

/** What the thread answers about one range. */
type Reply =
  | { type: 'bytes'; id: number; n: number }
  | { type: 'done'; id: number; at: number; crc: number }
  | {
      type: 'error';
      id: number;
      aborted?: true;
      status?: number;
      text?: string;
      network?: string;
      message?: string;
      code?: string;
    };

interface Pending {
  onBytes: (n: number) => void;
  ok: (r: { at: number; crc: number }) => void;
  fail: (e: unknown) => void;
  signal: AbortSignal;
}

/** One thread fetching the ranges of one file, as many at once as it is asked. */
export class RangeFetcher {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | undefined;

  constructor() {
    this.worker = new Worker(RANGE_WORKER, {
      eval: true,
      workerData: { writeSize: WRITE_SIZE, progressMs: PROGRESS_MS },
    });
    this.worker.on('message', (m: Reply) => this.onReply(m));
    const die = (error: Error) => {
      this.dead ??= error;
      for (const p of this.pending.values()) p.fail(error);
      this.pending.clear();
    };
    this.worker.once('error', die);
    this.worker.once('exit', (code) => die(new Error(`the download thread exited (${code})`)));
  }

  /**
   * `GET url` with `Range: bytes=start-(end-1)`, the body written into `part` from `start`;
   * resolves with the offset it reached and the CRC-32 of the bytes (when `crc`). `onBytes` hears
   * of bytes written, in batches. Rejects with ApiError (an answer other than 206), NetworkError
   * (worth a retry), the signal's reason, or the write's error (its `code`, e.g. ENOSPC, kept).
   */
  fetch(
    url: string,
    part: string,
    start: number,
    end: number,
    crc: boolean,
    signal: AbortSignal,
    onBytes: (n: number) => void,
  ): Promise<{ at: number; crc: number }> {
    if (this.dead) return Promise.reject(this.dead);
    signal.throwIfAborted();
    const id = this.nextId++;
    return new Promise((ok, fail) => {
      const onAbort = () => this.worker.postMessage({ type: 'abort', id });
      signal.addEventListener('abort', onAbort, { once: true });
      const settle =
        <T>(f: (v: T) => void) =>
        (v: T) => {
          signal.removeEventListener('abort', onAbort);
          this.pending.delete(id);
          f(v);
        };
      this.pending.set(id, { onBytes, ok: settle(ok), fail: settle(fail), signal });
      this.worker.postMessage({ type: 'get', id, url, part, start, end, crc });
    });
  }

  private onReply(m: Reply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === 'bytes') p.onBytes(m.n);
    else if (m.type === 'done') p.ok({ at: m.at, crc: m.crc });
    else if (m.aborted) p.fail(p.signal.reason);
    else if (m.status !== undefined) p.fail(apiErrorOf(m.status, m.text ?? ''));
    else if (m.network !== undefined) p.fail(new NetworkError(m.network));
    else p.fail(Object.assign(new Error(m.message ?? 'the download failed'), { code: m.code }));
  }

  /** Ends the thread (any range still running fails). */
  close(): Promise<number> {
    return this.worker.terminate();
  }
}
