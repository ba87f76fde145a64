import { randomUUID } from 'node:crypto';
import { constants, createWriteStream, readSync } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore, ByteRange } from '../../ports.js';

/**
 * Read and write buffer size. Node's 64 KiB default costs a syscall and an event-loop turn per
 * 64 KiB. Measured with bench/files' method (2 GiB, same build, alternating runs): downloads
 * 724 MB/s with 1 MiB reads against 497 MB/s with 64 KiB, and 1.6 s of server CPU against 2.6 s;
 * uploads (1 GiB) 126 MB/s with 1 MiB writes against 98 MB/s with 64 KiB on a busy machine.
 */
const IO_CHUNK = 1024 * 1024;
/**
 * While a big object is written, its pages are flushed to disk every FLUSH_EVERY bytes (see
 * `Flusher`), so the fsync before the rename finds little left to write. Without it, all of a
 * 2 GiB upload was still dirty at the end (the kernel starts writeback at 10% of RAM dirty or
 * after 30 s) and the final fsync took ~1.2 s on its own, after the last byte had arrived.
 * Measured (2 GiB uploads, hubs alternating, bench/files' method): 318-341 MB/s flushing every
 * 64 MiB against 259-285 MB/s without; every 16, 32 and 64 MiB measured alike (medians 346, 340,
 * 316 MB/s), every 128 MiB worse (252 MB/s).
 */
const FLUSH_EVERY = 32 * 1024 * 1024;
const KEY = /^[A-Za-z0-9][A-Za-z0-9._\-/]*$/;
/**
 * Read handles kept open for `readRange`. Region queries read a few KiB of the same few objects
 * (an index, a coverage file, BGZF blocks) thousands of times; opening and closing the file
 * each time was a fifth of a variant query's CPU (bench/genomics profile). Bounded, so
 * descriptors stay few whatever the number of objects read.
 */
const OPEN_HANDLES = 64;
/**
 * The largest range `readRangeNow` reads on the calling thread. A pread of this much from the
 * page cache takes ~0.1 ms, about one region query's CPU; from a cold SSD a few times that. The
 * embedded database already reads on the calling thread (better-sqlite3), so a hub on local
 * disk pays the same kind of wait there; past this size the thread pool's overhead no longer
 * matters and the loop stays free while the bytes come.
 */
export const SYNC_READ_MAX = 512 * 1024;

/**
 * The first `filled` bytes of `out` in a buffer of their own (`out` itself when it is full): a
 * range read that met the object's end comes back short, without `out`'s unused tail.
 */
function ownPrefix(out: Buffer, filled: number): Buffer {
  if (filled === out.length) return out;
  const short = Buffer.allocUnsafeSlow(filled);
  out.copy(short, 0, 0, filled);
  return short;
}

/**
 * Objects as files under `root`. A write goes to `root/tmp/<uuid>`, is fsynced, then renamed into
 * place, so an object is either absent or complete, even across kill -9 or power loss.
 */
