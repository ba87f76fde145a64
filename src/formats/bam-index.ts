import { BamRecord } from '@gmod/bam';
import { bgzfBlocks, virtualOffset } from './bgzf.js';
import { BinIndexBuilder } from './bin-index.js';
import { CoverageBuilder, alignedBlocks, type RefCoverage } from './coverage.js';
import { FormatError } from './format-error.js';

/**
 * One pass over a coordinate-sorted BAM: its header, a BAI index (as `samtools index`), and
 * coverage at every zoom level. BGZF framing and the record boundaries are ours (the pass needs
 * each record's virtual offset); each record is decoded by @gmod/bam's BamRecord.
 */
export interface BamIndexResult {
  headerText: string;
  refs: { name: string; length: number }[];
  bai: Buffer;
  /** Max depth per reference (the levels went to `onCoverage`). */
  maxCoverage: number[];
  records: number;
  /** Virtual offset of the first record (the end of the header). */
  firstRecord: number;
}

/**
 * Reads that `samtools depth` leaves out by default (its -G default): unmapped, secondary,
 * QC-failed, duplicate. Supplementary alignments count.
 */
export const DEPTH_EXCLUDED_FLAGS = 0x4 | 0x100 | 0x200 | 0x400;

interface Segment {
  /** Compressed offset of the block. */
  block: number;
  /** Where its payload starts in the work buffer. */
  at: number;
  /** Offset in the block of the byte at `at` (non-zero for a partly consumed block). */
  skip: number;
}

/**
 * @param onCoverage receives each reference's coverage levels once its reads are all seen (in
 * file order, then the references no read touched), and is awaited (so the caller can stream them out with backpressure).
 */
export async function indexBam(
  source: AsyncIterable<Uint8Array>,
  onCoverage: (ref: number, coverage: RefCoverage) => Promise<void> | void,
  file?: string,
): Promise<BamIndexResult> {
  let work = new Uint8Array(0);
  let segments: Segment[] = [];
  let end = 0;
  let header: { text: string; refs: { name: string; length: number }[] } | undefined;
  let index: BinIndexBuilder | undefined;
  let coverage: CoverageBuilder | undefined;
  let records = 0;
  let firstRecord = -1;
  const finished: [number, RefCoverage][] = [];
  const maxCoverage: number[] = [];
  const drain = async () => {
    while (finished.length > 0) {
      const [ref, cov] = finished.shift()!;
      maxCoverage[ref] = cov.maxCoverage;
      await onCoverage(ref, cov);
    }
  };

  /** Virtual offset of the byte at `pos` of the work buffer. */
  const vOf = (pos: number): number => {
    for (let i = segments.length - 1; i >= 0; i--) {
      const s = segments[i]!;
      if (pos >= s.at) return virtualOffset(s.block, s.skip + pos - s.at);
    }
    return virtualOffset(segments[0]!.block, segments[0]!.skip);
  };

  for await (const block of bgzfBlocks(source, file)) {
    end = block.start + block.size;
    if (block.data.length === 0) continue;
    const next = new Uint8Array(work.length + block.data.length);
    next.set(work, 0);
    next.set(block.data, work.length);
    segments.push({ block: block.start, at: work.length, skip: 0 });
    work = next;
    let pos = 0;
    if (!header) {
      const parsed = parseHeader(work, file);
      if (!parsed) continue;
      header = parsed.header;
      pos = parsed.length;
      index = new BinIndexBuilder(header.refs.length, file);
      coverage = new CoverageBuilder(
        header.refs.map((r) => r.length),
        (ref, cov) => finished.push([ref, cov]),
      );
    }
    const view = new DataView(work.buffer);
    while (work.length - pos >= 4) {
      const size = view.getInt32(pos, true);
      if (size < 32 || size > 1 << 28) {
        throw new FormatError(`a BAM record claims ${size} bytes: the file is corrupt`, {
          file,
          offset: Math.floor(vOf(pos) / 65536),
        });
      }
      if (work.length - pos < 4 + size) break;
      // The fixed fields say how long the variable ones are; they must fit the record, or the
      // decoder reads past it (a RangeError; found by test/fuzz/parsers.fuzz.test.ts).
      const lReadName = work[pos + 12]!;
      const nCigar = view.getUint16(pos + 16, true);
      const lSeq = view.getInt32(pos + 20, true);
      if (lSeq < 0 || 32 + lReadName + 4 * nCigar + ((lSeq + 1) >> 1) + lSeq > size) {
        throw new FormatError(
          `a BAM record's fields run past its ${size} bytes: the file is corrupt`,
          {
            file,
            offset: Math.floor(vOf(pos) / 65536),
          },
        );
      }
      const vStart = vOf(pos);
      const vEnd = pos + 4 + size === work.length ? virtualOffset(end, 0) : vOf(pos + 4 + size);
      const record = new BamRecord({
        bytes: { byteArray: work, start: pos, end: pos + 4 + size },
        fileOffset: vStart,
      });
      try {
        addRecord(record, vStart, vEnd, header, index!, coverage!, file);
      } catch (error) {
        // Optional fields (a CG tag holding a long CIGAR) are decoded lazily and may still
        // overrun a damaged record.
        if (!(error instanceof RangeError)) throw error;
        throw new FormatError(`a BAM record does not decode: ${error.message}`, {
          file,
          offset: Math.floor(vStart / 65536),
        });
      }
      if (firstRecord < 0) firstRecord = vStart;
      records++;
      pos += 4 + size;
    }
    // Keep the unread tail (part of a record) and the blocks it lies in.
    const keptSegments: Segment[] = [];
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i]!;
      const segEnd = i + 1 < segments.length ? segments[i + 1]!.at : work.length;
      if (segEnd <= pos) continue;
      const from = Math.max(s.at, pos);
      keptSegments.push({ block: s.block, at: from - pos, skip: s.skip + from - s.at });
    }
    segments = keptSegments;
    work = work.slice(pos);
    await drain();
  }
  if (!header) {
    throw new FormatError(
      end === 0 ? 'the file is empty' : 'truncated: the BAM header is incomplete',
      { file, offset: end },
    );
  }
  if (work.length > 0) {
    throw new FormatError('truncated: the file ends inside a BAM record', { file, offset: end });
  }
  coverage!.finish();
  await drain();
  return {
    headerText: header.text,
    refs: header.refs,
    bai: index!.toBai(),
    maxCoverage,
    records,
    firstRecord: firstRecord < 0 ? virtualOffset(end, 0) : firstRecord,
  };
}

