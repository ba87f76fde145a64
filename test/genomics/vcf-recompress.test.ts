import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, inflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BGZF_MAX_PAYLOAD,
  FormatError,
  indexBgzfVcf,
  recompressAndIndexVcf,
} from '../../src/formats/index.js';
import { fixture, haveTools } from '../support/genomics.js';

/**
 * Re-compressing a plain VCF (issue 7): records are read from the bytes where they lie, blocks
 * deflate in parallel through reused streams, and the index is built in block-number offsets
 * mapped to the file's at the end. The reference is the line-by-line pass that indexes a BGZF
 * VCF as uploaded (`indexBgzfVcf`, which decodes every line and reads real block offsets): run
 * over our own output, it must build the very same TBI, header, contigs and counts.
 */
async function recompress(text: Uint8Array, chunk: number) {
  const blocks: Buffer[] = [];
  const result = await recompressAndIndexVcf(
    (async function* () {
      for (let i = 0; i < text.length; i += chunk) yield text.subarray(i, i + chunk);
    })(),
    async (b) => {
      blocks.push(b);
    },
    'test.vcf',
  );
  return { result, bgzf: Buffer.concat(blocks), blocks };
}

/** Every block of `bgzf` inflated alone (BGZF blocks must not refer to each other). */
function inflateEachBlock(blocks: Buffer[]): Buffer {
  return Buffer.concat(
    blocks.map((b) => {
      const xlen = b.readUInt16LE(10);
      const data = inflateRawSync(b.subarray(12 + xlen, b.length - 8));
      expect(data.length).toBe(b.readUInt32LE(b.length - 4));
      expect(data.length).toBeLessThanOrEqual(BGZF_MAX_PAYLOAD);
      return data;
    }),
  );
}

const EDGES = Buffer.from(
  [
    '##fileformat=VCFv4.2',
    '##contig=<ID=chrA,length=100000>',
    '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO',
    'chrA\t5\t.\tACGT\tA\t.\tPASS\tXEND=900;END=\r',
    '',
    'chrA\t10\t.\tA\tG\t.\tPASS\tEND=50000;DP=3\r',
    'chrA\t11\t.\tA\tG\t.\tPASS\tDP=3;END=12000\tGT\t0/1',
    'chrA\t12\t.\tA\tG\t.\tPASS\tDP=3;END=5',
    'chrB\t1\t.\tAAAA\tG\t.\tPASS\t.',
    'chrB\t1\t.\tA\tG\t.\tPASS\tEND=0000000000000000000002',
    'chré\t3\t.\tÀ\tG\t.\tPASS\t.',
    'chré\t0030\t.\tA\tG\t.\tPASS\tEND=0040',
  ].join('\n'),
  'utf8',
);

describe('plain VCF re-compression', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seqhub-vcf-recompress-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const texts: [string, Buffer][] = [
    ['raw.g.vcf.gz (gVCF, END=)', gunzipSync(readFileSync(fixture('raw.g.vcf.gz')))],
    ['NA12878 slice', gunzipSync(readFileSync(fixture(NA12878_NAME)))],
    ['volvox', gunzipSync(readFileSync(fixture('volvox.test.vcf.gz')))],
    ['edge cases (CRLF, END= forms, UTF-8 names, no final newline)', EDGES],
  ];
  for (const [name, text] of texts) {
    it(`${name}: the same index as the line-by-line pass over our output, blocks that inflate alone`, async () => {
      const chunks = text.length < 10_000 ? [1, 7, 64, text.length] : [9_999, 1 << 20];
      let first: Buffer | undefined;
      for (const chunk of chunks) {
        const { result, bgzf, blocks } = await recompress(text, chunk);
        expect(result.size).toBe(bgzf.length);
        const inflated = inflateEachBlock(blocks);
        const withNewline = text.at(-1) === 10 ? text : Buffer.concat([text, Buffer.from('\n')]);
        expect(inflated.equals(withNewline)).toBe(true);
        const reference = await indexBgzfVcf(
          (async function* () {
            yield bgzf;
          })(),
          'test.vcf',
        );
        expect(result.tbi.equals(reference.tbi), `chunks of ${chunk}`).toBe(true);
        expect(result).toMatchObject({
          header: reference.header,
          contigs: reference.contigs,
          records: reference.records,
          firstRecord: reference.firstRecord,
        });
        // The output does not depend on how the text was cut.
        first ??= bgzf;
        expect(bgzf.equals(first)).toBe(true);
      }
    });
  }

  it.skipIf(!haveTools())(
    'tabix and bcftools read the output and our index (a multi-block file)',
    async () => {
      const text = gunzipSync(readFileSync(fixture('raw.g.vcf.gz')));
      const { result, bgzf } = await recompress(text, 65_536);
      const out = join(dir, 'ours.vcf.gz');
      writeFileSync(out, bgzf);
      writeFileSync(`${out}.tbi`, result.tbi);
      execFileSync('bgzip', ['-t', out]);
      const theirs = join(dir, 'theirs.vcf.gz');
      writeFileSync(theirs, bgzf);
      execFileSync('tabix', ['-p', 'vcf', theirs]);
      for (const region of ['ctgA:1000-2000', 'ctgA:30000-30100', 'ctgB', 'ctgA:49000-50001']) {
        const ours = execFileSync('bcftools', ['view', '-H', '-r', region, out]).toString();
        expect(ours.length, region).toBeGreaterThan(0);
        expect(ours, region).toBe(
          execFileSync('bcftools', ['view', '-H', '-r', region, theirs]).toString(),
        );
      }
    },
  );

  it('bad records fail as the line-by-line pass says, with the line number', async () => {
    const bad = (record: string) =>
      Buffer.from(
        `##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nc\t5\t.\tA\tG\t.\t.\t.\n${record}\n`,
      );
    for (const [record, message] of [
      ['c\t6\t.\tA\tG\t.\t.', /8 tab-separated columns, this one has 7/],
      ['c\tx6\t.\tA\tG\t.\t.\t.', /POS 'x6' is not a position/],
      ['c\t0\t.\tA\tG\t.\t.\t.', /POS '0' is not a position/],
      ['c\t12345678901\t.\tA\tG\t.\t.\t.', /is not a position/],
      ['c\t4\t.\tA\tG\t.\t.\t.', /not sorted.*c:4/],
      // Sorted, but past what a TBI can address: said as that, not as "not sorted".
      [
        'c\t536870913\t.\tA\tG\t.\t.\t.',
        /past the 536870912 bases a BAI\/TBI index can address: c:536870913/,
      ],
    ] as const) {
      const error = await recompress(bad(record), 5).catch((e: unknown) => e);
      expect(error, record).toBeInstanceOf(FormatError);
      expect((error as Error).message, record).toMatch(message);
      expect((error as Error).message, record).toMatch(/line 4/);
    }
  });
});

const NA12878_NAME = 'NA12878.GIABPedigreev0.2.17.41100000.41300000.vcf.gz';
