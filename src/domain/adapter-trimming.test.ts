import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSampleSheet } from '../formats/samplesheet.js';
import {
  adapterRules,
  adapterSettingsFromSheet,
  applyAdapters,
  findAdapter,
  type AdapterRule,
  type AdapterSettings,
} from './adapter-trimming.js';
import { AppError } from './errors.js';
import { planDemux } from './demux-plan.js';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const text = (b: Uint8Array) => String.fromCharCode(...b);
/** TruSeq read 1 adapter, as Illumina's sample sheets give it. */
const TRUSEQ = 'AGATCGGAAGAGCACACGTCTGAACTCCAGTCA';
const find = (read: string, adapter: string, stringency = 0.9, overlap = 1) =>
  findAdapter(ascii(read), read.length, ascii(adapter), stringency, overlap);

describe('findAdapter: the sliding-window rule (bcl2fastq, BCL Convert)', () => {
  const insert = 'CCTTGCATTCAGGTCATGGCAT'; // 22 bases; ends in T, not the adapter's first base.

  it('finds a whole adapter after the insert', () => {
    expect(find(insert + TRUSEQ + 'AAAA', TRUSEQ)).toBe(22);
  });

  it('MatchCount / (MatchCount + MismatchCount) >= AdapterStringency', () => {
    // 10 bases of adapter at the read end: 9 matches of 10 is 0.9, a match at the default 0.9.
    const oneOff = 'AGATCGGTAG'; // adapter AGATCGGAAG with its 8th base changed
    expect(find(insert + oneOff, TRUSEQ)).toBe(22);
    // 8 of 10 (0.8) is not, but it is at stringency 0.8 (AGATCGGAAG with two bases changed).
    const twoOff = 'AGATCGGTTG';
    expect(find(insert + twoOff, TRUSEQ)).toBe(insert.length + twoOff.length);
    expect(find(insert + twoOff, TRUSEQ, 0.8)).toBe(22);
    // A whole 33-base adapter allows 3 mismatches (30/33 = 0.909), not 4 (29/33 = 0.879).
    const three = 'AGTTCGGAAGAGCACTCGTCTGAACTCCTGTCA';
    const four = 'AGTTCGGAAGAGCACTCGTCTGAACTCCTGTGA';
    expect(find(insert + three + 'CC', TRUSEQ)).toBe(22);
    expect(find(insert + four + 'CC', TRUSEQ)).not.toBe(22);
  });

  it('finds a partial adapter at the read end, down to MinimumAdapterOverlap bases', () => {
    expect(find(insert + 'AGATC', TRUSEQ)).toBe(22);
    expect(find(insert + 'AG', TRUSEQ)).toBe(22);
    // One base equal to the adapter's first is a match at the default overlap of 1 ...
    expect(find(insert + 'A', TRUSEQ)).toBe(22);
    // ... but not at 2 or 3.
    expect(find(insert + 'A', TRUSEQ, 0.9, 2)).toBe(23);
    expect(find(insert + 'AG', TRUSEQ, 0.9, 3)).toBe(24);
    expect(find(insert + 'AGA', TRUSEQ, 0.9, 3)).toBe(22);
    // Short overlaps must match exactly at 0.9 (one mismatch in 9 or fewer is below it).
    expect(find(insert + 'AGTTC', TRUSEQ)).toBe(27);
  });

  it('takes the first position that matches, and counts N as a mismatch', () => {
    expect(find('AGATCGGAAGAGC' + insert + TRUSEQ, TRUSEQ)).toBe(35);
    expect(find(insert + 'NGATCGGAAG', TRUSEQ)).toBe(22);
    expect(find(insert + 'NNATCGGAAC', TRUSEQ)).toBe(32);
  });
});

const rule = (over: Partial<AdapterRule> = {}): AdapterRule => ({
  adapters: [ascii(TRUSEQ)],
  behavior: 'trim',
  stringency: 0.9,
  minimumOverlap: 1,
  minimumLength: 35,
  maskShort: 22,
  ...over,
});

