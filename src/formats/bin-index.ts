import { bgzfCompress } from './bgzf.js';
import { FormatError } from './format-error.js';

/**
 * Writers for the two binning indexes of the SAM/BAM spec (section 5.2): BAI for BAM and tabix's
 * TBI for BGZF text such as VCF. Both hold, per reference, the records' chunks (virtual offset
 * ranges) in the UCSC bins and a linear index of 16 kb windows. Coordinates are 0-based half-open.
 */

/** BAI/TBI address at most 2^29 bases per reference (CSI is needed beyond). */
export const MAX_BIN_INDEX_POSITION = 2 ** 29;

/** A record before the one added last: the input is not coordinate-sorted. */
export class UnsortedRecordsError extends FormatError {}
/** The pseudo-bin that carries per-reference statistics (SAM/BAM spec 5.2). */
const PSEUDO_BIN = 37450;

/** The smallest bin holding 0-based half-open [beg, end) (SAM/BAM spec 5.3). */
export function reg2bin(beg: number, end: number): number {
  end -= 1;
  if (beg >> 14 === end >> 14) return ((1 << 15) - 1) / 7 + (beg >> 14);
  if (beg >> 17 === end >> 17) return ((1 << 12) - 1) / 7 + (beg >> 17);
  if (beg >> 20 === end >> 20) return ((1 << 9) - 1) / 7 + (beg >> 20);
  if (beg >> 23 === end >> 23) return ((1 << 6) - 1) / 7 + (beg >> 23);
  if (beg >> 26 === end >> 26) return ((1 << 3) - 1) / 7 + (beg >> 26);
  return 0;
}

interface RefBins {
  bins: Map<number, number[]>;
  linear: number[];
  offBeg: number;
  offEnd: number;
  mapped: number;
  unmapped: number;
}

/**
 * Collects records in file order and serializes the index. Virtual offsets are numbers
 * (`block * 65536 + offset`), exact for files up to 128 TiB.
 */
export class BinIndexBuilder {
  private readonly refs: (RefBins | undefined)[] = [];
  private lastRef = -1;
  private lastBeg = -1;
  noCoordinate = 0;

  /** `refCount` may grow as records name new references (tabix learns names as it reads). */
  constructor(
    public refCount: number,
    private readonly file?: string,
  ) {}

  /**
   * Adds one record spanning 0-based half-open [beg, end) on `ref`, stored at virtual offsets
   * [vStart, vEnd). Records must come sorted by reference then position.
   */
  add(ref: number, beg: number, end: number, vStart: number, vEnd: number, mapped = true): void {
    if (ref < this.lastRef || (ref === this.lastRef && beg < this.lastBeg)) {
      throw new UnsortedRecordsError(
        'records are not sorted by position: the file cannot be indexed',
        {
          file: this.file,
          offset: Math.floor(vStart / 65536),
        },
      );
    }
    if (end > MAX_BIN_INDEX_POSITION) {
      throw new FormatError(
        `a record ends at ${end}, past the ${MAX_BIN_INDEX_POSITION} bases a BAI/TBI index can address`,
        { file: this.file, offset: Math.floor(vStart / 65536) },
      );
    }
    this.lastRef = ref;
    this.lastBeg = beg;
    if (ref >= this.refCount) this.refCount = ref + 1;
    if (end <= beg) end = beg + 1;
    let r = this.refs[ref];
    if (!r) {
      r = { bins: new Map(), linear: [], offBeg: vStart, offEnd: vEnd, mapped: 0, unmapped: 0 };
      this.refs[ref] = r;
    }
    r.offEnd = vEnd;
    if (mapped) r.mapped++;
    else r.unmapped++;
    const bin = reg2bin(beg, end);
    let chunks = r.bins.get(bin);
    if (!chunks) {
      chunks = [];
      r.bins.set(bin, chunks);
    }
    const last = chunks.length - 2;
    // Like htslib: a chunk that starts where the last ended, or in the same block, extends it.
    if (
      last >= 0 &&
      (chunks[last + 1]! >= vStart ||
        Math.floor(chunks[last + 1]! / 65536) === Math.floor(vStart / 65536))
    ) {
      chunks[last + 1] = vEnd;
    } else {
      chunks.push(vStart, vEnd);
    }
    for (let w = beg >> 14; w <= (end - 1) >> 14; w++) {
      if (r.linear[w] === undefined) r.linear[w] = vStart;
    }
  }

