import { ByteReader } from './format-error.js';

/** One tile of a NextSeq lane, as the lane's `s_<lane>.bci` lists it. */
export interface LaneTile {
  tile: number;
  clusters: number;
  /** Clusters of the tiles before this one in the lane: the tile's first record in every per-lane file. */
  firstCluster: number;
}

/**
 * Parses a NextSeq lane tile index, `BaseCalls/L00<l>/s_<l>.bci`: no header, then per tile a
 * uint32 tile number and a uint32 cluster count, in the order the tiles' records follow each other
 * in the lane's `.bcl.bgzf`, `.filter` and `.locs` files (Picard's `TileIndex`).
 */
export function parseLaneTileIndex(bytes: Uint8Array, file?: string): LaneTile[] {
  const r = new ByteReader(bytes, file);
  if (bytes.length % 8 !== 0) {
    throw r.error(
      `truncated: a lane tile index is 8 bytes per tile, the file has ${bytes.length} bytes`,
      bytes.length - (bytes.length % 8),
    );
  }
  const tiles: LaneTile[] = [];
  const seen = new Set<number>();
  let firstCluster = 0;
  while (r.pos < bytes.length) {
    const at = r.pos;
    const tile = r.u32('a tile number');
    const clusters = r.u32('a cluster count');
    if (seen.has(tile)) throw r.error(`tile ${tile} is listed twice`, at);
    seen.add(tile);
    tiles.push({ tile, clusters, firstCluster });
    firstCluster += clusters;
  }
  return tiles;
}

/** The only per-cycle `.bci` version known (Picard's `BclIndexReader` refuses others). */
const CYCLE_BCI_VERSION = 0;
const CYCLE_BCI_HEADER = 8;

/** A BGZF virtual offset split in its parts: the block's byte offset in the file, the offset inside the inflated block. */
export interface VirtualOffset {
  block: number;
  within: number;
}

/** The size of a cycle `.bci` of `tiles` tiles: the loader reads exactly this much. */
export function cycleBciSize(tiles: number): number {
  return CYCLE_BCI_HEADER + 8 * tiles;
}

/**
 * Parses a NextSeq per-cycle index, `L00<l>/<cycle>.bcl.bgzf.bci`: uint32 version (0), uint32
 * tile count, then per tile (in the lane tile index's order) a uint64 BGZF virtual offset
 * (block offset << 16 | offset in the inflated block) of the tile's first base call.
 */
export function parseCycleBci(bytes: Uint8Array, file?: string): VirtualOffset[] {
  const r = new ByteReader(bytes, file);
  const version = r.u32('the bci version');
  if (version !== CYCLE_BCI_VERSION) {
    throw r.error(`bci version ${version} is not supported (expected ${CYCLE_BCI_VERSION})`, 0);
  }
  const count = r.u32('the tile count');
  const expected = cycleBciSize(count);
  if (bytes.length !== expected) {
    throw r.error(
      bytes.length < expected
        ? `truncated: the header says ${count} tiles (${expected} bytes) but the file has ${bytes.length} bytes`
        : `${bytes.length - expected} bytes past the ${count} tiles the header announces`,
      Math.min(bytes.length, expected),
    );
  }
  const offsets: VirtualOffset[] = [];
  for (let i = 0; i < count; i++) {
    const low = r.u32('a virtual offset');
    const high = r.u32('a virtual offset');
    // block = voffset >> 16 (48 bits: exact in a double below 2^53), within = voffset & 0xffff.
    offsets.push({ block: high * 0x10000 + (low >>> 16), within: low & 0xffff });
  }
  return offsets;
}
