import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalRunFolder } from '../../src/adapters/run-folder/index.js';
import { adapterSettingsFromSheet } from '../../src/domain/adapter-trimming.js';
import type { DemuxPlanInput } from '../../src/domain/demux-plan.js';
import { parseSampleSheet, type FastqRecord } from '../../src/formats/index.js';
import {
  ADAPTER_METRICS_CSV,
  demultiplex,
  type DemuxReport,
} from '../../src/services/demux/index.js';
import { MemorySink, PICARD_ILLUMINA } from '../support/demux.js';

/** Illumina's TruSeq adapters, as their sample sheets give them. */
const TRUSEQ_R1 = 'AGATCGGAAGAGCACACGTCTGAACTCCAGTCA';
const TRUSEQ_R2 = 'AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT';
const NAMES = { instrument: 'M1', runNumber: '1', flowcell: 'FC' };
const TILES = { tiles: [1, 2].map((lane) => ({ lane, tile: 1101 })) };

function sheet(settings: string): DemuxPlanInput {
  const parsed = parseSampleSheet(
    `[Header]\nFileFormatVersion,2\n[BCLConvert_Settings]\n${settings}\n[BCLConvert_Data]\nSample_ID\nlib\n`,
  );
  return {
    reads: [
      { number: 1, cycles: 125, isIndexedRead: false },
      { number: 2, cycles: 125, isIndexedRead: false },
    ],
    lanes: [1, 2],
    samples: parsed.samples.map((s) => ({ sampleId: s.sampleId })),
    adapters: adapterSettingsFromSheet(parsed),
  };
}

async function run(input: DemuxPlanInput): Promise<{ sink: MemorySink; report: DemuxReport }> {
  const sink = new MemorySink();
  const report = await demultiplex(
    new LocalRunFolder(join(PICARD_ILLUMINA!, '125T125T')),
    TILES,
    input,
    sink,
    NAMES,
  );
  return { sink, report };
}

/**
 * The reference: BCL Convert's documented rule written out plainly (no early exit, strings):
 * the first position where the read, compared with each adapter's start over what overlaps,
 * has MatchCount / (MatchCount + MismatchCount) >= 0.9, over at least 1 base.
 */
function adapterStart(read: string, adapter: string): number {
  for (let i = 0; i < read.length; i++) {
    const part = read.slice(i, i + adapter.length);
    let matches = 0;
    for (let k = 0; k < part.length; k++) if (part[k] === adapter[k]) matches++;
    if (matches / part.length >= 0.9) return i;
  }
  return read.length;
}

const records = (sink: MemorySink, read: string) =>
  new Map<string, FastqRecord>(
    [1, 2].flatMap((lane) =>
      sink.fastq(`lib_S1_L00${lane}_${read}_001.fastq.gz`).map((r) => [r.name.split(' ')[0]!, r]),
    ),
  );

