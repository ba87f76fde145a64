import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LocalDemuxSink, LocalRunFolder } from '../../src/adapters/run-folder/index.js';
import type { DemuxPlanInput } from '../../src/domain/demux-plan.js';
import { parseFastq } from '../../src/formats/index.js';
import { demultiplex } from '../../src/services/demux/index.js';
import { BCL2FASTR_RUN, MemorySink } from '../support/demux.js';

/** RunInfo.xml and SampleSheet.csv of the run, written out by hand (part A parses them). */
function planInput(run: string): DemuxPlanInput {
  const sheet = readFileSync(join(run, 'SampleSheet.csv'), 'utf8').split(/\r?\n/);
  const header = sheet.findIndex((l) => l.startsWith('Sample_ID,'));
  const rows = sheet
    .slice(header + 1)
    .filter((l) => l.trim())
    .map((l) => l.split(','));
  return {
    reads: [
      { number: 1, cycles: 4, isIndexedRead: false },
      { number: 2, cycles: 8, isIndexedRead: true },
      { number: 3, cycles: 8, isIndexedRead: true },
      { number: 4, cycles: 4, isIndexedRead: false },
    ],
    lanes: [1],
    samples: rows.map(([sampleId, , project, index, index2, lane]) => ({
      sampleId: sampleId!,
      project,
      index,
      index2,
      lane: Number(lane),
    })),
  };
}

const TILES = { tiles: [1101, 1102, 1103].map((tile) => ({ lane: 1, tile })) };
const NAMES = { instrument: 'A00111', runNumber: '296', flowcell: 'AHJCWWDSXX' };

describe.skipIf(!BCL2FASTR_RUN)('bcl2fastr NovaSeq CBCL run against bcl2fastq', () => {
  const run = BCL2FASTR_RUN!;

  it('reproduces every bcl2fastq record (name, sequence, quality, order) and sends the rest to Undetermined', async () => {
    const sink = new MemorySink();
    const progress: number[] = [];
    const report = await demultiplex(new LocalRunFolder(run), TILES, planInput(run), sink, {
      ...NAMES,
      onProgress: (p) => progress.push(p.tilesDone),
    });
    expect(progress).toEqual([1, 2, 3]);
    expect(report.threads).toBeGreaterThan(0);
    const expectedDir = join(run, 'fastqs');
    const expected = readdirSync(expectedDir).filter((f) => f.endsWith('.fastq.gz'));
    expect(expected).toHaveLength(132);
    let records = 0;
    const samples = planInput(run).samples.map((s) => s.sampleId);
    for (const file of expected) {
      const [, sample, read] = /^(.+)_L001_(R[12])_001\.fastq\.gz$/.exec(file)!;
      const want = parseFastq(gunzipSync(readFileSync(join(expectedDir, file))).toString('latin1'));
      const ours = sink.fastq(
        `${sample}_S${samples.indexOf(sample!) + 1}_L001_${read}_001.fastq.gz`,
      );
      expect(ours, file).toEqual(want);
      records += want.length;
    }
    expect(records).toBe(444);
    expect(sink.fastq('Undetermined_S0_L001_R1_001.fastq.gz')).toHaveLength(23);
    expect(report.clusters).toBe(300);
    expect(report.pfClusters).toBe(245);
    // Samples without reads still get (empty) files, as bcl2fastq writes them.
    expect(report.files).toHaveLength((93 + 1) * 2);
    expect(sink.fastq(`${samples[samples.length - 1]}_S93_L001_R1_001.fastq.gz`)).toBeDefined();
    const top = report.rows.find((r) => r.sampleId === '8034211776')!;
    expect(top.reads).toBe(10);
    expect(top.perfect).toBe(10);

    const stats = sink.text('Reports/Demultiplex_Stats.csv').trim().split('\n');
    expect(stats[0]).toBe(
      'Lane,SampleID,Sample_Project,Index,# Reads,# Perfect Index Reads,# One Mismatch Index Reads,# Two Mismatch Index Reads,% Reads,% Perfect Index Reads,% One Mismatch Index Reads,% Two Mismatch Index Reads',
    );
    expect(stats).toHaveLength(1 + 93 + 1);
    expect(stats.find((l) => l.startsWith('1,8034211776,'))).toMatch(
      /^1,8034211776,project_1,[ACGT]{8}-[ACGT]{8},10,10,0,0,0\.0408,1\.0000,0\.0000,0\.0000$/,
    );
    expect(stats[stats.length - 1]).toBe('1,Undetermined,,,23,0,0,0,0.0939,0.0000,0.0000,0.0000');
    const unknown = sink.text('Reports/Top_Unknown_Barcodes.csv').trim().split('\n');
    expect(unknown[0]).toBe('Lane,index,index2,# Reads,% of Unknown Barcodes,% of All Barcodes');
    const unknownReads = unknown.slice(1).reduce((n, l) => n + Number(l.split(',')[3]), 0);
    expect(unknownReads).toBe(23);
  });

  it('keeps non-PF clusters flagged Y with WithFailedReads', async () => {
    const sink = new MemorySink();
    await demultiplex(new LocalRunFolder(run), TILES, planInput(run), sink, {
      ...NAMES,
      withFailedReads: true,
      workers: 0,
    });
    let all = 0;
    let failed = 0;
    for (const [name] of sink.files) {
      if (!name.endsWith('_R1_001.fastq.gz')) continue;
      for (const r of sink.fastq(name)) {
        all++;
        if (/ 1:Y:0:/.test(r.name)) failed++;
      }
    }
    expect(all).toBe(300);
    expect(failed).toBe(55);
  });

  it('writes through LocalDemuxSink into a folder, and the local reader stays inside its root', async () => {
    const out = mkdtempSync(join(tmpdir(), 'seqhub-demux-'));
    try {
      const report = await demultiplex(
        new LocalRunFolder(run),
        TILES,
        planInput(run),
        new LocalDemuxSink(out),
        NAMES,
      );
      const files = readdirSync(out).filter((f) => f.endsWith('.fastq.gz'));
      expect(files.sort()).toEqual([...report.files].sort());
      const records = files.reduce(
        (n, f) => n + parseFastq(gunzipSync(readFileSync(join(out, f))).toString('latin1')).length,
        0,
      );
      expect(records).toBe(245 * 2);
      expect(readFileSync(join(out, 'Reports/Demultiplex_Stats.csv'), 'utf8')).toMatch(
        /^Lane,SampleID,/,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    await expect(new LocalRunFolder(run).read('../../x')).rejects.toThrow(/leaves the folder/);
    expect(await new LocalRunFolder(run).size('Data/nothing-here')).toBeUndefined();
  });
});
