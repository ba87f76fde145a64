import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRunInfo } from '../formats/runinfo.js';
import { parseSampleSheet } from '../formats/samplesheet.js';
import { checkSampleSheet, parseOverrideCycles } from './samplesheet-rules.js';

const S = 'test/fixtures/runs/samplesheets/';
const sheet = (p: string) => parseSampleSheet(new Uint8Array(readFileSync(p)));
const b2f = 'test/fixtures/runs/samplesheets/bcl2fastr/';
const novaseq = parseRunInfo(readFileSync('test/fixtures/runs/novaseq-190414/RunInfo.xml', 'utf8'));
const reads = (spec: string) =>
  spec.split(',').map((c, i) => ({
    number: i + 1,
    cycles: Number(c.slice(1)),
    isIndexed: c[0] === 'I',
    isReverseComplement: false,
  }));

describe('checkSampleSheet', () => {
  it('the real bcl2fastr sheet is clean against its own RunInfo', () => {
    expect(
      checkSampleSheet(sheet('test/fixtures/runs/novaseq-190414/SampleSheet.csv'), {
        reads: novaseq.reads,
      }),
    ).toEqual([]);
    expect(
      checkSampleSheet(sheet(S + 'nf-core-test-datasets/testdata/NextSeq2000/SampleSheet.csv'), {
        reads: reads('Y28,I10,I10,Y90'),
      }),
    ).toEqual([]);
  });

  it('index collisions within the allowed mismatches name the pair and the lane', () => {
    const [p] = checkSampleSheet(sheet(b2f + 'sample_collision.csv'));
    expect(p).toMatchObject({ kind: 'index-collision', line: 4 });
    expect(p!.message).toContain("samples 'sample_1' (line 3) and 'sample_2' (line 4)");
    const lanes = checkSampleSheet(sheet(b2f + 'w_conflict_w_index2_w_lanes.csv'));
    expect(lanes).toHaveLength(1);
    expect(lanes[0]!.message).toMatch(
      /CCCCT\+AAAAT and CCCCC\+AAAAA only 1\+1 mismatch\(es\) apart in lane 1/,
    );
    // With 0 mismatches allowed, 1+1 apart is fine; across lanes, never a collision.
    expect(
      checkSampleSheet(sheet(b2f + 'w_conflict_w_index2_w_lanes.csv'), {
        barcodeMismatchesIndex1: 0,
        barcodeMismatchesIndex2: 0,
      }),
    ).toEqual([]);
    expect(checkSampleSheet(sheet(b2f + 'w_conflict_in_separate_lanes_w_index2.csv'))).toEqual([]);
    expect(checkSampleSheet(sheet(b2f + 'no_conflict_w_index2.csv'))).toEqual([]);
    const merged = checkSampleSheet(
      sheet(S + 'samplesheet-parser/examples/sample_sheets/combined_collision_forced.csv'),
    );
    expect(merged.map((x) => x.kind)).toEqual(['index-collision']);
    expect(merged[0]!.message).toContain("'AlphaSample1' (line 15) and 'DeltaSample1' (line 18)");
  });

  it('single-index distance: 2 mismatches collide with the default 1, 3 do not', () => {
    const two = parseSampleSheet('[Data]\nSample_ID,index\nA,AAAAAAAA\nB,AAAAAACC\n');
    expect(checkSampleSheet(two)[0]!.message).toMatch(/AAAAAAAA and AAAAAACC only 2 mismatch/);
    const three = parseSampleSheet('[Data]\nSample_ID,index\nA,AAAAAAAA\nB,AAAAACCC\n');
    expect(checkSampleSheet(three)).toEqual([]);
    const sheetMm2 = parseSampleSheet(
      '[BCLConvert_Settings]\nBarcodeMismatchesIndex1,2\n[BCLConvert_Data]\nSample_ID,Index\nA,AAAAAAAA\nB,AAAAACCC\n',
    );
    expect(checkSampleSheet(sheetMm2)).toHaveLength(1);
  });

  it('duplicate samples per lane; one sample with several index pairs is allowed', () => {
    const dup = parseSampleSheet(
      '[Data]\nLane,Sample_ID,index\n1,A,ACGTACGT\n2,A,ACGTACGT\n1,A,ACGTACGT\n',
    );
    expect(checkSampleSheet(dup)).toEqual([
      {
        kind: 'duplicate-sample',
        line: 5,
        message: "sample 'A' is listed twice in lane 1 (lines 3 and 5)",
      },
    ]);
    expect(checkSampleSheet(sheet(b2f + 'double_index_samples.csv'))).toEqual([]);
  });

  it('samples without an index in one lane, or some with and some without', () => {
    expect(checkSampleSheet(sheet(b2f + 'no_index.csv'))[0]!.message).toMatch(
      /no index to tell them apart/,
    );
    expect(checkSampleSheet(sheet(b2f + 'missing_index.csv'))).toMatchObject([
      {
        kind: 'missing-column',
        line: 4,
        message: "sample 'sample_2' has no index2 while others have one",
      },
    ]);
  });

  it('bad characters in Sample_ID and in indexes', () => {
    const p = checkSampleSheet(
      sheet(S + 'viral-core/test/input/TestSampleSheet/SampleSheet-miseq-1.csv'),
    );
    expect(p[0]).toMatchObject({ kind: 'sample-id-characters', line: 21 });
    expect(p[0]!.message).toContain("Sample_ID 'mebv.0.6'");
    const idx = parseSampleSheet('[Data]\nSample_ID,index\nA,ACGU\n');
    expect(checkSampleSheet(idx)).toMatchObject([{ kind: 'index-characters', line: 3 }]);
  });

  it('index lengths that do not fit the cycles', () => {
    const s = parseSampleSheet('[Data]\nSample_ID,index,index2\nA,ACGTACGTAA,ACGTACGT\n');
    expect(checkSampleSheet(s, { reads: reads('Y4,I8,I8,Y4') })).toEqual([
      {
        kind: 'index-length',
        line: 3,
        message: "index 'ACGTACGTAA' of sample 'A' is 10 bases; the run reads 8 i7 cycles",
      },
    ]);
    expect(checkSampleSheet(s, { reads: reads('Y4,I10,Y4') })[0]!.message).toBe(
      "sample 'A' has index2 'ACGTACGT' but the run reads no second index",
    );
    // Shorter indexes are fine (the extra cycles are masked).
    expect(checkSampleSheet(s, { reads: reads('Y4,I12,I10,Y4') })).toEqual([]);
  });

  it('OverrideCycles must have one segment per read and add up to its cycles', () => {
    const umi = sheet(S + 'samplesheet-parser/examples/sample_sheets/v2_with_index_umi.csv');
    expect(checkSampleSheet(umi, { reads: reads('Y151,I19,I10,Y151') })).toEqual([]);
    const p = checkSampleSheet(umi, { reads: reads('Y151,I19,I10,Y150') });
    expect(p).toEqual([
      {
        kind: 'override-cycles',
        line: 17,
        message: "OverrideCycles read 4 'Y151' adds up to 151 cycles; the run's read 4 has 150",
      },
    ]);
    expect(checkSampleSheet(umi, { reads: reads('Y151,I19,Y151') })[0]!.message).toMatch(
      /has 4 read\(s\); the run has 3/,
    );
    // The I cycles of OverrideCycles are the index length: I10U9 reads a 10-base i7.
    const long = parseSampleSheet(
      '[BCLConvert_Settings]\nOverrideCycles,Y4;I6U2;Y4\n[BCLConvert_Data]\nSample_ID,Index\nA,ACGTACGT\n',
    );
    expect(checkSampleSheet(long, { reads: reads('Y4,I8,Y4') })[0]!.message).toMatch(
      /is 8 bases; the run reads 6 i7 cycles/,
    );
    expect(parseOverrideCycles('Y151;I8X;Y151')).toEqual({
      error: "OverrideCycles segment 'I8X' is not like Y151, I8U9 or N1Y150",
    });
    expect(parseOverrideCycles('U5Y146;I8')).toEqual({
      segments: [
        [
          { kind: 'U', cycles: 5 },
          { kind: 'Y', cycles: 146 },
        ],
        [{ kind: 'I', cycles: 8 }],
      ],
    });
  });
});
