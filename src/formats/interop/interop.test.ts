import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../format-error.js';
import { parseRunInfo } from '../runinfo.js';
import {
  readCorrectedIntensityMetrics,
  readErrorMetrics,
  readExtractionMetrics,
  readIndexMetrics,
  readQualityMetrics,
  readTileMetrics,
  summarizeMetrics,
} from './index.js';

const F = 'test/fixtures/runs/';
const bin = (p: string) => new Uint8Array(readFileSync(F + p));
const reference = (run: string) => {
  const ref = JSON.parse(readFileSync(F + run + '/reference.json', 'utf8')) as { metrics: string };
  return JSON.parse(ref.metrics) as Array<Record<string, any>>;
};
/** runscanner prints "597.2 ± 12.98": 4 significant digits, so half a unit of the last one. */
const closeTo = (actual: number | undefined, printed: string) => {
  const digits = printed.includes('.') ? printed.split('.')[1]!.length : 0;
  expect(actual).toBeDefined();
  expect(Math.abs(actual! - Number(printed))).toBeLessThanOrEqual(0.5 * 10 ** -digits + 1e-9);
};

describe('InterOp on the MiSeq run (runscanner reference.json)', () => {
  const run = 'miseq-130417';
  const reads = parseRunInfo(readFileSync(F + run + '/RunInfo.xml', 'utf8')).reads;
  const quality = readQualityMetrics(bin(run + '/InterOp/QMetricsOut.bin'));
  const summary = summarizeMetrics({
    reads,
    tile: readTileMetrics(bin(run + '/InterOp/TileMetricsOut.bin')),
    quality: quality.records,
    extraction: readExtractionMetrics(bin(run + '/InterOp/ExtractionMetricsOut.bin')).records,
    correctedIntensity: readCorrectedIntensityMetrics(
      bin(run + '/InterOp/CorrectedIntMetricsOut.bin'),
    ).records,
  });
  const ref = reference(run);
  const table = ref.find((m) => m.type === 'table')!.rows[0];
  const chart = ref.find((m) => m.type === 'chart')!.values as { name: string; value: string }[];

  it('clusters, PF and density per lane', () => {
    expect(quality.version).toBe(4);
    expect(summary.clusters).toBe(10_758_890);
    expect(summary.clustersPf).toBe(10_038_106);
    const lane = summary.lanes[0]!;
    expect(lane.tiles).toBe(28);
    const [d, dsd] = (table.density as string).split(' ± ');
    closeTo(lane.density!.mean / 1000, d!);
    closeTo(lane.density!.sd / 1000, dsd!);
    const [p, psd] = (table.densityPf as string).split(' ± ');
    closeTo(lane.densityPf!.mean / 1000, p!);
    closeTo(lane.densityPf!.sd / 1000, psd!);
    closeTo(lane.percentPf, (table.densityPct as string).replace(' %', ''));
  });

  it('% >= Q30 overall and per read, yield per read', () => {
    closeTo(summary.percentQ30, chart.find((v) => v.name === '% > Q30')!.value.replace(' %', ''));
    expect(Math.round(summary.reads[0]!.percentQ30!)).toBe(Number(table.errors0));
    expect(Math.round(summary.reads[1]!.percentQ30!)).toBe(Number(table.errors1));
    const yields = ref.find((m) => m.type === 'illumina-yield-by-read')!.series[0].data as number[];
    summary.reads.forEach((r, i) => expect(r.yieldBases! / 1e9).toBeCloseTo(yields[i]!, 6));
    expect(summary.maxCycleScored).toBe(242);
  });

  it('called intensity and base percent by cycle', () => {
    const called = ref.find((m) => m.type === 'illumina-called-intensity-by-cycle')!.series;
    const bases = ref.find((m) => m.type === 'illumina-base-percent-by-cycle')!.series;
    // runscanner's first four series are A, C, G, T (Combined), all 242 cycles; intensities are means of u16 over tiles.
    for (const [ch, s] of (called as { data: { x: number; y: number }[] }[]).slice(0, 4).entries())
      for (const { x, y } of s.data)
        expect(summary.cycles[x - 1]!.calledIntensity![ch]).toBeCloseTo(y, 3);
    for (const [b, s] of (bases as { data: { x: number; y: number }[] }[]).slice(0, 4).entries())
      for (const { x, y } of s.data)
        expect(summary.cycles[x - 1]!.basePercent![b]).toBeCloseTo(y, 4);
  });

  it('phasing and prephasing per read equal Picard CollectIlluminaLaneMetrics', () => {
    expect(summary.reads[0]!.phasing).toBeCloseTo(0.146564, 5);
    expect(summary.reads[0]!.prephasing).toBeCloseTo(0.16863, 5);
    expect(summary.reads[1]!.phasing).toBeCloseTo(0.20049, 5);
    expect(summary.reads[1]!.prephasing).toBeCloseTo(0.449893, 5);
  });
});

