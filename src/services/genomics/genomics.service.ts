import { TBI } from '@gmod/tabix';
import {
  AppError,
  COVERAGE_ZOOM,
  genomicKindOf,
  genomicsKey,
  parseRegion,
  requireKind,
  resolveContig,
  type ContigCoverage,
  type FileRecord,
  type GenomicKind,
  type GenomicsManifest,
} from '../../domain/index.js';
import { FormatError, parseVcfHeader, type VcfHeaderInfo } from '../../formats/index.js';
import type { BlobStore } from '../../ports.js';
import type { AccessService } from '../access.service.js';
import type { Principal } from '../principal.js';
import { BlobFilehandle, readBlob } from './blob-filehandle.js';
import { BufferPool } from './buffer-pool.js';
import {
  BgzfBlockCache,
  corruptData,
  scanColumns,
  scanRegion,
  type CachedBlock,
} from './variant-scan.js';
import { CoveragePages } from './coverage-pages.js';

/** Variant records per page (spec 4.11: at most 1000; IGV asks 1024, so larger limits clamp). */
export const MAX_VARIANT_PAGE = 1000;
/**
 * Compressed bytes one variant query may read: a whole chromosome of a deep cohort VCF would
 * otherwise hold a request for seconds; 16 MiB is about 150,000 typical records.
 */
export const MAX_REGION_BYTES = 16 * 1024 * 1024;
/** Coverage buckets one response may carry; beyond it the caller picks a coarser zoom. */
export const MAX_COVERAGE_BUCKETS = 100_000;
/** Without a zoom, the finest level that answers the region in at most this many buckets. */
export const DEFAULT_COVERAGE_BUCKETS = 1000;

/**
 * Parsed manifests and tabix readers kept per file. Files are immutable once complete and their
 * index never changes once ready, so entries never go stale; the bound keeps memory flat.
 */
const CACHE_ENTRIES = 256;

class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
}

/**
 * Lines gathered as UTF-8 bytes, each ending in a newline: the `Format=vcf` answer as it is, and
 * what the JSON writer reads, with no array of strings and no joined string in between.
 */
class LineBuffer {
  private readonly pooled = lineBuffers.take();
  private buf = this.pooled;
  private at = 0;
  /** The run of lines not yet copied: bytes [from, to) of src, newlines included. */
  private src: Buffer | undefined;
  private from = 0;
  private to = 0;
  count = 0;

  /**
   * Bytes [from, to) of `src` as one line; `src[to]` is its newline. Lines that follow each
   * other in `src` (an ascending page, usually) stay one run, copied at once. `src` may be a
   * view of cached blocks that another query may reuse once unpinned, so every line is copied
   * ({@link flush}) before the blocks are let go.
   */
  pushRange(src: Buffer, from: number, to: number): void {
    this.count++;
    if (this.src === src && this.to === from) {
      this.to = to + 1;
      return;
    }
    this.flush();
    this.src = src;
    this.from = from;
    this.to = to + 1;
  }

  /** Copies the run of lines not yet copied. */
  flush(): void {
    if (!this.src) return;
    const need = this.at + (this.to - this.from);
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.at);
      this.buf = bigger;
    }
    this.at += this.src.copy(this.buf, this.at, this.from, this.to);
    this.src = undefined;
  }

  bytes(): Buffer {
    this.flush();
    return this.buf.subarray(0, this.at);
  }

  /** Gives the pooled buffer back: {@link bytes} must no longer be read. */
  release(): void {
    lineBuffers.give(this.pooled);
  }
}

/** The pages' VCF bytes: a page of 1,000 short records is ~40 KiB. */
const lineBuffers = new BufferPool(128 * 1024, 32);

export interface GenomicFile {
  file: FileRecord;
  manifest: GenomicsManifest;
}

