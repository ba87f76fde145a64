import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { FormatError } from './format-error.js';
import { gunzip } from './gzip.js';

/**
 * BGZF (SAM/BAM spec 4.1): gzip members of at most 64 KiB, each carrying its own compressed size
 * in a `BC` extra field, so a virtual offset `(block start << 16) | offset in block` names any
 * byte. Pure code over bytes: the block framing that both the index writers and the indexer's
 * one pass need; record decoding stays with the GMOD parsers.
 */

/** The 28-byte empty block every BGZF file ends with (SAM/BAM spec 4.1.2). */
export const BGZF_EOF = Buffer.from(
  '1f8b08040000000000ff0600424302001b0003000000000000000000',
  'hex',
);

/**
 * Largest uncompressed payload per block: htslib's BGZF_BLOCK_SIZE (0xff00), so that even
 * incompressible data fits the 64 KiB block limit after deflate's overhead.
 */
export const BGZF_MAX_PAYLOAD = 0xff00;

/** A virtual offset as a number: exact up to 2^53, i.e. files up to 128 TiB. */
export function virtualOffset(blockStart: number, inBlock: number): number {
  return blockStart * 65536 + inBlock;
}

export function splitVirtualOffset(v: number): { block: number; offset: number } {
  return { block: Math.floor(v / 65536), offset: v % 65536 };
}

/** One BGZF block holding `payload` (at most {@link BGZF_MAX_PAYLOAD} bytes). */
export function bgzfBlock(payload: Uint8Array, level = 6): Buffer {
  const cdata = deflateRawSync(payload, { level });
  const block = Buffer.alloc(18 + cdata.length + 8);
  block.set([0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 0x42, 0x43, 2, 0], 0);
  block.writeUInt16LE(block.length - 1, 16);
  block.set(cdata, 18);
  block.writeUInt32LE(crc32(payload) >>> 0, 18 + cdata.length);
  block.writeUInt32LE(payload.length, 22 + cdata.length);
  return block;
}

/** Compresses `data` whole into BGZF blocks (with the EOF block when `eof`). */
export function bgzfCompress(data: Uint8Array, eof = true): Buffer {
  const blocks: Buffer[] = [];
  for (let at = 0; at < data.length; at += BGZF_MAX_PAYLOAD) {
    blocks.push(bgzfBlock(data.subarray(at, at + BGZF_MAX_PAYLOAD)));
  }
  if (eof) blocks.push(BGZF_EOF);
  return Buffer.concat(blocks);
}

/**
 * Writes a BGZF stream block by block, telling the virtual offset of every byte it is given, so
 * an index can be built in the same pass. Blocks go to `emit` as they fill.
 */
export class BgzfWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Compressed bytes emitted so far: where the block being filled will start. */
  private written = 0;

  constructor(private readonly emit: (block: Buffer) => void) {}

  /** The virtual offset the next byte written will have. */
  get offset(): number {
    return virtualOffset(this.written, this.pendingBytes);
  }

  write(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) {
      const take = Math.min(BGZF_MAX_PAYLOAD - this.pendingBytes, bytes.length - at);
      this.pending.push(Buffer.from(bytes.subarray(at, at + take)));
      this.pendingBytes += take;
      at += take;
      if (this.pendingBytes === BGZF_MAX_PAYLOAD) this.flush();
    }
  }

  /** Ends the current block (the next byte starts a new one). */
  flush(): void {
    if (this.pendingBytes === 0) return;
    const block = bgzfBlock(Buffer.concat(this.pending, this.pendingBytes));
    this.pending = [];
    this.pendingBytes = 0;
    this.written += block.length;
    this.emit(block);
  }

  /** Flushes and writes the EOF block; returns the compressed size. */
  end(): number {
    this.flush();
    this.emit(BGZF_EOF);
    this.written += BGZF_EOF.length;
    return this.written;
  }
}

/** One decoded block: where it starts in the compressed file, and its payload. */
export interface BgzfBlock {
  start: number;
  /** Compressed size including header and trailer. */
  size: number;
  data: Buffer;
}

/** True when the bytes start with a gzip header carrying a BGZF `BC` extra field. */
export function isBgzf(bytes: Uint8Array): boolean {
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b || bytes[2] !== 8) return false;
  if ((bytes[3]! & 4) === 0) return false;
  return bgzfBlockSize(bytes, 0) !== undefined;
}

/** The BSIZE+1 of the block at `at`, or undefined when no BC field is there. */
function bgzfBlockSize(bytes: Uint8Array, at: number): number | undefined {
  const xlen = bytes[at + 10]! | (bytes[at + 11]! << 8);
  let p = at + 12;
  const end = p + xlen;
  while (p + 4 <= end && end <= bytes.length) {
    const slen = bytes[p + 2]! | (bytes[p + 3]! << 8);
    if (bytes[p] === 0x42 && bytes[p + 1] === 0x43 && slen === 2) {
      return (bytes[p + 4]! | (bytes[p + 5]! << 8)) + 1;
    }
    p += 4 + slen;
  }
  return undefined;
}

/**
 * Splits a BGZF byte stream into decoded blocks, in order. Chunks may cut blocks anywhere. A
 * header that is not BGZF, a block that does not inflate, a CRC or size that does not match, or a
 * stream ending inside a block is a {@link FormatError} with the block's byte offset.
 */
