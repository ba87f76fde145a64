import { BufferPool } from '../../services/index.js';

const COMMA = 44;

/**
 * `head`, the values of `parts` in order as the items of a JSON array (comma-separated, each as
 * `JSON.stringify` writes it), then `tail`: one buffer. Written into `into` (from the start; the
 * answer is then a view of it) while it has room, else into a fresh buffer. The coverage answer's
 * `MeanCoverage` (up to 100,000 values) goes out this way, between the halves of its envelope.
 */
export function coverageJson(
  head: string,
  parts: readonly Float32Array[],
  tail: string,
  into?: Buffer,
): Buffer {
  let count = 0;
  for (const p of parts) count += p.length;
  // A float32 prints as at most 25 characters (-0.0000016716587651899317), then its comma.
  const need = Buffer.byteLength(head) + Buffer.byteLength(tail) + count * 26;
  const out = into && into.length >= need ? into : Buffer.allocUnsafe(need);
  let at = out.write(head, 0, 'utf8');
  let first = true;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      if (!first) out[at++] = COMMA;
      first = false;
      // As JSON.stringify writes a number. A string per value, dropped at once: remembering
      // the texts of values seen (a map of tens of thousands) made old-generation garbage and
      // major GCs in bench/genomics, costing more than it saved (~0.03 us a value).
      const v = p[i]!;
      const t = Number.isFinite(v) ? String(v) : 'null';
      for (let j = 0; j < t.length; j++) out[at++] = t.charCodeAt(j);
    }
  }
  at += out.write(tail, at, 'utf8');
  return out.subarray(0, at);
}

/**
 * Buffers the route writes coverage answers into (1,000 buckets are ~6-10 KiB of JSON), each
 * given back on its response's 'finish'; a larger answer goes into a fresh buffer.
 */
export const coverageAnswers = new BufferPool(64 * 1024, 32);
