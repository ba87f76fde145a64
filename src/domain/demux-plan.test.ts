import { describe, expect, it } from 'vitest';
import { AppError } from './errors.js';
import {
  fastqFileName,
  parseOverrideCycles,
  planDemux,
  reverseComplement,
  type DemuxPlanInput,
} from './demux-plan.js';
import { eamssMaskStart } from './eamss.js';

const reads = [
  { number: 1, cycles: 151, isIndexedRead: false },
  { number: 2, cycles: 8, isIndexedRead: true },
  { number: 3, cycles: 8, isIndexedRead: true },
  { number: 4, cycles: 151, isIndexedRead: false },
];
const base: DemuxPlanInput = {
  reads,
  lanes: [1, 2],
  samples: [
    { sampleId: 'A', index: 'AAAAAAAA', index2: 'CCCCCCCC' },
    { sampleId: 'B', index: 'GGGGGGGG', index2: 'TTTTTTTT', lane: 2 },
  ],
};

function refusal(input: DemuxPlanInput): string {
  try {
    planDemux(input);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('BadRequest');
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('demux plan', () => {
  it('maps cycles to reads, indexes and lanes by default', () => {
    const plan = planDemux(base);
    expect(plan.totalCycles).toBe(318);
    expect(plan.outputReads.map((r) => [r.read, r.cycles[0], r.cycles.length])).toEqual([
      [1, 0, 151],
      [2, 167, 151],
    ]);
    expect(plan.indexReads.map((r) => [r.index, r.cycles[0], r.cycles.length])).toEqual([
      [1, 151, 8],
      [2, 159, 8],
    ]);
    expect(plan.samples.map((s) => [s.sampleId, s.number, s.lanes])).toEqual([
      ['A', 1, [1, 2]],
      ['B', 2, [2]],
    ]);
    expect(plan.matchers.get(1)!.match('GGGGGGGG', 'TTTTTTTT').sample).toBe(-1);
    expect(plan.matchers.get(2)!.match('GGGGGGGG', 'TTTTTTTT')).toEqual({
      sample: 1,
      mismatches: 0,
    });
  });

  it('matches within 1 mismatch per index by default (N counts as one), 0 when asked', () => {
    const plan = planDemux(base);
    const m = plan.matchers.get(1)!;
    expect(m.match('AAAAAAAT', 'CCCCCCCC')).toEqual({ sample: 0, mismatches: 1 });
    expect(m.match('AAAAAAAN', 'CCCCCCCA')).toEqual({ sample: 0, mismatches: 2 });
    expect(m.match('AAAAAATT', 'CCCCCCCC').sample).toBe(-1);
    const strict = planDemux({ ...base, barcodeMismatchesIndex1: 0, barcodeMismatchesIndex2: 0 });
    expect(strict.matchers.get(1)!.match('AAAAAAAT', 'CCCCCCCC').sample).toBe(-1);
    const two = planDemux({ ...base, barcodeMismatchesIndex1: 2 });
    expect(two.matchers.get(1)!.match('AAAAAATT', 'CCCCCCCC')).toEqual({
      sample: 0,
      mismatches: 2,
    });
  });

  it('refuses indexes that collide within the allowed mismatches, naming the pair', () => {
    const close: DemuxPlanInput = {
      ...base,
      samples: [
        { sampleId: 'S1', index: 'ACGTACGT', index2: 'CCCCCCCC' },
        { sampleId: 'S2', index: 'ACGTACCA', index2: 'CCCCCCCA' },
      ],
    };
    expect(refusal(close)).toBe(
      'lane 1: the indexes of samples S1 and S2 (ACGTACGT+CCCCCCCC and ACGTACCA+CCCCCCCA) collide within 1/1 mismatches: lower BarcodeMismatchesIndex1 or fix the sheet',
    );
    expect(planDemux({ ...close, barcodeMismatchesIndex1: 0 }).samples).toHaveLength(2);
    const same = { ...base, samples: [base.samples[0]!, { ...base.samples[0]!, sampleId: 'C' }] };
    expect(refusal(same)).toMatch(/samples A and C have the same index/);
    // Same i7, different i5 (combinatorial dual indexes) is fine.
    const combinatorial = {
      ...base,
      samples: [base.samples[0]!, { sampleId: 'C', index: 'AAAAAAAA', index2: 'GGGGGGGG' }],
    };
    const m = planDemux(combinatorial).matchers.get(1)!;
    expect(m.match('AAAAAAAA', 'GGGGGGGC')).toEqual({ sample: 1, mismatches: 1 });
  });

  it('refuses sheets that do not fit the run', () => {
    expect(refusal({ ...base, samples: [{ sampleId: 'A', index: 'AAAAAAAAAA' }] })).toBe(
      "Index 'AAAAAAAAAA' of sample A has 10 bases but the run has 8 index i7 cycles",
    );
    expect(refusal({ ...base, samples: [{ sampleId: 'A b', index: 'AAAAAAAA' }] })).toMatch(
      /Sample_ID 'A b' may only hold/,
    );
    expect(refusal({ ...base, samples: [{ sampleId: 'A', index: 'AAAXAAAA' }] })).toMatch(
      /Index 'AAAXAAAA' of sample A may only hold A, C, G and T/,
    );
    expect(refusal({ ...base, samples: [base.samples[0]!, base.samples[0]!] })).toBe(
      'sample A is listed twice',
    );
    expect(refusal({ ...base, samples: [{ sampleId: 'A', index: 'AAAAAAAA', lane: 3 }] })).toMatch(
      /lane 3, which the run does not have/,
    );
    expect(refusal({ ...base, barcodeMismatchesIndex2: 3 })).toBe(
      'BarcodeMismatchesIndex2 must be 0, 1 or 2, not 3',
    );
    expect(refusal({ ...base, samples: [{ sampleId: 'A' }, { sampleId: 'B' }] })).toMatch(
      /2 samples without indexes/,
    );
  });

  it('reads OverrideCycles: UMI, skipped cycles, index-only masking', () => {
    const plan = planDemux({ ...base, overrideCycles: 'U8Y143;I8;I8;N1Y150' });
    expect(plan.umiSegments).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
    expect(plan.outputReads[0]!.cycles[0]).toBe(8);
    expect(plan.outputReads[1]!.cycles).toHaveLength(150);
    expect(plan.outputReads[1]!.cycles[0]).toBe(168);
    const i6 = planDemux({
      ...base,
      overrideCycles: 'Y151;I6N2;N8;Y151',
      samples: [{ sampleId: 'A', index: 'ACGTAC' }],
    });
    expect(i6.indexReads).toEqual([{ index: 1, cycles: [151, 152, 153, 154, 155, 156] }]);
    expect(() => parseOverrideCycles('Y151;I8;Y151', reads)).toThrow(
      /has 3 reads but the run has 4/,
    );
    expect(() => parseOverrideCycles('Y150;I8;I8;Y151', reads)).toThrow(
      /covers 150 cycles but RunInfo read 1 has 151/,
    );
    expect(() => parseOverrideCycles('Y151;I8;I8;Q151', reads)).toThrow(
      /is not a list of Y\/I\/U\/N segments/,
    );
    expect(parseOverrideCycles('Y*;I8;I8;U8Y*', reads)[3]).toEqual([
      { kind: 'U', length: 8 },
      { kind: 'Y', length: 143 },
    ]);
  });

  it('matches i5 reverse-complemented when RunInfo says the i5 read is', () => {
    const rc = {
      ...base,
      reads: reads.map((r) => (r.number === 3 ? { ...r, isReverseComplement: true } : r)),
    };
    const plan = planDemux(rc);
    expect(plan.index2Orientation).toBe('reverse-complement');
    expect(plan.matchers.get(1)!.match('AAAAAAAA', 'GGGGGGGG')).toEqual({
      sample: 0,
      mismatches: 0,
    });
    expect(
      planDemux({ ...rc, index2Orientation: 'forward' })
        .matchers.get(1)!
        .match('AAAAAAAA', 'CCCCCCCC').sample,
    ).toBe(0);
    expect(reverseComplement('AACGTN')).toBe('NACGTT');
  });

  it('names files as BCL Convert does', () => {
    const plan = planDemux(base);
    expect(fastqFileName(plan.samples[1], 2, 'R1')).toBe('B_S2_L002_R1_001.fastq.gz');
    expect(fastqFileName(undefined, 1, 'I2')).toBe('Undetermined_S0_L001_I2_001.fastq.gz');
  });

  it('best-total (Picard) matching: no-calls free up to a limit, ambiguous reads unmatched', () => {
    const plan = planDemux({
      ...base,
      matching: { kind: 'best-total', maxMismatches: 1, minMismatchDelta: 1, maxNoCalls: 2 },
      samples: [
        { sampleId: 'A', index: 'AAAAAAAA', index2: 'CCCCCCCC' },
        { sampleId: 'B', index: 'AAAAAAAA', index2: 'CCCCCCCA' },
      ],
    });
    const m = plan.matchers.get(1)!;
    expect(m.match('AAAAAAAA', 'CCCCCCCC')).toEqual({ sample: 0, mismatches: 0 });
    expect(m.match('AAAAAAAA', 'CCCCCCCG').sample).toBe(-1);
    expect(m.match('AANAAAAN', 'CCCCCCCC')).toEqual({ sample: 0, mismatches: 0 });
    expect(m.match('ANNAAAAN', 'CCCCCCCC').sample).toBe(-1);
  });
});

describe('EAMSS', () => {
  const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
  const quals = (q: number[]) => Uint8Array.from(q, (x) => x + 33);

  it('masks the max-scoring low-quality tail (Illumina examples)', () => {
    expect(eamssMaskStart(bytes('ACTGGGTCA'), quals([32, 32, 16, 15, 8, 10, 32, 2, 2]))).toBe(2);
    expect(eamssMaskStart(bytes('ACTGGGTCA'), quals([32, 32, 32, 32, 32, 32, 32, 32, 32]))).toBe(
      -1,
    );
  });

  it('extends the mask over a preceding run of Gs', () => {
    const b = bytes('CTACAGAGGGGGGGGCAT');
    const q = quals([30, 22, 26, 27, 28, 30, 7, 34, 20, 19, 38, 15, 32, 32, 10, 4, 2, 5]);
    expect(eamssMaskStart(b, q)).toBe(5);
  });
});
