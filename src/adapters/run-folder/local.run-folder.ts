import { appendFile, mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import type { ByteRange, DemuxSink, RunFolderReader } from '../../ports.js';

function inside(root: string, path: string): string {
  const clean = normalize(path);
  if (isAbsolute(clean) || clean.split(/[\\/]/).includes('..'))
    throw new Error(`path '${path}' leaves the folder`);
  return join(root, clean);
}

/** A run folder on local disk. */
export class LocalRunFolder implements RunFolderReader {
  constructor(private readonly root: string) {}

  async size(path: string): Promise<number | undefined> {
    try {
      const s = await stat(inside(this.root, path));
      return s.isFile() ? s.size : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async read(path: string, range?: ByteRange): Promise<Uint8Array> {
    const handle = await open(inside(this.root, path), 'r');
    try {
      const start = range?.start ?? 0;
      const end = range ? range.end + 1 : (await handle.stat()).size;
      // Not zero-filled (every byte is read below) and its own ArrayBuffer, so it can be moved
      // to a worker thread: a tile is ~300 such files, zeroing them cost ~5% of a demux.
      const bytes = Buffer.allocUnsafeSlow(Math.max(0, end - start));
      const got = await readFully(handle, start, bytes);
      return got === bytes.length ? bytes : Uint8Array.prototype.slice.call(bytes, 0, got);
    } finally {
      await handle.close();
    }
  }

  async readInto(path: string, range: ByteRange, into: Uint8Array): Promise<number> {
    const handle = await open(inside(this.root, path), 'r');
    try {
      const wanted = Math.min(into.length, Math.max(0, range.end + 1 - range.start));
      return await readFully(handle, range.start, into.subarray(0, wanted));
    } finally {
      await handle.close();
    }
  }
}

/** Reads into all of `into` from `position`, or up to the end of the file; the bytes read. */
async function readFully(handle: FileHandle, position: number, into: Uint8Array): Promise<number> {
  let got = 0;
  while (got < into.length) {
    const { bytesRead } = await handle.read(into, got, into.length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/** Writes demultiplexing outputs under a local folder (a staging area). */
export class LocalDemuxSink implements DemuxSink {
  private readonly made = new Set<string>();

  constructor(private readonly root: string) {}

  async append(name: string, bytes: Uint8Array | readonly Uint8Array[]): Promise<void> {
    const path = inside(this.root, name);
    const dir = dirname(path);
    if (!this.made.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.made.add(dir);
    }
    if (!Array.isArray(bytes)) {
      await appendFile(path, bytes as Uint8Array);
      return;
    }
    const handle = await open(path, 'a');
    try {
      // writev may write less than asked (like write): go on from where it stopped.
      const list = [...bytes];
      while (list.length > 0) {
        const { bytesWritten } = await handle.writev(list);
        let left = bytesWritten;
        while (list.length > 0 && left >= list[0]!.length) left -= list.shift()!.length;
        if (left > 0) list[0] = list[0]!.subarray(left);
      }
    } finally {
      await handle.close();
    }
  }
}
