import { describe, expect, it } from 'vitest';
import { coverageJson } from '../../src/http/presenters/coverage-json.presenter.js';

/** What the answer must equal: the envelope with the values through JSON.stringify. */
const reference = (parts: Float32Array[]) =>
  JSON.stringify({ Response: { MeanCoverage: parts.flatMap((p) => Array.from(p)) }, X: 'é' });

const HEAD = '{"Response":{"MeanCoverage":[';
const TAIL = ']},"X":"é"}';

describe('coverage JSON', () => {
  it('prints every value as JSON.stringify does: depths, fractions, tiny and huge, zero signs, non-finite as null', () => {
    const special = new Float32Array([
      0,
      -0,
      1,
      2.5,
      1 / 3,
      0.1,
      1e-7,
      1.5e-45,
      3.4028234663852886e38,
      123456789,
      NaN,
      Infinity,
      -Infinity,
      1e21,
      65504.125,
      0.0078125,
    ]);
    // Mean depths as the indexer makes them: integer sums over power-of-two buckets.
    const depths = Float32Array.from(
      { length: 5000 },
      (_, i) => ((i * 7919) % 20011) / 2 ** (7 + (i % 8)),
    );
    // Every bit pattern at random, twice (the second pass is served from the remembered texts).
    const bits = new Uint32Array(20_000).map(() => (Math.random() * 2 ** 32) >>> 0);
    const random = new Float32Array(bits.buffer);
    for (const parts of [
      [special],
      [depths],
      [random],
      [random],
      [depths.subarray(0, 3), special, depths.subarray(7, 9)],
    ]) {
      const out = coverageJson(HEAD, parts, TAIL);
      expect(out.toString('utf8')).toBe(reference(parts));
      expect(() => JSON.parse(out.toString('utf8'))).not.toThrow();
    }
    expect(coverageJson(HEAD, [], TAIL).toString('utf8')).toBe(reference([]));
    expect(coverageJson(HEAD, [new Float32Array(0), new Float32Array([1])], TAIL).toString()).toBe(
      reference([new Float32Array([1])]),
    );
  });

  it('writes into the given buffer while it has room, else into a fresh one', () => {
    const values = [Float32Array.from({ length: 100 }, (_, i) => i / 128)];
    const into = Buffer.alloc(64 * 1024);
    const fits = coverageJson(HEAD, values, TAIL, into);
    expect(fits.buffer).toBe(into.buffer);
    expect(fits.byteOffset).toBe(0);
    expect(fits.toString('utf8')).toBe(reference(values));
    const small = Buffer.alloc(16);
    const grown = coverageJson(HEAD, values, TAIL, small);
    expect(grown.buffer).not.toBe(small.buffer);
    expect(grown.toString('utf8')).toBe(reference(values));
    // 100,000 values of the longest text (an answer's limit) fit the size it reserves.
    const longest = [new Float32Array(100_000).fill(-0.0000016716587651899317)];
    expect(coverageJson(HEAD, longest, TAIL).toString('utf8')).toBe(reference(longest));
  });
});