describe('InterOp on the NextSeq 500 run', () => {
  const run = 'nextseq-170609';
  const reads = parseRunInfo(readFileSync(F + run + '/RunInfo.xml', 'utf8')).reads;
  const index = readIndexMetrics(bin(run + '/InterOp/IndexMetricsOut.bin'));
  const summary = summarizeMetrics({
    reads,
    tile: readTileMetrics(bin(run + '/InterOp/TileMetricsOut.bin')),
    index: index.records,
  });
  const ref = reference(run);

  it('clusters and PF per lane equal reference.json; densities equal Picard', () => {
    const byLane = ref.find((m) => m.type === 'illumina-clusters-by-lane')!.series;
    expect(summary.lanes.map((l) => l.clusters)).toEqual(byLane[0].data);
    expect(summary.lanes.map((l) => l.clustersPf)).toEqual(byLane[1].data);
    expect(summary.clusters).toBe(494_868_176);
    expect(summary.clustersPf).toBe(466_040_212);
    const picard = [190657.61228, 189868.610304, 190518.6904, 191838.671644];
    // Picard sums the float32 values in another order: equal to 1e-8 relative.
    summary.lanes.forEach((l, i) =>
      expect(Math.abs(l.density!.mean / picard[i]! - 1)).toBeLessThan(1e-8),
    );
    const rows = ref.find((m) => m.type === 'table')!.rows as Record<string, string>[];
    rows.forEach((row, i) => {
      const [d, sd] = row.density!.split(' ± ');
      closeTo(summary.lanes[i]!.density!.mean / 1000, d!);
      closeTo(summary.lanes[i]!.density!.sd / 1000, sd!);
    });
  });

  it('reads IndexMetricsOut v1: 32 index/sample pairs over 4 lanes', () => {
    expect(index.version).toBe(1);
    expect(summary.indexes).toHaveLength(32);
    expect(summary.indexes[0]).toMatchObject({
      lane: 1,
      index: 'ATCACGAT',
      project: 'default',
      clusters: 45_888_506,
    });
  });
});

describe('TileMetricsOut versions from Picard', () => {
  it('v2 (HiSeq H7BATADXX): lane densities equal Picard lane metrics', () => {
    const s = summarizeMetrics({
      reads: [],
      tile: readTileMetrics(bin('interop/H7BATADXX.TileMetricsOut.bin')),
    });
    expect(Math.abs(s.lanes[0]!.density!.mean / 993597.96782 - 1)).toBeLessThan(1e-8);
    expect(Math.abs(s.lanes[1]!.density!.mean / 957767.642058 - 1)).toBeLessThan(1e-8);
  });

  it('v3 (NovaSeq): tile records and the header tile area (Picard prints the area as density)', () => {
    const t = readTileMetrics(bin('interop/NovaSeq-C25.1.TileMetricsOut.bin'));
    expect(t.version).toBe(3);
    expect(t.tileArea).toBeCloseTo(1.38181, 5);
    const s = summarizeMetrics({ reads: [], tile: t });
    expect(s.lanes.map((l) => l.tiles)).toEqual([704, 704]);
    expect(s.lanes[0]!.clusters).toBe(2_880_700_416);
    expect(s.lanes[0]!.percentPf).toBeCloseTo(67.88, 2);
  });
});

describe('bad InterOp files', () => {
  it('a truncated file names the byte where the cut record starts', () => {
    const whole = bin('miseq-130417/InterOp/QMetricsOut.bin');
    const cut = whole.subarray(0, 2 + 206 * 10 + 17);
    expect(() => readQualityMetrics(cut)).toThrow(FormatError);
    expect(() => readQualityMetrics(cut)).toThrow(/truncated.*\(byte 2062\)/);
    const tile = bin('miseq-130417/InterOp/TileMetricsOut.bin').subarray(0, 25);
    expect(() => readTileMetrics(tile)).toThrow(/TileMetricsOut.bin: is truncated/);
    expect(() =>
      readIndexMetrics(bin('nextseq-170609/InterOp/IndexMetricsOut.bin').subarray(0, 20)),
    ).toThrow(/truncated/);
  });

  it('an unknown version, a wrong record size or an empty file is refused', () => {
    expect(() => readTileMetrics(new Uint8Array([9, 10]))).toThrow(/version 9; supported: 2, 3/);
    expect(() => readTileMetrics(new Uint8Array([2, 12]))).toThrow(/record size 12, expected 10/);
    expect(() => readExtractionMetrics(new Uint8Array())).toThrow(/is empty/);
    expect(() => readErrorMetrics(new Uint8Array([3, 30, 1]))).toThrow(/truncated/);
  });

  it('reads ErrorMetricsOut v3 and binned QMetricsOut v6 written by hand', () => {
    const err = new Uint8Array(2 + 30);
    const v = new DataView(err.buffer);
    v.setUint8(0, 3);
    v.setUint8(1, 30);
    v.setUint16(2, 1, true);
    v.setUint16(4, 1101, true);
    v.setUint16(6, 1, true);
    v.setFloat32(8, 0.25, true);
    expect(readErrorMetrics(err).records).toEqual([
      { lane: 1, tile: 1101, cycle: 1, errorRate: 0.25 },
    ]);
    // v6, 3 bins (<30 -> 14, 30..39 -> 32, 40.. -> 41), record = 6 + 3 * 4 bytes
    const q = new Uint8Array([
      6, 18, 1, 3, 2, 30, 40, 29, 39, 41, 14, 32, 41, 1, 0, 77, 4, 1, 0, 10, 0, 0, 0, 20, 0, 0, 0,
      30, 0, 0, 0,
    ]);
    const qm = readQualityMetrics(q);
    expect(qm.bins).toEqual([
      { lower: 2, upper: 29, value: 14 },
      { lower: 30, upper: 39, value: 32 },
      { lower: 40, upper: 41, value: 41 },
    ]);
    expect(qm.records).toEqual([{ lane: 1, tile: 1101, cycle: 1, total: 60, atLeastQ30: 50 }]);
  });
});
