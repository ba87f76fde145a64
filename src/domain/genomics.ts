import { AppError, badRequest } from './errors.js';

/**
 * Genomic files (issue 7): VCF and BAM are indexed when their upload completes; region queries
 * answer from what the indexer stored beside the file. Coordinates inside are 0-based half-open;
 * the API's `StartPos`/`EndPos` are 1-based inclusive (spec 4.11, 4.12) and convert at the edge.
 */

/** Indexing state of a genomic file; undefined for every other file. */
export type IndexStatus = 'pending' | 'ready' | 'failed';
export type GenomicKind = 'vcf' | 'bam';

/** Which genomic kind a file name says (case-insensitive suffix), if any. */
export function genomicKindOf(name: string): GenomicKind | undefined {
  const n = name.toLowerCase();
  if (n.endsWith('.vcf') || n.endsWith('.vcf.gz') || n.endsWith('.vcf.bgz')) return 'vcf';
  if (n.endsWith('.bam')) return 'bam';
  return undefined;
}

/** BAI/TBI address at most 2^29 bases; a position past it names nothing. */
export const MAX_GENOMIC_POSITION = 2 ** 29;

/**
 * Finds the file's own name for a requested chromosome: exact, then with or without a `chr`
 * prefix (any case), then case-insensitively (spec 4.11: files say `chr1` or `1`).
 */
export function resolveContig(requested: string, names: readonly string[]): string | undefined {
  if (names.includes(requested)) return requested;
  const bare = requested.replace(/^chr/i, '');
  const candidates = [bare, `chr${bare}`];
  for (const c of candidates) if (names.includes(c)) return c;
  const lower = new Set([bare.toLowerCase(), `chr${bare.toLowerCase()}`]);
  return names.find((n) => lower.has(n.toLowerCase()));
}

/**
 * Reads `StartPos`/`EndPos` (1-based inclusive; spec 4.11/4.12) into a 0-based half-open region,
 * clamped to the contig's `length` when known. Defaults: the whole contig. Refused with 400:
 * non-integers, StartPos < 1, EndPos < StartPos, a start past the contig's end.
 */
export function parseRegion(
  startRaw: string | number | undefined,
  endRaw: string | number | undefined,
  length: number | undefined,
): { start: number; end: number } {
  const start1 = positionOf(startRaw, 'StartPos') ?? 1;
  const limit = length ?? MAX_GENOMIC_POSITION;
  const end1 = positionOf(endRaw, 'EndPos') ?? limit;
  if (end1 < start1) {
    throw new AppError(
      'BASESPACE.GENOMICS.REGION_INVALID',
      `EndPos (${end1}) is before StartPos (${start1})`,
    );
  }
  if (start1 > limit) {
    throw new AppError(
      'BASESPACE.GENOMICS.REGION_INVALID',
      `StartPos ${start1} is past the end of the chromosome (${limit} bases)`,
    );
  }
  return { start: start1 - 1, end: Math.min(end1, limit) };
}

function positionOf(raw: string | number | undefined, name: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const text = String(raw).trim();
  if (!/^-?\d{1,15}$/.test(text)) {
    throw new AppError(
      'BASESPACE.GENOMICS.REGION_INVALID',
      `${name} must be a whole number, not '${text.slice(0, 20)}'`,
    );
  }
  const value = Number(text);
  if (value < 1) {
    throw new AppError(
      'BASESPACE.GENOMICS.REGION_INVALID',
      `${name} must be at least 1 (positions are 1-based), not ${value}`,
    );
  }
  return value;
}

/**
 * Coverage zoom levels: level k has buckets of 128 * 2^k bases (spec 4.12 leaves the relation
 * UNCONFIRMED; this is its plausible reading). IGV asks for zooms up to 15; no chromosome needs
 * more than 22 levels (2^29 bases / 128).
 */
export const COVERAGE_ZOOM = { max: 30 } as const;

/** One contig as the indexer found it. */
export interface ContigInfo {
  name: string;
  /** From the header (`##contig` / `@SQ LN`) when it says. */
  length: number | undefined;
}

/** Where one zoom level of one contig's coverage means lie in the coverage object. */
export interface CoverageLevelInfo {
  bucketSize: number;
  /** Byte offset of its float32 means in the coverage object; -1 when all are 0 (not stored). */
  offset: number;
  count: number;
}

/** The smallest bucket (spec 4.12: `CoverageGranularity` 128 observed). */
export const COVERAGE_BUCKET = 128;

/** Bucket sizes of every zoom level of a chromosome: 128 * 2^k until one bucket covers it. */
export function coverageBucketSizes(length: number): number[] {
  const sizes = [COVERAGE_BUCKET];
  while (sizes.at(-1)! < length) sizes.push(sizes.at(-1)! * 2);
  return sizes;
}

export interface ContigCoverage {
  name: string;
  length: number;
  maxCoverage: number;
  levels: CoverageLevelInfo[];
}

/**
 * What the indexer stores beside a genomic file (`genomics/.../manifest.json`), read by every
 * query. `dataKey` is the object region queries and htsget tickets read: the upload itself when
 * it is BGZF already (BAM, bgzipped VCF), or the indexer's BGZF copy of a plain or gzip VCF.
 */
export interface GenomicsManifest {
  version: 1;
  kind: GenomicKind;
  dataKey: string;
  dataSize: number;
  indexKey: string;
  /** VCF header text, or the BAM's SAM header text. */
  header: string;
  contigs: ContigInfo[];
  /** Virtual offset of the first record: everything before it is the header. */
  firstRecord: number;
  records: number;
  coverageKey?: string;
  coverage?: ContigCoverage[];
}

/** Blob keys of the indexer's outputs for one file: deterministic, so a re-run replaces them. */
export function genomicsKey(fileId: string, name: string): string {
  return `genomics/${fileId.slice(-2).padStart(2, '0')}/${fileId}/${name}`;
}

export const requireKind = (kind: GenomicKind, actual: GenomicKind | undefined, id: string) => {
  if (actual !== kind) {
    throw badRequest(
      `File ${id} is not a ${kind === 'vcf' ? 'VCF (.vcf, .vcf.gz)' : 'BAM (.bam)'} file`,
    );
  }
};
