/**
 * How reads' index bases are matched to samples:
 * - `per-index` (BCL Convert, bcl2fastq): up to `mismatches[k]` mismatches in each index, a no
 *   call (N) counting as a mismatch; sheets whose samples could both match one read are refused.
 * - `best-total` (Picard `IlluminaBasecallsToFastq`): mismatches summed over both indexes, no
 *   calls not counted but at most `maxNoCalls` of them, and the best sample must beat the second
 *   best by `minMismatchDelta`; no refusal, an ambiguous read is unmatched.
 */
export type BarcodeMatching =
  | { kind: 'per-index'; mismatches: [number, number] }
  | { kind: 'best-total'; maxMismatches: number; minMismatchDelta: number; maxNoCalls: number };

export interface MatcherSample {
  /** What `match` returns for this sample. */
  sample: number;
  sampleId: string;
  i7: string;
  /** As it appears in the reads (already reverse-complemented when the run reads it so). */
  i5: string;
}

/** Two samples some read could match both of; carries the pair so callers can word it. */
export class BarcodeCollisionError extends Error {
  constructor(
    message: string,
    readonly pair: [string, string],
  ) {
    super(message);
  }
}

export interface BarcodeMatch {
  /** The sample, or -1 for Undetermined. */
  sample: number;
  mismatches: number;
}

const UNDETERMINED: BarcodeMatch = { sample: -1, mismatches: 0 };
/** Cache size for `best-total` lookups: enough for the frequent barcodes, bounded whatever the run size. */
const BEST_TOTAL_CACHE = 100_000;

function hamming(a: string, b: string): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) d++;
  return d;
}

/** Every sequence within `max` substitutions (over A, C, G, T, N) of `seq`, with its distance. */
function variants(seq: string, max: number, out: Map<string, number>, at = 0, dist = 0): void {
  const prev = out.get(seq);
  if (prev === undefined || dist < prev) out.set(seq, dist);
  if (dist === max) return;
  for (let i = at; i < seq.length; i++) {
    for (const base of 'ACGTN') {
      if (base === seq[i]) continue;
      variants(seq.slice(0, i) + base + seq.slice(i + 1), max, out, i + 1, dist + 1);
    }
  }
}

/** The barcode lookup of one lane. */
export class BarcodeMatcher {
  /** i7 variant -> candidates, encoded `position * 4 + distance`. */
  private readonly table = new Map<string, number[]>();
  private readonly cache = new Map<string, BarcodeMatch>();
  private readonly single: MatcherSample | undefined;

  constructor(
    private readonly samples: MatcherSample[],
    private readonly matching: BarcodeMatching,
  ) {
    const indexed = samples.filter((s) => s.i7 || s.i5);
    if (indexed.length === 0 && samples.length === 1) this.single = samples[0];
    if (matching.kind !== 'per-index') return;
    const [m1, m2] = matching.mismatches;
    for (let a = 0; a < samples.length; a++) {
      for (let b = a + 1; b < samples.length; b++) {
        const x = samples[a]!;
        const y = samples[b]!;
        const d7 = hamming(x.i7, y.i7);
        const d5 = hamming(x.i5, y.i5);
        if (d7 <= 2 * m1 && d5 <= 2 * m2) {
          const what = x.i5 || y.i5 ? `${x.i7}+${x.i5} and ${y.i7}+${y.i5}` : `${x.i7} and ${y.i7}`;
          throw new BarcodeCollisionError(
            d7 === 0 && d5 === 0
              ? `samples ${x.sampleId} and ${y.sampleId} have the same index (${what})`
              : `the indexes of samples ${x.sampleId} and ${y.sampleId} (${what}) collide within ${m1}${x.i5 ? `/${m2}` : ''} mismatches: lower BarcodeMismatchesIndex${d7 <= 2 * m1 && m1 > 0 ? '1' : '2'} or fix the sheet`,
            [x.sampleId, y.sampleId],
          );
        }
      }
    }
    samples.forEach((s, position) => {
      const near = new Map<string, number>();
      variants(s.i7, m1, near);
      for (const [seq, dist] of near) {
        const list = this.table.get(seq);
        if (list) list.push(position * 4 + dist);
        else this.table.set(seq, [position * 4 + dist]);
      }
    });
  }

  /** The sample of a read with these index bases (i5 as read; '' when the run has no i5). */
  match(i7: string, i5: string): BarcodeMatch {
    if (this.single) return { sample: this.single.sample, mismatches: 0 };
    if (this.matching.kind === 'per-index') {
      const list = this.table.get(i7);
      if (!list) return UNDETERMINED;
      const m2 = this.matching.mismatches[1];
      for (const code of list) {
        const s = this.samples[code >> 2]!;
        const d5 = s.i5 ? hamming(i5, s.i5) : 0;
        if (d5 <= m2) return { sample: s.sample, mismatches: (code & 3) + d5 };
      }
      return UNDETERMINED;
    }
    const key = `${i7}+${i5}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const found = this.bestTotal(i7 + i5, this.matching);
    if (this.cache.size >= BEST_TOTAL_CACHE) this.cache.clear();
    this.cache.set(key, found);
    return found;
  }

  private bestTotal(
    read: string,
    m: { maxMismatches: number; minMismatchDelta: number; maxNoCalls: number },
  ): BarcodeMatch {
    let noCalls = 0;
    for (let i = 0; i < read.length; i++) if (read[i] === 'N' || read[i] === '.') noCalls++;
    if (noCalls > m.maxNoCalls) return UNDETERMINED;
    let best = Infinity;
    let second = Infinity;
    let bestSample = -1;
    for (const s of this.samples) {
      const code = s.i7 + s.i5;
      let d = 0;
      for (let i = 0; i < code.length; i++) {
        const c = read[i];
        if (c !== 'N' && c !== '.' && c !== code[i]) d++;
      }
      if (d < best) {
        second = best;
        best = d;
        bestSample = s.sample;
      } else if (d < second) second = d;
    }
    if (best > m.maxMismatches || second - best < m.minMismatchDelta) return UNDETERMINED;
    return { sample: bestSample, mismatches: best };
  }
}
