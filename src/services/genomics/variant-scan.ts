import { AppError } from '../../domain/index.js';
import { FormatError } from '../../formats/format-error.js';
import { BGZF_MAX_BLOCK, inflateBgzfBlock } from '../../formats/bgzf.js';
import type { BlobStore } from '../../ports.js';
import { readBlobRange } from './blob-filehandle.js';

/**
 * The variant path's reads under the tabix index (issue 7, phase 2). Hand-written rather than
 * `@gmod/tabix`'s `getLines` (whose index classes still give the chunks): `getLines` reads 64 KiB
 * past the last block a chunk needs, re-reads and re-inflates on every query (its chunk cache
 * is keyed by the chunk, which neighbouring regions rarely share), and makes one string per line
 * that the page then encodes back to UTF-8. Measured (bench/README.md, genomics): on the bench's
 * random regions it saves little CPU by itself (node's zlib inflate costs about what the strings
 * and the WebAssembly inflate's copies in and out cost); with the pooled answer buffers
 * (buffer-pool.ts) the two together took hub CPU per variant query from 3.4-3.7 to 2.3-2.8 ms.
 * What it adds besides: no more bytes read than needed, neighbouring regions served from inflated
 * blocks without any read, and corrupt data met at query time as a clear 409 (getLines' inflate
 * errors were plain Errors, not mapped to a 4xx).
 */

/** An index chunk: virtual offsets of its first byte and of the byte past its last line. */
export interface Chunk {
  minv: { blockPosition: number; dataPosition: number };
  maxv: { blockPosition: number; dataPosition: number };
}

/** Bytes of inflated BGZF blocks kept, over all files (a block is at most 64 KiB). */
export const BLOCK_CACHE_BYTES = 64 * 1024 * 1024;
const HEADER = 18;

export interface CachedBlock {
  /** Inflated payload. */
  data: Buffer;
  /** Compressed size (header and trailer included): the next block starts this far on. */
  size: number;
}

/** A block kept in the cache: its payload is a view of slot `slot` of the slab. */
interface SlabBlock extends CachedBlock {
  slot: number;
  /** Queries reading the slot now: it is not given to another block while above 0. */
  pins: number;
}

/**
 * Inflated BGZF blocks by object key and compressed offset, least recently used first out once
 * every slot is taken. Stored objects are immutable, so entries never go stale.
 *
 * The blocks live in one preallocated slab of 64 KiB slots, an evicted block's slot taken by the
 * next: a buffer per block, kept for a while and then dropped, made a major garbage collection
 * every few hundred cold queries (old-generation objects holding 64 KiB each), pauses of 4-13 ms
 * that were the variant bench's p99 (bench/README.md, genomics). A query reading slab views
 * pins their blocks ({@link pin}, {@link unpin}) until it has copied what it needs, so a
 * concurrent query cannot reuse those slots meanwhile; with every slot pinned, a new block is
 * returned without being kept.
 */
export class BgzfBlockCache {
  private readonly map = new Map<string, SlabBlock>();
  private readonly slots: number;
  private slab: Buffer | undefined;
  /** Slots handed out so far (the slab is filled in order first, then reused). */
  private used = 0;
  private held = 0;

  constructor(readonly maxBytes = BLOCK_CACHE_BYTES) {
    this.slots = Math.max(1, Math.floor(maxBytes / BGZF_MAX_BLOCK));
  }

  /** Payload bytes held. */
  get bytes(): number {
    return this.held;
  }
  get size(): number {
    return this.map.size;
  }

  get(key: string, offset: number): CachedBlock | undefined {
    const k = `${offset}:${key}`;
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }

  /**
   * Keeps a copy of `block` (a payload of at most 64 KiB) and returns the kept block; returns
   * `block` itself when it cannot be kept (larger, or every slot pinned). A block already kept
   * under the key is returned as it is (objects are immutable: the bytes are the same).
   */
  set(key: string, offset: number, block: CachedBlock): CachedBlock {
    const k = `${offset}:${key}`;
    const old = this.map.get(k);
    if (old) return old;
    if (block.data.length > BGZF_MAX_BLOCK) return block;
    const slot = this.freeSlot();
    if (slot === undefined) return block;
    this.slab ??= Buffer.allocUnsafeSlow(this.slots * BGZF_MAX_BLOCK);
    const at = slot * BGZF_MAX_BLOCK;
    const data = this.slab.subarray(at, at + block.data.length);
    block.data.copy(data);
    const kept: SlabBlock = { data, size: block.size, slot, pins: 0 };
    this.map.set(k, kept);
    this.held += data.length;
    return kept;
  }