  /** `map` turns the offsets records were added with into the file's (see ParallelBgzfWriter). */
  private refBytes(map: (v: number) => number = (v) => v): Buffer[] {
    const out: Buffer[] = [];
    for (let i = 0; i < this.refCount; i++) {
      const r = this.refs[i];
      if (!r) {
        out.push(Buffer.alloc(8));
        continue;
      }
      const bins = [...r.bins.entries()];
      const head = Buffer.alloc(4);
      head.writeInt32LE(bins.length + 1);
      out.push(head);
      for (const [bin, chunks] of bins) {
        const b = Buffer.alloc(8 + chunks.length * 8);
        b.writeUInt32LE(bin, 0);
        b.writeInt32LE(chunks.length / 2, 4);
        chunks.forEach((v, k) => b.writeBigUInt64LE(BigInt(map(v)), 8 + k * 8));
        out.push(b);
      }
      const pseudo = Buffer.alloc(8 + 32);
      pseudo.writeUInt32LE(PSEUDO_BIN, 0);
      pseudo.writeInt32LE(2, 4);
      pseudo.writeBigUInt64LE(BigInt(map(r.offBeg)), 8);
      pseudo.writeBigUInt64LE(BigInt(map(r.offEnd)), 16);
      pseudo.writeBigUInt64LE(BigInt(r.mapped), 24);
      pseudo.writeBigUInt64LE(BigInt(r.unmapped), 32);
      out.push(pseudo);
      // Windows no record starts in take the offset before them, as htslib fills them.
      const linear = Buffer.alloc(4 + r.linear.length * 8);
      linear.writeInt32LE(r.linear.length, 0);
      let previous = 0;
      for (let w = 0; w < r.linear.length; w++) {
        const v = r.linear[w] ?? previous;
        previous = v;
        linear.writeBigUInt64LE(BigInt(map(v)), 4 + w * 8);
      }
      out.push(linear);
    }
    const noCoor = Buffer.alloc(8);
    noCoor.writeBigUInt64LE(BigInt(this.noCoordinate));
    out.push(noCoor);
    return out;
  }

  /** The BAI bytes (uncompressed, as samtools writes them). */
  toBai(): Buffer {
    const head = Buffer.alloc(8);
    head.write('BAI\x01', 0, 'latin1');
    head.writeInt32LE(this.refCount, 4);
    return Buffer.concat([head, ...this.refBytes()]);
  }

  /**
   * The TBI bytes (BGZF-compressed) for a VCF (tabix `-p vcf`) with these sequence names; `map`
   * as for the BAI's references.
   */
  toTbiVcf(names: readonly string[], map?: (v: number) => number): Buffer {
    const nm = Buffer.from(names.map((n) => `${n}\0`).join(''), 'utf8');
    const head = Buffer.alloc(36);
    head.write('TBI\x01', 0, 'latin1');
    head.writeInt32LE(this.refCount, 4);
    head.writeInt32LE(2, 8); // format: VCF
    head.writeInt32LE(1, 12); // col_seq
    head.writeInt32LE(2, 16); // col_beg
    head.writeInt32LE(0, 20); // col_end
    head.writeInt32LE('#'.charCodeAt(0), 24); // meta
    head.writeInt32LE(0, 28); // skip
    head.writeInt32LE(nm.length, 32);
    return bgzfCompress(Buffer.concat([head, nm, ...this.refBytes(map)]));
  }
}
