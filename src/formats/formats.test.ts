import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  CALL_BASE,
  CALL_QUAL,
  FormatError,
  bgzfCompress,
  decodeCbclTile,
  formatReadName,
  indexBam,
  parseBcl,
  parseCbclHeader,
  parseClocs,
  parseFastq,
  parseFilter,
  parseLocs,
  readNameCoordinate,
} from './index.js';

const dir = new URL('../../test/fixtures/picard-readerTests/', import.meta.url);
const read = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));

/** Expected values from Picard's BclReaderTest / FilterFileReaderTest at the fixtures' commit. */
const BCL_BASES =
  'CAAATCTGTAAGCCAACACCAACGATACAACATGCACAACGCAAGTGCACGTACAACGCACATTTAAGCGTCATGAGCTCTACGAACCCATATGGGCTGAANNGACCGTACAGTGTAN';
const BCL_QUALS = [
  18, 29, 8, 17, 27, 25, 28, 27, 9, 29, 8, 20, 25, 24, 27, 27, 30, 8, 19, 24, 29, 29, 25, 28, 8, 29,
  26, 24, 29, 8, 18, 8, 29, 28, 26, 29, 25, 8, 26, 25, 28, 25, 8, 28, 28, 27, 29, 26, 25, 26, 27,
  25, 8, 18, 8, 26, 24, 29, 25, 8, 24, 8, 25, 27, 27, 25, 8, 28, 24, 27, 25, 25, 8, 27, 25, 8, 16,
  24, 28, 25, 28, 8, 24, 27, 25, 8, 20, 29, 24, 27, 28, 8, 23, 10, 23, 11, 15, 11, 10, 12, 12, 2, 2,
  31, 24, 8, 4, 36, 12, 17, 21, 4, 8, 12, 18, 23, 27, 2,
];
const PF = '0000100011001010100111101101111011110100011001010111001000110001';

function decode(calls: Uint8Array): { bases: string; quals: number[] } {
  return {
    bases: String.fromCharCode(...Array.from(calls, (c) => CALL_BASE[c]!)),
    quals: Array.from(calls, (c) => CALL_QUAL[c]! - 33),
  };
}

/** BGZF-like: the same bytes as several gzip members, one after another. */
function membered(bytes: Uint8Array, size: number): Uint8Array {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(gzipSync(bytes.subarray(i, i + size)));
  return Buffer.concat(parts);
}

function formatError(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    return error as FormatError;
  }
  throw new Error('expected a FormatError');
}

describe('BCL', () => {
  it('decodes bases and qualities as Picard does (.bcl, .bcl.gz, .bcl.bgzf)', () => {
    const plain = read('bcl_passing.bcl');
    for (const bytes of [plain, gzipSync(plain), membered(plain, 40)]) {
      const { bases, quals } = decode(parseBcl(bytes, 's_1_1101.bcl'));
      expect(bases).toBe(BCL_BASES);
      expect(quals).toEqual(BCL_QUALS);
    }
  });

  it('refuses files whose length disagrees with the header, naming the file and the offset', () => {
    const short = formatError(() => parseBcl(read('bcl_tooShort.bcl'), 'C1.1/s_1_1101.bcl'));
    expect(short.message).toMatch(
      /^C1\.1\/s_1_1101\.bcl: truncated: the header says 16777334 clusters but the file holds 118/,
    );
    expect(short.offset).toBe(122);
    const long = formatError(() => parseBcl(read('bcl_tooLong.bcl'), 'x.bcl'));
    expect(long.message).toMatch(/108 bytes past the 10 clusters/);
    expect(formatError(() => parseBcl(new Uint8Array(2), 'x.bcl')).message).toMatch(/truncated/);
    expect(formatError(() => parseBcl(read('bcl_passing.bcl'), 'x.bcl', 64)).message).toMatch(
      /filter file has 64/,
    );
  });

  it('refuses a gzip BCL that does not inflate', () => {
    const gz = gzipSync(read('bcl_passing.bcl'));
    const error = formatError(() =>
      parseBcl(gz.subarray(0, gz.length - 10), 'C1.1/s_1_1101.bcl.gz'),
    );
    expect(error.message).toMatch(/^C1\.1\/s_1_1101\.bcl\.gz: compressed BCL does not inflate/);
  });
});

describe('filter', () => {
  it('reads PF flags', () => {
    expect(Array.from(parseFilter(read('pf_passing.filter'))).join('')).toBe(PF);
  });

  it.each([
    ['pf_failing1.filter', /filter value 34, not 0 or 1/],
    ['pf_failing2.filter', /filter version 17 is not supported/],
    ['pf_tooLarge.filter', /16 bytes past the 48 clusters/],
    ['pf_tooShort.filter', /truncated: the header says 160 clusters but the file holds 64/],
    ['pf_badOpeningBytes.filter', /the first 4 bytes must be 0/],
    ['pf_badVersionBytes.filter', /filter version 16777219 is not supported/],
  ])('refuses %s', (name, message) => {
    const error = formatError(() => parseFilter(read(name), name));
    expect(error.message.startsWith(`${name}: `)).toBe(true);
    expect(error.message).toMatch(message);
    expect(error.offset).toBeTypeOf('number');
  });
});