  /** Holds `block`'s slot (when it is a kept block) until {@link unpin}; `pins` collects it. */
  pin(block: CachedBlock, pins: CachedBlock[]): void {
    if ('slot' in block) {
      (block as SlabBlock).pins++;
      pins.push(block);
    }
  }

  /** Lets go of the blocks `pin` put in `pins`, and empties it. */
  unpin(pins: CachedBlock[]): void {
    for (const b of pins) (b as SlabBlock).pins--;
    pins.length = 0;
  }

  /** A slot never used yet, else the least recently used unpinned block's. */
  private freeSlot(): number | undefined {
    if (this.used < this.slots) return this.used++;
    for (const [k, v] of this.map) {
      if (v.pins > 0) continue;
      this.map.delete(k);
      this.held -= v.data.length;
      return v.slot;
    }
    return undefined;
  }
}

/** The block size (BSIZE + 1) from a BGZF header at `at`, or undefined without a BC field. */
function blockSize(bytes: Buffer, at: number): number | undefined {
  if (bytes[at] !== 0x1f || bytes[at + 1] !== 0x8b || bytes[at + 2] !== 8) return undefined;
  const xlen = bytes[at + 10]! | (bytes[at + 11]! << 8);
  let p = at + 12;
  const end = Math.min(p + xlen, bytes.length);
  while (p + 4 <= end) {
    const slen = bytes[p + 2]! | (bytes[p + 3]! << 8);
    if (bytes[p] === 0x42 && bytes[p + 1] === 0x43 && slen === 2) {
      return (bytes[p + 4]! | (bytes[p + 5]! << 8)) + 1;
    }
    p += 4 + slen;
  }
  return undefined;
}

/**
 * The inflated bytes of one index chunk: from `minv` to `maxv` (a chunk ends where a line
 * ends), reading exactly the compressed blocks from `minv`'s block through `maxv`'s (that one
 * only when `maxv` is inside it), each block from the cache when there. A block whose header
 * is not BGZF, that does not inflate or whose CRC fails, or a file that ends inside a block is
 * a {@link FormatError}. The answer may be a view of cached blocks: they are pinned into `pins`,
 * and the caller reads the answer only until it unpins them (`cache.unpin(pins)`).
 */
