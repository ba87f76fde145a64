/**
 * Downloads to local disk (Node only): parallel ranges into `<name>.part`, resumable through a
 * small state file beside it, checksum (CRC-32, else SHA-256, else MD5) checked against the
 * hub's, then renamed into place, so a file under its final name is always whole and verified.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { crc32, crc32Combine, crc32Hex } from './crc32-node.js';
import { NetworkError, isAbortError } from './errors.js';
import type { HttpTransport } from './http.js';
import { mapConcurrent } from './limits.js';
import { RangeFetcher } from './range-fetch-node.js';
import { backoffDelay, DEFAULT_RETRY, sleep } from './retry.js';
import { fetchContent } from './transfer.js';
import type { HubFile } from './types.js';

/**
 * Bytes per ranged request of a large download. Each request costs the hub a signed-URL check, a
 * lookup and an open besides its bytes: on the bench VM (1 GiB, raw path, same minutes) the hub
 * spent 1.0-1.2 CPU-s serving 32 MiB ranges against 0.6-0.8 s for 128 MiB ones (curl's one
 * request: 0.4-0.5 s), the client alike. A resume loses at most RANGE_CONCURRENCY of them.
 */
export const DEFAULT_RANGE_SIZE = 128 * 1024 * 1024;

/**
 * The size up to which a file comes in one request (through `fetch`, hashed as it streams), when
 * the range size is not smaller: small files are many, and a range thread per file would cost
 * more than it saves.
 */
export const WHOLE_FILE_MAX = 32 * 1024 * 1024;

/**
 * Ranges of one file in flight at once: one TCP stream rarely fills a long fat link. On one host
 * 1, 2 and 4 measured alike (bench/download.mjs, 128 MiB ranges: CPU and time within the noise);
 * 2 keeps a resume's loss to 256 MiB.
 */
export const RANGE_CONCURRENCY = 2;

/** Bytes read back per step while hashing a downloaded file (large enough to amortise a read). */
const HASH_READ_SIZE = 4 * 1024 * 1024;

/** The downloaded bytes do not have the checksum the hub gave: the `.part` file was removed. */
export class ChecksumError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChecksumError';
  }
}