describe('locs and clocs', () => {
  it('reads .locs positions', () => {
    const { x, y } = parseLocs(read('s_1_6.locs'));
    expect(x.length).toBe(200);
    expect([x[0], y[0]]).toEqual([1703.01171875, 64.01593017578125]);
  });

  it.each([
    ['s_1_7.locs', /4 bytes past the 200 clusters/],
    ['s_1_8.locs', /1 bytes past the 200 clusters/],
    ['s_1_9.locs', /the first int32 must be 1, found 5/],
    ['s_1_10.locs', /locs version 1\.0078125 is not supported/],
  ])('refuses %s', (name, message) => {
    expect(formatError(() => parseLocs(read(name), name)).message).toMatch(message);
  });

  it('reads .clocs bins (82 bins of 25 px per row)', () => {
    expect(parseClocs(read('s_1_2106.clocs')).x.length).toBe(39891);
    const { x, y } = parseClocs(read('s_3_2105.clocs'));
    expect(x.length).toBe(271);
    expect(Math.max(...y)).toBeLessThan(25);
    expect(Math.min(...x)).toBeGreaterThanOrEqual(0);
  });

  it('refuses a truncated .clocs', () => {
    const bytes = read('s_1_2106.clocs');
    expect(formatError(() => parseClocs(bytes.subarray(0, 5000), 'x.clocs')).message).toMatch(
      /^x\.clocs: truncated/,
    );
    expect(formatError(() => parseClocs(bytes.subarray(0, 3), 'x.clocs')).message).toMatch(
      /truncated/,
    );
  });

  it('rounds positions to read-name coordinates as bcl2fastq does', () => {
    expect(readNameCoordinate(0)).toBe(1000);
    expect(readNameCoordinate(1.808)).toBe(1018);
    expect(readNameCoordinate(1703.01171875)).toBe(18030);
  });
});

describe('CBCL', () => {
  it('reads the header and decodes a tile with the filter', () => {
    const bytes = read('cbcls/C1.1/L001_1.cbcl');
    const header = parseCbclHeader(bytes, 'L001_1.cbcl');
    expect(header.qualityOfBin).toEqual([0, 12, 23, 37]);
    expect(header.tiles.map((t) => [t.tile, t.clusters])).toEqual([
      [1101, 4],
      [1102, 4],
    ]);
    expect(header.nonPfExcluded).toBe(true);
    const pf = parseFilter(read('cbcls/tile_1101.filter'));
    const tile = header.tiles[0]!;
    const calls = decodeCbclTile(header, tile, bytes.subarray(tile.offset), 'L001_1.cbcl', pf);
    expect(calls.length).toBe(4);
    expect(() => decodeCbclTile(header, tile, bytes.subarray(tile.offset))).toThrow(
      /no filter was given/,
    );
  });

  it('refuses a truncated header or block, naming the file', () => {
    const bytes = read('cbcls/C1.1/L001_1.cbcl');
    expect(
      formatError(() => parseCbclHeader(bytes.subarray(0, 40), 'C1.1/L001_1.cbcl')).message,
    ).toMatch(/^C1\.1\/L001_1\.cbcl: truncated/);
    const header = parseCbclHeader(bytes);
    const tile = header.tiles[1]!;
    expect(
      formatError(() =>
        decodeCbclTile(
          header,
          tile,
          bytes.subarray(tile.offset, tile.offset + 10),
          'C1.1/L001_1.cbcl',
        ),
      ).message,
    ).toMatch(/^C1\.1\/L001_1\.cbcl: the block of tile 1102 does not inflate/);
    const wrongVersion = Uint8Array.from(bytes);
    wrongVersion[0] = 7;
    expect(formatError(() => parseCbclHeader(wrongVersion)).message).toMatch(/CBCL version 7/);
  });
});

describe('FASTQ', () => {
  it('formats bcl2fastq read names and parses records', () => {
    const name = formatReadName({
      instrument: 'A00111',
      run: '296',
      flowcell: 'AHJCWWDSXX',
      lane: 1,
      tile: 1101,
      x: 1850,
      y: 1000,
      read: 1,
      filtered: false,
      control: 0,
      index: 'CTGTATGC+AGCCGTAA',
    });
    expect(name).toBe('A00111:296:AHJCWWDSXX:1:1101:1850:1000 1:N:0:CTGTATGC+AGCCGTAA');
    expect(parseFastq(`@${name}\nACGT\n+\n#AAA\n`)).toEqual([{ name, seq: 'ACGT', qual: '#AAA' }]);
    expect(() => parseFastq('@a\nAC\n+\n#\n')).toThrow(FormatError);
  });
});

describe('BAM indexing of damaged records (found by the parser fuzzer)', () => {
  const bam = new Uint8Array(
    gunzipSync(readFileSync(new URL('../../test/fixtures/genomics/paired.bam', import.meta.url))),
  );
  const view = new DataView(bam.buffer, bam.byteOffset, bam.byteLength);
  // The first record: after the magic, the header text and the references.
  let first = 12 + view.getInt32(4, true);
  for (let i = view.getInt32(8 + view.getInt32(4, true), true); i > 0; i--)
    first += 8 + view.getInt32(first, true);
  const index = (bytes: Uint8Array) =>
    indexBam(
      (async function* () {
        yield bgzfCompress(bytes);
      })(),
      () => undefined,
      'damaged.bam',
    );

  it('the fixture indexes as it is', async () => {
    expect((await index(bam)).records).toBeGreaterThan(0);
  });

  it.each([
    ['a CIGAR count past the record', 16, 2, 0xffff],
    ['a sequence length past the record', 20, 4, 0x7fffffff],
    ['a negative sequence length', 20, 4, -5],
  ])('%s is a FormatError, not a RangeError', async (_name, at, width, value) => {
    const damaged = bam.slice();
    const v = new DataView(damaged.buffer);
    if (width === 2) v.setUint16(first + at, value, true);
    else v.setInt32(first + at, value, true);
    await expect(index(damaged)).rejects.toThrow(FormatError);
    await expect(index(damaged)).rejects.toThrow(/fields run past its \d+ bytes/);
  });
});