export async function chunkBytes(
  blobs: BlobStore,
  key: string,
  fileSize: number,
  chunk: Chunk,
  cache: BgzfBlockCache,
  pins: CachedBlock[],
): Promise<Buffer> {
  const first = chunk.minv.blockPosition;
  const last = chunk.maxv.blockPosition;
  const needLast = chunk.maxv.dataPosition > 0;
  const parts: Buffer[] = [];
  let pos = first;
  const wanted = () => pos < last || (pos === last && needLast);
  while (wanted()) {
    const hit = cache.get(key, pos);
    if (hit) {
      cache.pin(hit, pins);
      parts.push(slice(hit.data, pos, chunk));
      pos += hit.size;
      continue;
    }
    // Read up to the last block's header (its size is only known from it), then the rest of
    // any block cut at the end of what was read.
    const end = Math.min(fileSize, Math.max(needLast ? last + HEADER : last, pos + HEADER));
    let bytes = await readFully(blobs, key, pos, end);
    let at = 0;
    while (wanted()) {
      if (cache.get(key, pos)) break; // filled meanwhile by a concurrent query
      if (bytes.length - at < HEADER) {
        if (pos + HEADER > fileSize) {
          throw new FormatError('truncated: the file ends inside a BGZF block header', {
            offset: pos,
          });
        }
        break; // read from here again
      }
      const size = blockSize(bytes, at);
      if (size === undefined || size < HEADER + 8) {
        throw new FormatError('not a BGZF block', { offset: pos });
      }
      if (bytes.length - at < size) {
        if (pos + size > fileSize) {
          throw new FormatError('truncated: the file ends inside a BGZF block', { offset: pos });
        }
        const rest = await readFully(blobs, key, pos + (bytes.length - at), pos + size);
        bytes = Buffer.concat([bytes.subarray(at), rest]);
        at = 0;
      }
      let data: Buffer;
      try {
        data = inflateBgzfBlock(bytes.subarray(at, at + size));
      } catch (error) {
        if (error instanceof FormatError) {
          throw new FormatError(error.problem, { offset: pos });
        }
        throw error;
      }
      const kept = cache.set(key, pos, { data, size });
      cache.pin(kept, pins);
      parts.push(slice(kept.data, pos, chunk));
      at += size;
      pos += size;
    }
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** Bytes [start, end) of the object; fewer (an object shorter than its manifest says) is truncation. */
async function readFully(
  blobs: BlobStore,
  key: string,
  start: number,
  end: number,
): Promise<Buffer> {
  const bytes = await readBlobRange(blobs, key, start, end);
  if (bytes.length < end - start) {
    throw new FormatError('truncated: the file ends inside a BGZF block', {
      offset: start + bytes.length,
    });
  }
  return bytes;
}

/** The part of the block at `pos` that lies within the chunk. */
function slice(data: Buffer, pos: number, chunk: Chunk): Buffer {
  const from = pos === chunk.minv.blockPosition ? chunk.minv.dataPosition : 0;
  const to = pos === chunk.maxv.blockPosition ? chunk.maxv.dataPosition : data.length;
  return data.subarray(from, Math.max(from, to));
}

/** What the index says about the file's columns (tabix's header). */
export interface ScanColumns {
  ref: number;
  start: number;
  end: number;
  isVcf: boolean;
  metaChar: number | undefined;
  /** -1 for 1-based closed coordinates, else 0. */
  coordinateOffset: number;
}

const TAB = 9;
const NEWLINE = 10;
const SEMICOLON = 59;

/**
 * Calls `hit(start, end)` with the byte range of each line of `buf` (newline excluded) whose
 * feature overlaps [start, end) (0-based half-open) on the reference `refName`, exactly as
 * `@gmod/tabix` 3.x `getLines` decides (a record's end from REF's length, INFO `END=`, or one
 * base for `SVTYPE=TRA`); returns false once a line starts at or past `end` (no later chunk can
 * hold one either), true otherwise. A last line without its newline is not a line.
 *
 * A line's first columns are found by one loop over its bytes, and only the rest of it (FORMAT
 * and samples) by `indexOf`: a native call per column and per name comparison cost more than
 * the bytes they look at on short lines (bench/genomics profile: 0.10 against 0.04 ms a query).
 */
export function scanLines(
  buf: Buffer,
  refName: Buffer,
  start: number,
  end: number,
  cols: ScanColumns,
  tabs: Int32Array,
  hit: (from: number, to: number) => void,
): boolean {
  const refCol = cols.ref;
  const startCol = cols.start;
  const endCol = cols.isVcf ? 8 : cols.end;
  const maxColumn = Math.max(refCol, startCol, endCol);
  const metaChar = cols.metaChar ?? -1;
  const length = buf.length;
  let lineStart = 0;
  while (lineStart < length) {
    // tabs[k] (k >= 1): the end of column k (its tab, or the line's end); tabs[0] is one before
    // the line. Columns past the line's last are empty at its end.
    tabs[0] = lineStart - 1;
    let i = lineStart;
    let found = 0;
    let c = -1;
    while (i < length) {
      c = buf[i]!;
      if (c === NEWLINE) break;
      if (c === TAB) {
        tabs[++found] = i;
        if (found === maxColumn) break;
      }
      i++;
    }
    const n = c === NEWLINE ? i : buf.indexOf(NEWLINE, i);
    if (n === -1 || i >= length) break;
    for (let k = found + 1; k <= maxColumn; k++) tabs[k] = n;
    if (buf[lineStart] === metaChar) {
      lineStart = n + 1;
      continue;
    }
    const refStart = tabs[refCol - 1]! + 1;
    const refLen = tabs[refCol]! - refStart;
    if (refLen !== refName.length || !sameName(buf, refStart, refName)) {
      lineStart = n + 1;
      continue;
    }
    const startCoordinate =
      parseIntFromBytes(buf, tabs[startCol - 1]! + 1, tabs[startCol]!) + cols.coordinateOffset;
    if (startCoordinate >= end) return false;
    let endCoordinate: number;
    if (endCol === 0 || endCol === startCol) {
      endCoordinate = startCoordinate + 1;
    } else if (cols.isVcf) {
      endCoordinate = vcfEnd(
        buf,
        startCoordinate,
        tabs[3]! + 1,
        tabs[4]!,
        tabs[endCol - 1]! + 1,
        tabs[endCol]!,
      );
    } else {
      endCoordinate = parseIntFromBytes(buf, tabs[endCol - 1]! + 1, tabs[endCol]!);
    }
    if (endCoordinate > start) hit(lineStart, n);
    lineStart = n + 1;
  }
  return true;
}

/** Whether `name` is at `at` in `buf` (the caller has checked the length). */
function sameName(buf: Buffer, at: number, name: Buffer): boolean {
  for (let k = 0; k < name.length; k++) if (buf[at + k] !== name[k]) return false;
  return true;
}

/** `@gmod/tabix`'s getVcfEnd, the same rules over the same bytes. */
function vcfEnd(
  buf: Buffer,
  startCoordinate: number,
  refStart: number,
  refEnd: number,
  infoStart: number,
  infoEnd: number,
): number {
  let endCoordinate = startCoordinate + (refEnd - refStart);
  if (buf[infoStart] === 46) return endCoordinate;
  let fieldStart = infoStart;
  for (let i = infoStart; i <= infoEnd; i++) {
    if (i === infoEnd || buf[i] === SEMICOLON) {
      const fieldLen = i - fieldStart;
      if (
        fieldLen >= 10 &&
        buf[fieldStart] === 83 &&
        buf[fieldStart + 1] === 86 &&
        buf[fieldStart + 2] === 84 &&
        buf[fieldStart + 3] === 89 &&
        buf[fieldStart + 4] === 80 &&
        buf[fieldStart + 5] === 69 &&
        buf[fieldStart + 6] === 61 &&
        buf[fieldStart + 7] === 84 &&
        buf[fieldStart + 8] === 82 &&
        buf[fieldStart + 9] === 65
      ) {
        return startCoordinate + 1;
      }
      if (
        fieldLen >= 4 &&
        buf[fieldStart] === 69 &&
        buf[fieldStart + 1] === 78 &&
        buf[fieldStart + 2] === 68 &&
        buf[fieldStart + 3] === 61
      ) {
        endCoordinate = parseIntFromBytes(buf, fieldStart + 4, i);
      }
      fieldStart = i + 1;
    }
  }
  return endCoordinate;
}

function parseIntFromBytes(buf: Buffer, start: number, end: number): number {
  let val = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c >= 48 && c <= 57) val = val * 10 + (c - 48);
    else break;
  }
  return val;
}