function apply(read: string, r: AdapterRule) {
  const bases = ascii(read);
  const quals = ascii('I'.repeat(read.length));
  const outcome = applyAdapters(bases, quals, read.length, r);
  return {
    ...outcome,
    seq: text(bases.subarray(0, outcome.length)),
    qual: text(quals.subarray(0, outcome.length)),
  };
}

describe('applyAdapters: trim / mask, MinimumTrimmedReadLength, MaskShortReads', () => {
  const insert40 = 'CCTTGCATTCAGGTCATGGCATCCTTGCATTCAGGTCATG'; // 40 bases, ends in G

  it('trims at the adapter when enough is left', () => {
    const r = apply(insert40 + TRUSEQ.slice(0, 20), rule());
    expect(r).toMatchObject({ length: 40, adapterStart: 40, kept: 40, seq: insert40 });
    expect(r.qual).toBe('I'.repeat(40));
  });

  it('pads a read trimmed below MinimumTrimmedReadLength with N (quality #) up to it', () => {
    const insert = insert40.slice(0, 30);
    const r = apply(insert + TRUSEQ + 'GGG', rule());
    expect(r).toMatchObject({ length: 35, adapterStart: 30, kept: 30 });
    expect(r.seq).toBe(insert + 'NNNNN');
    expect(r.qual).toBe('I'.repeat(30) + '#####');
  });

  it('masks a read with fewer than MaskShortReads bases before the adapter whole', () => {
    const insert = insert40.slice(0, 21);
    const r = apply(insert + TRUSEQ + 'GGGGGGGGGG', rule());
    expect(r).toMatchObject({ length: 35, adapterStart: 21, kept: 0 });
    expect(r.seq).toBe('N'.repeat(35));
    expect(r.qual).toBe('#'.repeat(35));
    // Exactly MaskShortReads bases left: kept.
    expect(apply(insert40.slice(0, 22) + TRUSEQ + 'GGGGGGGGG', rule()).kept).toBe(22);
  });

  it('mask keeps the length and turns the adapter into N', () => {
    const r = apply(insert40 + TRUSEQ.slice(0, 20), rule({ behavior: 'mask' }));
    expect(r).toMatchObject({ length: 60, adapterStart: 40, kept: 40 });
    expect(r.seq).toBe(insert40 + 'N'.repeat(20));
  });

  it('several adapters (+): the earliest match wins; no adapter leaves the read as it is', () => {
    const nextera = 'CTGTCTCTTATACACATCT';
    const both = rule({ adapters: [ascii(TRUSEQ), ascii(nextera)] });
    expect(apply(insert40 + nextera + TRUSEQ, both).adapterStart).toBe(40);
    expect(apply(insert40 + 'T' + TRUSEQ, both).adapterStart).toBe(41);
    const r = apply(insert40 + 'CCCCCCCC', rule());
    expect(r).toMatchObject({ length: 48, adapterStart: 48, kept: 48 });
  });
});