export interface DownloadOptions {
  /**
   * Range size (default DEFAULT_RANGE_SIZE); files up to it or WHOLE_FILE_MAX, whichever is
   * smaller, come in one request.
   */
  rangeSize?: number;
  /** Ranges in flight at once (default RANGE_CONCURRENCY). */
  rangeConcurrency?: number;
  /** New bytes received (a delta, to add to a total). Bytes kept from an earlier try count too. */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

export interface DownloadResult {
  /** The file was already there with the hub's size and checksum: nothing was fetched. */
  skipped: boolean;
  /** Bytes fetched by this call. */
  bytesFetched: number;
}

/** What `<dest>.part.json` remembers of a ranged download under way. */
interface RangeState {
  version: 1;
  fileId: string;
  size: number;
  md5: string | undefined;
  sha256: string | undefined;
  crc32?: string | undefined;
  rangeSize: number;
  done: number[];
  /** CRC-32 of each done range, by range index (when the file is checked by CRC-32). */
  crcs?: Record<string, number>;
}

/**
 * Downloads `file` to `dest`: skipped when `dest` already has the hub's size and checksum; otherwise
 * fetched into `dest.part` (ranges in parallel for large files, resuming the ranges an earlier try
 * finished), its checksum checked, and renamed to `dest`. On failure `dest` is untouched; the `.part`
 * file and its state stay for the next try (except after a checksum mismatch).
 */
export async function downloadFile(
  http: HttpTransport,
  file: HubFile,
  dest: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const { signal } = options;
  if (await alreadyThere(file, dest, signal)) {
    options.onProgress?.(file.size);
    return { skipped: true, bytesFetched: 0 };
  }
  const part = `${dest}.part`;
  const rangeSize = options.rangeSize ?? DEFAULT_RANGE_SIZE;
  const bytesFetched =
    file.size <= Math.min(rangeSize, WHOLE_FILE_MAX)
      ? await wholeInto(http, file, part, options)
      : await rangesInto(http, file, part, rangeSize, options);
  await rename(part, dest);
  await rm(`${part}.json`, { force: true });
  return { skipped: false, bytesFetched };
}

type Algorithm = 'crc32' | 'sha256' | 'md5';

/**
 * The checksum a download is verified with: CRC-32 when the hub gives one (seqhub does for files
 * stored since it kept them) and this Node has `zlib.crc32`, else SHA-256, else MD5 (the `ETag`
 * of BaseSpace). Cheapest first: hashing was most of a large download's CPU, and on the bench
 * machine zlib's CRC-32 runs at ~5 GB/s, SHA-256 (SHA extensions) at 1.5 GB/s, MD5 at 0.65 GB/s
 * per core. CRC-32 is a transfer check (it catches any burst of up to 32 wrong bits and all but
 * 2^-32 of other damage), not a defence against a forger: the bytes come from the hub that
 * gave the checksum, over the same connection the checksum came through.
 */
function checksumOf(file: HubFile): { algorithm: Algorithm; expected: string } | undefined {
  if (file.crc32 && crc32) return { algorithm: 'crc32', expected: file.crc32.toLowerCase() };
  if (file.sha256) return { algorithm: 'sha256', expected: file.sha256.toLowerCase() };
  if (file.md5) return { algorithm: 'md5', expected: file.md5.toLowerCase() };
  return undefined;
}

async function alreadyThere(file: HubFile, dest: string, signal?: AbortSignal): Promise<boolean> {
  const st = await stat(dest).catch(() => undefined);
  if (!st?.isFile() || st.size !== file.size) return false;
  const sum = checksumOf(file);
  return sum === undefined || (await hashOfFile(sum.algorithm, dest, signal)) === sum.expected;
}

function check(file: HubFile, got: string, part: string): Promise<void> {
  const sum = checksumOf(file);
  if (sum === undefined || got === sum.expected) return Promise.resolve();
  return Promise.all([rm(part, { force: true }), rm(`${part}.json`, { force: true })]).then(() => {
    throw new ChecksumError(
      `${file.path}: the downloaded bytes have ${sum.algorithm.toUpperCase()} ${got}, the hub says ${sum.expected}; removed it, try again`,
    );
  });
}

/** A running hash of one algorithm, fed in order. */
interface Hasher {
  update(chunk: Uint8Array): void;
  digest(): string;
}

function hasherOf(algorithm: Algorithm): Hasher {
  if (algorithm !== 'crc32') {
    const hash = createHash(algorithm);
    return { update: (c) => hash.update(c), digest: () => hash.digest('hex') };
  }
  let crc = 0;
  return { update: (c) => (crc = crc32!(c, crc)), digest: () => crc32Hex(crc) };
}

/** One request, hashed as it streams in. */
async function wholeInto(
  http: HttpTransport,
  file: HubFile,
  part: string,
  options: DownloadOptions,
): Promise<number> {
  const res = await fetchContent(http, file.id, undefined, options.signal);
  const hash = hasherOf(checksumOf(file)?.algorithm ?? 'md5');
  const fh = await open(part, 'w');
  let n = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      await fh.write(chunk);
      n += chunk.length;
      options.onProgress?.(chunk.length);
    }
  } finally {
    await fh.close();
  }
  if (n !== file.size)
    throw new Error(`${file.path}: the hub sent ${n} bytes of ${file.size}; try again`);
  await check(file, hash.digest(), part);
  return n;
}

async function loadRangeState(path: string): Promise<RangeState | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as RangeState;
  } catch {
    return undefined;
  }
}

/**
 * Ranges in parallel, written in place. With a CRC-32 to check, each range's CRC is computed as
 * its bytes arrive and kept in the state (so a resumed download keeps them too), and the file's
 * is combined from them at the end: no byte is read back. With SHA-256 or MD5, which cannot be
 * combined, a worker hashes the finished prefix of the file as it grows (`PrefixHasher`).
 */
