import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore, ByteRange } from '../../ports.js';

/**
 * Read and write buffer size. Node's 64 KiB default costs a syscall and an event-loop turn per
 * 64 KiB; 1 MiB chunks moved 2 GiB measurably faster in bench/files (see bench/README.md).
 */
const IO_CHUNK = 1024 * 1024;
const KEY = /^[A-Za-z0-9][A-Za-z0-9._\-/]*$/;

/**
 * Objects as files under `root`. A write goes to `root/tmp/<uuid>`, is fsynced, then renamed into
 * place, so an object is either absent or complete, even across kill -9 or power loss.
 */
export class LocalBlobStore implements BlobStore {
  readonly kind = 'local' as const;

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
    await mkdir(dirname(tmp), { recursive: true });
    let bytes = 0;
    source.on('data', (chunk: Buffer) => (bytes += chunk.length));
    try {
      await pipeline(source, createWriteStream(tmp, { highWaterMark: IO_CHUNK }), {
        signal: options.signal,
      });
      const handle = await open(tmp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      await mkdir(dirname(target), { recursive: true });
      await rename(tmp, target);
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
    return handle.createReadStream({
      autoClose: true,
      highWaterMark: IO_CHUNK,
      ...(range && { start: range.start, end: range.end }),
    });
  }

  async delete(keys: readonly string[]): Promise<void> {
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
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
