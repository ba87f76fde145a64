import type { RunRead } from '../runinfo.js';
import type { CorrectedIntensityRecord, ErrorRecord, ExtractionRecord } from './cycle-metrics.js';
import type { IndexRecord } from './index-metrics.js';
import type { QualityRecord } from './quality-metrics.js';
import type { TileMetrics } from './tile-metrics.js';

/** Mean and (sample) standard deviation over tiles, as SAV and runscanner show "597.2 ± 12.98". */
export interface Spread {
  mean: number;
  sd: number;
  median: number;
}

export interface LaneSummary {
  lane: number;
  tiles: number;
  clusters: number;
  clustersPf: number;
  percentPf: number | undefined;
  /** Clusters per mm². */
  density: Spread | undefined;
  densityPf: Spread | undefined;
}

export interface ReadSummary {
  /** 1-based, as RunInfo numbers reads. */
  read: number;
  isIndexed: boolean;
  cycles: number;
  /** 1-based cycle range of this read in the run. */
  firstCycle: number;
  lastCycle: number;
  /** PF bases counted by the quality histograms. */
  yieldBases: number | undefined;
  percentQ30: number | undefined;
  /** Mean PhiX error rate (percent) over the read's cycles and tiles. */
  errorRate: number | undefined;
  /** Mean over tiles and channels of the 90th-percentile intensity at the read's first cycle. */
  intensityCycle1: number | undefined;
  /** Median over tiles, in percent (Picard and SAV report it so). */
  phasing: number | undefined;
  prephasing: number | undefined;
  percentAligned: number | undefined;
}

export interface LaneReadSummary {
  lane: number;
  read: number;
  yieldBases: number | undefined;
  percentQ30: number | undefined;
  errorRate: number | undefined;
  intensityCycle1: number | undefined;
  phasing: number | undefined;
  prephasing: number | undefined;
  percentAligned: number | undefined;
}

export interface CycleSummary {
  /** 1-based. */
  cycle: number;
  read: number;
  percentQ30: number | undefined;
  errorRate: number | undefined;
  /** Mean over tiles of each channel's 90th-percentile intensity. */
  intensity: number[] | undefined;
  /** Mean over tiles of the corrected intensity of clusters called A, C, G, T. */
  calledIntensity: number[] | undefined;
  /** Percent of called (non-N) bases that are A, C, G, T: mean over tiles, as SAV plots it. */
  basePercent: number[] | undefined;
  /** Percent of all calls that are N. */
  percentN: number | undefined;
}

export interface IndexSummary {
  lane: number;
  index: string;
  sample: string;
  project: string;
  clusters: number;
}

/** Everything the hub shows about a run's metrics; computed once at ingest and stored. */
export interface RunMetricsSummary {
  clusters: number | undefined;
  clustersPf: number | undefined;
  percentPf: number | undefined;
  yieldBases: number | undefined;
  nonIndexedYieldBases: number | undefined;
  percentQ30: number | undefined;
  nonIndexedPercentQ30: number | undefined;
  errorRate: number | undefined;
  nonIndexedErrorRate: number | undefined;
  maxCycleScored: number | undefined;
  maxCycleCalled: number | undefined;
  maxCycleExtracted: number | undefined;
  lanes: LaneSummary[];
  reads: ReadSummary[];
  lanesByRead: LaneReadSummary[];
  cycles: CycleSummary[];
  indexes: IndexSummary[];
}

export interface MetricsInput {
  reads: readonly RunRead[];
  tile?: TileMetrics | undefined;
  quality?: readonly QualityRecord[] | undefined;
  error?: readonly ErrorRecord[] | undefined;
  extraction?: readonly ExtractionRecord[] | undefined;
  correctedIntensity?: readonly CorrectedIntensityRecord[] | undefined;
  index?: readonly IndexRecord[] | undefined;
}

