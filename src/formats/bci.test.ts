import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  FormatError,
  bgzfBlock,
  bgzfBlocks,
  inflateBgzfBlock,
  inflateBgzfRange,
  parseCycleBci,
  parseLaneTileIndex,
} from './index.js';

const fixture = new URL(
  '../../test/fixtures/picard-parserTests/bciParser/0001.bcl.bgzf.bci',
  import.meta.url,
);

function formatError(f: () => unknown): FormatError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    return error as FormatError;
  }
  throw new Error('expected a FormatError');
}

describe('NextSeq .bci files', () => {
  it("reads Picard's per-cycle .bci: version 0, 216 tiles, one virtual offset each", () => {
    const bytes = new Uint8Array(readFileSync(fixture));
    const offsets = parseCycleBci(bytes, '0001.bcl.bgzf.bci');
    expect(offsets).toHaveLength(216);
    // Every uint64 of the fixture is 1: block 0, the second inflated byte.
    expect(new Set(offsets.map((o) => `${o.block}:${o.within}`))).toEqual(new Set(['0:1']));
    expect(formatError(() => parseCycleBci(bytes.subarray(0, 100), 'x.bci')).message).toBe(
      'x.bci: truncated: the header says 216 tiles (1736 bytes) but the file has 100 bytes (byte 100)',
    );
    const v1 = bytes.slice();
    v1[0] = 1;
    expect(formatError(() => parseCycleBci(v1, 'x.bci')).message).toMatch(/bci version 1/);
    expect(formatError(() => parseCycleBci(bytes.subarray(0, 6), 'x.bci')).message).toMatch(
      /^x\.bci: truncated: the tile count needs 4 bytes/,
    );
  });

  it('splits a virtual offset above 2^32 into block and offset', () => {
    const b = Buffer.alloc(16);
    b.writeUInt32LE(1, 4);
    b.writeBigUInt64LE((123_456_789_012n << 16n) | 0xabcdn, 8);
    expect(parseCycleBci(b)).toEqual([{ block: 123_456_789_012, within: 0xabcd }]);
  });

  it('reads a lane tile index (tile, clusters) and refuses truncation and repeats', () => {
    const b = Buffer.alloc(24);
    [11101, 5, 11102, 0, 21101, 7].forEach((v, i) => b.writeUInt32LE(v, 4 * i));
    expect(parseLaneTileIndex(b)).toEqual([
      { tile: 11101, clusters: 5, firstCluster: 0 },
      { tile: 11102, clusters: 0, firstCluster: 5 },
      { tile: 21101, clusters: 7, firstCluster: 5 },
    ]);
    expect(formatError(() => parseLaneTileIndex(b.subarray(0, 20), 's_1.bci')).message).toBe(
      's_1.bci: truncated: a lane tile index is 8 bytes per tile, the file has 20 bytes (byte 16)',
    );
    // Read as a lane index, Picard's per-cycle fixture repeats tile 1: the two files differ.
    expect(
      formatError(() => parseLaneTileIndex(new Uint8Array(readFileSync(fixture)))).message,
    ).toMatch(/tile 1 is listed twice/);
  });
});

describe.skipIf(spawnSync('bgzip', ['--version']).status !== 0)('BGZF ranges', () => {
  const raw = randomBytes(200_000);
  const bgzf = new Uint8Array(spawnSync('bgzip', ['-c'], { input: raw }).stdout);

  it('inflates the bytes from a block start, across blocks, ignoring a cut block after them', () => {
    expect(Buffer.from(inflateBgzfRange(bgzf, 10, 100_000, 'f'))).toEqual(
      raw.subarray(10, 100_010),
    );
    // Wanted bytes in the first block only: a window cut inside the second block is fine.
    expect(Buffer.from(inflateBgzfRange(bgzf.subarray(0, 70_000), 5, 60_000, 'f'))).toEqual(
      raw.subarray(5, 60_005),
    );
    expect(inflateBgzfRange(bgzf.subarray(0, 3), 0, 0, 'f')).toHaveLength(0);
  });

  it('names the file and the byte of truncation, corruption and plain gzip', () => {
    expect(
      formatError(() => inflateBgzfRange(bgzf.subarray(0, 90_000), 0, 150_000, 'f', 1000)).message,
    ).toMatch(
      /^f: truncated: the BGZF block of \d+ bytes ends past the end of the file \(byte 91000\)$/,
    );
    expect(formatError(() => inflateBgzfRange(bgzf.subarray(1), 0, 10, 'f')).message).toBe(
      'f: not a BGZF block (no gzip magic) (byte 0)',
    );
    expect(formatError(() => inflateBgzfRange(gzipSync(raw), 0, 10, 'f')).message).toBe(
      'f: a gzip member without the BGZF BC field (byte 0)',
    );
    const corrupt = bgzf.slice();
    corrupt.fill(0x55, 40, 80);
    expect(formatError(() => inflateBgzfRange(corrupt, 0, 10, 'f')).message).toMatch(
      /^f: BGZF data does not inflate/,
    );
  });
});

describe('BGZF blocks: damaged headers are FormatErrors (found by the parser fuzzer)', () => {
  const block = bgzfBlock(new TextEncoder().encode('##fileformat=VCFv4.2\n'));
  const drain = async (bytes: Uint8Array) => {
    for await (const b of bgzfBlocks(
      (async function* () {
        yield bytes;
      })(),
      'f',
    ))
      void b;
  };

  it('a block cut before its XLEN field', () => {
    expect(formatError(() => inflateBgzfBlock(block.subarray(0, 11), 'f')).message).toBe(
      'f: truncated BGZF block (byte 0)',
    );
  });

  it('a BSIZE smaller than the header and trailer (read past the buffer: a RangeError before)', async () => {
    const small = Buffer.from(block);
    small.writeUInt16LE(0, 16);
    expect(formatError(() => inflateBgzfBlock(small, 'f')).message).toMatch(
      /^f: BGZF block size 1 is smaller than its header and trailer \(byte 0\)$/,
    );
    await expect(drain(small)).rejects.toThrow(FormatError);
  });

  it('a block that inflates past 64 KiB is refused without inflating it all', () => {
    const payload = deflateRawSync(Buffer.alloc(1 << 20));
    const header = Buffer.from([31, 139, 8, 4, 0, 0, 0, 0, 0, 255, 6, 0, 66, 67, 2, 0, 0, 0]);
    const big = Buffer.concat([header, payload, Buffer.alloc(8)]);
    big.writeUInt16LE(big.length - 1, 16);
    expect(formatError(() => inflateBgzfBlock(big, 'f')).message).toMatch(
      /^f: BGZF block does not inflate/,
    );
  });
});
