import { href, type Run } from '../../domain/index.js';
import type { RunMetricsSummary } from '../../formats/index.js';

const giga = (bases: number | undefined) => (bases === undefined ? undefined : bases / 1e9);
const kilo = (v: number | undefined) => (v === undefined ? undefined : v / 1000);
const finite = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? undefined : v);
const bases = (v: number[] | undefined) =>
  v && v.length === 4 ? { A: v[0]!, C: v[1]!, G: v[2]!, T: v[3]! } : undefined;

/**
 * SequencingStats (spec 6.1) from the summary stored at ingest. `R1`/`R2` are the first and
 * second non-index reads; yields are gigabases; densities K/mm².
 */
export function sequencingStats(
  run: Run,
  stats: RunMetricsSummary | undefined,
  detail: { cycles: boolean },
) {
  const d = run.details;
  const reads = stats?.reads ?? [];
  const data = reads.filter((r) => !r.isIndexed);
  const nonIndexedAligned = data.flatMap((r) =>
    r.percentAligned === undefined ? [] : [r.percentAligned],
  );
  const clean = <T extends Record<string, unknown>>(o: T): T =>
    Object.fromEntries(
      Object.entries(o).filter(
        ([, v]) => v !== undefined && !(typeof v === 'number' && !Number.isFinite(v)),
      ),
    ) as T;
  return clean({
    Href: href('run', run.id, 'sequencingstats'),
    IsIndexed: (d?.reads ?? []).some((r) => r.isIndexed),
    YieldTotal: giga(stats?.yieldBases),
    ProjectedTotalYield: giga(stats?.yieldBases),
    PercentAligned: nonIndexedAligned.length
      ? nonIndexedAligned.reduce((a, b) => a + b, 0) / nonIndexedAligned.length
      : undefined,
    ErrorRate: finite(stats?.errorRate),
    ErrorRateR1: finite(data[0]?.errorRate),
    ErrorRateR2: finite(data[1]?.errorRate),
    IntensityCycle1: finite(reads[0]?.intensityCycle1),
    PercentGtQ30: finite(stats?.percentQ30),
    PercentGtQ30R1: finite(data[0]?.percentQ30),
    PercentGtQ30R2: finite(data[1]?.percentQ30),
    NonIndexedYieldTotal: giga(stats?.nonIndexedYieldBases),
    NonIndexedPercentGtQ30: finite(stats?.nonIndexedPercentQ30),
    NonIndexedErrorRate: finite(stats?.nonIndexedErrorRate),
    NonIndexedIntensityCycle1: finite(data[0]?.intensityCycle1),
    NonIndexedPercentAligned: nonIndexedAligned.length
      ? nonIndexedAligned.reduce((a, b) => a + b, 0) / nonIndexedAligned.length
      : undefined,
    MaxCycleCalled: stats?.maxCycleCalled,
    MaxCycleExtracted: stats?.maxCycleExtracted,
    MaxCycleScored: stats?.maxCycleScored,
    Chemistry: d?.chemistry,
    NumLanes: d?.lanes,
    NumSurfaces: d?.surfaces,
    NumSwathsPerLane: d?.swathsPerLane,
    NumTilesPerSwath: d?.tilesPerSwath,
    NumReads: d?.reads.length ?? 0,
    NumCyclesRead1: run.numCyclesRead1,
    NumCyclesRead2: run.numCyclesRead2,
    NumCyclesIndex1: run.numCyclesIndex1,
    NumCyclesIndex2: run.numCyclesIndex2,
    PercentPf: finite(stats?.percentPf),
    PhasingR1: finite(data[0]?.phasing),
    PhasingR2: finite(data[1]?.phasing),
    PrePhasingR1: finite(data[0]?.prephasing),
    PrePhasingR2: finite(data[1]?.prephasing),
    ReadsPfTotal: stats?.clustersPf,
    ReadsTotal: stats?.clusters,
    Reads: reads.map((r) =>
      clean({
        ReadNumber: r.read,
        IsIndexed: r.isIndexed,
        TotalCycles: r.cycles,
        YieldTotal: giga(r.yieldBases),
        PercentGtQ30: finite(r.percentQ30),
        ErrorRate: finite(r.errorRate),
        IntensityCycle1: finite(r.intensityCycle1),
        Phasing: finite(r.phasing),
        PrePhasing: finite(r.prephasing),
        PercentAligned: finite(r.percentAligned),
      }),
    ),
    Lanes: (stats?.lanes ?? []).map((l) =>
      clean({
        LaneNumber: l.lane,
        TileCount: l.tiles,
        ReadsTotal: l.clusters,
        ReadsPfTotal: l.clustersPf,
        PercentPf: finite(l.percentPf),
        ClusterDensity: kilo(l.density?.mean),
        ClusterDensityDeviation: kilo(l.density?.sd),
        ClusterDensityPf: kilo(l.densityPf?.mean),
        ClusterDensityPfDeviation: kilo(l.densityPf?.sd),
      }),
    ),
    LanesByRead: (stats?.lanesByRead ?? []).map((l) =>
      clean({
        LaneNumber: l.lane,
        ReadNumber: l.read,
        YieldTotal: giga(l.yieldBases),
        PercentGtQ30: finite(l.percentQ30),
        ErrorRate: finite(l.errorRate),
        IntensityCycle1: finite(l.intensityCycle1),
        Phasing: finite(l.phasing),
        PrePhasing: finite(l.prephasing),
        PercentAligned: finite(l.percentAligned),
      }),
    ),
    Cycles: detail.cycles
      ? (stats?.cycles ?? []).map((c) =>
          clean({
            CycleNumber: c.cycle,
            ReadNumber: c.read,
            PercentGtQ30: finite(c.percentQ30),
            ErrorRate: finite(c.errorRate),
            Intensity: c.intensity,
            CalledIntensity: bases(c.calledIntensity),
            BasePercent: bases(c.basePercent),
            PercentN: finite(c.percentN),
          }),
        )
      : undefined,
    Indexes: stats?.indexes.length
      ? stats.indexes.map((i) => ({
          LaneNumber: i.lane,
          Index: i.index,
          SampleName: i.sample,
          ProjectName: i.project,
          Clusters: i.clusters,
        }))
      : undefined,
  });
}
