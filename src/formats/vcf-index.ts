import { BGZF_MAX_PAYLOAD, ParallelBgzfWriter, bgzfBlocks, virtualOffset } from './bgzf.js';
import { BinIndexBuilder, UnsortedRecordsError } from './bin-index.js';
import { FormatError } from './format-error.js';

/**
 * One pass over a VCF that checks its shape, and builds its tabix index (as `tabix -p vcf`):
 * either over the BGZF bytes as they are, or while re-compressing plain text to BGZF.
 */
export interface VcfIndexResult {
  /** The header lines (`##...` and `#CHROM...`), newline-terminated. */
  header: string;
  /** Sequence names in the order the records use them (the index's reference ids). */
  contigs: string[];
  tbi: Buffer;
  records: number;
  /** Virtual offset of the first record. */
  firstRecord: number;
}

interface Line {
  bytes: Buffer;
  vStart: number;
  vEnd: number;
}

class VcfIndexer {
  private readonly header: string[] = [];
  private headerDone = false;
  private lineNo = 0;
  private readonly contigIds = new Map<string, number>();
  private readonly contigs: string[] = [];
  private readonly index: BinIndexBuilder;
  records = 0;
  firstRecord = -1;

  constructor(private readonly file: string | undefined) {
    this.index = new BinIndexBuilder(0, file);
  }

