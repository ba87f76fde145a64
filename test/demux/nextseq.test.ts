import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRunFolder } from '../../src/adapters/run-folder/index.js';
import type { DemuxPlanInput, DemuxSampleInput, RunRead } from '../../src/domain/demux-plan.js';
import { FormatError, parseCycleBci } from '../../src/formats/index.js';
import type { RunFolderReader } from '../../src/ports.js';
import { demultiplex, type DemuxReport } from '../../src/services/demux/index.js';
import { MemorySink, PICARD_ILLUMINA, overlay } from '../support/demux.js';
import { BGZIP, toNextSeqLayout } from '../support/nextseq.js';

const NAMES = { instrument: 'NB551051', runNumber: '17', flowcell: 'HLFFJBGX2' };
const reads = (...spec: [number, boolean][]): RunRead[] =>
  spec.map(([cycles, isIndexedRead], i) => ({ number: i + 1, cycles, isIndexedRead }));

async function run(
  reader: RunFolderReader,
  tiles: { lane: number; tile: number }[],
  input: DemuxPlanInput,
  options: { withFailedReads?: boolean; eamss?: boolean; workers?: number } = {},
): Promise<{ sink: MemorySink; report: DemuxReport }> {
  const sink = new MemorySink();
  const report = await demultiplex(reader, { tiles }, input, sink, { ...NAMES, ...options });
  return { sink, report };
}

/** Every output file's inflated text, by name. */
function texts(sink: MemorySink): Map<string, string> {
  return new Map(
    [...sink.files.keys()].map((name) => [
      name,
      name.endsWith('.gz') ? gunzipSync(sink.bytes(name)).toString('latin1') : sink.text(name),
    ]),
  );
}

/**
 * A per-tile run folder with random calls (as bench/demux.mjs builds): classic `.bcl`, `.filter`,
 * `.locs`; every 16th cluster fails the filter; samples' indexes are planted in most clusters.
 */
function buildPerTileRun(
  dir: string,
  tiles: number[],
  clusters: number,
  spec: RunRead[],
  samples: DemuxSampleInput[],
): void {
  const base = join(dir, 'Data/Intensities');
  const total = spec.reduce((n, r) => n + r.cycles, 0);
  const indexStart = spec[0]!.cycles;
  for (const tile of tiles) {
    const filter = Buffer.alloc(12 + clusters);
    filter.writeUInt32LE(3, 4);
    filter.writeUInt32LE(clusters, 8);
    for (let c = 0; c < clusters; c++) filter[12 + c] = c % 16 === 7 ? 0 : 1;
    mkdirSync(join(base, 'BaseCalls/L001'), { recursive: true });
    mkdirSync(join(base, 'L001'), { recursive: true });
    writeFileSync(join(base, `BaseCalls/L001/s_1_${tile}.filter`), filter);
    const locs = Buffer.alloc(12 + clusters * 8);
    locs.writeInt32LE(1, 0);
    locs.writeFloatLE(1, 4);
    locs.writeUInt32LE(clusters, 8);
    for (let c = 0; c < clusters; c++) {
      locs.writeFloatLE((c % 2048) + 0.37, 12 + c * 8);
      locs.writeFloatLE(Math.floor(c / 2048) * 10 + 0.81, 16 + c * 8);
    }
    writeFileSync(join(base, `L001/s_1_${tile}.locs`), locs);
    const sampleOf = Array.from({ length: clusters }, (_, c) => (c % 11) - 1);
    for (let cycle = 0; cycle < total; cycle++) {
      const bcl = Buffer.alloc(4 + clusters);
      bcl.writeUInt32LE(clusters, 0);
      const rnd = randomBytes(clusters);
      for (let c = 0; c < clusters; c++) {
        const k = cycle - indexStart;
        const s = samples[sampleOf[c]!];
        const planted = s && k >= 0 && k < (s.index?.length ?? 0) ? s.index![k] : undefined;
        const base = planted ? 'ACGT'.indexOf(planted) : rnd[c]! & 3;
        // Qualities 2..41 and a no-call now and then, as RTA writes them.
        bcl[4 + c] = rnd[c]! < 3 ? 0 : (((rnd[c]! >> 2) % 40) + 2) * 4 + base;
      }
      mkdirSync(join(base, `BaseCalls/L001/C${cycle + 1}.1`), { recursive: true });
      writeFileSync(join(base, `BaseCalls/L001/C${cycle + 1}.1/s_1_${tile}.bcl`), bcl);
    }
  }
}

