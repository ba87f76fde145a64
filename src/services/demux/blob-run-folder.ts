import type { BlobStore, ByteRange, RunFolderReader } from '../../ports.js';

/** One stored file of a run: its relative path in the folder, blob key and size. */
export interface StoredRunFile {
  path: string;
  storageKey: string;
  size: number;
}

/**
 * A run folder read from the blob store: the run's files (File records, `runs/{id}/files`) by
 * their relative paths, each read whole or by byte range (S3 ranged GETs, local positional
 * reads), so a CBCL tile block costs one request of that block's size.
 */
export class BlobRunFolder implements RunFolderReader {
  private readonly byPath: Map<string, StoredRunFile>;

  constructor(
    private readonly blobs: BlobStore,
    files: readonly StoredRunFile[],
  ) {
    this.byPath = new Map(files.map((f) => [f.path, f]));
  }

  size(path: string): Promise<number | undefined> {
    return Promise.resolve(this.byPath.get(path)?.size);
  }

  async read(path: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array> {
    const chunks: Buffer[] = [];
    let total = 0;
    await this.each(path, range, signal, (chunk) => {
      chunks.push(chunk);
      total += chunk.length;
    });
    // Its own ArrayBuffer (movable to a worker thread), not zero-filled: every byte is set below.
    const out = Buffer.allocUnsafeSlow(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  async readInto(
    path: string,
    range: ByteRange,
    into: Uint8Array,
    signal?: AbortSignal,
  ): Promise<number> {
    const end = Math.min(range.end, range.start + into.length - 1);
    let at = 0;
    await this.each(path, { start: range.start, end }, signal, (chunk) => {
      const n = Math.min(chunk.length, into.length - at);
      into.set(n === chunk.length ? chunk : chunk.subarray(0, n), at);
      at += n;
    });
    return at;
  }

  /** The stored bytes of `path` (or of the range), chunk by chunk as storage streams them. */
  private async each(
    path: string,
    range: ByteRange | undefined,
    signal: AbortSignal | undefined,
    onChunk: (chunk: Buffer) => void,
  ): Promise<void> {
    signal?.throwIfAborted();
    const file = this.byPath.get(path);
    if (!file) throw new Error(`${path}: no such file in the run`);
    if (file.size === 0 || (range && (range.start >= file.size || range.end < range.start))) return;
    const clipped = range && { start: range.start, end: Math.min(range.end, file.size - 1) };
    const stream = await this.blobs.read(file.storageKey, clipped);
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        signal?.throwIfAborted();
        onChunk(chunk);
      }
    } finally {
      stream.destroy();
    }
  }
}
