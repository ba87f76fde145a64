import { ByteReader } from './format-error.js';

/** Cluster positions of one tile, in the instrument's pixel units, in cluster order. */
export interface ClusterPositions {
  x: Float32Array;
  y: Float32Array;
}

/**
 * Parses a `.locs` file (per tile) or the flow-cell-wide `s.locs` (NovaSeq): int32 1, float32 1.0,
 * uint32 cluster count, then float32 x, y per cluster.
 */
export function parseLocs(bytes: Uint8Array, file?: string): ClusterPositions {
  const r = new ByteReader(bytes, file);
  const magic = r.i32('the locs header');
  if (magic !== 1) throw r.error(`not a locs file: the first int32 must be 1, found ${magic}`, 0);
  const version = r.f32('the locs version');
  if (version !== 1) throw r.error(`locs version ${version} is not supported (expected 1.0)`, 4);
  const count = r.u32('the cluster count');
  const held = bytes.length - 12;
  if (held !== count * 8) {
    throw r.error(
      held < count * 8
        ? `truncated: the header says ${count} clusters (${count * 8} bytes) but the file holds ${held} bytes`
        : `${held - count * 8} bytes past the ${count} clusters the header announces`,
      held < count * 8 ? bytes.length : 12 + count * 8,
    );
  }
  const x = new Float32Array(count);
  const y = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    x[i] = r.f32('x');
    y[i] = r.f32('y');
  }
  return { x, y };
}

/** clocs geometry, as RTA writes it: 25-pixel bins over a 2048-pixel wide image. */
const CLOCS_BIN_SIZE = 25;
const CLOCS_IMAGE_WIDTH = 2048;
const CLOCS_BINS_PER_ROW = Math.ceil(CLOCS_IMAGE_WIDTH / CLOCS_BIN_SIZE);

/**
 * Parses a `.clocs` file: a version byte, uint32 bin count, then per bin a uint8 cluster count
 * and per cluster a uint8 x and y offset in tenths of a pixel from the bin's corner. Float32
 * arithmetic, as Picard and bcl2fastq do it, so the rounded read-name coordinates agree.
 */
export function parseClocs(bytes: Uint8Array, file?: string): ClusterPositions {
  const r = new ByteReader(bytes, file);
  r.u8('the clocs version');
  const bins = r.u32('the bin count');
  const xs: number[] = [];
  const ys: number[] = [];
  for (let bin = 0; bin < bins; bin++) {
    const n = r.u8(`the cluster count of bin ${bin}`);
    r.need(n * 2, `the ${n} clusters of bin ${bin}`);
    const xOffset = (bin % CLOCS_BINS_PER_ROW) * CLOCS_BIN_SIZE;
    const yOffset = Math.floor(bin / CLOCS_BINS_PER_ROW) * CLOCS_BIN_SIZE;
    for (let i = 0; i < n; i++) {
      xs.push(Math.fround(Math.fround(bytes[r.pos++]! / 10) + xOffset));
      ys.push(Math.fround(Math.fround(bytes[r.pos++]! / 10) + yOffset));
    }
  }
  if (r.pos !== bytes.length) {
    throw r.error(`${bytes.length - r.pos} bytes past the ${bins} bins the header announces`);
  }
  return { x: Float32Array.from(xs), y: Float32Array.from(ys) };
}

/**
 * The integer read-name coordinate of a position, as bcl2fastq and Picard compute it:
 * round(10 * pos + 1000) in float32 (s.locs (0, 0) -> 1000:1000, (1.808, 0) -> 1018:1000).
 */
export function readNameCoordinate(pos: number): number {
  const scaled = Math.fround(Math.fround(Math.fround(pos) * 10) + 1000);
  return Math.floor(scaled + 0.5);
}
