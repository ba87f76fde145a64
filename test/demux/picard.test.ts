import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalRunFolder } from '../../src/adapters/run-folder/index.js';
import type { DemuxPlanInput, DemuxSampleInput, RunRead } from '../../src/domain/demux-plan.js';
import type { RunFolderReader } from '../../src/ports.js';
import { parseFastq, type FastqRecord } from '../../src/formats/index.js';
import { demultiplex, type DemuxReport } from '../../src/services/demux/index.js';
import { MemorySink, PICARD_ILLUMINA } from '../support/demux.js';

/**
 * Picard's own run folders with the FASTQs `IlluminaBasecallsToFastq` wrote (shared testdata
 * README, "Reference tools"). Picard keeps non-PF reads by default and matches barcodes with
 * MAX_MISMATCHES=1 over both indexes, MIN_MISMATCH_DELTA=1, MAX_NO_CALLS=2: the same settings here.
 * Compared on the cluster key lane:tile:x:y, as the issue asks (Picard's read-name layout differs).
 */
const PICARD_MATCHING = {
  kind: 'best-total',
  maxMismatches: 1,
  minMismatchDelta: 1,
  maxNoCalls: 2,
} as const;
const NAMES = {
  instrument: 'machine1',
  runNumber: 'HiMom',
  flowcell: 'abcdeACXX',
  withFailedReads: true,
  eamss: true,
};

interface Cluster {
  seq: string;
  qual: string;
  filtered: boolean;
  name: string;
}

/** Records keyed by lane:tile:x:y (fields 4-7 of both name layouts). */
function byKey(records: FastqRecord[]): Map<string, Cluster> {
  const out = new Map<string, Cluster>();
  for (const r of records) {
    const [id, comment = ''] = r.name.split(' ');
    const key = id!.split(':').slice(3, 7).join(':');
    expect(out.has(key), `duplicate cluster ${key}`).toBe(false);
    out.set(key, {
      seq: r.seq,
      qual: r.qual,
      filtered: comment.split(':')[1] === 'Y',
      name: r.name,
    });
  }
  return out;
}

function expected(path: string): Map<string, Cluster> {
  return byKey(existsSync(path) ? parseFastq(readFileSync(path, 'latin1'), path) : []);
}

/** Our records of a sample (or Undetermined) over the given lanes. */
function ours(
  sink: MemorySink,
  prefix: string,
  lanes: number[],
  read: string,
): Map<string, Cluster> {
  return byKey(lanes.flatMap((l) => sink.fastq(`${prefix}_L00${l}_${read}_001.fastq.gz`)));
}

function strip(m: Map<string, Cluster>): Map<string, Omit<Cluster, 'name'>> {
  return new Map([...m].map(([k, { seq, qual, filtered }]) => [k, { seq, qual, filtered }]));
}

function params(path: string, barcodes: number): (DemuxSampleInput & { file: string })[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t'))
    .filter((f) => !/^N+$/.test(f.slice(0, barcodes).join('')))
    .map((f) => ({
      sampleId: f.slice(0, barcodes).join('').replace(/\./g, 'N'),
      index: f[0]!.replace(/\./g, 'N'),
      index2: barcodes > 1 ? f[1]!.replace(/\./g, 'N') : undefined,
      /** Picard's file name: the barcodes as written, `.` for a no call. */
      file: f.slice(0, barcodes).join(''),
    }));
}

const reads = (...spec: [number, boolean][]): RunRead[] =>
  spec.map(([cycles, isIndexedRead], i) => ({ number: i + 1, cycles, isIndexedRead }));

async function run(
  dir: string,
  tiles: [number, number][],
  input: DemuxPlanInput,
  partClusters?: number,
): Promise<{ sink: MemorySink; report: DemuxReport }> {
  const sink = new MemorySink();
  const report = await demultiplex(
    new LocalRunFolder(dir),
    { tiles: tiles.map(([lane, tile]) => ({ lane, tile })) },
    input,
    sink,
    { ...NAMES, partClusters },
  );
  return { sink, report };
}

