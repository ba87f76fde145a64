import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { TabixIndexedFile, TBI } from '@gmod/tabix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBlobStore } from '../../src/adapters/blob/local.blob-store.js';
import { bgzfBlock, BGZF_EOF } from '../../src/formats/bgzf.js';
import { FormatError } from '../../src/formats/format-error.js';
import type { BlobStore } from '../../src/ports.js';
import {
  BgzfBlockCache,
  scanColumns,
  scanRegion,
} from '../../src/services/genomics/variant-scan.js';
import { NA12878, fixture, haveTools } from '../support/genomics.js';

/**
 * The variant path's own scan over the tabix index's chunks (variant-scan.ts) against
 * `@gmod/tabix`'s `getLines` on the same files, region by region: the same lines in the same
 * order, on real files, on files cut into tiny BGZF blocks (lines spanning blocks, regions
 * starting and ending at block edges), and on empty regions; the block cache's byte bound; the
 * compressed bytes read; corrupt and truncated data as a FormatError.
 */

const root = mkdtempSync(join(tmpdir(), 'seqhub-variant-scan-'));
const store = new LocalBlobStore(join(root, 'blobs'));

/** The store with the bytes each readRange returned counted (the real store underneath). */
function counting(inner: BlobStore): BlobStore & { read_: number } {
  const c = Object.create(inner) as BlobStore & { read_: number };
  c.read_ = 0;
  c.readRange = async (key, range) => {
    const b = await inner.readRange(key, range);
    c.read_ += b.length;
    return b;
  };
  c.readRangeNow = (key, range) => {
    const b = inner.readRangeNow?.(key, range);
    if (b) c.read_ += b.length;
    return b;
  };
  return c;
}

interface File {
  key: string;
  path: string;
  size: number;
  tbi: TBI;
  tabix: TabixIndexedFile;
  contigs: { name: string; length: number }[];
}

/** A bgzipped VCF under test: stored, tabix-indexed with the tabix tool. */
async function put(name: string, gz: Buffer): Promise<File> {
  const path = join(root, name);
  writeFileSync(path, gz);
  execFileSync('tabix', ['-f', '-p', 'vcf', path]);
  const key = `files/${name}`;
  mkdirSync(join(root, 'blobs', 'files'), { recursive: true });
  writeFileSync(join(root, 'blobs', key), gz);
  const tbi = new TBI({ filehandle: localHandle(`${path}.tbi`) });
  const tabix = new TabixIndexedFile({ path, tbiPath: `${path}.tbi` });
  const text = gunzipSync(gz).toString('utf8');
  const contigs = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [chrom, pos] = line.split('\t');
    contigs.set(chrom!, Math.max(contigs.get(chrom!) ?? 0, Number(pos) + 200));
  }
  return {
    key,
    path,
    size: gz.length,
    tbi,
    tabix,
    contigs: [...contigs].map(([n, l]) => ({ name: n, length: l })),
  };
}

function localHandle(path: string) {
  const bytes = readFileSync(path);
  return {
    read: async (length: number, position: number) =>
      new Uint8Array(bytes.subarray(position, position + length)),
    readFile: async () => new Uint8Array(bytes),
    stat: async () => ({ size: bytes.length }),
    close: async () => {},
  } as never;
}

async function ours(
  f: File,
  ref: string,
  start: number,
  end: number,
  cache: BgzfBlockCache,
  blobs: BlobStore = store,
) {
  const lines: string[] = [];
  await scan(f, ref, start, end, cache, blobs, (buf, from, to) =>
    lines.push(buf.toString('utf8', from, to)),
  );
  return lines;
}

/** scanRegion over the chunks the file's index gives for the region. */
async function scan(
  f: File,
  ref: string,
  start: number,
  end: number,
  cache: BgzfBlockCache,
  blobs: BlobStore,
  hit: (buf: Buffer, from: number, to: number) => void,
  pins?: Parameters<BgzfBlockCache['unpin']>[0],
) {
  const meta = await f.tbi.getMetadata();
  const chunks = start < end ? await f.tbi.blocksForRange(ref, start, end) : [];
  await scanRegion(
    blobs,
    { key: f.key, size: f.size },
    chunks,
    scanColumns(meta),
    ref,
    start,
    end,
    cache,
    hit,
    pins,
  );
}

async function theirs(f: File, ref: string, start: number, end: number) {
  const lines: string[] = [];
  await f.tabix.getLines(ref, start, end, (l) => lines.push(l));
  return lines;
}

/** The same text recompressed into BGZF blocks of `payload` bytes (lines cut across blocks). */
function tinyBlocks(gz: Buffer, payload: number): Buffer {
  const text = gunzipSync(gz);
  const blocks: Buffer[] = [];
  for (let at = 0; at < text.length; at += payload) {
    blocks.push(bgzfBlock(text.subarray(at, at + payload)));
  }
  blocks.push(BGZF_EOF);
  return Buffer.concat(blocks);
}

/** Deterministic pseudo-random numbers (the same regions on every run). */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