function mean(xs: readonly number[]): number | undefined {
  return xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function spread(xs: readonly number[]): Spread | undefined {
  const m = mean(xs);
  if (m === undefined) return undefined;
  const sd =
    xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
  return { mean: m, sd, median: median(xs)! };
}

/** Tile metrics hold phasing as a fraction; SAV and Picard show percent (median over tiles). */
const percentOf = (v: number | undefined) => (v === undefined ? undefined : v * 100);

const pct = (part: number, whole: number) => (whole > 0 ? (100 * part) / whole : undefined);

/** The summaries SAV shows, from whichever InterOp files the run has (each one optional). */
export function summarizeMetrics(input: MetricsInput): RunMetricsSummary {
  const readOfCycle = new Map<number, RunRead>();
  const firstCycle = new Map<number, number>();
  let next = 1;
  for (const r of input.reads) {
    firstCycle.set(r.number, next);
    for (let i = 0; i < r.cycles; i++) readOfCycle.set(next + i, r);
    next += r.cycles;
  }
  // SAV and the InterOp library leave the last cycle of each read out of yield, % >= Q30 and
  // error rate (it is not phasing-corrected): runscanner's MiSeq yield of 1.2046 Gbp per 121-cycle
  // read is 120 cycles' worth.
  const lastCycles = new Set(
    [...firstCycle.entries()].map(
      ([n, f]) => f + input.reads.find((r) => r.number === n)!.cycles - 1,
    ),
  );
  const inRead = <T extends { cycle: number }>(xs: readonly T[] | undefined, read: number) =>
    (xs ?? []).filter((x) => readOfCycle.get(x.cycle)?.number === read && !lastCycles.has(x.cycle));

  // Lanes, from tile metrics.
  const tiles = input.tile?.tiles ?? [];
  const laneNumbers = [...new Set(tiles.map((t) => t.lane))].sort((a, b) => a - b);
  const lanes: LaneSummary[] = laneNumbers.map((lane) => {
    const ts = tiles.filter((t) => t.lane === lane);
    const clusters = ts.reduce((a, t) => a + (t.clusters ?? 0), 0);
    const clustersPf = ts.reduce((a, t) => a + (t.clustersPf ?? 0), 0);
    return {
      lane,
      tiles: ts.length,
      clusters,
      clustersPf,
      percentPf: pct(clustersPf, clusters),
      density: spread(ts.flatMap((t) => (t.density === undefined ? [] : [t.density]))),
      densityPf: spread(ts.flatMap((t) => (t.densityPf === undefined ? [] : [t.densityPf]))),
    };
  });
  const tileValues = (
    pick: 'phasing' | 'prephasing' | 'percentAligned',
    read: number,
    lane?: number,
  ) =>
    tiles
      .filter((t) => lane === undefined || t.lane === lane)
      .flatMap((t) => {
        const v = t[pick].get(read);
        return v === undefined || Number.isNaN(v) ? [] : [v];
      });

  const qualityStats = (qs: readonly QualityRecord[]) => {
    const total = qs.reduce((a, q) => a + q.total, 0);
    return {
      yieldBases: qs.length ? total : undefined,
      percentQ30: pct(
        qs.reduce((a, q) => a + q.atLeastQ30, 0),
        total,
      ),
    };
  };
  /** Mean over tiles of each tile's mean over cycles (how SAV averages error rates). */
  const errorStats = (es: readonly ErrorRecord[]) => {
    const byTile = new Map<string, number[]>();
    for (const e of es) {
      if (Number.isNaN(e.errorRate)) continue;
      const key = `${e.lane}_${e.tile}`;
      (byTile.get(key) ?? byTile.set(key, []).get(key)!).push(e.errorRate);
    }
    return mean([...byTile.values()].map((v) => mean(v)!));
  };
  const intensityAt = (cycle: number, lane?: number) =>
    mean(
      (input.extraction ?? [])
        .filter((e) => e.cycle === cycle && (lane === undefined || e.lane === lane))
        .map((e) => mean(e.intensities)!),
    );

  const reads: ReadSummary[] = input.reads.map((r) => {
    const first = firstCycle.get(r.number)!;
    const q = qualityStats(inRead(input.quality, r.number));
    return {
      read: r.number,
      isIndexed: r.isIndexed,
      cycles: r.cycles,
      firstCycle: first,
      lastCycle: first + r.cycles - 1,
      ...q,
      errorRate: errorStats(inRead(input.error, r.number)),
      intensityCycle1: intensityAt(first),
      phasing: percentOf(median(tileValues('phasing', r.number))),
      prephasing: percentOf(median(tileValues('prephasing', r.number))),
      percentAligned: mean(tileValues('percentAligned', r.number)),
    };
  });

  const allLanes = [
    ...new Set([
      ...laneNumbers,
      ...(input.quality ?? []).map((q) => q.lane),
      ...(input.error ?? []).map((q) => q.lane),
    ]),
  ].sort((a, b) => a - b);
  const lanesByRead: LaneReadSummary[] = allLanes.flatMap((lane) =>
    input.reads.map((r) => {
      const ofLane = <T extends { lane: number }>(xs: readonly T[]) =>
        xs.filter((x) => x.lane === lane);
      const q = qualityStats(ofLane(inRead(input.quality, r.number)));
      return {
        lane,
        read: r.number,
        ...q,
        errorRate: errorStats(ofLane(inRead(input.error, r.number))),
        intensityCycle1: intensityAt(firstCycle.get(r.number)!, lane),
        phasing: percentOf(median(tileValues('phasing', r.number, lane))),
        prephasing: percentOf(median(tileValues('prephasing', r.number, lane))),
        percentAligned: mean(tileValues('percentAligned', r.number, lane)),
      };
    }),
  );

  const cycles = cycleSummaries(input, readOfCycle);
  const nonIndexedReads = new Set(input.reads.filter((r) => !r.isIndexed).map((r) => r.number));
  const usable = <T extends { cycle: number }>(xs: readonly T[] | undefined) =>
    (xs ?? []).filter((x) => readOfCycle.has(x.cycle) && !lastCycles.has(x.cycle));
  const nonIndexed = <T extends { cycle: number }>(xs: readonly T[] | undefined) =>
    usable(xs).filter((x) => nonIndexedReads.has(readOfCycle.get(x.cycle)!.number));
  const all = qualityStats(usable(input.quality));
  const ni = qualityStats(nonIndexed(input.quality));
  const clusters = lanes.length ? lanes.reduce((a, l) => a + l.clusters, 0) : undefined;
  const clustersPf = lanes.length ? lanes.reduce((a, l) => a + l.clustersPf, 0) : undefined;
  const maxCycle = (xs: readonly { cycle: number }[] | undefined) =>
    xs && xs.length ? xs.reduce((m, x) => Math.max(m, x.cycle), 0) : undefined;
  return {
    clusters,
    clustersPf,
    percentPf: clusters === undefined ? undefined : pct(clustersPf ?? 0, clusters),
    yieldBases: all.yieldBases,
    nonIndexedYieldBases: ni.yieldBases,
    percentQ30: all.percentQ30,
    nonIndexedPercentQ30: ni.percentQ30,
    errorRate: errorStats(usable(input.error)),
    nonIndexedErrorRate: errorStats(nonIndexed(input.error)),
    maxCycleScored: maxCycle(input.quality),
    maxCycleCalled: maxCycle(input.correctedIntensity),
    maxCycleExtracted: maxCycle(input.extraction),
    lanes,
    reads,
    lanesByRead,
    cycles,
    indexes: indexSummaries(input.index ?? []),
  };
}

function cycleSummaries(input: MetricsInput, readOfCycle: Map<number, RunRead>): CycleSummary[] {
  const group = <T extends { cycle: number }>(xs: readonly T[] | undefined) => {
    const m = new Map<number, T[]>();
    for (const x of xs ?? []) (m.get(x.cycle) ?? m.set(x.cycle, []).get(x.cycle)!).push(x);
    return m;
  };
  const q = group(input.quality);
  const e = group(input.error);
  const x = group(input.extraction);
  const ci = group(input.correctedIntensity);
  const all = [...new Set([...q.keys(), ...e.keys(), ...x.keys(), ...ci.keys()])].sort(
    (a, b) => a - b,
  );
  return all.map((cycle) => {
    const qs = q.get(cycle) ?? [];
    const total = qs.reduce((a, r) => a + r.total, 0);
    const xs = x.get(cycle);
    const cis = ci.get(cycle);
    // Per tile first, then the mean over tiles (as SAV and runscanner plot it).
    const perTile = (cis ?? []).flatMap((r) => {
      const called = r.calls[1] + r.calls[2] + r.calls[3] + r.calls[4];
      return called > 0 ? [[1, 2, 3, 4].map((b) => (100 * r.calls[b]!) / called)] : [];
    });
    const calls = cis
      ? cis.reduce((a, r) => a + r.calls[1] + r.calls[2] + r.calls[3] + r.calls[4], 0)
      : 0;
    const nCalls = cis ? cis.reduce((a, r) => a + r.calls[0], 0) : 0;
    return {
      cycle,
      read: readOfCycle.get(cycle)?.number ?? 0,
      percentQ30: pct(
        qs.reduce((a, r) => a + r.atLeastQ30, 0),
        total,
      ),
      errorRate: mean((e.get(cycle) ?? []).map((r) => r.errorRate).filter((v) => !Number.isNaN(v))),
      intensity: xs
        ? [0, 1, 2, 3].map((ch) => mean(xs.map((r) => r.intensities[ch]!))!)
        : undefined,
      calledIntensity: cis
        ? [0, 1, 2, 3].map((b) => mean(cis.map((r) => r.calledIntensity[b]!))!)
        : undefined,
      basePercent: perTile.length
        ? [0, 1, 2, 3].map((b) => mean(perTile.map((t) => t[b]!))!)
        : undefined,
      percentN: cis ? pct(nCalls, calls + nCalls) : undefined,
    };
  });
}

function indexSummaries(records: readonly IndexRecord[]): IndexSummary[] {
  const m = new Map<string, IndexSummary>();
  for (const r of records) {
    const key = `${r.lane}\t${r.index}\t${r.sample}\t${r.project}`;
    const s = m.get(key);
    if (s) s.clusters += r.clusters;
    else
      m.set(key, {
        lane: r.lane,
        index: r.index,
        sample: r.sample,
        project: r.project,
        clusters: r.clusters,
      });
  }
  return [...m.values()].sort((a, b) => a.lane - b.lane || b.clusters - a.clusters);
}