describe.skipIf(!PICARD_ILLUMINA)('adapter trimming on a real run (Picard 125T125T, 2x125)', () => {
  it('is off without adapters: the same FASTQ as a sheet without adapter settings, no metrics file', async () => {
    const plain = await run({ ...sheet(''), adapters: undefined });
    const off = await run(sheet('AdapterBehavior,trim\nMinimumTrimmedReadLength,35'));
    expect(off.sink.files.has(ADAPTER_METRICS_CSV)).toBe(false);
    for (const r of ['R1', 'R2']) expect(records(off.sink, r)).toEqual(records(plain.sink, r));
    expect(off.report.rows[0]!.adapterBases).toBeUndefined();
  });

  // The run's inserts are long: MinimumTrimmedReadLength 120 / MaskShortReads 100 make its
  // read-through reads exercise the N padding and the whole-read masking too.
  it.each([
    [35, 22, ''],
    [120, 100, 'MinimumTrimmedReadLength,120\nMaskShortReads,100\n'],
  ])(
    'trims as the reference rule says, N padding to %i, masking below %i',
    async (minimum, maskShort, extra) => {
      const plain = await run(sheet(''));
      const trimmed = await run(
        sheet(`${extra}AdapterRead1,${TRUSEQ_R1}\nAdapterRead2,${TRUSEQ_R2}`),
      );
      let adapters = 0;
      let short = 0;
      let masked = 0;
      const adapterBases = [0, 0];
      for (const [k, [read, adapter]] of [
        ['R1', TRUSEQ_R1],
        ['R2', TRUSEQ_R2],
      ].entries()) {
        const before = records(plain.sink, read!);
        const after = records(trimmed.sink, read!);
        expect(after.size).toBe(before.size);
        expect(before.size).toBeGreaterThan(3000);
        for (const [name, r] of before) {
          const got = after.get(name)!;
          const p = adapterStart(r.seq, adapter!);
          if (p === r.seq.length) {
            expect(got, name).toEqual(r);
            continue;
          }
          if (p <= 125 - 13) adapters++;
          const length = Math.max(p, minimum);
          const kept = p < maskShort ? 0 : p;
          if (p < minimum) short++;
          if (kept === 0) masked++;
          adapterBases[k]! += 125 - kept;
          expect(got.seq, name).toBe(r.seq.slice(0, kept) + 'N'.repeat(length - kept));
          expect(got.qual, name).toBe(r.qual.slice(0, kept) + '#'.repeat(length - kept));
        }
      }
      // The run holds real read-through: 13 reads of lane 1 carry the TruSeq start whole.
      expect(adapters).toBeGreaterThanOrEqual(13);
      if (minimum === 120) {
        expect(short).toBeGreaterThan(0);
        expect(masked).toBeGreaterThan(0);
      }
      const rows = trimmed.report.rows.filter((r) => r.sampleId === 'lib');
      expect(rows.reduce((n, r) => n + r.adapterBases![0]! + r.adapterBases![1]!, 0)).toBe(
        adapterBases[0]! + adapterBases[1]!,
      );
      // Adapter_Metrics.csv, as BCL Convert lays it out.
      const csv = trimmed.sink.text(ADAPTER_METRICS_CSV).trim().split('\n');
      expect(csv[0]).toBe(
        'Lane,Sample_ID,index,index2,R1_AdapterBases,R1_SampleBases,R2_AdapterBases,R2_SampleBases,# Reads',
      );
      const lane1 = rows.find((r) => r.lane === 1)!;
      expect(csv[1]).toBe(
        `1,lib,,,${lane1.adapterBases![0]},${lane1.sampleBases![0]},${lane1.adapterBases![1]},${lane1.sampleBases![1]},${lane1.reads}`,
      );
      expect(lane1.adapterBases![0]! + lane1.sampleBases![0]!).toBe(125 * lane1.reads);
      expect(lane1.adapterReads![0]).toBeGreaterThan(0);
    },
  );

  it('mask keeps every read 125 long; several adapters and MinimumAdapterOverlap 3', async () => {
    const plain = await run(sheet(''));
    const masked = await run(
      sheet(
        `AdapterRead1,CTGTCTCTTATACACATCT+${TRUSEQ_R1}\nAdapterBehavior,mask\nMinimumAdapterOverlap,3`,
      ),
    );
    const before = records(plain.sink, 'R1');
    let changed = 0;
    for (const [name, got] of records(masked.sink, 'R1')) {
      const r = before.get(name)!;
      expect(got.seq).toHaveLength(125);
      // The reference over both adapters, ignoring matches of fewer than 3 bases at the end.
      const p = Math.min(
        ...['CTGTCTCTTATACACATCT', TRUSEQ_R1].map((a) => {
          const at = adapterStart(r.seq, a);
          return at > 122 ? 125 : at;
        }),
      );
      const kept = p < 125 && p < 22 ? 0 : p;
      expect(got.seq, name).toBe(r.seq.slice(0, kept) + 'N'.repeat(125 - kept));
      if (kept < 125) changed++;
    }
    expect(changed).toBeGreaterThan(13);
    // R2 has no adapter set: untouched.
    expect(records(masked.sink, 'R2')).toEqual(records(plain.sink, 'R2'));
  });
});