describe.skipIf(!haveTools())('variant scan under the tabix index', () => {
  const files: File[] = [];
  beforeAll(async () => {
    for (const name of [NA12878, 'picard-mini.300.vcf.gz', 'volvox.test.vcf.gz', 'raw.g.vcf.gz']) {
      const gz = readFileSync(fixture(name));
      files.push(await put(name, gz));
      // Blocks of 97 bytes; ~2-4 KiB for the larger files (each block costs a 64 KiB inflate).
      const payload = name === 'raw.g.vcf.gz' ? 4001 : name.startsWith('volvox') ? 1999 : 97;
      files.push(await put(`tiny-${name}`, tinyBlocks(gz, payload)));
    }
    const edge = execFileSync('bgzip', ['-c', fixture('variant-edge-cases.vcf')]);
    files.push(await put('edge.vcf.gz', edge));
    files.push(await put('tiny-edge.vcf.gz', tinyBlocks(edge, 61)));
  }, 60_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('random regions, whole contigs, single bases and empty regions equal getLines, with and without cached blocks', async () => {
    const random = rng(7);
    let compared = 0;
    let nonEmpty = 0;
    for (const f of files) {
      const cold = () => new BgzfBlockCache();
      const warm = new BgzfBlockCache();
      for (const { name, length } of f.contigs) {
        const regions: [number, number][] = [
          [0, length],
          [0, 1],
          [length - 1, length],
          [5, 5],
        ];
        for (let i = 0; i < 40; i++) {
          const a = Math.floor(random() * length);
          const w = Math.floor(random() * (random() < 0.5 ? 50 : length / 4)) + 1;
          regions.push([a, Math.min(length, a + w)]);
        }
        for (const [s, e] of regions) {
          const want = s < e ? await theirs(f, name, s, e) : [];
          expect(await ours(f, name, s, e, cold()), `${f.key} ${name}:${s}-${e}`).toEqual(want);
          expect(await ours(f, name, s, e, warm), `${f.key} ${name}:${s}-${e} warm`).toEqual(want);
          compared++;
          if (want.length) nonEmpty++;
        }
      }
      expect(await ours(f, 'no-such-contig', 0, 1000, warm)).toEqual([]);
    }
    expect(compared).toBeGreaterThan(500);
    expect(nonEmpty).toBeGreaterThan(200);
  });

  it('regions starting and ending at every line of a file of tiny blocks equal getLines', async () => {
    const f = files.find((x) => x.key === `files/tiny-${NA12878}`)!;
    const { name } = f.contigs[0]!;
    const positions = (await theirs(f, name, 0, f.contigs[0]!.length)).map((l) =>
      Number(l.split('\t')[1]),
    );
    expect(positions.length).toBeGreaterThan(100);
    const cache = new BgzfBlockCache();
    for (const p of positions.slice(0, 150)) {
      for (const [s, e] of [
        [p - 1, p],
        [p, p + 1],
        [p - 2, p + 40],
      ] as const) {
        expect(await ours(f, name, s, e, cache), `${name}:${s}-${e}`).toEqual(
          await theirs(f, name, s, e),
        );
      }
    }
  });

  it('concurrent regions through a cache of 4 slots, each holding its views across awaits while pinned, equal getLines', async () => {
    // Slots are reused as soon as they are unpinned: a query that kept views of unpinned slots
    // across an await would read another block's bytes. Ranges are kept as views (as the
    // service's line buffer does) and read only after further awaits, then let go.
    const cache = new BgzfBlockCache(4 * 65_536);
    const random = rng(11);
    const f = files.find((x) => x.key === `files/tiny-${NA12878}`)!;
    const { name, length } = f.contigs[0]!;
    const one = async (s: number, e: number) => {
      const views: Buffer[] = [];
      const pins: Parameters<BgzfBlockCache['unpin']>[0] = [];
      try {
        await scan(
          f,
          name,
          s,
          e,
          cache,
          store,
          (buf, from, to) => views.push(buf.subarray(from, to)),
          pins,
        );
        await new Promise((r) => setImmediate(r));
        return views.map((v) => v.toString('utf8'));
      } finally {
        cache.unpin(pins);
      }
    };
    const regions = Array.from({ length: 60 }, () => {
      const a = Math.floor(random() * length);
      return [a, Math.min(length, a + 1 + Math.floor(random() * 200_000))] as const;
    });
    const got = await Promise.all(regions.map(([s, e]) => one(s, e)));
    for (let i = 0; i < regions.length; i++) {
      const [s, e] = regions[i]!;
      expect(got[i], `${name}:${s}-${e}`).toEqual(await theirs(f, name, s, e));
    }
    expect(got.some((l) => l.length > 0)).toBe(true);
    expect(cache.size).toBeLessThanOrEqual(4);
  });

  it('reads only the blocks it needs, once: a repeated region reads nothing', async () => {
    const f = files.find((x) => x.key === `files/${NA12878}`)!;
    const blobs = counting(store);
    const cache = new BgzfBlockCache();
    const { name } = f.contigs[0]!;
    const chunks = await f.tbi.blocksForRange(name, 41_200_000, 41_201_000);
    const lines = await ours(f, name, 41_200_000, 41_201_000, cache, blobs);
    expect(lines.length).toBeGreaterThan(0);
    const first = blobs.read_;
    // At most the blocks from the chunk's first to its last (each at most 64 KiB), well under
    // what tabix fetches (64 KiB past the last block's start).
    const span = chunks.at(-1)!.maxv.blockPosition - chunks[0]!.minv.blockPosition;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(span + 65_536);
    expect(first).toBeLessThan(chunks.reduce((n, c) => n + c.fetchedSize(), 0));
    expect(await ours(f, name, 41_200_000, 41_201_000, cache, blobs)).toEqual(lines);
    expect(blobs.read_).toBe(first);
  });

  it('the block cache keeps copies in 64 KiB slots, drops the least recently used unpinned block, never a pinned one', () => {
    const SLOT = 65_536;
    const cache = new BgzfBlockCache(3 * SLOT + 100); // three slots
    const block = (n: number, fill: number) => ({ data: Buffer.alloc(n, fill), size: 100 });
    const a0 = block(60_000, 1);
    const kept = cache.set('a', 0, a0);
    // A copy: the caller's buffer may change or go.
    expect(kept.data).not.toBe(a0.data);
    a0.data.fill(9);
    expect(cache.get('a', 0)!.data.equals(Buffer.alloc(60_000, 1))).toBe(true);
    cache.set('a', 100, block(60_000, 2));
    cache.set('b', 0, block(60_000, 3));
    expect(cache.bytes).toBe(180_000);
    expect(cache.get('a', 0)).toBeDefined(); // now the most recent
    // Full: the least recently used ('a'@100) makes room.
    cache.set('c', 0, block(50_000, 4));
    expect(cache.get('a', 100)).toBeUndefined();
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBe(170_000);
    // A pinned block keeps its slot and bytes while others come and go.
    const pins: ReturnType<BgzfBlockCache['get']>[] = [];
    const b0 = cache.get('b', 0)!; // most recent now, then pinned
    cache.pin(b0, pins as never);
    cache.get('a', 0);
    cache.get('c', 0);
    cache.set('d', 0, block(1000, 5)); // the least recently used is 'b', pinned: 'a' goes
    expect(cache.get('b', 0)!.data.equals(Buffer.alloc(60_000, 3))).toBe(true);
    expect(cache.get('a', 0)).toBeUndefined();
    // Every slot pinned: a new block comes back as it is, not kept.
    for (const [k, o] of [
      ['c', 0],
      ['d', 0],
    ] as const)
      cache.pin(cache.get(k, o)!, pins as never);
    const e = block(10, 6);
    expect(cache.set('e', 0, e)).toBe(e);
    expect(cache.get('e', 0)).toBeUndefined();
    cache.unpin(pins as never);
    expect(pins).toEqual([]);
    expect(cache.set('e', 0, e)).not.toBe(e);
    expect(cache.get('e', 0)!.data.equals(e.data)).toBe(true);
    // A key already kept is not replaced (objects never change); a payload over 64 KiB is not kept.
    expect(cache.set('e', 0, block(20, 7)).data.length).toBe(10);
    const big = block(SLOT + 1, 8);
    expect(cache.set('f', 0, big)).toBe(big);
    expect(cache.get('f', 0)).toBeUndefined();
  });

  it('corrupt and truncated data are a FormatError naming the byte, never a hang or a wrong answer', async () => {
    const f = files.find((x) => x.key === `files/tiny-${NA12878}`)!;
    const { name, length } = f.contigs[0]!;
    const good = readFileSync(join(root, 'blobs', f.key));
    const broken = async (bytes: Buffer, size = f.size) => {
      writeFileSync(join(root, 'blobs', f.key), bytes);
      const err = await ours({ ...f, size }, name, 0, length, new BgzfBlockCache()).catch((e) => e);
      expect(err).toBeInstanceOf(FormatError);
      return (err as Error).message;
    };
    try {
      const flipped = Buffer.from(good);
      for (let i = 0; i < 200; i++) {
        const at = Math.floor(good.length / 2) + i * 5;
        flipped[at] = flipped[at]! ^ 0x5a;
      }
      expect(await broken(flipped)).toMatch(/BGZF|inflate|CRC/);
      expect(await broken(good.subarray(0, Math.floor(good.length / 2)))).toMatch(/truncated/);
      expect(await broken(good.subarray(0, Math.floor(good.length / 2) + 5))).toMatch(/truncated/);
      const noise = Buffer.from(good);
      noise.fill(0x41, Math.floor(good.length / 3), Math.floor(good.length / 3) + 64);
      expect(await broken(noise)).toMatch(/BGZF|inflate|CRC/);
    } finally {
      writeFileSync(join(root, 'blobs', f.key), good);
    }
  });
});