export interface VariantPage {
  chrom: string;
  /** The page's VCF data lines as the file holds them, each ending in a newline (UTF-8). */
  vcf: Buffer;
  /** Lines in {@link vcf}. */
  count: number;
  /**
   * Gives {@link vcf}'s memory back for reuse (a pooled buffer): call once it is no longer read
   * (written into the JSON answer, or the `Format=vcf` reply finished); never calling it is safe.
   */
  release: () => void;
  totalCount: number;
  /** The file's header (its samples name the JSON's `SampleFormat` keys). */
  header: VcfHeaderInfo;
}

export interface CoverageAnswer {
  chrom: string;
  /** 1-based inclusive, widened to whole buckets (clamped to the chromosome's end). */
  startPos: number;
  endPos: number;
  bucketSize: number;
  zoomLevel: number;
  /** The stored float32 means, one per bucket, in order: views of the cached pages (`CoverageSlice.parts`). */
  means: Float32Array[];
}

/** Region queries over indexed VCF and BAM files (spec 4.11, 4.12); read-only. */
export class GenomicsService {
  private readonly manifests = new Lru<GenomicsManifest>(CACHE_ENTRIES);
  private readonly tabix = new Lru<TBI>(CACHE_ENTRIES);
  /** Inflated BGZF blocks of the variant files queried lately (variant-scan.ts). */
  readonly blocks = new BgzfBlockCache();
  private readonly headers = new Lru<VcfHeaderInfo>(CACHE_ENTRIES);
  private readonly coveragePages: CoveragePages;

  constructor(
    private readonly access: AccessService,
    private readonly blobs: BlobStore,
  ) {
    this.coveragePages = new CoveragePages(blobs);
  }

  /**
   * The file with its manifest, once the caller may read it (`read` access, as downloads) and
   * its index is ready; a file still indexing or whose indexing failed is a 409 saying so.
   */
  async ready(principal: Principal, fileId: string, kind: GenomicKind): Promise<GenomicFile> {
    const file = await this.access.indexedFile(principal, fileId);
    requireKind(kind, genomicKindOf(file.name), file.id);
    return { file, manifest: await this.manifestOf(file) };
  }

  /** Same as {@link ready} for either kind (htsget, which names the kind in its path). */
  async manifestOf(file: FileRecord): Promise<GenomicsManifest> {
    if (file.indexStatus === 'failed') {
      throw new AppError(
        'BASESPACE.GENOMICS.NOT_INDEXED',
        `File ${file.id} could not be indexed: ${file.indexMessage ?? 'unknown reason'}`,
      );
    }
    if (file.indexStatus !== 'ready') {
      throw new AppError(
        'BASESPACE.GENOMICS.NOT_INDEXED',
        `File ${file.id} is still being indexed: try again shortly`,
      );
    }
    const cached = this.manifests.get(file.id);
    if (cached) return cached;
    const manifest = JSON.parse(
      (await readBlob(this.blobs, genomicsKey(file.id, 'manifest.json'))).toString('utf8'),
    ) as GenomicsManifest;
    this.manifests.set(file.id, manifest);
    return manifest;
  }

  /** `variantset/{id}` (spec 4.11): the VCF header's metadata, legends and samples. */
  async variantSet(
    principal: Principal,
    fileId: string,
  ): Promise<GenomicFile & { info: VcfHeaderInfo }> {
    const g = await this.ready(principal, fileId, 'vcf');
    return { ...g, info: this.headerOf(g) };
  }

  private headerOf(g: GenomicFile): VcfHeaderInfo {
    let h = this.headers.get(g.file.id);
    if (!h) {
      h = parseVcfHeader(g.manifest.header);
      this.headers.set(g.file.id, h);
    }
    return h;
  }

  /** The file's name for a requested chromosome (with or without `chr`), or a 404. */
  contig(manifest: GenomicsManifest, requested: string, fileId: string) {
    const name = resolveContig(
      requested,
      manifest.contigs.map((c) => c.name),
    );
    if (name === undefined) {
      throw new AppError(
        'BASESPACE.GENOMICS.NOT_FOUND',
        `File ${fileId} has no chromosome '${requested.slice(0, 64)}'`,
      );
    }
    return manifest.contigs.find((c) => c.name === name)!;
  }

