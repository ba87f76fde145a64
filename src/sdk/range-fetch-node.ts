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
 * The raw path's receive buffer, one per thread (reused by every read). 256 KiB: measured on the
 * bench VM (1 GiB, one range at a time, same minutes, load ~10), client CPU 1.2-1.6 s against
 * 1.6-2.1 s with 64 KiB and 2.6-3.2 s with 1 MiB (a buffer past the L2 cache is read back
 * from memory by the write), curl 1.3-1.4 s, the node:http path 3.4-4.2 s.
 */
const READ_SIZE = 256 * 1024;

/**
 * Progress is posted at most this often per range, not per 64 KiB read: posting per MiB was 9%
 * of the thread's CPU in a profile (each message wakes the main thread), and a progress line
 * samples every 100 ms anyway.
 */
const PROGRESS_MS = 100;

/** What {@link parseHead} made of the bytes of an answer so far. */
export type HeadAnswer =
  | undefined
  | { fallback: true; error?: undefined; headLength?: undefined }
  | { error: string; fallback?: undefined; headLength?: undefined }
  | { headLength: number; fallback?: undefined; error?: undefined };

/**
 * Reads the status line and headers of an HTTP/1.1 answer to `Range: bytes=start-(end-1)` (end
 * exclusive) from the first bytes received: undefined while the head is incomplete; `headLength`
 * (where the body starts) for a plain `206` whose `Content-Length` and `Content-Range` are the
 * range asked for; `fallback` for any other answer node:http should read (another status, a
 * chunked or unsized body); `error` for a 206 of other bytes than asked, or a head that is not
 * HTTP. Strict and small on purpose: it only has to recognise the hub's own answers. Runs inside
 * the range thread (its source is copied there), so it uses nothing from outside itself.
 */
export function parseHead(head: Uint8Array, start: number, end: number): HeadAnswer {
  let stop = -1;
  for (let i = 3; i < head.length; i++)
    if (head[i] === 10 && head[i - 1] === 13 && head[i - 2] === 10 && head[i - 3] === 13) {
      stop = i + 1;
      break;
    }
  if (stop < 0)
    return head.length > 16 * 1024
      ? { error: 'the hub sent an answer head over 16 KiB' }
      : undefined;
  let text = '';
  for (let i = 0; i < stop - 4; i++) text += String.fromCharCode(head[i]!);
  const lines = text.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? '');
  if (!status) return { error: 'the hub did not answer in HTTP/1.1' };
  if (status[1] !== '206') return { fallback: true };
  let length: string | undefined;
  let range: string | undefined;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { error: `the hub sent a malformed header line '${line}'` };
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'transfer-encoding') return { fallback: true };
    if (name === 'content-length') {
      if (length !== undefined && length !== value) return { error: 'the hub sent two lengths' };
      length = value;
    } else if (name === 'content-range') range = value;
  }
  if (length === undefined || range === undefined) return { fallback: true };
  if (!/^\d+$/.test(length) || Number(length) !== end - start)
    return { error: `the hub sent Content-Length ${length} for a range of ${end - start} bytes` };
  const r = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(range);
  if (!r || Number(r[1]) !== start || Number(r[2]) !== end - 1)
    return { error: `the hub sent Content-Range '${range}' for bytes ${start}-${end - 1}` };
  return { headLength: stop };
}

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
const { connect } = require('node:net');
const { createWriteStream, openSync, writeSync, closeSync } = require('node:fs');
const { pipeline } = require('node:stream/promises');
const zlib = require('node:zlib');
const running = new Map();
const post = (m) => parentPort.postMessage(m);
// One receive buffer for every socket of this thread: each read is written and CRC'd before its
// callback returns, so the next read (of any socket) may overwrite it.
const readBuffer = Buffer.allocUnsafe(workerData.readSize);
parentPort.on('message', (m) => {
  if (m.type === 'abort') return void running.get(m.id)?.abort();
  const controller = new AbortController();
  running.set(m.id, controller);
  const raw = workerData.raw && m.url.startsWith('http://');
  (raw ? rawRange(m, controller.signal) : Promise.resolve(FALLBACK))
    .then((r) => (r === FALLBACK ? fetchRange(m, controller.signal) : r))
    .then(
      (r) => post({ type: 'done', id: m.id, at: r.at, crc: r.crc }),
      (e) => post({ type: 'error', id: m.id, ...e }),
    )
    .finally(() => running.delete(m.id));
});
function failure(e, signal) {
  if (signal.aborted) return { aborted: true };
  if (e && e.status !== undefined) return e;
  if (e && e.network !== undefined) return e;
  if (e && e.code === 'ECONNRESET') return { network: 'download broke: ' + e.message };
  return { message: String(e && e.message || e), code: e && e.code };
}
${parseHead.toString()}
const FALLBACK = Symbol('fallback');
/**
 * The range over a plain socket, as curl receives: the answer read into the thread's one buffer,
 * each read written synchronously at its offset and CRC'd, no allocation per read. Resolves with
 * FALLBACK (nothing written) when the answer is not a plain 206 with a Content-Length, for
 * node:http to handle (errors with their text, chunked bodies, anything unusual).
 */