function addRecord(
  record: BamRecord,
  vStart: number,
  vEnd: number,
  header: { refs: { name: string; length: number }[] },
  index: BinIndexBuilder,
  coverage: CoverageBuilder,
  file: string | undefined,
): void {
  const ref = record.ref_id;
  const pos = record.start;
  if (ref < 0) {
    index.noCoordinate++;
    return;
  }
  if (ref >= header.refs.length) {
    throw new FormatError(`a record names reference ${ref}; the header has ${header.refs.length}`, {
      file,
      offset: Math.floor(vStart / 65536),
    });
  }
  const flags = record.flags;
  const unmapped = (flags & 0x4) !== 0;
  const span = unmapped ? 0 : record.length_on_ref;
  index.add(ref, pos, pos + Math.max(span, 1), vStart, vEnd, !unmapped);
  if ((flags & DEPTH_EXCLUDED_FLAGS) === 0) {
    coverage.advance(ref, pos);
    alignedBlocks(pos, record.NUMERIC_CIGAR, (b, e) => coverage.addBlock(ref, b, e));
  }
}

/** The BAM header (SAM spec 4.2) when `bytes` hold all of it, with its length; else undefined. */
function parseHeader(
  bytes: Uint8Array,
  file: string | undefined,
):
  | { header: { text: string; refs: { name: string; length: number }[] }; length: number }
  | undefined {
  if (bytes.length < 4) return undefined;
  if (bytes[0] !== 0x42 || bytes[1] !== 0x41 || bytes[2] !== 0x4d || bytes[3] !== 1) {
    throw new FormatError('not a BAM file (no BAM\\1 magic)', { file, offset: 0 });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8) return undefined;
  const lText = view.getInt32(4, true);
  if (lText < 0 || lText > 1 << 28)
    throw new FormatError('corrupt BAM header length', { file, offset: 4 });
  let p = 8 + lText;
  if (bytes.length < p + 4) return undefined;
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + lText)).replace(/\0+$/, '');
  const nRef = view.getInt32(p, true);
  if (nRef < 0 || nRef > 1 << 24)
    throw new FormatError('corrupt BAM reference count', { file, offset: p });
  p += 4;
  const refs: { name: string; length: number }[] = [];
  for (let i = 0; i < nRef; i++) {
    if (bytes.length < p + 4) return undefined;
    const lName = view.getInt32(p, true);
    if (lName < 1 || lName > 1 << 16)
      throw new FormatError('corrupt BAM reference name', { file, offset: p });
    if (bytes.length < p + 4 + lName + 4) return undefined;
    const name = new TextDecoder().decode(bytes.subarray(p + 4, p + 4 + lName - 1));
    const length = view.getInt32(p + 4 + lName, true);
    refs.push({ name, length });
    p += 8 + lName;
  }
  return { header: { text, refs }, length: p };
}