export async function* bgzfBlocks(
  source: AsyncIterable<Uint8Array>,
  file?: string,
): AsyncGenerator<BgzfBlock> {
  let buffer: Buffer = Buffer.alloc(0);
  let base = 0;
  for await (const chunk of source) {
    buffer = buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([buffer, chunk]);
    let at = 0;
    while (buffer.length - at >= 18) {
      const block = decodeBlock(buffer, at, base + at, file);
      if (!block) break;
      yield block;
      at += block.size;
    }
    buffer = buffer.subarray(at);
    base += at;
  }
  if (buffer.length > 0) {
    throw new FormatError('truncated: the file ends inside a BGZF block', {
      file,
      offset: base,
    });
  }
}

function decodeBlock(
  buffer: Buffer,
  at: number,
  fileOffset: number,
  file: string | undefined,
): BgzfBlock | undefined {
  if (
    buffer[at] !== 0x1f ||
    buffer[at + 1] !== 0x8b ||
    buffer[at + 2] !== 8 ||
    !(buffer[at + 3]! & 4)
  ) {
    throw new FormatError('not a BGZF block (bad gzip header)', { file, offset: fileOffset });
  }
  if (buffer.length - at < 12) return undefined;
  const xlen = buffer.readUInt16LE(at + 10);
  if (buffer.length - at < 12 + xlen) return undefined;
  const size = bgzfBlockSize(buffer, at);
  if (size === undefined) {
    throw new FormatError('gzip member without a BGZF BC field', { file, offset: fileOffset });
  }
  // A BSIZE too small for its own header and trailer made the reads below run out of the
  // buffer (a RangeError, not a FormatError; found by test/fuzz/parsers.fuzz.test.ts).
  if (size < 12 + xlen + 8) {
    throw new FormatError(`BGZF block size ${size} is smaller than its header and trailer`, {
      file,
      offset: fileOffset,
    });
  }
  if (buffer.length - at < size) return undefined;
  const cdata = buffer.subarray(at + 12 + xlen, at + size - 8);
  let data: Buffer;
  try {
    // A valid block inflates to at most 64 KiB; the cap keeps a crafted one from inflating to
    // megabytes before the size check below refuses it.
    data = inflateRawSync(cdata, { maxOutputLength: BGZF_MAX_BLOCK });
  } catch (error) {
    throw new FormatError(`BGZF block does not inflate: ${(error as Error).message}`, {
      file,
      offset: fileOffset,
    });
  }
  const crc = buffer.readUInt32LE(at + size - 8);
  const isize = buffer.readUInt32LE(at + size - 4);
  if (isize !== data.length || crc32(data) >>> 0 !== crc) {
    throw new FormatError('BGZF block fails its CRC/size check', { file, offset: fileOffset });
  }
  return { start: fileOffset, size, data };
}

/** Decodes the single BGZF block at the start of `bytes`. */
export function inflateBgzfBlock(bytes: Uint8Array, file?: string): Buffer {
  const block = decodeBlock(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    0,
    0,
    file,
  );
  if (!block) throw new FormatError('truncated BGZF block', { file, offset: 0 });
  return block.data;
}

/** The largest BGZF block (BSIZE is a uint16 of size - 1), compressed or inflated. */
export const BGZF_MAX_BLOCK = 65_536;
const HEADER = 18;

/**
 * Inflates `count` bytes that start `skip` bytes into the first of a run of BGZF blocks (the
 * bytes from a virtual offset). Walks the blocks by their BSIZE and ISIZE fields without
 * inflating, then inflates only the blocks that hold the wanted bytes.
 *
 * @param bytes whole blocks from a block start; may go on past the wanted blocks (even into a cut block).
 * @param fileOffset where `bytes` starts in `file`, for error offsets.
 */
export function inflateBgzfRange(
  bytes: Uint8Array,
  skip: number,
  count: number,
  file: string | undefined,
  fileOffset = 0,
): Uint8Array {
  if (count === 0) return new Uint8Array(0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wanted = skip + count;
  let pos = 0;
  let inflated = 0;
  while (inflated < wanted) {
    const at = fileOffset + pos;
    if (pos + HEADER > bytes.length) {
      throw new FormatError(
        `truncated: a BGZF block header needs ${HEADER} bytes, ${bytes.length - pos} are left (${wanted - inflated} inflated bytes still missing)`,
        { file, offset: at },
      );
    }
    if (bytes[pos] !== 0x1f || bytes[pos + 1] !== 0x8b || bytes[pos + 2] !== 8) {
      throw new FormatError('not a BGZF block (no gzip magic)', { file, offset: at });
    }
    const blockSize = bgzfBlockSize(bytes, pos);
    if (blockSize === undefined)
      throw new FormatError('a gzip member without the BGZF BC field', { file, offset: at });
    const bsize = blockSize - 1;
    const end = pos + bsize + 1;
    if (end > bytes.length) {
      throw new FormatError(
        `truncated: the BGZF block of ${bsize + 1} bytes ends past the end of the file`,
        { file, offset: fileOffset + bytes.length },
      );
    }
    inflated += view.getUint32(end - 4, true);
    pos = end;
  }
  const raw = gunzip(bytes.subarray(0, pos), file, 'BGZF data', fileOffset);
  if (raw.length < wanted) {
    throw new FormatError(
      `BGZF blocks inflate to ${raw.length} bytes, their sizes say ${inflated}`,
      {
        file,
        offset: fileOffset,
      },
    );
  }
  return raw.subarray(skip, wanted);
}
