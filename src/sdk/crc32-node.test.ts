import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Combine, crc32Hex } from './crc32-node.js';

describe('crc32', () => {
  it('is zlib CRC-32 (the check value of "123456789")', () => {
    expect(crc32).toBeTypeOf('function');
    expect(crc32Hex(crc32!(Buffer.from('123456789')))).toBe('cbf43926');
  });

  it('combines the CRCs of adjacent pieces into the CRC of the whole', () => {
    const whole = randomBytes(300_001);
    for (const cuts of [[0], [1], [65_536], [100_000, 200_000], [299_999, 300_000], [300_001]]) {
      let crc = 0;
      let at = 0;
      for (const end of [...cuts, whole.length]) {
        const piece = whole.subarray(at, end);
        crc = crc32Combine(crc, crc32!(piece), piece.length);
        at = end;
      }
      expect(crc32Hex(crc)).toBe(crc32Hex(crc32!(whole)));
    }
  });

  it('combines lengths past 2^32 (files of 4 GiB and more) as zlib does', () => {
    // zlib's crc32_combine(0, 0, 2^32 + 5) is the CRC of 2^32 + 5 zero bytes after an empty
    // prefix, which is 0; a non-zero first CRC shifted by that many zeros is checked against
    // the same shift done in two steps (2^32 then 5).
    const a = crc32!(Buffer.from('seqhub'));
    const zeros = 2 ** 32 + 5;
    const inTwo = crc32Combine(crc32Combine(a, 0, 2 ** 32), 0, 5);
    expect(crc32Combine(a, 0, zeros)).toBe(inTwo);
    expect(crc32Combine(a, 0, 2 ** 32)).not.toBe(a);
  });
});
