import {
  constants,
  crc32,
  createDeflateRaw,
  deflateRawSync,
  inflateRawSync,
  type DeflateRaw,
} from 'node:zlib';
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

/**
 * Deflate level of the blocks: zlib's default, as `bgzip` (htslib's BGZF default). With Debian's
 * htslib on libdeflate, `bgzip` is both faster and smaller at its level 6; zlib's level 5 costs
 * less than half the CPU of its level 6 on generated VCF, but up to 7% more bytes on real ones
 * (test/fixtures/genomics), so the level stays bgzip's and the blocks deflate in parallel.
 */
export const BGZF_LEVEL = 6;

/** One BGZF block holding `payload` (at most {@link BGZF_MAX_PAYLOAD} bytes). */
export function bgzfBlock(payload: Uint8Array, level = BGZF_LEVEL): Buffer {
  return frameBgzfBlock(payload, deflateRawSync(payload, { level }));
}

/** The BGZF block of `payload`, given its raw deflate data. */
function frameBgzfBlock(payload: Uint8Array, cdata: Uint8Array): Buffer {
  const block = Buffer.allocUnsafe(18 + cdata.length + 8);
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
 * Deflate streams working at once. Deflate is most of re-compressing a VCF (bench/genomics
 * profile); zlib's streams run it on libuv's pool (4 threads by default), so the main thread goes
 * on splitting lines meanwhile, and both of a small machine's vCPUs work.
 */
export const DEFLATE_STREAMS = 4;

/**
 * A raw deflate stream kept for many blocks. A fresh zlib context per 64 KiB block (what
 * `deflateRaw` makes) cost twice the CPU of the deflate itself on the pool's threads (glibc gives
 * each thread's 256 KiB of zlib state back to the system and faults it in again). Instead each
 * block ends with a full flush, which empties the stream and forgets the history (so the next
 * block refers to nothing before it) and ends byte-aligned; the final empty block ({@link
 * FINAL_EMPTY_BLOCK}) closes the block's deflate data, which then inflates alone, as BGZF needs.
 */
class DeflateSlot {
  private readonly z: DeflateRaw;
  private out: Buffer[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;

  constructor(level: number) {
    this.z = createDeflateRaw({ level });
    this.z.on('data', (c: Buffer) => this.out.push(c));
    this.z.on('error', (e: Error) => (this.failure ??= e));
  }

  /** The block's deflate data, once the blocks given before it are done. */
  deflate(payload: Buffer): Promise<Buffer> {
    const next = this.chain.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          if (this.failure) return reject(this.failure);
          this.z.write(payload);
          this.z.flush(constants.Z_FULL_FLUSH, () => {
            if (this.failure) return reject(this.failure);
            const cdata = Buffer.concat([...this.out, FINAL_EMPTY_BLOCK]);
            this.out = [];
            resolve(cdata);
          });
        }),
    );
    this.chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.z.close();
  }
}

/** A final (BFINAL=1) empty block with fixed Huffman codes: 3 header bits, a 7-bit end code. */
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);

interface PendingBlock {
  done: Promise<void>;
  block?: Buffer;
}

/**
 * Writes a BGZF stream, deflating blocks in parallel and emitting them in order. The compressed
 * size of a block is known only once it is deflated, so the virtual offsets it tells are in
 * block-index space (`block number * 65536 + offset in block`), which orders as the file does and
 * keeps "same block" true; {@link fileOffset} turns them into the file's once blocks are out.
 * Call {@link close} when done or abandoned.
 */
export class ParallelBgzfWriter {
  private block = Buffer.allocUnsafe(BGZF_MAX_PAYLOAD);
  private fill = 0;
  private index = 0;
  private readonly pending: PendingBlock[] = [];
  private failure: unknown;
  /** Compressed start of each block emitted, then of the one after the last. */
  private readonly starts: number[] = [0];
  private readonly slots: DeflateSlot[];
  /** Bytes in the last block sealed (all before it hold BGZF_MAX_PAYLOAD). */
  private lastPayload = 0;

  constructor(
    private readonly emit: (block: Buffer) => Promise<void>,
    level = BGZF_LEVEL,
  ) {
    this.slots = Array.from({ length: DEFLATE_STREAMS }, () => new DeflateSlot(level));
  }

  /** The block-index virtual offset of the next byte written. */
  get offset(): number {
    return virtualOffset(this.index, this.fill);
  }

  /** Copies bytes [start, end) of `data` into the stream (blocks are sealed as they fill). */
  write(data: Uint8Array, start = 0, end = data.length): void {
    while (start < end) {
      const take = Math.min(BGZF_MAX_PAYLOAD - this.fill, end - start);
      this.block.set(data.subarray(start, start + take), this.fill);
      this.fill += take;
      start += take;
      if (this.fill === BGZF_MAX_PAYLOAD) this.seal();
    }
  }

  private seal(): void {
    if (this.fill === 0) return;
    const payload =
      this.fill === this.block.length ? this.block : this.block.subarray(0, this.fill);
    const entry: PendingBlock = { done: Promise.resolve() };
    entry.done = this.slots[this.index % this.slots.length]!.deflate(payload).then(
      (cdata) => {
        entry.block = frameBgzfBlock(payload, cdata);
      },
      (error: unknown) => {
        this.failure ??= error;
      },
    );
    this.pending.push(entry);
    this.lastPayload = this.fill;
    this.block = Buffer.allocUnsafe(BGZF_MAX_PAYLOAD);
    this.fill = 0;
    this.index++;
  }

  /**
   * Emits the blocks deflated so far, in order, and waits while more blocks are being deflated
   * than there are streams: call it between input chunks.
   */
  async pace(): Promise<void> {
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      if (head.block === undefined && this.failure === undefined) {
        if (this.pending.length <= this.slots.length) return;
        await head.done;
      }
      if (this.failure !== undefined) throw this.failure;
      this.pending.shift();
      const block = head.block!;
      this.starts.push(this.starts[this.starts.length - 1]! + block.length);
      await this.emit(block);
    }
  }

  /** Seals the last block, emits everything and the EOF block; returns the compressed size. */
  async end(): Promise<number> {
    this.seal();
    while (this.pending.length > 0) {
      await this.pending[0]!.done;
      await this.pace();
    }
    await this.emit(BGZF_EOF);
    return this.starts[this.starts.length - 1]! + BGZF_EOF.length;
  }

  /** Frees the deflate streams. */
  close(): void {
    for (const slot of this.slots) slot.close();
  }

  /**
   * The file's virtual offset for a block-index one, once the blocks before it are emitted
   * (after {@link end}, any offset this writer told). The end of the last block is told as the
   * start of the next (the EOF block), as htslib tells the end of any block.
   */
  fileOffset(v: number): number {
    let { block, offset: inBlock } = splitVirtualOffset(v);
    if (block === this.index - 1 && inBlock > 0 && inBlock === this.lastPayload) {
      block++;
      inBlock = 0;
    }
    const start = this.starts[block];
    if (start === undefined) throw new Error(`block ${block} is not written yet`);
    return virtualOffset(start, inBlock);
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
    // One output buffer of the block's stated size (ISIZE, capped): zlib's default 16 KiB chunks
    // then a concat cost ~130 us of CPU per 64 KiB block against ~80 us (measured, issue 7).
    const isize = buffer.readUInt32LE(at + size - 4);
    data = inflateRawSync(cdata, {
      maxOutputLength: BGZF_MAX_BLOCK,
      chunkSize: Math.min(BGZF_MAX_BLOCK, Math.max(64, isize)),
    });
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
