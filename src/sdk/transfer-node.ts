/**
 * Downloads to local disk (Node only): parallel ranges into `<name>.part`, resumable through a
 * small state file beside it, MD5 checked against the hub's, then renamed into place, so a file
 * under its final name is always whole and verified.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import type { HttpTransport } from './http.js';
import { mapConcurrent } from './limits.js';
import { fetchContent } from './transfer.js';
import type { HubFile } from './types.js';

/**
 * Bytes per ranged request of a large download, and the size up to which a file comes in one
 * request: 32 MiB keeps a resumed download's loss small while the per-request round trip stays
 * under 1% of a range's time even at 1 GB/s on a LAN.
 */
export const DEFAULT_RANGE_SIZE = 32 * 1024 * 1024;

/**
 * Ranges of one file in flight at once: one TCP stream rarely fills a long fat link; 4 do on the
 * links we measured (bench/download.mjs) without making a small hub's disk seek between many.
 */
export const RANGE_CONCURRENCY = 4;

/** Bytes read back per step while hashing a downloaded file (large enough to amortise a read). */
const HASH_READ_SIZE = 4 * 1024 * 1024;

/** The downloaded bytes do not have the MD5 the hub gave: the `.part` file was removed. */
export class ChecksumError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChecksumError';
  }
}

export interface DownloadOptions {
  /** Range size (default DEFAULT_RANGE_SIZE); files up to it come in one request. */
  rangeSize?: number;
  /** Ranges in flight at once (default RANGE_CONCURRENCY). */
  rangeConcurrency?: number;
  /** New bytes received (a delta, to add to a total). Bytes kept from an earlier try count too. */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
}

export interface DownloadResult {
  /** The file was already there with the hub's size and MD5: nothing was fetched. */
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
  rangeSize: number;
  done: number[];
}

/**
 * Downloads `file` to `dest`: skipped when `dest` already has the hub's size and MD5; otherwise
 * fetched into `dest.part` (ranges in parallel for large files, resuming the ranges an earlier try
 * finished), its MD5 checked, and renamed to `dest`. On failure `dest` is untouched; the `.part`
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
    file.size <= rangeSize
      ? await wholeInto(http, file, part, options)
      : await rangesInto(http, file, part, rangeSize, options);
  await rename(part, dest);
  await rm(`${part}.json`, { force: true });
  return { skipped: false, bytesFetched };
}

async function alreadyThere(file: HubFile, dest: string, signal?: AbortSignal): Promise<boolean> {
  const st = await stat(dest).catch(() => undefined);
  if (!st?.isFile() || st.size !== file.size) return false;
  return file.md5 === undefined || (await md5OfFile(dest, signal)) === file.md5;
}

function check(file: HubFile, got: string, part: string): Promise<void> {
  if (file.md5 === undefined || got === file.md5) return Promise.resolve();
  return Promise.all([rm(part, { force: true }), rm(`${part}.json`, { force: true })]).then(() => {
    throw new ChecksumError(
      `${file.path}: downloaded bytes have MD5 ${got}, the hub says ${file.md5}; removed, try again`,
    );
  });
}

/** One request, hashed as it streams in. */
async function wholeInto(
  http: HttpTransport,
  file: HubFile,
  part: string,
  options: DownloadOptions,
): Promise<number> {
  const res = await fetchContent(http, file.id, undefined, options.signal);
  const hash = createHash('md5');
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
  await check(file, hash.digest('hex'), part);
  return n;
}

async function loadRangeState(path: string): Promise<RangeState | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as RangeState;
  } catch {
    return undefined;
  }
}

