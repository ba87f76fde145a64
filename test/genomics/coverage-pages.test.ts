import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalBlobStore } from '../../src/adapters/blob/index.js';
import type { BlobStore } from '../../src/ports.js';
import {
  COVERAGE_PAGE_BUCKETS,
  CoveragePages,
} from '../../src/services/genomics/coverage-pages.js';

/**
 * The in-memory coverage pages over a real local blob store: answers across page boundaries
 * equal the stored float32s, their text is each number as `String`/`JSON.stringify` print it,
 * the bytes held stay under the budget, and concurrent readers of a page share one read.
 */
describe('coverage pages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seqhub-coverage-pages-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const store = new LocalBlobStore(dir);
  let ranges = 0;
  /** The real store, counting ranged reads (awaited, or at once when the file is open). */
  const counting: BlobStore = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'readRange') {
        return (...args: Parameters<BlobStore['readRange']>) => {
          ranges++;
          return target.readRange(...args);
        };
      }
      if (prop === 'readRangeNow') {
        return (...args: Parameters<NonNullable<BlobStore['readRangeNow']>>) => {
          const bytes = target.readRangeNow(...args);
          if (bytes) ranges++;
          return bytes;
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

  // Two levels in one object, as the indexer writes them: 2.5 pages, then 1,000 buckets.
  const counts = [COVERAGE_PAGE_BUCKETS * 2 + COVERAGE_PAGE_BUCKETS / 2, 1000];
  const values = counts.map(
    (n, level) =>
      new Float32Array(
        Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : (i * (level + 1)) / 3)),
      ),
  );
  const levels = [
    { offset: 0, count: counts[0]! },
    { offset: counts[0]! * 4, count: counts[1]! },
  ];
  const key = 'genomics/test/coverage.f32';
  const written = store.write(
    key,
    Readable.from(values.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength))),
  );

  const expectSlice = (
    got: { parts: Float32Array[] },
    level: number,
    first: number,
    count: number,
  ) => {
    const want = values[level]!.subarray(first, first + count);
    const flat = got.parts.flatMap((p) => Array.from(p));
    expect(flat).toEqual(Array.from(want));
    // One part per page touched, each a view of a page (no copy per answer).
    const P = COVERAGE_PAGE_BUCKETS;
    expect(got.parts.length).toBe(Math.floor((first + count - 1) / P) - Math.floor(first / P) + 1);
    for (const p of got.parts) expect([P * 4, (P / 2) * 4, 4000]).toContain(p.buffer.byteLength);
  };

  it('slices within a page, across two and three pages, at both ends of a level', async () => {
    await written;
    const pages = new CoveragePages(counting);
    const P = COVERAGE_PAGE_BUCKETS;
    for (const [level, first, count] of [
      [0, 0, 1],
      [0, 5, 1000],
      [0, 4090, 10],
      [0, 4096, 4096],
      [0, 4095, 1],
      [0, P - 10, 20],
      [0, P - 1, 2],
      [0, P, 1],
      [0, P - 3, P + 6],
      [0, 1, P * 2 + P / 2 - 1],
      [0, P * 2 + P / 2 - 4, 4],
      [1, 0, 1000],
      [1, 999, 1],
      [0, P - 10, 20],
    ] as const) {
      expectSlice(await pages.read(key, levels[level]!, first, count), level, first, count);
    }
    await expect(pages.read(key, levels[1]!, 990, 11)).rejects.toThrow(RangeError);
  });

  it('reads each page once, shared by concurrent readers; stays within its byte budget', async () => {
    await written;
    // A whole page is 256 KiB of float32: two fit, not three.
    const budget = 600_000;
    const pages = new CoveragePages(counting, budget);
    ranges = 0;
    await Promise.all(Array.from({ length: 16 }, () => pages.read(key, levels[0]!, 10, 100)));
    expect(ranges).toBe(1);
    await pages.read(key, levels[0]!, 20, 100);
    expect(ranges).toBe(1);
    const P = COVERAGE_PAGE_BUCKETS;
    for (const [first, count] of [
      [0, P],
      [P, P],
      [2 * P, P / 2],
    ] as const) {
      expectSlice(await pages.read(key, levels[0]!, first, count), 0, first, count);
      expect(pages.bytes).toBeLessThanOrEqual(budget);
    }
    const before = ranges;
    expectSlice(await pages.read(key, levels[0]!, 0, 10), 0, 0, 10);
    expect(ranges).toBe(before + 1);
    expect(pages.bytes).toBeLessThanOrEqual(budget);
  });

  it('a coverage object shorter than its levels is an error, not zeros', async () => {
    await written;
    const pages = new CoveragePages(counting);
    await expect(
      pages.read(key, { offset: levels[1]!.offset + 400, count: 1000 }, 0, 10),
    ).rejects.toThrow(/holds 3600 of the 4000 bytes/);
  });
});