const work = mkdtempSync(join(tmpdir(), 'seqhub-nextseq-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!BGZIP)('NextSeq per-lane .bcl.bgzf + .bci layout', () => {
  const spec = reads([30, false], [8, true], [30, false]);
  const samples: DemuxSampleInput[] = ['ACGTACGT', 'TTGACCAA', 'GGCATTCA', 'CATGGTAC'].map(
    (index, i) => ({ sampleId: `s${i + 1}`, index }),
  );
  const tiles = [11101, 11102, 11103];
  const perTile = join(work, 'per-tile');
  const nextSeq = join(work, 'nextseq');
  const input: DemuxPlanInput = { reads: spec, lanes: [1], samples };

  beforeAll(() => {
    // 3 tiles x 50,000 clusters: every cycle file is several BGZF blocks and tiles start inside
    // blocks, so the range reads and virtual offsets are exercised, not just one-block files.
    buildPerTileRun(perTile, tiles, 50_000, spec, samples);
    toNextSeqLayout(perTile, nextSeq, [{ lane: 1, tiles }], 68);
  });

  it('the converted cycle files span several BGZF blocks with tiles starting inside a block', () => {
    const offsets = parseCycleBci(
      readFileSync(join(nextSeq, 'Data/Intensities/BaseCalls/L001/0001.bcl.bgzf.bci')),
    );
    expect(offsets).toHaveLength(3);
    expect(offsets[0]).toEqual({ block: 0, within: 4 });
    expect(offsets[2]!.block).toBeGreaterThan(0);
    expect(offsets.slice(1).some((o) => o.within > 0)).toBe(true);
  });

  it.each([0, undefined])(
    'demultiplexes to exactly the records of the per-tile layout (workers: %s)',
    async (workers) => {
      const tileList = tiles.map((tile) => ({ lane: 1, tile }));
      const want = await run(new LocalRunFolder(perTile), tileList, input, { workers });
      const got = await run(new LocalRunFolder(nextSeq), tileList, input, { workers });
      expect(got.report).toEqual(want.report);
      expect(want.report.clusters).toBe(150_000);
      expect(want.report.rows.find((r) => r.sampleId === 's1')!.reads).toBeGreaterThan(10_000);
      const a = texts(want.sink);
      const b = texts(got.sink);
      expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
      for (const [name, text] of a) expect(b.get(name), name).toBe(text);
    },
  );

  it('a subset of tiles, in another order, reads the right slices', async () => {
    const tileList = [11103, 11101].map((tile) => ({ lane: 1, tile }));
    const want = await run(new LocalRunFolder(perTile), tileList, input, { workers: 0 });
    const got = await run(new LocalRunFolder(nextSeq), tileList, input, { workers: 0 });
    expect(texts(got.sink)).toEqual(texts(want.sink));
  });

  describe('bad NextSeq files end with a FormatError naming the file', () => {
    const base = () => new LocalRunFolder(nextSeq);
    const tileList = tiles.map((tile) => ({ lane: 1, tile }));
    const L = 'Data/Intensities/BaseCalls/L001';
    async function failure(changes: Record<string, Uint8Array | null>, workers = 0) {
      const reader = overlay(base(), changes);
      const error = await run(reader, tileList, input, { workers }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error, 'expected a failure').toBeInstanceOf(FormatError);
      return error!.message;
    }

    it.each([0, undefined])('truncated .bcl.bgzf (workers: %s)', async (workers) => {
      const bgzf = await base().read(`${L}/0007.bcl.bgzf`);
      expect(
        await failure({ [`${L}/0007.bcl.bgzf`]: bgzf.slice(0, bgzf.length - 40_000) }, workers),
      ).toMatch(/^Data\/Intensities\/BaseCalls\/L001\/0007\.bcl\.bgzf: truncated/);
      const corrupt = bgzf.slice();
      corrupt.fill(0x55, 100, 200);
      expect(await failure({ [`${L}/0007.bcl.bgzf`]: corrupt }, workers)).toMatch(
        /0007\.bcl\.bgzf: BGZF data does not inflate/,
      );
    });

    it('a RunInfo tile the lane does not have', async () => {
      const reader = base();
      const error = await run(reader, [...tileList, { lane: 1, tile: 11104 }], input, {
        workers: 0,
      }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error).toBeInstanceOf(FormatError);
      expect(error!.message).toMatch(
        /^Data\/Intensities\/BaseCalls\/L001\/s_1\.bci: lane 1 has no tile 11104 \(RunInfo lists it\)$/,
      );
    });

    it('truncated or missing cycle .bci, tile index, lane filter, lane locs', async () => {
      const bci = await base().read(`${L}/0003.bcl.bgzf.bci`);
      expect(await failure({ [`${L}/0003.bcl.bgzf.bci`]: bci.slice(0, 20) })).toMatch(
        /^Data\/Intensities\/BaseCalls\/L001\/0003\.bcl\.bgzf\.bci: truncated: the header says 3 tiles \(32 bytes\) but the file has 20 bytes/,
      );
      expect(await failure({ [`${L}/0003.bcl.bgzf.bci`]: null })).toMatch(
        /0003\.bcl\.bgzf\.bci: missing: the BGZF index/,
      );
      const index = await base().read(`${L}/s_1.bci`);
      expect(await failure({ [`${L}/s_1.bci`]: index.slice(0, 21) })).toMatch(
        /^Data\/Intensities\/BaseCalls\/L001\/s_1\.bci: truncated: a lane tile index is 8 bytes per tile/,
      );
      expect(await failure({ [`${L}/s_1.bci`]: null })).toMatch(
        /s_1\.bci: missing: lane 1 has NextSeq \.bcl\.bgzf files but no tile index/,
      );
      expect(await failure({ [`${L}/s_1.bci`]: index.slice(0, 16) })).toMatch(
        /^Data\/Intensities\/BaseCalls\/L001\/s_1\.filter: holds 150000 clusters but the lane's Data\/Intensities\/BaseCalls\/L001\/s_1\.bci lists 100000/,
      );
      const filter = await base().read(`${L}/s_1.filter`);
      expect(await failure({ [`${L}/s_1.filter`]: filter.slice(0, 120_000) })).toMatch(
        /^Data\/Intensities\/BaseCalls\/L001\/s_1\.filter: truncated: tile 11103's records end at byte 150012/,
      );
      const locs = 'Data/Intensities/L001/s_1.locs';
      const l = await base().read(locs);
      expect(await failure({ [locs]: l.slice(0, 8) })).toMatch(
        /^Data\/Intensities\/L001\/s_1\.locs: truncated: the header needs 12 bytes/,
      );
      const wrongCount = l.slice();
      new DataView(wrongCount.buffer).setUint32(8, 7, true);
      expect(await failure({ [locs]: wrongCount })).toMatch(
        /s_1\.locs: holds 7 clusters but the lane's .*s_1\.bci lists 150000/,
      );
      expect(await failure({ [`${L}/0068.bcl.bgzf`]: null })).toMatch(
        /0068\.bcl\.bgzf: missing: cycle 68 of lane 1/,
      );
    });
  });
});