/** Compares every expected barcode file with our sample's file: same clusters, bases, qualities, PF flags. */
function compareSamples(
  sink: MemorySink,
  report: DemuxReport,
  dir: string,
  suffix: string,
  lanes: number[],
  samples: (DemuxSampleInput & { file: string })[],
  undetermined: string,
) {
  let compared = 0;
  samples.forEach((s, i) => {
    for (const [read, ext] of [
      ['R1', '1'],
      ['R2', '2'],
    ]) {
      const want = expected(join(dir, `${s.file}${suffix}.${ext}.fastq`));
      expect(
        strip(ours(sink, `${s.sampleId}_S${i + 1}`, lanes, read!)),
        `${s.sampleId} ${read}`,
      ).toEqual(strip(want));
      compared += want.size;
    }
  });
  for (const [read, ext] of [
    ['R1', '1'],
    ['R2', '2'],
  ]) {
    const want = expected(join(dir, `${undetermined}${suffix}.${ext}.fastq`));
    expect(strip(ours(sink, 'Undetermined_S0', lanes, read!))).toEqual(strip(want));
    compared += want.size;
  }
  expect(report.files.length).toBeGreaterThan(0);
  return compared;
}

describe.skipIf(!PICARD_ILLUMINA)('Picard run folders against IlluminaBasecallsToFastq', () => {
  const root = PICARD_ILLUMINA!;
  const single = join(root, '25T8B25T');
  const singleTiles: [number, number][] = [
    [1, 1101],
    [1, 1201],
    [1, 2101],
  ];

  it('25T8B25T (.bcl, .filter, .clocs) without demultiplexing: nonBarcoded.{1,2}.fastq', async () => {
    const { sink, report } = await run(single, singleTiles, {
      reads: reads([25, false], [8, true], [25, false]),
      lanes: [1],
      samples: [],
    });
    for (const [read, ext] of [
      ['R1', '1'],
      ['R2', '2'],
    ]) {
      const want = expected(join(single, `fastq/nonBarcoded.${ext}.fastq`));
      expect(want.size).toBe(180);
      expect(strip(ours(sink, 'Undetermined_S0', [1], read!))).toEqual(strip(want));
    }
    expect(report.clusters).toBe(180);
    expect(report.pfClusters).toBe(148);
  });

  // Parts of 7 clusters: each 60-cluster tile is read and demultiplexed as 8 byte ranges of its
  // .bcl files (TileLoader.split), as big tiles are; the output must not change.
  it.each([
    ['whole tiles', undefined],
    ['tiles in parts', 7],
  ])('25T8B25T with 61 single-index barcodes, %s: every barcode file and N', async (_, parts) => {
    const samples = params(join(single, 'fastq/mp_barcode.params'), 1);
    expect(samples).toHaveLength(61);
    const { sink, report } = await run(
      single,
      singleTiles,
      {
        reads: reads([25, false], [8, true], [25, false]),
        lanes: [1],
        samples,
        matching: PICARD_MATCHING,
      },
      parts,
    );
    expect(compareSamples(sink, report, join(single, 'fastq'), '', [1], samples, 'N')).toBe(360);
    expect(report.clusters).toBe(180);
    // A file gets a gzip member from each tile (whole) or each part (in parts) with reads in it.
    const most = Math.max(...[...sink.files.values()].map((members) => members.length));
    if (parts) expect(most).toBeGreaterThan(3);
    else expect(most).toBeLessThanOrEqual(3);
  });

  it.each([
    ['fastq_with_4M', 'Y25;I8;U4Y21', 1],
    ['fastq_with_4M4M', 'Y25;I8;U4U4Y17', 2],
  ])('25T8B25T with UMI segments (%s, OverrideCycles %s)', async (folder, overrideCycles, umis) => {
    const dir = join(single, folder);
    const samples = params(join(dir, 'mp_barcode.params'), 1);
    const { sink, report } = await run(single, singleTiles, {
      reads: reads([25, false], [8, true], [25, false]),
      lanes: [1],
      samples,
      overrideCycles,
      matching: PICARD_MATCHING,
    });
    expect(compareSamples(sink, report, dir, '', [1], samples, 'N')).toBe(360);
    // The UMI bases (Picard's index_<n> FASTQs) are in our read names: `...:x:y:UMI1+UMI2 1:N:...`.
    let checked = 0;
    for (const [i, id, file] of [
      ...samples.map((s, i) => [i + 1, s.sampleId, s.file] as const),
      [0, 'N', 'N'] as const,
    ]) {
      const mine = ours(sink, i ? `${id}_S${i}` : 'Undetermined_S0', [1], 'R1');
      const parts = Array.from({ length: umis }, (_, k) =>
        expected(join(dir, `${file}.index_${k + 1}.fastq`)),
      );
      for (const [key, c] of mine) {
        const umi = c.name.split(' ')[0]!.split(':')[7];
        expect(umi).toBe(parts.map((p) => p.get(key)!.seq).join('+'));
        checked++;
      }
    }
    expect(checked).toBe(180);
  });

  const dual = join(root, '25T8B8B25T');
  it.each([
    ['lane 1', [1], ''],
    ['lanes 1 and 2', [1, 2], '.multilane'],
  ])(
    '25T8B8B25T (.bcl, .locs) dual index 8+8, %s: every barcode pair file',
    async (_, lanes, suffix) => {
      const samples = params(join(dual, 'fastq/barcode_double.params'), 2);
      expect(samples).toHaveLength(63);
      const tiles: [number, number][] = [
        [1, 1101],
        [2, 1201],
      ];
      const { sink, report } = await run(
        dual,
        tiles.filter(([l]) => lanes.includes(l)),
        {
          reads: reads([25, false], [8, true], [8, true], [25, false]),
          lanes,
          samples,
          matching: PICARD_MATCHING,
        },
      );
      expect(compareSamples(sink, report, join(dual, 'fastq'), suffix, lanes, samples, 'NN')).toBe(
        120 * lanes.length,
      );
      expect(report.pfClusters).toBe(0);
    },
  );

  it('151T8B8B151T_cbcl (NovaSeq CBCL, 2 surfaces): R1, I1, I2, R2 of every PF read, per barcode pair', async () => {
    const dir = join(root, '151T8B8B151T_cbcl');
    // The folder's s.locs was not obtainable (shared testdata README): serve 28 positions at (0, 0),
    // so names carry 1000:1000 and the records are compared on their contents, not their names.
    const folder = new LocalRunFolder(dir);
    const sLocs = new Uint8Array(12 + 28 * 8);
    new DataView(sLocs.buffer).setInt32(0, 1, true);
    new DataView(sLocs.buffer).setFloat32(4, 1, true);
    new DataView(sLocs.buffer).setUint32(8, 28, true);
    const reader: RunFolderReader = {
      size: (path) =>
        path === 'Data/Intensities/s.locs' ? Promise.resolve(sLocs.length) : folder.size(path),
      read: (path, range) =>
        path === 'Data/Intensities/s.locs'
          ? Promise.resolve(sLocs.slice())
          : folder.read(path, range),
    };
    const samples = params(join(dir, 'fastq/barcode_double.params'), 2);
    const sink = new MemorySink();
    const report = await demultiplex(
      reader,
      { tiles: [1101, 1102].map((tile) => ({ lane: 1, tile })) },
      {
        reads: reads([151, false], [8, true], [8, true], [151, false]),
        lanes: [1],
        samples,
        matching: PICARD_MATCHING,
        createFastqForIndexReads: true,
      },
      sink,
      { ...NAMES, withFailedReads: false, eamss: false },
    );
    expect(report.clusters).toBe(56);
    expect(report.pfClusters).toBe(50);
    const tuples = (files: FastqRecord[][]) =>
      files[0]!.map((_, i) => files.map((f) => `${f[i]!.seq} ${f[i]!.qual}`).join(' | ')).sort();
    let compared = 0;
    for (const [prefix, file] of [
      ...samples.map((s, i) => [`${s.sampleId}_S${i + 1}`, s.file]),
      ['Undetermined_S0', 'NN'],
    ]) {
      const want = tuples(
        ['1', 'barcode_1', 'barcode_2', '2'].map((e) =>
          parseFastq(readFileSync(join(dir, `fastq/${file}.${e}.fastq`), 'latin1')),
        ),
      );
      const got = tuples(
        ['R1', 'I1', 'I2', 'R2'].map((r) => sink.fastq(`${prefix}_L001_${r}_001.fastq.gz`)),
      );
      expect(got, file).toEqual(want);
      compared += want.length;
    }
    expect(compared).toBe(50);
  });
});