async function rangesInto(
  http: HttpTransport,
  file: HubFile,
  part: string,
  rangeSize: number,
  options: DownloadOptions,
): Promise<number> {
  const statePath = `${part}.json`;
  const count = Math.ceil(file.size / rangeSize);
  const algorithm = checksumOf(file)?.algorithm ?? 'md5';
  const byCrc = algorithm === 'crc32';
  const prior = await loadRangeState(statePath);
  const partSize = (await stat(part).catch(() => undefined))?.size;
  const resumable =
    prior?.version === 1 &&
    prior.fileId === file.id &&
    prior.size === file.size &&
    prior.md5 === file.md5 &&
    prior.sha256 === file.sha256 &&
    prior.crc32 === file.crc32 &&
    prior.rangeSize === rangeSize &&
    partSize === file.size;
  const crcs = new Map<number, number>();
  if (resumable && byCrc)
    for (const [k, v] of Object.entries(prior.crcs ?? {}))
      if (Number.isInteger(v) && v >= 0 && v <= 0xffffffff) crcs.set(Number(k), v);
  const state: RangeState = {
    version: 1,
    fileId: file.id,
    size: file.size,
    md5: file.md5,
    sha256: file.sha256,
    crc32: file.crc32,
    rangeSize,
    // A range kept without its CRC (a state written by an older SDK) is fetched again.
    done: resumable
      ? prior.done.filter(
          (i) => Number.isInteger(i) && i >= 0 && i < count && (!byCrc || crcs.has(i)),
        )
      : [],
  };
  const done = new Set(state.done);
  let fh: FileHandle;
  if (resumable) fh = await open(part, 'r+');
  else {
    fh = await open(part, 'w+');
    await fh.truncate(file.size);
    await writeFile(statePath, JSON.stringify(state));
  }
  // The CRC of a range was taken from the bytes as they arrived; the disk may not have kept them
  // (a crash before writeback, a tampered `.part`), so a kept range is read back and fetched
  // again unless it still has its CRC. Cheap: zlib's CRC-32 runs at GB/s.
  if (byCrc)
    for (const i of [...done]) {
      const start = i * rangeSize;
      if ((await crcOfRange(fh, start, rangeEnd(i, rangeSize, file.size))) === crcs.get(i))
        continue;
      done.delete(i);
      crcs.delete(i);
    }
  for (const i of done) options.onProgress?.(rangeEnd(i, rangeSize, file.size) - i * rangeSize);

  // Saves one at a time, in order, so an older state never replaces a newer one.
  let saving = Promise.resolve();
  const save = () => {
    const text = JSON.stringify({
      ...state,
      done: [...done],
      ...(byCrc && { crcs: Object.fromEntries(crcs) }),
    });
    saving = saving.then(async () => {
      await writeFile(`${statePath}.tmp`, text);
      await rename(`${statePath}.tmp`, statePath);
    });
    return saving;
  };

  const signed = new SignedUrl(http, file.id);
  const hasher = byCrc ? undefined : new PrefixHasher(part, algorithm, file.size, rangeSize, done);
  const fetcher = new RangeFetcher();
  const inner = new AbortController();
  const onAbort = () => inner.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let fetched = 0;
  const todo = Array.from({ length: count }, (_, i) => i).filter((i) => !done.has(i));
  try {
    await mapConcurrent(todo, options.rangeConcurrency ?? RANGE_CONCURRENCY, async (i) => {
      try {
        const start = i * rangeSize;
        const end = rangeEnd(i, rangeSize, file.size);
        let crc = 0;
        for (let attempt = 0; ; attempt++) {
          let got = 0;
          try {
            const url = await signed.get(inner.signal);
            const r = await fetcher.fetch(url, part, start, end, byCrc, inner.signal, (n) => {
              got += n;
              fetched += n;
              options.onProgress?.(n);
            });
            if (r.at !== end) throw new NetworkError(`${file.path}: a range ended early`);
            crc = r.crc;
            break;
          } catch (error) {
            // Bytes of a broken range are counted again when it is fetched again.
            fetched -= got;
            options.onProgress?.(-got);
            if (inner.signal.aborted || isAbortError(error)) throw error;
            const expired = (error as { status?: number }).status === 403;
            if (expired) signed.refresh();
            else if (!(error instanceof NetworkError) || attempt >= RANGE_RETRIES) throw error;
            if (attempt >= RANGE_RETRIES) throw error;
            await sleep(backoffDelay(attempt, DEFAULT_RETRY, Math.random), inner.signal);
          }
        }
        if (byCrc) crcs.set(i, crc);
        done.add(i);
        hasher?.advance();
        await save();
      } catch (error) {
        inner.abort(error);
        throw error;
      }
    });
    await saving;
    const digest = hasher ? await hasher.finish() : combinedCrc(crcs, count, rangeSize, file.size);
    await fh.close();
    await check(file, digest, part);
  } finally {
    hasher?.stop();
    await fetcher.close();
    options.signal?.removeEventListener('abort', onAbort);
    await saving.catch(() => undefined);
    await fh.close().catch(() => undefined);
  }
  return fetched;
}

/** The CRC-32 of bytes `start` to `end` (exclusive) of an open file. */
async function crcOfRange(fh: FileHandle, start: number, end: number): Promise<number> {
  const buf = Buffer.allocUnsafe(Math.max(1, Math.min(HASH_READ_SIZE, end - start)));
  let crc = 0;
  for (let at = start; at < end;) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - at), at);
    if (bytesRead === 0) return -1;
    crc = crc32!(buf.subarray(0, bytesRead), crc);
    at += bytesRead;
  }
  return crc;
}

/** The CRC-32 of the whole file, hex, from the CRCs of its ranges in order. */
function combinedCrc(
  crcs: Map<number, number>,
  count: number,
  rangeSize: number,
  size: number,
): string {
  let crc = 0;
  for (let i = 0; i < count; i++) {
    const piece = crcs.get(i);
    if (piece === undefined) throw new Error(`range ${i} finished without its CRC-32`);
    crc = crc32Combine(crc, piece, rangeEnd(i, rangeSize, size) - i * rangeSize);
  }
  return crc32Hex(crc);
}