describe('adapter settings', () => {
  const reads = [
    { read: 1, length: 151 },
    { read: 2, length: 30 },
  ];
  const refusal = (s: AdapterSettings) => {
    try {
      adapterRules(s, reads);
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).httpStatus).toBe(400);
      return (error as Error).message;
    }
    throw new Error('expected a refusal');
  };

  it('defaults as BCL Convert; lengths capped at the read; off without adapters', () => {
    const [r1, r2] = adapterRules(
      { adapterRead1: 'ctgtctcttatacacatct+AGATCGG', adapterRead2: TRUSEQ },
      reads,
    );
    expect(r1).toMatchObject({
      behavior: 'trim',
      stringency: 0.9,
      minimumOverlap: 1,
      minimumLength: 35,
      maskShort: 22,
    });
    expect(r1!.adapters.map(text)).toEqual(['CTGTCTCTTATACACATCT', 'AGATCGG']);
    expect(r2).toMatchObject({ minimumLength: 30, maskShort: 22 });
    expect(adapterRules({ adapterRead2: TRUSEQ }, reads)[0]).toBeUndefined();
    expect(adapterRules({ adapterBehavior: 'mask' }, reads)).toEqual([undefined, undefined]);
    expect(adapterRules(undefined, reads)).toEqual([undefined, undefined]);
  });

  it('refuses what BCL Convert refuses, naming the setting', () => {
    expect(refusal({ adapterRead1: 'AGATNGG' })).toMatch(
      /AdapterRead1 'AGATNGG' may only hold A, C, G, T/,
    );
    expect(refusal({ adapterRead1: TRUSEQ, adapterBehavior: 'cut' })).toMatch(
      /AdapterBehavior must be trim or mask/,
    );
    expect(refusal({ adapterRead1: TRUSEQ, adapterStringency: 0.4 })).toMatch(
      /AdapterStringency must be between 0.5 and 1/,
    );
    expect(refusal({ adapterRead1: TRUSEQ, minimumAdapterOverlap: 4 })).toMatch(
      /MinimumAdapterOverlap must be 1, 2 or 3/,
    );
    expect(refusal({ adapterRead1: TRUSEQ, maskShortReads: -1 })).toMatch(
      /MaskShortReads must be a whole number/,
    );
  });

  it('reads v2 [BCLConvert_Settings] and v1 [Settings] sheets', () => {
    const v2 = parseSampleSheet(
      readFileSync(
        'test/fixtures/runs/samplesheets/v2-samplesheet-maker/examples/csv_outputs/tso500-cloud-settings.csv',
      ),
    );
    expect(adapterSettingsFromSheet(v2)).toEqual({
      adapterRead1: 'CTGTCTCTTATACACATCT',
      adapterRead2: 'CTGTCTCTTATACACATCT',
      adapterBehavior: 'trim',
      adapterStringency: undefined,
      minimumAdapterOverlap: undefined,
      minimumTrimmedReadLength: 35,
      maskShortReads: 35,
    });
    const v1 = parseSampleSheet(
      readFileSync(
        'test/fixtures/runs/samplesheets/samplesheet-parser/examples/sample_sheets/v1_dual_index.csv',
      ),
    );
    expect(adapterSettingsFromSheet(v1)).toMatchObject({
      adapterRead1: TRUSEQ,
      adapterRead2: 'AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT',
    });
    const custom = parseSampleSheet(
      '[Settings]\nAdapter,CTGTCTCTTATACACATCT\nAdapterBehavior,mask\nAdapterStringency,0.8\nMinimumAdapterOverlap,3\n[Data]\nSample_ID,index\nA,ACGT\n',
    );
    expect(adapterSettingsFromSheet(custom)).toEqual({
      adapterRead1: 'CTGTCTCTTATACACATCT',
      adapterRead2: 'CTGTCTCTTATACACATCT',
      adapterBehavior: 'mask',
      adapterStringency: 0.8,
      minimumAdapterOverlap: 3,
      minimumTrimmedReadLength: undefined,
      maskShortReads: undefined,
    });
    const bad = parseSampleSheet(
      '[Settings]\nAdapter,ACGT\nMaskShortReads,lots\n[Data]\nSample_ID\nA\n',
    );
    expect(() => adapterSettingsFromSheet(bad)).toThrow(/MaskShortReads 'lots' is not a number/);
  });

  it('the plan carries a rule per output read (OverrideCycles reads included)', () => {
    const plan = planDemux({
      reads: [
        { number: 1, cycles: 151, isIndexedRead: false },
        { number: 2, cycles: 8, isIndexedRead: true },
        { number: 3, cycles: 151, isIndexedRead: false },
      ],
      lanes: [1],
      samples: [{ sampleId: 'A', index: 'ACGTACGT' }],
      overrideCycles: 'U8Y143;I8;Y151',
      adapters: { adapterRead2: TRUSEQ, minimumTrimmedReadLength: 200 },
    });
    expect(plan.adapterRules[0]).toBeUndefined();
    expect(plan.adapterRules[1]).toMatchObject({ minimumLength: 151 });
    expect(
      planDemux({
        reads: [{ number: 1, cycles: 10, isIndexedRead: false }],
        lanes: [1],
        samples: [],
      }).adapterRules,
    ).toEqual([undefined]);
  });
});
