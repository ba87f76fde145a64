import { InteropCursor, readRecordSize, readVersion, records } from './reader.js';

/** ErrorMetricsOut.bin: PhiX error rate (percent) per tile and cycle. */
export interface ErrorRecord {
  lane: number;
  tile: number;
  cycle: number;
  errorRate: number;
}

/** ExtractionMetricsOut.bin: per tile and cycle, the 90th-percentile intensity and focus (FWHM) per channel. */
export interface ExtractionRecord {
  lane: number;
  tile: number;
  cycle: number;
  intensities: number[];
  fwhm: number[];
}

/** CorrectedIntMetricsOut.bin: called intensity per base and the number of calls of N, A, C, G, T. */
export interface CorrectedIntensityRecord {
  lane: number;
  tile: number;
  cycle: number;
  /** Average corrected intensity of clusters called A, C, G, T. */
  calledIntensity: [number, number, number, number];
  /** Calls of N, A, C, G, T. */
  calls: [number, number, number, number, number];
}

function skipPadding(lane: number, tile: number, cycle: number): boolean {
  return lane === 0 || tile === 0 || cycle === 0;
}

/** Reads ErrorMetricsOut.bin, versions 3 (with perfect-read counts) and 4 (32-bit tile). */
export function readErrorMetrics(bytes: Uint8Array): { version: number; records: ErrorRecord[] } {
  const c = new InteropCursor(bytes, 'InterOp/ErrorMetricsOut.bin');
  const version = readVersion(c, [3, 4]);
  const size = readRecordSize(c, version === 3 ? 30 : 12);
  const out: ErrorRecord[] = [];
  for (const _at of records(c, size)) {
    const lane = c.u16();
    const tile = version === 3 ? c.u16() : c.u32();
    const cycle = c.u16();
    const errorRate = c.f32();
    if (!skipPadding(lane, tile, cycle)) out.push({ lane, tile, cycle, errorRate });
  }
  return { version, records: out };
}

/** Reads ExtractionMetricsOut.bin version 2 (four channels: FWHM floats, then intensity u16s). */
export function readExtractionMetrics(bytes: Uint8Array): {
  version: number;
  records: ExtractionRecord[];
} {
  const c = new InteropCursor(bytes, 'InterOp/ExtractionMetricsOut.bin');
  const version = readVersion(c, [2]);
  const size = readRecordSize(c, 38);
  const out: ExtractionRecord[] = [];
  for (const _at of records(c, size)) {
    const lane = c.u16();
    const tile = c.u16();
    const cycle = c.u16();
    const fwhm = [c.f32(), c.f32(), c.f32(), c.f32()];
    const intensities = [c.u16(), c.u16(), c.u16(), c.u16()];
    c.u64(); // acquisition time (.NET ticks); not used
    if (!skipPadding(lane, tile, cycle)) out.push({ lane, tile, cycle, intensities, fwhm });
  }
  return { version, records: out };
}

/**
 * Reads CorrectedIntMetricsOut.bin: version 2 (MiSeq/HiSeq: raw and corrected intensities,
 * float call counts, SNR) and version 3 (called intensities and u32 call counts only).
 */
export function readCorrectedIntensityMetrics(bytes: Uint8Array): {
  version: number;
  records: CorrectedIntensityRecord[];
} {
  const c = new InteropCursor(bytes, 'InterOp/CorrectedIntMetricsOut.bin');
  const version = readVersion(c, [2, 3]);
  const size = readRecordSize(c, version === 2 ? 48 : 34);
  const out: CorrectedIntensityRecord[] = [];
  for (const _at of records(c, size)) {
    const lane = c.u16();
    const tile = c.u16();
    const cycle = c.u16();
    if (version === 2) {
      c.u16(); // average intensity
      c.skip(8); // average corrected intensity per channel
    }
    const calledIntensity: [number, number, number, number] = [c.u16(), c.u16(), c.u16(), c.u16()];
    const read = () => (version === 2 ? c.f32() : c.u32());
    const calls: [number, number, number, number, number] = [
      read(),
      read(),
      read(),
      read(),
      read(),
    ];
    if (version === 2) c.f32(); // signal to noise
    if (!skipPadding(lane, tile, cycle)) out.push({ lane, tile, cycle, calledIntensity, calls });
  }
  return { version, records: out };
}