/** Ranges in parallel, written in place; the MD5 follows the finished prefix as it grows. */
async function rangesInto(
  http: HttpTransport,
  file: HubFile,
  part: string,
  rangeSize: number,
  options: DownloadOptions,
): Promise<number> {
  const statePath = `${part}.json`;
  const count = Math.ceil(file.size / rangeSize);
  const prior = await loadRangeState(statePath);
  const partSize = (await stat(part).catch(() => undefined))?.size;
  const resumable =
    prior?.version === 1 &&
    prior.fileId === file.id &&
    prior.size === file.size &&
    prior.md5 === file.md5 &&
    prior.rangeSize === rangeSize &&
    partSize === file.size;
  const state: RangeState = {
    version: 1,
    fileId: file.id,
    size: file.size,
    md5: file.md5,
    rangeSize,
    done: resumable ? prior.done.filter((i) => Number.isInteger(i) && i >= 0 && i < count) : [],
  };
  const done = new Set(state.done);
  let fh: FileHandle;
  if (resumable) fh = await open(part, 'r+');
  else {
    fh = await open(part, 'w+');
    await fh.truncate(file.size);
    await writeFile(statePath, JSON.stringify(state));
  }
  for (const i of done) options.onProgress?.(rangeEnd(i, rangeSize, file.size) - i * rangeSize);

  // Saves one at a time, in order, so an older state never replaces a newer one.
  let saving = Promise.resolve();
  const save = () => {
    const text = JSON.stringify({ ...state, done: [...done] });
    saving = saving.then(async () => {
      await writeFile(`${statePath}.tmp`, text);
      await rename(`${statePath}.tmp`, statePath);
    });
    return saving;
  };

  const hash = createHash('md5');
  const hasher = new PrefixHasher(fh, hash, file.size, rangeSize, done);
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
        const res = await fetchContent(http, file.id, { start, end: end - 1 }, inner.signal);
        let at = start;
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          if (at + chunk.length > end) throw new Error(`${file.path}: the hub sent too much`);
          await fh.write(chunk, 0, chunk.length, at);
          at += chunk.length;
          fetched += chunk.length;
          options.onProgress?.(chunk.length);
        }
        if (at !== end) throw new Error(`${file.path}: a range ended early; try again`);
        done.add(i);
        hasher.advance();
        await save();
      } catch (error) {
        inner.abort(error);
        throw error;
      }
    });
    await saving;
    const digest = await hasher.finish();
    await fh.close();
    await check(file, digest, part);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await saving.catch(() => undefined);
    await fh.close().catch(() => undefined);
  }
  return fetched;
}

/** MD5 of a local file, hex, streamed (node.ts has the same; this file must not import it back). */
async function md5OfFile(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path, signal ? { signal } : {}))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const rangeEnd = (i: number, rangeSize: number, size: number) =>
  Math.min(size, (i + 1) * rangeSize);

/**
 * Hashes the file from its start as far as the finished ranges reach, while later ranges are
 * still downloading (reads come from the page cache), so the check after the last range is short.
 */
class PrefixHasher {
  private next = 0;
  private running: Promise<void> = Promise.resolve();
  private failed: unknown;

  constructor(
    private readonly fh: FileHandle,
    private readonly hash: Hash,
    private readonly size: number,
    private readonly rangeSize: number,
    private readonly done: Set<number>,
  ) {
    this.advance();
  }

  advance(): void {
    this.running = this.running
      .then(() => this.pump())
      .catch((e: unknown) => {
        this.failed ??= e;
      });
  }

  async finish(): Promise<string> {
    this.advance();
    await this.running;
    if (this.failed) throw this.failed;
    return this.hash.digest('hex');
  }

  private async pump(): Promise<void> {
    const buffer = Buffer.allocUnsafe(Math.min(HASH_READ_SIZE, this.size));
    while (this.done.has(this.next)) {
      const end = rangeEnd(this.next, this.rangeSize, this.size);
      for (let at = this.next * this.rangeSize; at < end;) {
        const { bytesRead } = await this.fh.read(buffer, 0, Math.min(buffer.length, end - at), at);
        if (bytesRead === 0) throw new Error('the .part file is shorter than its ranges');
        this.hash.update(buffer.subarray(0, bytesRead));
        at += bytesRead;
      }
      this.next++;
    }
  }
}