/** A hash of a local file, hex, streamed. */
async function hashOfFile(
  algorithm: Algorithm,
  path: string,
  signal?: AbortSignal,
): Promise<string> {
  const hash = hasherOf(algorithm);
  const stream = createReadStream(path, {
    highWaterMark: HASH_READ_SIZE,
    ...(signal && { signal }),
  });
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest();
}

/** Tries of one range after a network error or an expired signed URL (then it fails the file). */
const RANGE_RETRIES = 4;

/**
 * The file's signed content URL (`files/{id}/content?redirect=meta`, spec 4.10), fetched once and
 * again when refreshed (a 403 from storage means it expired) or past its `Expires`. Ranges go to
 * it without the token, as BaseSpace clients do, over node:http, which costs a fraction of
 * fetch's CPU per byte (bench/download.mjs).
 */
class SignedUrl {
  private current: Promise<{ url: string; expires: number }> | undefined;

  constructor(
    private readonly http: HttpTransport,
    private readonly fileId: string,
  ) {}

  async get(signal: AbortSignal): Promise<string> {
    const now = Date.now();
    if (this.current) {
      const c = await this.current.catch(() => undefined);
      if (c && c.expires - now > 30_000) return c.url;
      this.current = undefined;
    }
    this.current ??= this.http
      .call('GET', `files/${encodeURIComponent(this.fileId)}/content`, {
        query: { redirect: 'meta' },
        idempotent: true,
        signal,
      })
      .then((w) => {
        const url = typeof w.HrefContent === 'string' ? w.HrefContent : '';
        if (!url) throw new NetworkError('the hub gave no signed URL for the content');
        const expires = typeof w.Expires === 'string' ? Date.parse(w.Expires) : NaN;
        return { url, expires: Number.isNaN(expires) ? now + 5 * 60_000 : expires };
      });
    return (await this.current).url;
  }

  refresh(): void {
    this.current = undefined;
  }
}

const rangeEnd = (i: number, rangeSize: number, size: number) =>
  Math.min(size, (i + 1) * rangeSize);

/**
 * The hasher's thread: reads the `.part` file from its start up to the offset it is told and
 * feeds the hash, so hashing overlaps the download and runs beside the thread that receives it.
 * Inline (eval) so the SDK needs no separate worker file wherever it is bundled or run from.
 */
const HASH_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const fd = openSync(workerData.path, 'r');
const hash = createHash(workerData.algorithm);
const buf = Buffer.allocUnsafe(workerData.readSize);
let at = 0;
parentPort.on('message', (m) => {
  while (at < m.upTo) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, m.upTo - at), at);
    if (n === 0) throw new Error('the .part file is shorter than its ranges');
    hash.update(buf.subarray(0, n));
    at += n;
  }
  if (m.finish) {
    closeSync(fd);
    parentPort.postMessage(hash.digest('hex'));
  }
});
`;

/**
 * Hashes the file from its start as far as the finished ranges reach, while later ranges are
 * still downloading (reads come from the page cache), in a worker thread, so the check after the
 * last range is short and the receiving thread never waits on the hash.
 */
class PrefixHasher {
  private next = 0;
  private readonly worker: Worker;
  private readonly digest: Promise<string>;

  constructor(
    path: string,
    algorithm: string,
    private readonly size: number,
    private readonly rangeSize: number,
    private readonly done: Set<number>,
  ) {
    this.worker = new Worker(HASH_WORKER, {
      eval: true,
      workerData: { path, algorithm, readSize: Math.max(1, Math.min(HASH_READ_SIZE, size)) },
    });
    this.digest = new Promise((ok, fail) => {
      this.worker.once('message', (m: string) => ok(m));
      this.worker.once('error', fail);
      this.worker.once('exit', (code) => fail(new Error(`the hash thread exited (${code})`)));
    });
    this.digest.catch(() => undefined);
    this.advance();
  }

  /** Tells the thread how far the finished prefix now reaches. */
  advance(finish = false): void {
    while (this.done.has(this.next)) this.next++;
    this.worker.postMessage({
      upTo: Math.min(this.size, this.next * this.rangeSize),
      finish,
    });
  }

  async finish(): Promise<string> {
    this.advance(true);
    try {
      return await this.digest;
    } finally {
      await this.worker.terminate();
    }
  }

  /** Stops the thread (a failed or interrupted download). */
  stop(): void {
    void this.worker.terminate();
  }
}