/**
 * The lines of the chunks (in the index's order) that overlap [start, end) on `refName`, as
 * byte ranges of the inflated chunk each lies in: what `@gmod/tabix`'s `getLines` returns for
 * the same chunks, without making strings. The buffers `hit` is given may be views of cached
 * blocks: given `pins`, those blocks stay pinned there for the caller to unpin once it has
 * copied what it keeps; without, `hit` must copy what it keeps before it returns.
 */
export async function scanRegion(
  blobs: BlobStore,
  file: { key: string; size: number },
  chunks: readonly Chunk[],
  cols: ScanColumns,
  refName: string,
  start: number,
  end: number,
  cache: BgzfBlockCache,
  hit: (buf: Buffer, from: number, to: number) => void,
  pins?: CachedBlock[],
): Promise<void> {
  const ref = Buffer.from(refName, 'utf8');
  const tabs = new Int32Array(Math.max(cols.ref, cols.start, cols.isVcf ? 8 : cols.end) + 1);
  const held = pins ?? [];
  try {
    for (const c of chunks) {
      const buf = await chunkBytes(blobs, file.key, file.size, c, cache, held);
      const more = scanLines(buf, ref, start, end, cols, tabs, (from, to) => hit(buf, from, to));
      if (!more) return;
    }
  } finally {
    if (!pins) cache.unpin(held);
  }
}

/** The columns a tabix index's header names, as {@link scanLines} reads them. */
export function scanColumns(meta: {
  columnNumbers: { ref: number; start: number; end: number };
  format: string;
  metaChar?: string | undefined;
  coordinateType: string;
}): ScanColumns {
  return {
    ref: meta.columnNumbers.ref || 0,
    start: meta.columnNumbers.start || 0,
    end: meta.columnNumbers.end || 0,
    isVcf: meta.format === 'VCF',
    metaChar: meta.metaChar?.charCodeAt(0),
    coordinateOffset: meta.coordinateType === '1-based-closed' ? -1 : 0,
  };
}

/** A corrupt or truncated data file met at query time, as a 4xx that says where. */
export function corruptData(fileId: string, error: FormatError): AppError {
  return new AppError(
    'BASESPACE.GENOMICS.NOT_INDEXED',
    `File ${fileId} has corrupt data: ${error.message}`,
  );
}
