import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LocalRunFolder } from '../../src/adapters/run-folder/index.js';
import type { DemuxPlanInput } from '../../src/domain/demux-plan.js';
import { FormatError } from '../../src/formats/index.js';
import type { RunFolderReader } from '../../src/ports.js';
import { demultiplex } from '../../src/services/demux/index.js';
import { BCL2FASTR_RUN, MemorySink, PICARD_ILLUMINA, overlay } from '../support/demux.js';

const NAMES = { instrument: 'A00111', runNumber: '296', flowcell: 'AHJCWWDSXX' };
const CBCL_INPUT: DemuxPlanInput = {
  reads: [
    { number: 1, cycles: 4, isIndexedRead: false },
    { number: 2, cycles: 8, isIndexedRead: true },
    { number: 3, cycles: 8, isIndexedRead: true },
    { number: 4, cycles: 4, isIndexedRead: false },
  ],
  lanes: [1],
  samples: [{ sampleId: 'one', index: 'CTGTATGC', index2: 'AGCCGTAA' }],
};
const CBCL_TILES = { tiles: [1101, 1102, 1103].map((tile) => ({ lane: 1, tile })) };

async function failure(
  reader: RunFolderReader,
  input = CBCL_INPUT,
  tiles = CBCL_TILES,
  workers?: number,
  partClusters?: number,
): Promise<Error> {
  const sink = new MemorySink();
  try {
    await demultiplex(reader, tiles, input, sink, { ...NAMES, workers, partClusters });
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the demultiplexing to fail');
}

describe.skipIf(!BCL2FASTR_RUN)(
  'bad CBCL run folders end with a FormatError naming the file',
  () => {
    const base = new LocalRunFolder(BCL2FASTR_RUN!);
    const cbcl = 'Data/Intensities/BaseCalls/L001/C5.1/L001_1.cbcl';

    it.each([0, undefined])('truncated CBCL (workers: %s)', async (workers) => {
      const bytes = await base.read(cbcl);
      const error = await failure(
        overlay(base, { [cbcl]: bytes.slice(0, bytes.length - 30) }),
        CBCL_INPUT,
        CBCL_TILES,
        workers,
      );
      expect(error).toBeInstanceOf(FormatError);
      expect(error.message).toMatch(
        /^Data\/Intensities\/BaseCalls\/L001\/C5\.1\/L001_1\.cbcl: the block of tile 1103 does not inflate: unexpected end of file \(byte 223\)$/,
      );
    });

    it('corrupt CBCL block and header', async () => {
      const bytes = await base.read(cbcl);
      const corrupt = bytes.slice();
      corrupt.fill(0x55, 120, 140);
      expect((await failure(overlay(base, { [cbcl]: corrupt }))).message).toMatch(
        /L001_1\.cbcl: the block of tile 110\d does not inflate/,
      );
      expect((await failure(overlay(base, { [cbcl]: bytes.slice(0, 50) }))).message).toMatch(
        /L001_1\.cbcl: truncated/,
      );
    });

    it('truncated or missing filter, truncated s.locs, missing cycle', async () => {
      const filter = 'Data/Intensities/BaseCalls/L001/s_1_1102.filter';
      const f = await base.read(filter);
      expect((await failure(overlay(base, { [filter]: f.slice(0, 60) }))).message).toMatch(
        /^Data\/Intensities\/BaseCalls\/L001\/s_1_1102\.filter: truncated: the header says 100 clusters but the file holds 48/,
      );
      expect((await failure(overlay(base, { [filter]: null }))).message).toMatch(
        /s_1_1102\.filter: no filter file for lane 1 tile 1102/,
      );
      const locs = await base.read('Data/Intensities/s.locs');
      expect(
        (await failure(overlay(base, { 'Data/Intensities/s.locs': locs.slice(0, 100) }))).message,
      ).toMatch(/^Data\/Intensities\/s\.locs: truncated/);
      expect((await failure(overlay(base, { [cbcl]: null }))).message).toMatch(
        /C5\.1\/L001_1\.cbcl: missing: cycle 5 of lane 1/,
      );
    });

    it('a RunInfo that disagrees with the files: unknown tile, more cycles than written', async () => {
      const tiles = { tiles: [...CBCL_TILES.tiles, { lane: 1, tile: 1104 }] };
      expect((await failure(base, CBCL_INPUT, tiles)).message).toMatch(
        /s_1_1104\.filter: no filter file for lane 1 tile 1104/,
      );
      const filter = await base.read('Data/Intensities/BaseCalls/L001/s_1_1101.filter');
      const withFilter = overlay(base, {
        'Data/Intensities/BaseCalls/L001/s_1_1104.filter': filter,
      });
      expect((await failure(withFilter, CBCL_INPUT, tiles)).message).toMatch(
        /C1\.1\/L001_1\.cbcl: has no block for tile 1104/,
      );
      const longer = {
        ...CBCL_INPUT,
        reads: CBCL_INPUT.reads.map((r) => (r.number === 4 ? { ...r, cycles: 5 } : r)),
      };
      expect((await failure(base, longer)).message).toMatch(
        /C25\.1\/L001_1\.cbcl: missing: cycle 25 of lane 1/,
      );
    });

    it('stops on abort and keeps working afterwards', async () => {
      const controller = new AbortController();
      const sink = new MemorySink();
      const run = demultiplex(base, CBCL_TILES, CBCL_INPUT, sink, {
        ...NAMES,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      });
      const stopped = await run.then(
        () => undefined,
        (error: Error) => error,
      );
      expect(stopped?.name).toBe('AbortError');
      const again = await demultiplex(base, CBCL_TILES, CBCL_INPUT, new MemorySink(), NAMES);
      expect(again.pfClusters).toBe(245);
    });
  },
);

describe.skipIf(!PICARD_ILLUMINA)('bad BCL run folders', () => {
  const dir = PICARD_ILLUMINA && join(PICARD_ILLUMINA, '25T8B8B25T');
  const input: DemuxPlanInput = {
    reads: [
      { number: 1, cycles: 25, isIndexedRead: false },
      { number: 2, cycles: 8, isIndexedRead: true },
      { number: 3, cycles: 8, isIndexedRead: true },
      { number: 4, cycles: 25, isIndexedRead: false },
    ],
    lanes: [1],
    samples: [],
  };
  const tiles = { tiles: [{ lane: 1, tile: 1101 }] };

  // Whole tiles, and tiles read as parts of 7 clusters (byte ranges, as big tiles are): the
  // same errors, named on the same files, before any output.
  it.each([
    ['whole tiles', undefined],
    ['tiles in parts', 7],
  ])('truncated BCL, BCL with the wrong cluster count, truncated locs (%s)', async (_, parts) => {
    const base = new LocalRunFolder(dir!);
    const fail = async (changes: Record<string, Uint8Array>) =>
      (await failure(overlay(base, changes), input, tiles, undefined, parts)).message;
    const bcl = 'Data/Intensities/BaseCalls/L001/C7.1/s_1_1101.bcl';
    const bytes = await base.read(bcl);
    expect(await fail({ [bcl]: bytes.slice(0, 30) })).toMatch(
      /^Data\/Intensities\/BaseCalls\/L001\/C7\.1\/s_1_1101\.bcl: truncated: the header says 60 clusters but the file holds 26/,
    );
    const fewer = Uint8Array.from(bytes.subarray(0, 54)); // a copy: Buffer.slice is a view
    new DataView(fewer.buffer).setUint32(0, 50, true);
    expect(await fail({ [bcl]: fewer })).toMatch(
      /C7\.1\/s_1_1101\.bcl: holds 50 clusters but the tile's filter file has 60/,
    );
    expect(await fail({ [bcl]: Buffer.concat([bytes, Buffer.from([1, 2])]) })).toMatch(
      /C7\.1\/s_1_1101\.bcl: 2 bytes past the 60 clusters the header announces/,
    );
    expect(await fail({ [bcl]: bytes.slice(0, 2) })).toMatch(
      /C7\.1\/s_1_1101\.bcl: truncated: a BCL needs a 4-byte cluster count, the file has 2 bytes/,
    );
    const locs = 'Data/Intensities/L001/s_1_1101.locs';
    const l = await base.read(locs);
    expect(await fail({ [locs]: l.slice(0, 100) })).toMatch(
      /^Data\/Intensities\/L001\/s_1_1101\.locs: truncated/,
    );
  });

  it('tiles in parts: one gzipped BCL among plain ones is named, not misread as calls', async () => {
    const base = new LocalRunFolder(dir!);
    const bcl = 'Data/Intensities/BaseCalls/L001/C7.1/s_1_1101.bcl';
    const zipped = gzipSync(await base.read(bcl));
    const error = await failure(overlay(base, { [bcl]: zipped }), input, tiles, undefined, 7);
    expect(error).toBeInstanceOf(FormatError);
    expect(error.message).toMatch(/C7\.1\/s_1_1101\.bcl: is gzip-compressed/);
  });
});
