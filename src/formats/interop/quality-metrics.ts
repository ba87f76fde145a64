import { FormatError } from '../format-error.js';
import { InteropCursor, readRecordSize, readVersion, records } from './reader.js';

/** A Q-score bin (QMetricsOut v5+ when the instrument bins qualities): lower..upper map to value. */
export interface QualityBin {
  lower: number;
  upper: number;
  value: number;
}

/** One tile and cycle of QMetricsOut.bin, reduced to what the summaries need. */
export interface QualityRecord {
  lane: number;
  tile: number;
  /** 1-based cycle. */
  cycle: number;
  /** Base calls counted in the histogram (PF clusters). */
  total: number;
  /** Of those, calls with Q >= 30. */
  atLeastQ30: number;
}

export interface QualityMetrics {
  version: number;
  bins: QualityBin[];
  records: QualityRecord[];
}

const FILE = 'InterOp/QMetricsOut.bin';

/**
 * Reads QMetricsOut.bin versions 4-7: v4 a 50-bin histogram (Q1..Q50); v5 adds an optional bin
 * table in the header (histogram still 50 wide); v6 stores one count per bin; v7 widens the tile
 * to 32 bits.
 */
export function readQualityMetrics(bytes: Uint8Array): QualityMetrics {
  const c = new InteropCursor(bytes, FILE);
  const version = readVersion(c, [4, 5, 6, 7]);
  const sizeAt = c.offset;
  const size = readRecordSize(c, undefined);
  let bins: QualityBin[] = [];
  if (version >= 5) {
    const hasBins = c.u8('the binning flag') !== 0;
    if (hasBins) {
      const n = c.u8('the bin count');
      const lower = Array.from({ length: n }, () => c.u8('a bin bound'));
      const upper = Array.from({ length: n }, () => c.u8('a bin bound'));
      const value = Array.from({ length: n }, () => c.u8('a bin value'));
      bins = lower.map((l, i) => ({ lower: l, upper: upper[i]!, value: value[i]! }));
    }
  }
  const width = version >= 6 && bins.length > 0 ? bins.length : 50;
  const idBytes = version >= 7 ? 8 : 6;
  if (size !== idBytes + 4 * width)
    throw new FormatError(
      `has record size ${size}, expected ${idBytes + 4 * width} for version ${version}`,
      { offset: sizeAt },
      FILE,
    );
  // Which histogram slots hold Q >= 30: Q(i+1) for the 50-wide form, the bin's value when binned.
  const q30 = Array.from({ length: width }, (_, i) =>
    width === 50 ? i + 1 >= 30 : (bins[i]?.value ?? 0) >= 30,
  );
  const out: QualityRecord[] = [];
  for (const _at of records(c, size)) {
    const lane = c.u16();
    const tile = version >= 7 ? c.u32() : c.u16();
    const cycle = c.u16();
    let total = 0;
    let atLeastQ30 = 0;
    for (let i = 0; i < width; i++) {
      const n = c.u32();
      total += n;
      if (q30[i]) atLeastQ30 += n;
    }
    if (lane === 0 || tile === 0 || cycle === 0) continue;
    out.push({ lane, tile, cycle, total, atLeastQ30 });
  }
  return { version, bins, records: out };
}
