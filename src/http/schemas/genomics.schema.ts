import { Type } from 'typebox';
import { MAX_LIMIT } from '../../domain/index.js';
import { Href, Id, StringEnum } from './common.schema.js';

const opt = Type.Optional;
const StringMap = Type.Record(Type.String(), Type.String());

/** `GET variantset/{id}` (spec 4.11). */
export const VariantHeader = Type.Object({
  Id,
  Href,
  Metadata: StringMap,
  Samples: Type.Record(Type.String(), Type.String(), {
    description:
      'Sample column names, each keyed by itself (spec 4.11: SDKs disagree on the shape; see docs/genomics.md)',
  }),
  Legends: Type.Record(Type.String(), Type.Array(StringMap)),
});

/** One record of `variantset/{id}/variants/{chrom}` (spec 4.11). */
export const Variant = Type.Object({
  CHROM: Type.String(),
  POS: Type.Integer({ description: '1-based, as in the VCF' }),
  ID: Type.Array(Type.String()),
  REF: Type.String(),
  ALT: Type.String({ description: 'Alleles comma-joined as in the file' }),
  QUAL: opt(Type.Number()),
  FILTER: Type.String(),
  INFO: Type.Record(Type.String(), Type.Array(Type.String())),
  SampleFormat: Type.Record(Type.String(), StringMap),
});

const Position = Type.String({ maxLength: 20, description: '1-based, inclusive' });

export const RegionParams = Type.Object({ id: Type.String(), chrom: Type.String() });

export const VariantQuery = Type.Object({
  StartPos: opt(Position),
  EndPos: opt(Position),
  Format: opt(StringEnum(['json', 'vcf'] as const)),
  Offset: opt(Type.Integer({ minimum: 0, maximum: 2 ** 31 })),
  Limit: opt(
    Type.Integer({ minimum: 0, maximum: MAX_LIMIT, description: 'At most 1000 are returned' }),
  ),
  SortBy: opt(StringEnum(['Position'] as const)),
  SortDir: opt(StringEnum(['Asc', 'Desc'] as const)),
});

export const HeaderQuery = Type.Object({ Format: opt(StringEnum(['json', 'vcf'] as const)) });

export const CoverageQuery = Type.Object({
  StartPos: opt(Position),
  EndPos: opt(Position),
  zoomLevel: opt(
    Type.Integer({ minimum: 0, maximum: 64, description: 'Bucket size = 128 * 2^zoomLevel' }),
  ),
  BucketSize: opt(
    Type.Integer({ minimum: 1, maximum: 2 ** 31, description: '128 * 2^k: another way to zoom' }),
  ),
});

/** `GET coverage/{id}/{chrom}` (spec 4.12). */
export const Coverage = Type.Object({
  Id,
  Chrom: Type.String(),
  StartPos: Type.Integer(),
  EndPos: Type.Integer(),
  BucketSize: Type.Integer(),
  ZoomLevel: Type.Integer({ description: 'seqhub extension' }),
  MeanCoverage: Type.Array(Type.Number()),
});

/** `GET coverage/{id}/{chrom}/meta` (spec 4.12). */
export const CoverageMeta = Type.Object({
  Id,
  Chrom: Type.String(),
  MaxCoverage: Type.Integer(),
  CoverageGranularity: Type.Integer(),
  Length: Type.Integer({ description: 'seqhub extension: chromosome length' }),
  BucketSizes: Type.Array(Type.Integer(), {
    description: 'seqhub extension: the bucket size of each zoomLevel',
  }),
});
