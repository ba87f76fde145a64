/**
 * CRC-32 (ISO-HDLC: zlib's, gzip's, the hub's `Crc32`) for verifying downloads (Node only):
 * `node:zlib`'s `crc32` where this Node has it (20.15 and later), and `crc32Combine`, which
 * joins the CRCs of two adjacent pieces into the CRC of both, so parallel ranges are each
 * checked as their bytes arrive and the file's CRC follows without reading it back.
 */
import * as zlib from 'node:zlib';

type Crc32 = (data: Uint8Array, initial?: number) => number;

/** zlib's CRC-32, or undefined on a Node without `zlib.crc32` (before 20.15). */
export const crc32: Crc32 | undefined = (zlib as { crc32?: Crc32 }).crc32;

/** The CRC-32 polynomial, reflected (x^32 + x^26 + ... + 1). */
const POLY = 0xedb88320;

/** a(x) * b(x) mod p(x), reflected bit order (zlib's `multmodp`). */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) mod p(x) for k = 0..31 (zlib's `x2n_table`). */
const X2N: number[] = (() => {
  const table: number[] = [];
  let p = 0x40000000; // x^1
  for (let k = 0; k < 32; k++) {
    table.push(p);
    p = multModP(p, p);
  }
  return table;
})();

/** x^(n * 2^k) mod p(x) (zlib's `x2nmodp`). */
function x2nModP(n: number, k: number): number {
  let p = 0x80000000; // x^0
  while (n > 0) {
    // n can pass 2^32 (a file of 4 GiB or more): no bitwise operators on it.
    if (n % 2 === 1) p = multModP(X2N[k & 31]!, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/**
 * The CRC-32 of A followed by B, from `crcA`, `crcB` and B's length in bytes (zlib's
 * `crc32_combine`): O(log length), about a microsecond.
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multModP(x2nModP(lengthB, 3), crcA >>> 0) ^ (crcB >>> 0)) >>> 0;
}

/** A CRC-32 as the hub writes it: 8 lowercase hex digits. */
export const crc32Hex = (crc: number): string => (crc >>> 0).toString(16).padStart(8, '0');
