import type { CycleCalls } from './bcl.js';
import { ByteReader, FormatError } from './format-error.js';
import { gunzip } from './gzip.js';

/** One tile's block in a CBCL file; `offset` is where its gzip member starts in the file. */
export interface CbclTileRecord {
  tile: number;
  clusters: number;
  uncompressedSize: number;
  compressedSize: number;
  offset: number;
}

/** A CBCL header (NovaSeq / RTA3): quality bins and where each tile's block is. */
export interface CbclHeader {
  version: number;
  headerSize: number;
  /** Phred quality of each 2-bit quality bin (index = bin). */
  qualityOfBin: number[];
  tiles: CbclTileRecord[];
  /** True when non-PF clusters were left out of the blocks (then the `.filter` says which are in). */
  nonPfExcluded: boolean;
}

/** Bytes before the header size is known: uint16 version + uint32 header size. */
export const CBCL_PREAMBLE_SIZE = 6;

/** The header's total size, from the first {@link CBCL_PREAMBLE_SIZE} bytes of the file. */
export function cbclHeaderSize(preamble: Uint8Array, file?: string): number {
  const r = new ByteReader(preamble, file);
  const version = r.u16('the CBCL version');
  if (version !== 1) throw r.error(`CBCL version ${version} is not supported (expected 1)`, 0);
  const size = r.u32('the CBCL header size');
  if (size < CBCL_PREAMBLE_SIZE + 11) throw r.error(`CBCL header size ${size} is too small`, 2);
  return size;
}

/**
 * Parses a CBCL header from the file's first bytes (at least the header size; more is ignored).
 * Only 2-bit bases with 2-bit quality bins exist in the wild; anything else is refused.
 */
export function parseCbclHeader(bytes: Uint8Array, file?: string): CbclHeader {
  const headerSize = cbclHeaderSize(bytes, file);
  const r = new ByteReader(bytes.subarray(0, headerSize), file);
  if (bytes.length < headerSize) {
    throw new FormatError(
      `truncated: the CBCL header is ${headerSize} bytes, the file has ${bytes.length}`,
      {
        file,
        offset: bytes.length,
      },
    );
  }
  r.pos = CBCL_PREAMBLE_SIZE;
  const bitsPerBase = r.u8('bits per base');
  const bitsPerQuality = r.u8('bits per quality');
  if (bitsPerBase !== 2 || bitsPerQuality !== 2) {
    throw r.error(
      `${bitsPerBase} bits per base and ${bitsPerQuality} per quality are not supported (expected 2 and 2)`,
      6,
    );
  }
  const binCount = r.u32('the quality bin count');
  if (binCount > 4) throw r.error(`${binCount} quality bins do not fit 2 bits`, r.pos - 4);
  const qualityOfBin = [0, 0, 0, 0];
  for (let i = 0; i < binCount; i++) {
    const from = r.u32('a quality bin');
    const to = r.u32('a quality bin value');
    if (from > 3 || to > 63)
      throw r.error(`quality bin ${from} -> ${to} is out of range`, r.pos - 8);
    qualityOfBin[from] = to;
  }
  const tileCount = r.u32('the tile count');
  const tiles: CbclTileRecord[] = [];
  let offset = headerSize;
  for (let i = 0; i < tileCount; i++) {
    const tile = r.u32('a tile number');
    const clusters = r.u32('a tile cluster count');
    const uncompressedSize = r.u32('a block size');
    const compressedSize = r.u32('a compressed block size');
    tiles.push({ tile, clusters, uncompressedSize, compressedSize, offset });
    offset += compressedSize;
  }
  const nonPfExcluded = r.u8('the non-PF flag') === 1;
  if (r.pos !== headerSize) {
    throw r.error(`the header fields end at byte ${r.pos} but the header size says ${headerSize}`);
  }
  return { version: 1, headerSize, qualityOfBin, tiles, nonPfExcluded };
}

/**
 * Decodes one tile's block (its gzip member, as read from `record.offset`; trailing bytes past
 * the member are ignored, which covers files whose compressed-size field is one byte short).
 * Two clusters per byte, low nibble first; a nibble holds the base in bits 0-1 and the quality
 * bin in bits 2-3; a nibble of 0 is a no call.
 *
 * @param pf the tile's filter flags; needed when the file left non-PF clusters out, so each
 *   stored cluster lands at its place (the left-out ones become no calls).
 * @returns one call byte per cluster of the tile (see {@link CycleCalls}).
 */
export function decodeCbclTile(
  header: CbclHeader,
  record: CbclTileRecord,
  block: Uint8Array,
  file?: string,
  pf?: Uint8Array,
): CycleCalls {
  // Only the last block may run to the end of the file: a longer slice would inflate the next
  // tile's member too.
  const last = header.tiles[header.tiles.length - 1] === record;
  const member = last ? block : block.subarray(0, record.compressedSize);
  const raw = gunzip(member, file, `the block of tile ${record.tile}`, record.offset);
  let stored = record.clusters;
  if (header.nonPfExcluded) {
    if (!pf)
      throw new FormatError(
        `tile ${record.tile} leaves out non-PF clusters but no filter was given`,
        { file, offset: record.offset },
      );
    stored = 0;
    for (let i = 0; i < pf.length; i++) stored += pf[i]!;
  }
  if (raw.length !== record.uncompressedSize || raw.length < Math.ceil(stored / 2)) {
    throw new FormatError(
      `the block of tile ${record.tile} inflates to ${raw.length} bytes, expected ${record.uncompressedSize} for ${stored} clusters`,
      { file, offset: record.offset },
    );
  }
  const lut = new Uint8Array(16);
  for (let v = 1; v < 16; v++) lut[v] = (header.qualityOfBin[v >> 2]! << 2) | (v & 3);
  const total = header.nonPfExcluded ? pf!.length : record.clusters;
  const calls = new Uint8Array(total);
  if (!header.nonPfExcluded) {
    for (let i = 0; i < total; i++) {
      const byte = raw[i >> 1]!;
      calls[i] = lut[i & 1 ? byte >> 4 : byte & 15]!;
    }
    return calls;
  }
  let k = 0;
  for (let i = 0; i < total; i++) {
    if (!pf![i]) continue;
    const byte = raw[k >> 1]!;
    calls[i] = lut[k & 1 ? byte >> 4 : byte & 15]!;
    k++;
  }
  return calls;
}