  private tabixOf(fileId: string, m: GenomicsManifest): TBI {
    let t = this.tabix.get(fileId);
    if (!t) {
      t = new TBI({
        filehandle: new BlobFilehandle(this.blobs, m.indexKey, Number.MAX_SAFE_INTEGER),
      });
      this.tabix.set(fileId, t);
    }
    return t;
  }

  /**
   * The VCF lines of the records overlapping the region (as `tabix`/`bcftools view -r`), one
   * page of them in position order (or reversed), with the total count. Positions are the API's
   * 1-based inclusive `StartPos`/`EndPos`.
   */
  async variants(
    principal: Principal,
    fileId: string,
    chrom: string,
    startPos: string | undefined,
    endPos: string | undefined,
    page: { offset: number; limit: number; descending: boolean },
  ): Promise<VariantPage & GenomicFile> {
    const g = await this.ready(principal, fileId, 'vcf');
    const contig = this.contig(g.manifest, chrom, g.file.id);
    const region = parseRegion(startPos, endPos, contig.length);
    const tabix = this.tabixOf(g.file.id, g.manifest);
    const meta = await tabix.getMetadata();
    if (!meta.refIdToName.includes(contig.name)) {
      throw new AppError(
        'BASESPACE.GENOMICS.NOT_FOUND',
        `No variants on ${contig.name} in file ${g.file.id}`,
      );
    }
    // The index's chunks for the region (the library's TBI parsing and chunk merging), read and
    // scanned by variant-scan.ts: what tabix's getLines returns, without its strings.
    const chunks =
      region.start < region.end
        ? await tabix.blocksForRange(contig.name, region.start, region.end)
        : [];
    let bytes = 0;
    for (const c of chunks) bytes += c.fetchedSize();
    if (bytes > MAX_REGION_BYTES) {
      throw new AppError(
        'BASESPACE.GENOMICS.REGION_TOO_LARGE',
        `The region holds about ${bytes} compressed bytes of records, over the ${MAX_REGION_BYTES} one query reads: ask for a smaller region`,
      );
    }
    const limit = Math.min(page.limit, MAX_VARIANT_PAGE);
    const vcf = new LineBuffer();
    // Descending pages need the last lines first: their ranges are kept, and copied at the end.
    const kept: { buf: Buffer; from: number; to: number }[] = [];
    // Cached blocks the lines are views of, held until they are copied into `vcf` below.
    const pins: CachedBlock[] = [];
    let total = 0;
    try {
      await scanRegion(
        this.blobs,
        { key: g.manifest.dataKey, size: g.manifest.dataSize },
        chunks,
        scanColumns(meta),
        contig.name,
        region.start,
        region.end,
        this.blocks,
        (buf, from, to) => {
          if (page.descending) kept.push({ buf, from, to });
          else if (total >= page.offset && total < page.offset + limit)
            vcf.pushRange(buf, from, to);
          total++;
        },
        pins,
      );
      if (page.descending) {
        const from = Math.max(0, kept.length - page.offset - limit);
        for (let i = kept.length - 1 - page.offset; i >= from; i--) {
          vcf.pushRange(kept[i]!.buf, kept[i]!.from, kept[i]!.to);
        }
      }
      vcf.flush();
    } catch (error) {
      vcf.release();
      if (error instanceof FormatError) throw corruptData(g.file.id, error);
      throw error;
    } finally {
      this.blocks.unpin(pins);
    }
    if (total === 0) {
      vcf.release();
      throw new AppError(
        'BASESPACE.GENOMICS.NOT_FOUND',
        `No variants in ${contig.name}:${region.start + 1}-${region.end} of file ${g.file.id}`,
      );
    }
    return {
      ...g,
      chrom: contig.name,
      vcf: vcf.bytes(),
      count: vcf.count,
      release: () => vcf.release(),
      totalCount: total,
      header: this.headerOf(g),
    };
  }

