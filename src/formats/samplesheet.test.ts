import { readFileSync, readdirSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FormatError } from './format-error.js';
import { parseSampleSheet } from './samplesheet.js';

const S = 'test/fixtures/runs/samplesheets/';
const bytes = (p: string) => new Uint8Array(readFileSync(p));
const walk = (d: string): string[] =>
  readdirSync(d).flatMap((f) =>
    statSync(`${d}/${f}`).isDirectory() ? walk(`${d}/${f}`) : [`${d}/${f}`],
  );

describe('parseSampleSheet', () => {
  it('v2 (BCL Convert): reads, settings, OverrideCycles, mismatches, lanes', () => {
    const s = parseSampleSheet(
      bytes(S + 'samplesheet-parser/examples/sample_sheets/v2_with_index_umi.csv'),
    );
    expect(s).toMatchObject({
      version: 2,
      reads: { read1: 151, read2: 151, index1: 19, index2: 10 },
      overrideCycles: 'Y151;I10U9;I10;Y151',
      barcodeMismatchesIndex1: 1,
      barcodeMismatchesIndex2: 1,
      adapterRead1: 'CTGTCTCTTATACACATCT',
      trimUmi: true,
      createFastqForIndexReads: false,
    });
    expect(s.header['ExperimentName']).toBe('cfDNA_LiquidBiopsy_Batch3');
    expect(s.samples).toHaveLength(6);
    expect(s.samples[4]).toMatchObject({
      line: 27,
      lane: 2,
      sampleId: 'cfDNA_005',
      sampleName: 'Patient005_plasma',
      sampleProject: 'LiquidBiopsy',
      index: 'CGGAGCCTAA',
      index2: 'AGGCGAAGAG',
    });
  });

  it('v2 from the NextSeq 2000 (no final newline, TrimUMI 0, extra sections)', () => {
    const s = parseSampleSheet(
      bytes(S + 'nf-core-test-datasets/testdata/NextSeq2000/SampleSheet.csv'),
    );
    expect(s.version).toBe(2);
    expect(s.overrideCycles).toBe('U28;I10;I10;Y90');
    expect(s.trimUmi).toBe(false);
    expect(s.samples).toHaveLength(16);
    expect(s.samples.at(-1)!.sampleId).toBe('SingleCell-RNA-P3-2-SI-TT-H6');
  });

  it('v1 (IEM, CRLF) and a [Data]-only bcl2fastq sheet with Lane', () => {
    const cov = parseSampleSheet(
      bytes(S + 'nf-core-test-datasets/testdata/NovaSeq6000/SampleSheet.csv'),
    );
    expect(cov.version).toBe(1);
    expect(cov.adapterRead1).toBeTruthy();
    expect(cov.samples).toHaveLength(4);
    expect(cov.samples[0]!.index!.length).toBe(10);
    const b2f = parseSampleSheet(bytes('test/fixtures/runs/novaseq-190414/SampleSheet.csv'));
    expect(b2f.samples).toHaveLength(93);
    expect(new Set(b2f.samples.map((x) => x.lane))).toEqual(new Set([1]));
    expect(b2f.samples[0]!.sampleProject).toBe('project_1');
    const miseq = parseSampleSheet(bytes('test/fixtures/runs/miseq-130417/SampleSheet.csv'));
    expect(miseq).toMatchObject({ version: 1, reads: { read1: 121, read2: 121 } });
    expect(miseq.samples.map((x) => [x.sampleId, x.index])).toEqual([
      ['Unique_Sample_ID', undefined],
    ]);
  });

  it('a section-less bcl2fastq 1.8 (HiSeq) sheet, blank lines, and the Broad MiSeq [Reads] form', () => {
    const hiseq = parseSampleSheet(
      bytes(S + 'viral-core/test/input/TestSampleSheet/SampleSheet-hiseq-1.csv'),
    );
    expect(hiseq.samples).toHaveLength(48);
    expect(hiseq.samples[0]).toMatchObject({
      lane: 1,
      sampleId: 'NIH28',
      index: 'GTAGAGGA',
      index2: 'TATCCTCT',
    });
    const blank = parseSampleSheet(
      bytes(S + 'viral-core/test/input/TestSampleSheet/SampleSheet-with-blanklines.csv'),
    );
    expect(blank.samples).toHaveLength(12);
    const broad = parseSampleSheet(
      bytes(
        S +
          'viral-core/test/input/TestSampleSheet/SampleSheet-in-Broad-MiSeq-Format_with_Picard_Block.csv',
      ),
    );
    expect(broad.reads).toEqual({ read1: 150, read2: 150 });
  });

  it('gzip, CR-only and CRLF copies read the same as the original', () => {
    const plain = parseSampleSheet(
      bytes(S + 'samplesheet-parser/examples/sample_sheets/v1_dual_index.csv'),
    );
    const text = readFileSync(
      S + 'samplesheet-parser/examples/sample_sheets/v1_dual_index.csv',
      'utf8',
    );
    const strip = (s: ReturnType<typeof parseSampleSheet>) =>
      s.samples.map(({ line: _l, ...x }) => x);
    expect(strip(parseSampleSheet(new Uint8Array(gzipSync(text))))).toEqual(strip(plain));
    expect(strip(parseSampleSheet(text.replace(/\r?\n/g, '\r')))).toEqual(strip(plain));
    expect(strip(parseSampleSheet(text.replace(/\r?\n/g, '\r\n')))).toEqual(strip(plain));
  });

  it('quoted cells keep their commas', () => {
    const s = parseSampleSheet('[Data]\nSample_ID,Description,index\nS1,"a, b",ACGT\n');
    expect(s.samples[0]!.columns['Description']).toBe('a, b');
  });

  it('every sheet in the test data parses or is refused with a FormatError', () => {
    const files = walk(S).filter((f) => !f.endsWith('.md') && !f.endsWith('.xml'));
    expect(files.length).toBeGreaterThan(45);
    let parsed = 0;
    for (const f of files) {
      try {
        parseSampleSheet(bytes(f));
        parsed++;
      } catch (error) {
        expect(error, f).toBeInstanceOf(FormatError);
      }
    }
    // The refused ones are the tab-separated custom sheets of viral-core, its three "submit"
    // sheets, an AVITI RunManifest and bcl2fastr's sheet without a sample column.
    expect(parsed).toBe(files.length - 12);
  });

  it('structural errors name the line', () => {
    expect(() => parseSampleSheet('[Header]\nFileFormatVersion,2\n')).toThrow(
      /no \[BCLConvert_Data\] section/,
    );
    expect(() => parseSampleSheet('[Data]\nIndex\nACGT\n')).toThrow(
      /no Sample_ID column .*\(line 2\)/,
    );
    expect(() => parseSampleSheet('[Data]\nSample_ID,Lane\nA,x\n')).toThrow(/Lane 'x'.*\(line 3\)/);
    expect(() => parseSampleSheet('[Reads]\n151\nabc\n[Data]\nSample_ID\nA\n')).toThrow(
      /'abc'.*\(line 3\)/,
    );
    expect(() => parseSampleSheet('[Data]\nSample_ID\n[Data]\nSample_ID\n')).toThrow(
      /twice \(line 3\)/,
    );
    expect(() =>
      parseSampleSheet(
        '[BCLConvert_Settings]\nBarcodeMismatchesIndex1,3\n[BCLConvert_Data]\nSample_ID\nA\n',
      ),
    ).toThrow(/BarcodeMismatchesIndex1 is '3'; allowed: 0, 1, 2 \(line 2\)/);
    expect(() => parseSampleSheet('hello\n')).toThrow(/before the first \[Section\].*\(line 1\)/);
    expect(() => parseSampleSheet(new Uint8Array([0x1f, 0x8b, 1, 2]))).toThrow(/not valid gzip/);
  });
});
