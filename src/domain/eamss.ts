/** Illumina's EAMSS thresholds: a quality >= 30 lowers the tally by 2, one < 15 raises it by 1. */
const HIGH = 30;
const LOW = 15;
/** A run of at least this many G bases before the masked tail is masked too (with 1 exception per 10 bases). */
const G_RUN = 10;
const G = 71;

/**
 * Illumina's EAMSS filter (End Anchored Max Scoring Segments), which Picard applies by default:
 * the 3' segment whose low-quality tally is highest (earliest position of the maximum, when it is
 * at least 1) gets quality 2, extended left over a preceding run of G calls (10 or more, allowing
 * one non-G per 10 bases; a run may start but not end with an exception).
 *
 * @param bases ASCII bases of one read segment.
 * @param quals Phred+33 ASCII qualities, the same length.
 * @returns the 0-based start of the masked tail, or -1 when nothing is masked.
 */
export function eamssMaskStart(bases: Uint8Array, quals: Uint8Array): number {
  let tally = 0;
  let max = Number.NEGATIVE_INFINITY;
  let at = -1;
  for (let i = quals.length - 1; i >= 0; i--) {
    const q = quals[i]! - 33;
    if (q >= HIGH) tally -= 2;
    else if (q < LOW) tally += 1;
    if (tally >= max) {
      max = tally;
      at = i;
    }
  }
  if (max < 1) return -1;
  let gs = 0;
  let exceptions = 0;
  let i = at;
  for (;;) {
    if (bases[i] === G) gs++;
    else {
      const skip = skipBy(i, gs, exceptions, bases);
      if (skip === 0) break;
      exceptions += skip;
      gs += skip;
      i -= skip - 1;
    }
    if (i === 0) break;
    i--;
  }
  return gs >= G_RUN ? at + 1 - gs : at;
}

/** How many non-G bases to step over to reach the next G to the left, within the exception budget; 0 when none. */
function skipBy(index: number, gs: number, exceptions: number, bases: Uint8Array): number {
  for (let back = 1; back <= index; back++) {
    const limit = Math.max(Math.floor((gs + back) / G_RUN), 1);
    if (exceptions + back > limit) break;
    if (bases[index - back] === G) return back;
  }
  return 0;
}

/** Applies {@link eamssMaskStart} in place: the masked tail's qualities become 2 (`#`). */
export function applyEamss(bases: Uint8Array, quals: Uint8Array): void {
  const start = eamssMaskStart(bases, quals);
  if (start >= 0) quals.fill(35, start);
}