  /** `coverage/{id}/{chrom}/meta` (spec 4.12). */
  async coverageMeta(
    principal: Principal,
    fileId: string,
    chrom: string,
  ): Promise<ContigCoverage & { granularity: number }> {
    const g = await this.ready(principal, fileId, 'bam');
    const c = this.coverageOf(g, chrom);
    return { ...c, granularity: c.levels[0]!.bucketSize };
  }

  private coverageOf(g: GenomicFile, chrom: string): ContigCoverage {
    const contig = this.contig(g.manifest, chrom, g.file.id);
    const c = g.manifest.coverage?.find((x) => x.name === contig.name);
    if (!c) {
      throw new AppError(
        'BASESPACE.GENOMICS.NOT_FOUND',
        `No coverage for ${contig.name} in file ${g.file.id}`,
      );
    }
    return c;
  }

  /**
   * Mean depth per bucket over the region (spec 4.12). The zoom is `zoomLevel` (bucket size
   * 128 * 2^zoom) or `bucketSize` (a power-of-two multiple of 128); without either, the finest
   * level that answers in {@link DEFAULT_COVERAGE_BUCKETS} buckets or fewer.
   */
  async coverage(
    principal: Principal,
    fileId: string,
    chrom: string,
    query: {
      startPos?: string | undefined;
      endPos?: string | undefined;
      zoomLevel?: number | undefined;
      bucketSize?: number | undefined;
    },
  ): Promise<CoverageAnswer> {
    const g = await this.ready(principal, fileId, 'bam');
    const c = this.coverageOf(g, chrom);
    const region = parseRegion(query.startPos, query.endPos, c.length);
    const level = pickLevel(c, region, query.zoomLevel, query.bucketSize);
    const info = c.levels[level]!;
    const first = Math.floor(region.start / info.bucketSize);
    const last = Math.floor((region.end - 1) / info.bucketSize);
    const count = last - first + 1;
    if (count > MAX_COVERAGE_BUCKETS) {
      throw new AppError(
        'BASESPACE.GENOMICS.REGION_TOO_LARGE',
        `The region spans ${count} buckets of ${info.bucketSize} bases, over the ${MAX_COVERAGE_BUCKETS} one answer holds: pick a coarser zoomLevel`,
      );
    }
    // offset -1: a chromosome without reads, whose levels were not stored (all zeros).
    const means =
      info.offset >= 0
        ? (await this.coveragePages.read(g.manifest.coverageKey!, info, first, count)).parts
        : [new Float32Array(count)];
    return {
      chrom: c.name,
      startPos: first * info.bucketSize + 1,
      endPos: Math.min((last + 1) * info.bucketSize, c.length),
      bucketSize: info.bucketSize,
      zoomLevel: level,
      means,
    };
  }
}

function pickLevel(
  c: ContigCoverage,
  region: { start: number; end: number },
  zoomLevel: number | undefined,
  bucketSize: number | undefined,
): number {
  const max = c.levels.length - 1;
  if (bucketSize !== undefined) {
    const level = c.levels.findIndex((l) => l.bucketSize === bucketSize);
    if (level < 0) {
      throw new AppError(
        'BASESPACE.GENOMICS.REGION_INVALID',
        `BucketSize must be one of ${c.levels.map((l) => l.bucketSize).join(', ')} for ${c.name}`,
      );
    }
    return level;
  }
  if (zoomLevel !== undefined) {
    if (zoomLevel > COVERAGE_ZOOM.max) {
      throw new AppError(
        'BASESPACE.GENOMICS.REGION_INVALID',
        `zoomLevel must be 0 to ${COVERAGE_ZOOM.max}`,
      );
    }
    // Past the coarsest level a chromosome has (one bucket), the coarsest level answers.
    return Math.min(zoomLevel, max);
  }
  const span = region.end - region.start;
  for (let level = 0; level <= max; level++) {
    if (Math.ceil(span / c.levels[level]!.bucketSize) + 1 <= DEFAULT_COVERAGE_BUCKETS) return level;
  }
  return max;
}
