import { Type } from 'typebox';
import { Href } from './common.schema.js';

/** SequencingStats (spec 6.1) and seqhub's per-cycle extension. Absent values are omitted. */
const opt = Type.Optional;
const num = (description?: string) => opt(Type.Number(description ? { description } : {}));
const int = () => opt(Type.Integer());

export const ReadStats = Type.Object({
  ReadNumber: Type.Integer(),
  IsIndexed: Type.Boolean(),
  TotalCycles: Type.Integer(),
  YieldTotal: num('Gigabases (PF, last cycle of the read excluded, as SAV)'),
  PercentGtQ30: num(),
  ErrorRate: num(),
  IntensityCycle1: num(),
  Phasing: num('Percent, median over tiles'),
  PrePhasing: num('Percent, median over tiles'),
  PercentAligned: num(),
});

export const LaneStats = Type.Object({
  LaneNumber: Type.Integer(),
  TileCount: Type.Integer(),
  ReadsTotal: Type.Number(),
  ReadsPfTotal: Type.Number(),
  PercentPf: num(),
  ClusterDensity: num('K clusters per mm², mean over tiles'),
  ClusterDensityDeviation: num('Standard deviation over tiles'),
  ClusterDensityPf: num(),
  ClusterDensityPfDeviation: num(),
});

export const LaneReadStats = Type.Object({
  LaneNumber: Type.Integer(),
  ReadNumber: Type.Integer(),
  YieldTotal: num(),
  PercentGtQ30: num(),
  ErrorRate: num(),
  IntensityCycle1: num(),
  Phasing: num(),
  PrePhasing: num(),
  PercentAligned: num(),
});

const Bases = Type.Object({
  A: Type.Number(),
  C: Type.Number(),
  G: Type.Number(),
  T: Type.Number(),
});

export const CycleStats = Type.Object({
  CycleNumber: Type.Integer(),
  ReadNumber: Type.Integer(),
  PercentGtQ30: num(),
  ErrorRate: num(),
  Intensity: opt(
    Type.Array(Type.Number(), { description: '90th-percentile intensity per channel' }),
  ),
  CalledIntensity: opt(Bases),
  BasePercent: opt(Bases),
  PercentN: num(),
});

export const IndexStats = Type.Object({
  LaneNumber: Type.Integer(),
  Index: Type.String(),
  SampleName: Type.String(),
  ProjectName: Type.String(),
  Clusters: Type.Number(),
});

export const SequencingStats = Type.Object({
  Href,
  IsIndexed: Type.Boolean(),
  YieldTotal: num('Gigabases'),
  ProjectedTotalYield: num('Gigabases'),
  PercentAligned: num(),
  ErrorRate: num(),
  ErrorRateR1: num(),
  ErrorRateR2: num(),
  IntensityCycle1: num(),
  PercentGtQ30: num(),
  PercentGtQ30R1: num(),
  PercentGtQ30R2: num(),
  NonIndexedYieldTotal: num(),
  NonIndexedPercentGtQ30: num(),
  NonIndexedErrorRate: num(),
  NonIndexedIntensityCycle1: num(),
  NonIndexedPercentAligned: num(),
  MaxCycleCalled: int(),
  MaxCycleExtracted: int(),
  MaxCycleScored: int(),
  Chemistry: opt(Type.String()),
  NumLanes: int(),
  NumSurfaces: int(),
  NumSwathsPerLane: int(),
  NumTilesPerSwath: int(),
  NumReads: Type.Integer(),
  NumCyclesRead1: int(),
  NumCyclesRead2: int(),
  NumCyclesIndex1: int(),
  NumCyclesIndex2: int(),
  PercentPf: num(),
  PhasingR1: num(),
  PhasingR2: num(),
  PrePhasingR1: num(),
  PrePhasingR2: num(),
  ReadsPfTotal: num(),
  ReadsTotal: num(),
  Reads: Type.Array(ReadStats),
  Lanes: Type.Array(LaneStats),
  LanesByRead: Type.Array(LaneReadStats),
  Cycles: opt(
    Type.Array(CycleStats, { description: 'Only with Detail=cycles (seqhub extension)' }),
  ),
  Indexes: opt(
    Type.Array(IndexStats, { description: 'From IndexMetricsOut.bin (seqhub extension)' }),
  ),
});
