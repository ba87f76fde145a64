import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  COVERAGE_GRANULARITY,
  indexBam,
  indexBgzfVcf,
  recompressAndIndexVcf,
  type RefCoverage,
} from '../../src/formats/index.js';
import { fixture, haveTools, samtoolsDepth } from '../support/genomics.js';

/**
 * The indexing pass against htslib on real files: our BAI and TBI answer region queries as the
 * tools' own indexes do (samtools/tabix read our index), and coverage sums equal
 * `samtools depth -a` (default filters) per bucket.
 */
describe.skipIf(!haveTools())('indexing pass vs htslib', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seqhub-genomics-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of ['volvox-sorted.bam', 'paired.bam', 'ecoli_nanopore.bam']) {
    it(`${name}: our BAI gives samtools the same records per region; coverage equals samtools depth -a`, async () => {
      const path = fixture(name);
      const coverage: RefCoverage[] = [];
      const result = await indexBam(createReadStream(path), (ref, c) => {
        coverage[ref] = c;
      });
      const bai = join(dir, `${name}.bai`);
      writeFileSync(bai, result.bai);
      expect(result.records).toBe(
        Number(execFileSync('samtools', ['view', '-c', path]).toString().trim()),
      );
      const copy = join(dir, `ref-${name}`);
      execFileSync('cp', [path, copy]);
      execFileSync('samtools', ['index', copy]);
      const view = (args: string[]) =>
        execFileSync('samtools', ['view', ...args], { maxBuffer: 1 << 28 }).toString();
      for (const ref of result.refs.slice(0, 3)) {
        for (const [s, e] of regionsOf(Math.min(ref.length, 200_000))) {
          const region = `${ref.name}:${s}-${e}`;
          expect(view(['-X', path, bai, region]), region).toBe(view([copy, region]));
        }
      }
      // The first reference with reads, over its first 128,000 bases (1,000 buckets).
      const i = coverage.findIndex((c) => c.maxCoverage > 0);
      const ref = result.refs[i]!;
      const window = Math.min(ref.length, 128_000);
      const perBase = samtoolsDepth(copy, `${ref.name}:1-${window}`).get(ref.name) ?? [];
      const sums = new Float64Array(Math.ceil(window / COVERAGE_GRANULARITY));
      perBase.forEach((d, p) => {
        sums[p >> 7]! += d;
      });
      const means = Array.from(sums, (s, k) =>
        Math.fround(s / Math.min(COVERAGE_GRANULARITY, ref.length - k * COVERAGE_GRANULARITY)),
      );
      expect(Array.from(coverage[i]!.levels[0]!.means.subarray(0, sums.length))).toEqual(means);
      if (window === ref.length) expect(coverage[i]!.maxCoverage).toBe(Math.max(...perBase));
      expect(result.maxCoverage[i]).toBe(coverage[i]!.maxCoverage);
    });
  }

  it('a BGZF VCF: our TBI gives tabix the same lines per region', async () => {
    const path = fixture('NA12878.GIABPedigreev0.2.17.41100000.41300000.vcf.gz');
    const result = await indexBgzfVcf(createReadStream(path));
    const copy = join(dir, 'na12878.vcf.gz');
    const reference = join(dir, 'na12878-ref.vcf.gz');
    execFileSync('cp', [path, copy]);
    execFileSync('cp', [path, reference]);
    execFileSync('tabix', ['-p', 'vcf', reference]);
    writeFileSync(`${copy}.tbi`, result.tbi);
    expect(result.records).toBe(342);
    for (const region of ['17:41200000-41250000', '17', '17:41100000-41100500', '17:1-100']) {
      expect(execFileSync('tabix', [copy, region]).toString()).toBe(
        execFileSync('tabix', [reference, region]).toString(),
      );
    }
  });

  it('a plain VCF re-compressed to BGZF with its TBI: bcftools reads the same records', async () => {
    const path = fixture('raw.g.vcf.gz');
    const text = gunzipSync(readFileSync(path));
    const blocks: Buffer[] = [];
    const result = await recompressAndIndexVcf(
      (async function* () {
        for (let i = 0; i < text.length; i += 10_000) yield text.subarray(i, i + 10_000);
      })(),
      async (b) => {
        blocks.push(b);
      },
    );
    const reference = join(dir, 'raw-ref.vcf.gz');
    execFileSync('cp', [path, reference]);
    execFileSync('tabix', ['-p', 'vcf', reference]);
    const out = join(dir, 'raw.vcf.gz');
    writeFileSync(out, Buffer.concat(blocks));
    writeFileSync(`${out}.tbi`, result.tbi);
    expect(result.records).toBe(29884);
    for (const region of ['ctgA:1000-2000', 'ctgB', 'ctgA:49000-50001', 'ctgA:1-1']) {
      expect(execFileSync('bcftools', ['view', '-H', '-r', region, out]).toString(), region).toBe(
        execFileSync('bcftools', ['view', '-H', '-r', region, reference]).toString(),
      );
    }
  });
});

function regionsOf(length: number): [number, number][] {
  const out: [number, number][] = [
    [1, length],
    [1, 1000],
  ];
  for (let i = 0; i < 6; i++) {
    const s = 1 + Math.floor((((i * 7919) % 97) / 97) * length);
    out.push([s, Math.min(length, s + 5000 * (i + 1))]);
  }
  return out;
}