export class LocalBlobStore implements BlobStore {
  readonly kind = 'local' as const;
  private readonly handles = new HandleCache(OPEN_HANDLES);

  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    if (!KEY.test(key) || key.split('/').some((s) => s === '..' || s === '.' || s === '')) {
      throw new Error(`invalid blob key '${key}'`);
    }
    return join(this.root, key);
  }

  async write(
    key: string,
    source: Readable,
    options: { signal?: AbortSignal | undefined } = {},
  ): Promise<number> {
    const target = this.pathOf(key);
    const tmp = join(this.root, 'tmp', randomUUID());
    // Until the pipeline below listens, a source that fails (a client gone mid-upload, a producer
    // destroying it with an error) would raise an unhandled 'error' event and end the process.
    let early: Error | undefined;
    const onEarlyError = (error: Error) => {
      early ??= error;
    };
    source.on('error', onEarlyError);
    try {
      await mkdir(dirname(tmp), { recursive: true });
    } finally {
      source.off('error', onEarlyError);
    }
    if (early) {
      source.destroy();
      throw early;
    }
    let bytes = 0;
    const flusher = new Flusher(tmp);
    source.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      flusher.wrote(chunk.length);
    });
    try {
      try {
        await pipeline(source, createWriteStream(tmp, { highWaterMark: IO_CHUNK }), {
          signal: options.signal,
        });
        await flusher.sync();
      } finally {
        await flusher.close();
      }
      await mkdir(dirname(target), { recursive: true });
      await rename(tmp, target);
      // A handle kept open on the object this one replaces would go on reading the old bytes.
      this.handles.drop(target);
      await syncDir(dirname(target));
      return bytes;
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    // Open first, so a missing object fails here rather than after response headers are sent.
    const handle = await open(this.pathOf(key), 'r');
    try {
      const stop = range ? range.end + 1 : (await handle.stat()).size;
      return new ObjectReadStream(handle, range?.start ?? 0, stop);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async readRange(key: string, range: ByteRange): Promise<Buffer> {
    const length = Math.max(0, range.end - range.start + 1);
    return this.handles.use(this.pathOf(key), async (handle) => {
      // Its own ArrayBuffer (not the pool's): byte parsers view `.buffer` from offset 0.
      const out = Buffer.allocUnsafeSlow(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(out, filled, length - filled, range.start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return ownPrefix(out, filled);
    });
  }

  readRangeNow(key: string, range: ByteRange): Buffer | undefined {
    const length = Math.max(0, range.end - range.start + 1);
    if (length > SYNC_READ_MAX) return undefined;
    const handle = this.handles.openNow(this.pathOf(key));
    if (!handle) return undefined;
    const out = Buffer.allocUnsafeSlow(length);
    let filled = 0;
    while (filled < length) {
      const n = readSync(handle.fd, out, filled, length - filled, range.start + filled);
      if (n === 0) break;
      filled += n;
    }
    return ownPrefix(out, filled);
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.handles.drop(this.pathOf(k));
    await Promise.all(keys.map((k) => rm(this.pathOf(k), { force: true })));
  }

  async listOlderThan(prefix: string, before: Date): Promise<string[]> {
    const base = join(this.root, prefix);
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else {
          const modified = (await stat(full).catch(() => undefined))?.mtime.getTime();
          if (modified !== undefined && modified < before.getTime())
            out.push(relative(this.root, full).split(sep).join('/'));
        }
      }
    };
    await walk(base);
    return out;
  }

  async presignedUrl(): Promise<string | undefined> {
    return undefined;
  }

  async check(): Promise<void> {
    // Writes go through root/tmp first: that is the directory that must exist and be writable.
    const tmp = join(this.root, 'tmp');
    await mkdir(tmp, { recursive: true });
    await access(tmp, constants.W_OK);
  }
}

/**
 * fdatasync(2) of a file being written, every FLUSH_EVERY bytes, one at a time, on a handle of
 * its own; then the final fsync. This only moves writeback earlier: the durability guarantee is
 * the final `sync()`, as before. An early flush's error fails the write (reported once by the
 * kernel, it would not show again in the final fsync on the same handle).
 */
class Flusher {
  private handle: FileHandle | undefined;
  private unflushed = 0;
  private flushing: Promise<void> | undefined;
  private error: unknown;
  private closed = false;

  constructor(private readonly path: string) {}

  /** `n` more bytes are on their way to the file. */
  wrote(n: number): void {
    this.unflushed += n;
    if (this.closed || this.flushing || this.unflushed < FLUSH_EVERY) return;
    this.unflushed = 0;
    this.flushing = (async () => {
      this.handle ??= await open(this.path, 'r+');
      await this.handle.datasync();
    })()
      .catch((error: unknown) => {
        this.error ??= error;
      })
      .finally(() => {
        this.flushing = undefined;
      });
  }

  /** The final fsync, once every byte is written. */
  async sync(): Promise<void> {
    await this.flushing;
    if (this.error !== undefined) throw this.error;
    this.handle ??= await open(this.path, 'r+');
    await this.handle.sync();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
    await this.handle?.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Buffers an {@link ObjectReadStream} rotates through while it writes into a response: one being
 * read into while the others are being sent. Three kept a 1 GiB download's reads ahead of the
 * socket on the bench VM; each is IO_CHUNK, so a download holds 3 MiB whatever its size.
 */
const SEND_BUFFERS = 3;

/**
 * The bytes of an object from `start` to `stop` (exclusive) as a stream. Read as any stream, each
 * chunk is a fresh buffer (as `fs.createReadStream`'s). Piped straight into an HTTP response (as
 * Fastify sends a stream), it writes from SEND_BUFFERS buffers it reuses, each read into again
 * only after the response has called back for its last write: a fresh 1 MiB buffer per chunk
 * made the hub's V8 run major GCs for the external memory (~40% of its CPU serving a 2 GiB file
 * in `perf`). `bytesSent` counts what it handed on, for the byte metrics, which therefore do not
 * wrap it (`counted` in http/plugins/metrics.ts): a stream between it and the response would
 * see its buffers reused.
 */
export class ObjectReadStream extends Readable {
  /** Bytes handed on: pushed, or written to the response and called back. */
  bytesSent = 0;
  private at: number;
  private sending = false;

  constructor(
    private readonly handle: FileHandle,
    start: number,
    private readonly stop: number,
  ) {
    super({ highWaterMark: IO_CHUNK });
    this.at = start;
  }

  override _read(): void {
    const n = Math.min(IO_CHUNK, this.stop - this.at);
    if (n <= 0) {
      this.push(null);
      return;
    }
    const buf = Buffer.allocUnsafeSlow(n);
    this.handle.read(buf, 0, n, this.at).then(
      ({ bytesRead }) => {
        if (this.destroyed) return;
        if (bytesRead === 0) {
          this.push(null);
          return;
        }
        this.at += bytesRead;
        this.bytesSent += bytesRead;
        this.push(bytesRead === n ? buf : buf.subarray(0, bytesRead));
      },
      (error: Error) => this.destroy(error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // FileHandle.close waits for a read in flight.
    this.handle.close().then(
      () => callback(error),
      (closing: Error) => callback(error ?? closing),
    );
  }

  override pipe<T extends NodeJS.WritableStream>(dest: T, options?: { end?: boolean }): T {
    if (
      !(dest instanceof ServerResponse) ||
      options?.end === false ||
      this.sending ||
      this.readableFlowing !== null
    )
      return super.pipe(dest, options);
    this.sending = true;
    this.sendTo(dest).then(
      (complete) => {
        if (!complete) {
          this.destroy();
          return;
        }
        // Ends this stream as a pipe's source ends, for whoever waits on it (Fastify's eos).
        this.push(null);
        this.resume();
      },
      (error: Error) => this.destroy(error),
    );
    return dest;
  }

  /** Writes the bytes into `res` and ends it; false when the response closed first. */
  private async sendTo(res: ServerResponse): Promise<boolean> {
    let gone = false;
    const closed = new Promise<void>((ok) =>
      res.once('close', () => {
        gone = true;
        ok();
      }),
    );
    const ring: Buffer[] = [];
    const written: (Promise<void> | undefined)[] = [];
    for (let i = 0; this.at < this.stop; i = (i + 1) % SEND_BUFFERS) {
      if (written[i]) await Promise.race([written[i], closed]);
      if (gone || this.destroyed) return false;
      const n = Math.min(IO_CHUNK, this.stop - this.at);
      const buf = (ring[i] ??= Buffer.allocUnsafeSlow(IO_CHUNK));
      const { bytesRead } = await this.handle.read(buf, 0, n, this.at);
      if (gone || this.destroyed) return false;
      // The object ended early: end the response short, as a pipe would (the client sees it
      // shorter than its Content-Length).
      if (bytesRead === 0) break;
      this.at += bytesRead;
      const done = new Promise<void>((ok, fail) =>
        res.write(buf.subarray(0, bytesRead), (error) => {
          if (error) fail(error);
          else {
            this.bytesSent += bytesRead;
            ok();
          }
        }),
      );
      done.catch(() => undefined);
      written[i] = done;
    }
    await Promise.race([Promise.all(written), closed]);
    if (gone || this.destroyed) return false;
    res.end();
    return true;
  }
}

/**
 * Open read handles by path, least recently used first out. A handle leaving the cache (evicted,
 * or its object replaced or deleted) is closed once the reads using it finish.
 */
class HandleCache {
  private readonly open = new Map<
    string,
    {
      handle: Promise<FileHandle>;
      /** The handle once open (for reads on the calling thread). */
      ready?: FileHandle;
      users: number;
      dropped: boolean;
    }
  >();

  constructor(private readonly max: number) {}

  async use<T>(path: string, read: (handle: FileHandle) => Promise<T>): Promise<T> {
    let entry = this.open.get(path);
    if (entry) {
      this.open.delete(path);
      this.open.set(path, entry);
    } else {
      entry = { handle: open(path, 'r'), users: 0, dropped: false };
      this.open.set(path, entry);
      const opened = entry;
      // A failed open (a missing object) is not kept: the next read tries again.
      opened.handle.then(
        (h) => {
          opened.ready = h;
        },
        () => {
          if (this.open.get(path) === opened) this.open.delete(path);
        },
      );
      if (this.open.size > this.max) this.drop(this.open.keys().next().value!);
    }
    entry.users++;
    try {
      return await read(await entry.handle);
    } finally {
      entry.users--;
      if (entry.dropped && entry.users === 0) this.close(entry);
    }
  }

  /**
   * The open handle for `path`, for a read that ends before this call returns (so no close can
   * come between); undefined when it is not open yet.
   */
  openNow(path: string): FileHandle | undefined {
    const entry = this.open.get(path);
    if (!entry?.ready) return undefined;
    this.open.delete(path);
    this.open.set(path, entry);
    return entry.ready;
  }

  drop(path: string): void {
    const entry = this.open.get(path);
    if (!entry) return;
    this.open.delete(path);
    entry.dropped = true;
    if (entry.users === 0) this.close(entry);
  }

  private close(entry: { handle: Promise<FileHandle> }): void {
    entry.handle.then((h) => h.close()).catch(() => undefined);
  }
}
