import type { BlobStore } from '../../ports.js';

/** Reads an object into memory whole (small objects only: indexes, manifests). */
export async function readBlob(blobs: BlobStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await blobs.read(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Reads bytes [start, end) of an object, in a buffer of its own (`byteOffset` 0): at once when
 * the store can (`readRangeNow`: small ranges of local objects already open), so a region query
 * runs its steps without other requests coming in between, else through `readRange`.
 */
export async function readBlobRange(
  blobs: BlobStore,
  key: string,
  start: number,
  end: number,
): Promise<Buffer> {
  if (end <= start) return Buffer.alloc(0);
  const range = { start, end: end - 1 };
  return blobs.readRangeNow?.(key, range) ?? blobs.readRange(key, range);
}

/**
 * The random-access byte source the GMOD parsers read through (generic-filehandle2's
 * interface, matched structurally), over one object of the blob store: local file ranges or S3 ranged GETs.
 */
export class BlobFilehandle {
  constructor(
    private readonly blobs: BlobStore,
    private readonly key: string,
    private readonly size: number,
  ) {}

  async read(length: number, position: number): Promise<Uint8Array<ArrayBuffer>> {
    const end = Math.min(position + length, this.size);
    return own(await readBlobRange(this.blobs, this.key, position, end));
  }

  readFile(): Promise<Uint8Array<ArrayBuffer>>;
  readFile(options: unknown): Promise<any>;
  async readFile(): Promise<any> {
    return own(await readBlob(this.blobs, this.key));
  }

  async stat(): Promise<{ size: number }> {
    return { size: this.size };
  }

  async close(): Promise<void> {}
}

/**
 * The bytes at offset 0 of their own buffer, as the GMOD parsers need (they view `.buffer` from
 * byte 0): as they are when they already are (readRange's buffers), else copied.
 */
function own(bytes: Buffer): Uint8Array<ArrayBuffer> {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return new Uint8Array(bytes.buffer as ArrayBuffer, 0, bytes.byteLength);
  }
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}
