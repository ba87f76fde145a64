import os from 'node:os';
import type { BlobStore } from '../../ports.js';
import { readBlobRange } from './blob-filehandle.js';

/**
 * Buckets per cached page: 256 KiB of float32. An answer holds at most 100,000 buckets, so it
 * touches at most three pages; a page is small enough that the first query of a level reads
 * little more than it needs.
 */
export const COVERAGE_PAGE_BUCKETS = 65_536;

/**
 * Bytes of coverage pages one process keeps. Every zoom level of a human genome's coverage is
 * ~190 MB, level 0 alone ~95 MB; 128 MiB keeps the levels a browser session touches, and the
 * pages are only ever re-read from the store when pushed out.
 */
export const COVERAGE_CACHE_BYTES = 128 * 1024 * 1024;

/** One zoom level's place in the coverage object: `count` float32s from byte `offset`. */
export interface CoverageLevelRef {
  offset: number;
  count: number;
}

/**
 * Buckets [first, first + count) of one level: views of the cached pages' values, in order (one
 * part per page touched). A page's values never change (coverage objects are immutable), so a
 * view stays right after its page leaves the cache.
 */
export interface CoverageSlice {
  parts: Float32Array[];
}

/**
 * Coverage levels in memory as Float32Array pages, least recently used out first, bounded by
 * bytes. The coverage object of a file never changes once its index is ready (files are
 * immutable, and a re-index writes the same bytes), so a page never goes stale. A ranged blob
 * read per query cost more CPU than the rest of the query (bench/genomics profile). The pages
 * keep values only: their decimal text, once cached here as strings, was old-generation
 * garbage enough for major GCs in the coverage bench; answers now print the values they need
 * (`coverageJson` in the presenters).
 */
export class CoveragePages {
  private readonly pages = new Map<string, Float32Array>();
  private readonly loading = new Map<string, Promise<Float32Array>>();
  private held = 0;

  constructor(
    private readonly blobs: BlobStore,
    private readonly maxBytes = COVERAGE_CACHE_BYTES,
  ) {}

  /** Bytes held now (for tests). */
  get bytes(): number {
    return this.held;
  }

  /**
   * Buckets [first, first + count) of the level stored in object `key`. Throws when the object
   * is shorter than the level says (a damaged store).
   */
  async read(
    key: string,
    level: CoverageLevelRef,
    first: number,
    count: number,
    signal?: AbortSignal,
  ): Promise<CoverageSlice> {
    const end = first + count;
    if (first < 0 || count < 1 || end > level.count) {
      throw new RangeError(`buckets ${first}..${end} are outside the level's ${level.count}`);
    }
    const parts: Float32Array[] = [];
    for (let p = Math.floor(first / COVERAGE_PAGE_BUCKETS); p * COVERAGE_PAGE_BUCKETS < end; p++) {
      const base = p * COVERAGE_PAGE_BUCKETS;
      const k = `${key}@${level.offset}:${p}`;
      const page = this.hit(k) ?? (await this.load(k, key, level, p, signal));
      parts.push(
        page.subarray(Math.max(first, base) - base, Math.min(end, base + page.length) - base),
      );
    }
    return { parts };
  }

  private hit(k: string): Float32Array | undefined {
    const page = this.pages.get(k);
    if (page) {
      this.pages.delete(k);
      this.pages.set(k, page);
    }
    return page;
  }

  /** Reads one page; concurrent readers of the same page share one read. */
  private load(
    k: string,
    key: string,
    level: CoverageLevelRef,
    p: number,
    signal?: AbortSignal,
  ): Promise<Float32Array> {
    let pending = this.loading.get(k);
    if (!pending) {
      pending = this.fetch(key, level, p, signal).finally(() => this.loading.delete(k));
      this.loading.set(k, pending);
      void pending.then((page) => this.keep(k, page)).catch(() => undefined);
    }
    return pending;
  }

  private async fetch(
    key: string,
    level: CoverageLevelRef,
    p: number,
    signal?: AbortSignal,
  ): Promise<Float32Array> {
    const base = p * COVERAGE_PAGE_BUCKETS;
    const count = Math.min(COVERAGE_PAGE_BUCKETS, level.count - base);
    const start = level.offset + base * 4;
    const bytes = await readBlobRange(this.blobs, key, start, start + count * 4);
    signal?.throwIfAborted();
    if (bytes.length !== count * 4) {
      throw new Error(
        `coverage object ${key} holds ${bytes.length} of the ${count * 4} bytes at ${start}`,
      );
    }
    return float32LittleEndian(bytes);
  }

  private keep(k: string, page: Float32Array): void {
    if (this.pages.has(k)) return;
    this.pages.set(k, page);
    this.held += page.byteLength;
    this.evict();
  }

  /** Drops the least recently used pages past the budget (never the last one). */
  private evict(): void {
    while (this.held > this.maxBytes && this.pages.size > 1) {
      const [oldest, page] = this.pages.entries().next().value!;
      this.pages.delete(oldest);
      this.held -= page.byteLength;
    }
  }
}

/** Little-endian float32 bytes (as the indexer stores them) as a Float32Array of their own. */
function float32LittleEndian(bytes: Buffer): Float32Array {
  const own = new Uint8Array(bytes.length);
  own.set(bytes);
  if (os.endianness() !== 'LE') Buffer.from(own.buffer).swap32();
  return new Float32Array(own.buffer);
}