function rawRange(m, signal) {
  return new Promise((ok, fail) => {
    const target = new URL(m.url);
    const length = m.end - m.start;
    let head = Buffer.alloc(0);
    let inBody = false;
    let settled = false;
    let at = m.start;
    let crc = 0;
    let unsent = 0;
    let posted = performance.now();
    let fd = -1;
    let socket;
    const settle = (f, v) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (socket) socket.destroy();
      if (fd >= 0) closeSync(fd);
      if (unsent > 0) post({ type: 'bytes', id: m.id, n: unsent });
      f(v);
    };
    const onAbort = () => settle(fail, { aborted: true });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    const body = (buf, from, to) => {
      let n = to - from;
      if (n <= 0) return;
      if (at + n > m.end) throw new Error('the hub sent more bytes than the ' + length + ' asked for');
      if (m.crc) crc = zlib.crc32(buf.subarray(from, to), crc);
      while (from < to) {
        const w = writeSync(fd, buf, from, to - from, at);
        from += w;
        at += w;
      }
      unsent += n;
      const now = performance.now();
      if (now - posted >= workerData.progressMs) {
        post({ type: 'bytes', id: m.id, n: unsent });
        unsent = 0;
        posted = now;
      }
    };
    const onRead = (n, buf) => {
      if (settled) return false;
      try {
        if (inBody) body(buf, 0, n);
        else {
          const before = head.length;
          head = Buffer.concat([head, buf.subarray(0, n)]);
          const answer = parseHead(head, m.start, m.end);
          if (answer === undefined) return true;
          if (answer.fallback) return void settle(ok, FALLBACK);
          if (answer.error) return void settle(fail, { message: answer.error });
          inBody = true;
          fd = openSync(m.part, 'r+');
          body(buf, answer.headLength - before, n);
          head = undefined;
        }
        if (at === m.end) settle(ok, { at, crc });
      } catch (e) {
        settle(fail, failure(e, signal));
      }
      return true;
    };
    const host = target.hostname.replace(/^\\[|\\]$/g, '');
    socket = connect({ host, port: Number(target.port) || 80, onread: { buffer: readBuffer, callback: onRead } });
    let connected = false;
    socket.once('connect', () => (connected = true));
    socket.on('error', (e) =>
      settle(fail, failure(
        connected ? { network: 'download broke: ' + e.message }
          : { network: 'cannot reach ' + target.origin + ': ' + e.message }, signal)));
    socket.on('end', () =>
      settle(fail, { network: inBody
        ? 'download broke: the hub closed the connection after ' + (at - m.start) + ' of ' + length + ' bytes'
        : 'download broke: the hub closed the connection before its answer ended' }));
    socket.write(
      'GET ' + target.pathname + target.search + ' HTTP/1.1\\r\\n' +
      'Host: ' + target.host + '\\r\\n' +
      'Range: bytes=' + m.start + '-' + (m.end - 1) + '\\r\\n' +
      'Connection: close\\r\\n\\r\\n', 'latin1');
  });
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

  /**
   * `raw: false` keeps every range on node:http (the path plain `http://` URLs take only when
   * their answer is not a plain 206): for comparing the two.
   */
  constructor(options: { raw?: boolean; readSize?: number } = {}) {
    this.worker = new Worker(RANGE_WORKER, {
      eval: true,
      workerData: {
        writeSize: WRITE_SIZE,
        readSize: options.readSize ?? READ_SIZE,
        progressMs: PROGRESS_MS,
        raw: options.raw ?? true,
      },
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