  line({ bytes, vStart, vEnd }: Line): void {
    this.lineNo++;
    let text = bytes.toString('utf8');
    if (text.endsWith('\n')) text = text.slice(0, -1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (this.lineNo === 1 && !text.startsWith('##fileformat=VCF')) {
      throw new FormatError('not a VCF: the first line must be ##fileformat=VCFv4.x', {
        file: this.file,
        line: 1,
      });
    }
    if (!this.headerDone) {
      if (text.startsWith('#')) {
        this.header.push(text);
        if (text.startsWith('#CHROM')) this.headerDone = true;
        return;
      }
      throw new FormatError('the #CHROM header line is missing before the first record', {
        file: this.file,
        line: this.lineNo,
      });
    }
    if (text === '') return;
    const fields = text.split('\t', 8);
    if (fields.length < 8) {
      throw new FormatError(
        `a record needs 8 tab-separated columns, this one has ${fields.length}`,
        {
          file: this.file,
          line: this.lineNo,
        },
      );
    }
    const [chrom, posText, , ref, , , , info] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (!/^\d{1,10}$/.test(posText) || Number(posText) < 1) {
      throw new FormatError(`POS '${posText.slice(0, 20)}' is not a position`, {
        file: this.file,
        line: this.lineNo,
      });
    }
    const beg = Number(posText) - 1;
    let end = beg + Math.max(ref.length, 1);
    // tabix's VCF rule: INFO END= extends the record (gVCF blocks, structural variants).
    const m = /(?:^|;)END=(\d+)/.exec(info);
    if (m && Number(m[1]) > beg) end = Number(m[1]);
    let id = this.contigIds.get(chrom);
    if (id === undefined) {
      id = this.contigs.length;
      this.contigIds.set(chrom, id);
      this.contigs.push(chrom);
    }
    try {
      this.index.add(id, beg, end, vStart, vEnd);
    } catch (error) {
      if (error instanceof UnsortedRecordsError) {
        throw new FormatError(
          `records are not sorted (chromosomes together, positions ascending): ${chrom}:${posText}`,
          { file: this.file, line: this.lineNo },
        );
      }
      // Anything else the index refuses (a record past 2^29 bases) is said as it is, at its line.
      if (error instanceof FormatError) {
        throw new FormatError(`${error.problem}: ${chrom}:${posText}`, {
          file: this.file,
          line: this.lineNo,
        });
      }
      throw error;
    }
    if (this.firstRecord < 0) this.firstRecord = vStart;
    this.records++;
  }

  /**
   * The line held in bytes [start, end) of `data` (with its newline, if any). Records of the
   * usual shape are read from the bytes where they lie (no string, no copy: most of the time of
   * a pass over a plain VCF went to making them); anything else (header lines, and any record
   * the quick read is unsure of) goes through {@link line}, which also says what is wrong.
   */
  lineAt(data: Buffer, start: number, end: number, vStart: number, vEnd: number): void {
    if (!this.headerDone || !this.quickRecord(data, start, end, vStart, vEnd)) {
      this.line({ bytes: data.subarray(start, end), vStart, vEnd });
    }
  }

  private lastChrom: Buffer | undefined;
  private lastChromId = -1;

  /** Indexes a well-formed record; false (having done nothing) when unsure. */
  private quickRecord(
    data: Buffer,
    start: number,
    end: number,
    vStart: number,
    vEnd: number,
  ): boolean {
    let stop = end;
    if (stop > start && data[stop - 1] === 10) stop--;
    if (stop > start && data[stop - 1] === 13) stop--;
    if (stop === start || data[start] === 35 /* # */) return false;
    // The starts of the first eight columns, and the end of the eighth: one loop over the
    // bytes costs less than a native indexOf call per column.
    const cols = this.cols;
    cols[0] = start;
    let n = 1;
    let infoEnd = stop;
    for (let i = start; i < stop; i++) {
      if (data[i] !== 9) continue;
      if (n === 8) {
        infoEnd = i;
        break;
      }
      cols[n++] = i + 1;
    }
    if (n < 8) return false;
    // CHROM: bytes of ASCII only (else the slow path decodes it).
    const chromEnd = cols[1]! - 1;
    let id = this.lastChromId;
    const last = this.lastChrom;
    let same = last !== undefined && last.length === chromEnd - start;
    for (let i = 0; same && i < last!.length; i++) same = last![i] === data[start + i];
    if (!same) {
      for (let i = start; i < chromEnd; i++) if (data[i]! > 127) return false;
      if (chromEnd === start) return false;
      const chrom = data.toString('latin1', start, chromEnd);
      id = this.contigIds.get(chrom) ?? -1;
      if (id < 0) {
        id = this.contigs.length;
        this.contigIds.set(chrom, id);
        this.contigs.push(chrom);
      }
      this.lastChrom = Buffer.from(data.subarray(start, chromEnd));
      this.lastChromId = id;
    }
    // POS: 1 to 10 digits, at least 1.
    const posStart = cols[1]!;
    const posEnd = cols[2]! - 1;
    if (posEnd <= posStart || posEnd - posStart > 10) return false;
    let pos = 0;
    for (let i = posStart; i < posEnd; i++) {
      const d = data[i]! - 48;
      if (d < 0 || d > 9) return false;
      pos = pos * 10 + d;
    }
    if (pos < 1) return false;
    const beg = pos - 1;
    const refLength = cols[4]! - 1 - cols[3]!;
    for (let i = cols[3]!; i < cols[4]! - 1; i++) if (data[i]! > 127) return false;
    let recordEnd = beg + Math.max(refLength, 1);
    // tabix's VCF rule: INFO END= extends the record (gVCF blocks, structural variants); the
    // first `END=` after the start or a `;` and followed by digits, as the slow path's regex.
    const info = cols[7]!;
    for (let e = info; e + 4 <= infoEnd; e++) {
      if (
        data[e] !== 69 /* E */ ||
        data[e + 1] !== 78 /* N */ ||
        data[e + 2] !== 68 /* D */ ||
        data[e + 3] !== 61 /* = */ ||
        (e !== info && data[e - 1] !== 59) /* ; */
      ) {
        continue;
      }
      let v = 0;
      let digits = 0;
      for (let i = e + 4; i < infoEnd; i++) {
        const d = data[i]! - 48;
        if (d < 0 || d > 9) break;
        v = v * 10 + d;
        digits++;
      }
      if (digits > 15) return false;
      if (digits > 0) {
        if (v > beg) recordEnd = v;
        break;
      }
    }
    this.lineNo++;
    try {
      this.index.add(id, beg, recordEnd, vStart, vEnd);
    } catch (error) {
      this.lineNo--;
      if (error instanceof FormatError) return false;
      throw error;
    }
    if (this.firstRecord < 0) this.firstRecord = vStart;
    this.records++;
    return true;
  }

  private readonly cols = new Int32Array(8);

  finish(lastOffset: number, map?: (v: number) => number): VcfIndexResult {
    if (!this.headerDone) {
      throw new FormatError(
        this.lineNo === 0 ? 'the file is empty' : 'the #CHROM header line is missing',
        { file: this.file, line: this.lineNo },
      );
    }
    return {
      header: this.header.map((l) => `${l}\n`).join(''),
      contigs: this.contigs,
      tbi: this.index.toTbiVcf(this.contigs, map),
      records: this.records,
      firstRecord: (map ?? ((v: number) => v))(
        this.firstRecord < 0 ? lastOffset : this.firstRecord,
      ),
    };
  }
}

/** Indexes a BGZF-compressed VCF as it is (its bytes stay the object queries read). */
export async function indexBgzfVcf(
  source: AsyncIterable<Uint8Array>,
  file?: string,
): Promise<VcfIndexResult> {
  const indexer = new VcfIndexer(file);
  let partial: Buffer[] = [];
  let partialStart = 0;
  let end = 0;
  for await (const block of bgzfBlocks(source, file)) {
    const data = block.data;
    let from = 0;
    end = block.start + block.size;
    while (from < data.length) {
      if (partial.length === 0) partialStart = virtualOffset(block.start, from);
      const nl = data.indexOf(10, from);
      if (nl < 0) {
        partial.push(data.subarray(from));
        break;
      }
      partial.push(data.subarray(from, nl + 1));
      const vEnd =
        nl + 1 === data.length ? virtualOffset(end, 0) : virtualOffset(block.start, nl + 1);
      indexer.line({ bytes: Buffer.concat(partial), vStart: partialStart, vEnd });
      partial = [];
      from = nl + 1;
    }
  }
  if (partial.length > 0) {
    indexer.line({
      bytes: Buffer.concat(partial),
      vStart: partialStart,
      vEnd: virtualOffset(end, 0),
    });
  }
  return indexer.finish(virtualOffset(end, 0));
}

/**
 * Indexes a plain-text VCF while writing it as BGZF through `emit` (one block at a time, awaited
 * so the caller's stream can push back; blocks deflate in parallel, see ParallelBgzfWriter). The
 * index points into the emitted bytes.
 */
export async function recompressAndIndexVcf(
  text: AsyncIterable<Uint8Array>,
  emit: (block: Buffer) => Promise<void>,
  file?: string,
): Promise<VcfIndexResult & { size: number }> {
  const indexer = new VcfIndexer(file);
  const writer = new ParallelBgzfWriter(emit);
  try {
    return await recompress(text, indexer, writer);
  } finally {
    writer.close();
  }
}

async function recompress(
  text: AsyncIterable<Uint8Array>,
  indexer: VcfIndexer,
  writer: ParallelBgzfWriter,
): Promise<VcfIndexResult & { size: number }> {
  /** Uncompressed bytes before the chunk at hand. */
  let at = 0;
  /** A line cut by the end of a chunk: its start, copied, and its position. */
  let partial: Buffer[] = [];
  let partialAt = 0;
  for await (const chunk of text) {
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // The blocks are the text cut every BGZF_MAX_PAYLOAD bytes, so a line's virtual offsets
    // follow from its position alone, and the writer takes whole chunks.
    writer.write(data);
    let from = 0;
    if (partial.length > 0) {
      const nl = data.indexOf(10);
      if (nl < 0) {
        partial.push(Buffer.from(data));
        at += data.length;
        await writer.pace();
        continue;
      }
      const line = Buffer.concat([...partial, data.subarray(0, nl + 1)]);
      partial = [];
      indexer.lineAt(line, 0, line.length, streamOffset(partialAt), streamOffset(at + nl + 1));
      from = nl + 1;
    }
    while (from < data.length) {
      const nl = data.indexOf(10, from);
      if (nl < 0) {
        // Copied: a source may reuse its chunk's memory once the next is asked for.
        partial.push(Buffer.from(data.subarray(from)));
        partialAt = at + from;
        break;
      }
      indexer.lineAt(data, from, nl + 1, streamOffset(at + from), streamOffset(at + nl + 1));
      from = nl + 1;
    }
    at += data.length;
    await writer.pace();
  }
  if (partial.length > 0) {
    // The last line gets the newline it lacks, as bgzip's readers expect.
    writer.write(NEWLINE);
    const line = Buffer.concat([...partial, NEWLINE]);
    at += 1;
    indexer.lineAt(line, 0, line.length, streamOffset(partialAt), streamOffset(at));
  }
  const size = await writer.end();
  return { ...indexer.finish(streamOffset(at), (v) => writer.fileOffset(v)), size };
}

const NEWLINE = Buffer.from('\n');

/**
 * The block-index virtual offset (see ParallelBgzfWriter) of byte `at` of the uncompressed
 * stream: blocks hold BGZF_MAX_PAYLOAD bytes each, the last one fewer.
 */
function streamOffset(at: number): number {
  return Math.floor(at / BGZF_MAX_PAYLOAD) * 65536 + (at % BGZF_MAX_PAYLOAD);
}
