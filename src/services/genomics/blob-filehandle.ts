import type { BlobStore } from '../../ports.js';

/** Reads an object into memory whole (small objects only: indexes, manifests). */
export async function readBlob(blobs: BlobStore, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await blobs.read(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Reads bytes [start, end) of an object. */
export async function readBlobRange(
  blobs: BlobStore,
  key: string,
  start: number,
  end: number,
): Promise<Buffer> {
  if (end <= start) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const chunk of await blobs.read(key, { start, end: end - 1 })) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
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
    const bytes = await readBlobRange(this.blobs, this.key, position, end);
    return copy(bytes);
  }

  readFile(): Promise<Uint8Array<ArrayBuffer>>;
  readFile(options: unknown): Promise<any>;
  async readFile(): Promise<any> {
    return copy(await readBlob(this.blobs, this.key));
  }

  async stat(): Promise<{ size: number }> {
    return { size: this.size };
  }

  async close(): Promise<void> {}
}

/** A fresh array at offset 0 of its own buffer: the GMOD parsers view `.buffer` from byte 0. */
function copy(bytes: Buffer): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}
