/**
 * Per-base depth summarized into buckets at several resolutions, in one pass over a
 * coordinate-sorted alignment (like bigWig zoom levels). Coordinates are 0-based half-open.
 * Level 0 buckets are {@link COVERAGE_GRANULARITY} bases; level k buckets are 2^k level-0 buckets.
 */

/** Smallest bucket, as BaseSpace reports (`CoverageGranularity` 128, spec 4.12). */
export const COVERAGE_GRANULARITY = 128;

/**
 * Depth changes are kept in a ring of 2^20 positions ahead of the sweep (4 MiB); a block ending
 * farther ahead (a long read after a long N skip) waits in a small overflow list instead.
 */
const RING_BITS = 20;
const RING = 1 << RING_BITS;
const MASK = RING - 1;

export interface CoverageLevel {
  bucketSize: number;
  /**
   * Mean per-base depth of each bucket (the last bucket's over the bases it has). float32: exact
   * while a bucket's depth sum is below 2^24, within 1e-7 relative beyond.
   */
  means: Float32Array;
}

export interface RefCoverage {
  length: number;
  maxCoverage: number;
  /** Empty when no read covers the reference (all zeros, nothing stored). */
  levels: CoverageLevel[];
}

/**
 * Accumulates aligned blocks reference by reference, in position order. A reference's summary
 * is handed to `emit` as soon as the next reference starts, so memory holds one reference.
 */
export class CoverageBuilder {
  private readonly emitted = new Set<number>();
  /** The last position any depth change was marked at: past it the depth is 0 to the end. */
  private furthest = -1;
  private ref = -1;
  private ring = new Int32Array(RING);
  /** Pairs of (position, depth change) too far ahead for the ring. */
  private overflow: number[] = [];
  private swept = 0;
  private depth = 0;
  private max = 0;
  private sums = new Float64Array(0);

  constructor(
    private readonly lengths: readonly number[],
    private readonly emit: (ref: number, coverage: RefCoverage) => void,
  ) {}

  /**
   * Adds one aligned block [beg, end) of a read on `ref`. Call {@link advance} with the read's
   * start first: blocks may not start before it.
   */
  addBlock(ref: number, beg: number, end: number): void {
    if (ref !== this.ref) this.startRef(ref);
    const length = this.lengths[ref]!;
    if (beg >= length) return;
    if (end > length) end = length;
    if (end <= beg || beg < this.swept) return;
    this.mark(beg, 1);
    this.mark(end, -1);
  }

  private mark(pos: number, delta: number): void {
    if (pos > this.furthest) this.furthest = pos;
    if (pos - this.swept < RING) this.ring[pos & MASK]! += delta;
    else this.overflow.push(pos, delta);
  }

  /** Declares that no block on `ref` starts before `pos` any more: depths up to it are final. */
  advance(ref: number, pos: number): void {
    if (ref !== this.ref) this.startRef(ref);
    this.sweep(Math.min(pos, this.lengths[ref]!));
  }

  private startRef(ref: number): void {
    if (this.ref >= 0) this.finishRef();
    this.ref = ref;
    this.swept = 0;
    this.depth = 0;
    this.max = 0;
    this.furthest = -1;
    this.ring.fill(0);
    this.overflow = [];
    this.sums = new Float64Array(Math.ceil(this.lengths[ref]! / COVERAGE_GRANULARITY));
  }

  private sweep(to: number): void {
    const ring = this.ring;
    const sums = this.sums;
    let depth = this.depth;
    let max = this.max;
    let p = this.swept;
    while (p < to) {
      // Past the last change nothing is covered: skip (a genome's empty chromosomes cost nothing).
      if (p > this.furthest) {
        p = to;
        this.swept = p;
        break;
      }
      if (this.overflow.length > 0) this.pullOverflow(p);
      const stop = Math.min(to, p + RING, this.furthest + 1);
      for (; p < stop; p++) {
        const i = p & MASK;
        depth += ring[i]!;
        ring[i] = 0;
        if (depth > max) max = depth;
        sums[p >> 7]! += depth;
      }
      this.swept = p;
    }
    this.depth = depth;
    this.max = max;
  }

  private pullOverflow(from: number): void {
    const keep: number[] = [];
    const o = this.overflow;
    for (let i = 0; i < o.length; i += 2) {
      if (o[i]! - from < RING) this.ring[o[i]! & MASK]! += o[i + 1]!;
      else keep.push(o[i]!, o[i + 1]!);
    }
    this.overflow = keep;
  }

  private finishRef(): void {
    const length = this.lengths[this.ref]!;
    this.sweep(length);
    const levels = this.max === 0 ? [] : zoomLevels(this.sums, length);
    this.sums = new Float64Array(0);
    this.emitted.add(this.ref);
    this.emit(this.ref, { length, maxCoverage: this.max, levels });
  }

  /** Emits the last reference, and empty summaries for those no read touched. */
  finish(): void {
    if (this.ref >= 0) this.finishRef();
    this.ref = -1;
    this.lengths.forEach((length, i) => {
      if (!this.emitted.has(i)) this.emit(i, { length, maxCoverage: 0, levels: [] });
    });
  }
}

/** Means of level 0 and every coarser level (pairwise sums), down to a single bucket. */
function zoomLevels(level0: Float64Array, length: number): CoverageLevel[] {
  const levels: CoverageLevel[] = [];
  let sums = level0;
  let bucketSize = COVERAGE_GRANULARITY;
  for (;;) {
    const means = new Float32Array(sums.length);
    for (let i = 0; i < sums.length; i++) {
      means[i] = sums[i]! / Math.min(bucketSize, length - i * bucketSize);
    }
    levels.push({ bucketSize, means });
    if (sums.length <= 1) return levels;
    const next = new Float64Array(Math.ceil(sums.length / 2));
    for (let i = 0; i < sums.length; i++) next[i >> 1]! += sums[i]!;
    sums = next;
    bucketSize *= 2;
  }
}

/** CIGAR operations (SAM spec 1.4.6) that place read bases on the reference: M, =, X. */
const DEPTH_OPS = (1 << 0) | (1 << 7) | (1 << 8);
/** Operations that consume the reference: M, D, N, =, X. */
const REF_OPS = (1 << 0) | (1 << 2) | (1 << 3) | (1 << 7) | (1 << 8);

/**
 * Calls `block` for each aligned block [beg, end) of a read starting at 0-based `pos` with the
 * BAM-encoded CIGAR (len << 4 | op). Deletions and skips are gaps, as `samtools depth` counts
 * them by default (without -J).
 */
export function alignedBlocks(
  pos: number,
  cigar: ArrayLike<number>,
  block: (beg: number, end: number) => void,
): void {
  let at = pos;
  let runStart = -1;
  for (let i = 0; i < cigar.length; i++) {
    const op = cigar[i]! & 0xf;
    const len = cigar[i]! >>> 4;
    if ((DEPTH_OPS >> op) & 1) {
      if (runStart < 0) runStart = at;
      at += len;
    } else if ((REF_OPS >> op) & 1) {
      if (runStart >= 0) block(runStart, at);
      runStart = -1;
      at += len;
    }
  }
  if (runStart >= 0) block(runStart, at);
}
