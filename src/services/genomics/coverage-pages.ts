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
 * Buckets [first, first + count) of one level. Only their text: answers are JSON, and a copy of
 * the float32s per query (up to 400 KB for 100,000 buckets) was garbage nothing read.
 */
export interface CoverageSlice {
  /**
   * The values as comma-separated decimal text, each number as ECMAScript prints it (its
   * shortest round-trip form, as `String(n)` and `JSON.stringify` do), for JSON answers.
   */
  text: string;
}

/**
 * Values per run of decimal text: a page's text is made a run at a time, as answers need it.
 * Printing a float32 as decimal costs ~0.45 us here; bench/genomics' 1,000 random regions need
 * ~500 values each and rarely the same ones, so runs of 4,096 made a cold answer pay for values
 * nobody asked for (hub CPU per query up, not down); 256 costs a cold answer at most ~2 x 256
 * values more and lets regions asked again come from memory.
 */
const TEXT_RUN = 256;

/** The decimal text of a run of values, and where each value's digits end in it. */
interface TextRun {
  text: string;
  ends: Uint32Array;
}

/** A page of one level: its values, and the runs of their decimal text made so far. */
interface Page {
  values: Float32Array;
  runs: (TextRun | undefined)[];
  /** Bytes held by the runs. */
  textBytes: number;
}

/**
 * Coverage levels in memory as Float32Array pages, least recently used out first, bounded by
 * bytes. The coverage object of a file never changes once its index is ready (files are
 * immutable, and a re-index writes the same bytes), so a page never goes stale. A ranged blob
 * read per query cost more CPU than the rest of the query, and printing a thousand float32
 * means as decimals more again (bench/genomics profile), so a page keeps its decimal text too,
 * made once per run of values, and an answer is slices of it.
 */
export class CoveragePages {
  private readonly pages = new Map<string, Page>();
  private readonly loading = new Map<string, Promise<Page>>();
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
    const texts: string[] = [];
    for (let p = Math.floor(first / COVERAGE_PAGE_BUCKETS); p * COVERAGE_PAGE_BUCKETS < end; p++) {
      const base = p * COVERAGE_PAGE_BUCKETS;
      const k = `${key}@${level.offset}:${p}`;
      const page = this.hit(k) ?? (await this.load(k, key, level, p, signal));
      const from = Math.max(first, base) - base;
      const to = Math.min(end, base + page.values.length) - base;
      texts.push(this.textOf(k, page, from, to));
    }
    return { text: texts.length === 1 ? texts[0]! : texts.join(',') };
  }

  private hit(k: string): Page | undefined {
    const page = this.pages.get(k);
    if (page) {
      this.pages.delete(k);
      this.pages.set(k, page);
    }
    return page;
  }

  /** The decimal text of values [from, to) of the page, made a run at a time, once. */
  private textOf(k: string, page: Page, from: number, to: number): string {
    const parts: string[] = [];
    for (let r = Math.floor(from / TEXT_RUN); r * TEXT_RUN < to; r++) {
      const base = r * TEXT_RUN;
      let run = page.runs[r];
      if (!run) {
        run = textRun(page.values.subarray(base, base + TEXT_RUN));
        page.runs[r] = run;
        const bytes = run.text.length + run.ends.byteLength;
        page.textBytes += bytes;
        if (this.pages.get(k) === page) {
          this.held += bytes;
          this.evict();
        }
      }
      const a = Math.max(from, base) - base;
      const b = Math.min(to, base + run.ends.length) - base;
      parts.push(run.text.slice(a === 0 ? 0 : run.ends[a - 1]! + 1, run.ends[b - 1]));
    }
    return parts.length === 1 ? parts[0]! : parts.join(',');
  }

  /** Reads one page; concurrent readers of the same page share one read. */
  private load(
    k: string,
    key: string,
    level: CoverageLevelRef,
    p: number,
    signal?: AbortSignal,
  ): Promise<Page> {
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
  ): Promise<Page> {
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
    return { values: float32LittleEndian(bytes), runs: [], textBytes: 0 };
  }

  private keep(k: string, page: Page): void {
    if (this.pages.has(k)) return;
    this.pages.set(k, page);
    this.held += page.values.byteLength;
    this.evict();
  }

  /** Drops the least recently used pages past the budget (never the last one). */
  private evict(): void {
    while (this.held > this.maxBytes && this.pages.size > 1) {
      const [oldest, page] = this.pages.entries().next().value!;
      this.pages.delete(oldest);
      this.held -= page.values.byteLength + page.textBytes;
    }
  }
}

/** The values as comma-separated decimal text, with where each value's digits end. */
function textRun(values: Float32Array): TextRun {
  const text = values.join(',');
  const ends = new Uint32Array(values.length);
  let at = 0;
  for (let i = 0; i < ends.length - 1; i++) {
    at = text.indexOf(',', at);
    ends[i] = at++;
  }
  ends[ends.length - 1] = text.length;
  return { text, ends };
}

/** Little-endian float32 bytes (as the indexer stores them) as a Float32Array of their own. */
function float32LittleEndian(bytes: Buffer): Float32Array {
  const own = new Uint8Array(bytes.length);
  own.set(bytes);
  if (os.endianness() !== 'LE') Buffer.from(own.buffer).swap32();
  return new Float32Array(own.buffer);
}
