import type { VcfHeaderInfo, VcfRecord } from '../../formats/index.js';
import { API_VERSION } from '../../domain/index.js';
import type { CoverageAnswer } from '../../services/index.js';

export const variantHeader = (fileId: string, h: VcfHeaderInfo) => ({
  Id: fileId,
  Href: `${API_VERSION}/variantset/${fileId}`,
  Metadata: h.metadata,
  Samples: Object.fromEntries(h.samples.map((s) => [s, s])),
  Legends: h.legends,
});

export const variant = (v: VcfRecord) => ({
  CHROM: v.chrom,
  POS: v.pos,
  ID: v.ids,
  REF: v.ref,
  ALT: v.alt,
  ...(v.qual !== undefined && { QUAL: v.qual }),
  FILTER: v.filter,
  INFO: v.info,
  SampleFormat: v.samples,
});

/**
 * The `coverage/{id}/{chrom}` answer's fields in the `Coverage` schema's order, `MeanCoverage`
 * left empty: the route prints the means into the answer's bytes (coverage-json.presenter.ts:
 * each float32 value widened to a double, printed as `JSON.stringify` prints it). The schema's
 * serializer spent a fifth of a query's CPU converting the numbers one by one (bench/genomics
 * profile).
 */
export const coverage = (fileId: string, c: CoverageAnswer) => ({
  Id: fileId,
  Chrom: c.chrom,
  StartPos: c.startPos,
  EndPos: c.endPos,
  BucketSize: c.bucketSize,
  ZoomLevel: c.zoomLevel,
  MeanCoverage: [] as number[],
});