describe.skipIf(!BGZIP || !PICARD_ILLUMINA)(
  'NextSeq layout made from a real Picard run folder',
  () => {
    it('25T8B25T (61 barcodes, non-PF reads, EAMSS): the same records as the per-tile folder', async () => {
      const src = join(PICARD_ILLUMINA!, '25T8B25T');
      const dst = join(work, '25T8B25T');
      const tiles = [1101, 1201, 2101];
      toNextSeqLayout(src, dst, [{ lane: 1, tiles }], 58);
      const samples = readFileSync(join(src, 'fastq/mp_barcode.params'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split('\t')[0]!)
        .filter((b) => !/^N+$/.test(b))
        .map((b) => ({ sampleId: b.replace(/\./g, 'N'), index: b.replace(/\./g, 'N') }));
      const input: DemuxPlanInput = {
        reads: reads([25, false], [8, true], [25, false]),
        lanes: [1],
        samples,
        matching: { kind: 'best-total', maxMismatches: 1, minMismatchDelta: 1, maxNoCalls: 2 },
      };
      const tileList = tiles.map((tile) => ({ lane: 1, tile }));
      const options = { withFailedReads: true, eamss: true };
      const want = await run(new LocalRunFolder(src), tileList, input, options);
      const got = await run(new LocalRunFolder(dst), tileList, input, options);
      expect(want.report.clusters).toBe(180);
      expect(got.report).toEqual(want.report);
      expect(texts(got.sink)).toEqual(texts(want.sink));
    });
  },
);
