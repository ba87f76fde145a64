import { BgzfWriter, bgzfBlocks, virtualOffset } from './bgzf.js';
import { BinIndexBuilder } from './bin-index.js';
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
      if (error instanceof FormatError) {
        throw new FormatError(
          `records are not sorted (chromosomes together, positions ascending): ${chrom}:${posText}`,
          { file: this.file, line: this.lineNo },
        );
      }
      throw error;
    }
    if (this.firstRecord < 0) this.firstRecord = vStart;
    this.records++;
  }

  finish(lastOffset: number): VcfIndexResult {
    if (!this.headerDone) {
      throw new FormatError(
        this.lineNo === 0 ? 'the file is empty' : 'the #CHROM header line is missing',
        { file: this.file, line: this.lineNo },
      );
    }
    return {
      header: this.header.map((l) => `${l}\n`).join(''),
      contigs: this.contigs,
      tbi: this.index.toTbiVcf(this.contigs),
      records: this.records,
      firstRecord: this.firstRecord < 0 ? lastOffset : this.firstRecord,
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
 * so the caller's stream can push back). The index points into the emitted bytes.
 */
export async function recompressAndIndexVcf(
  text: AsyncIterable<Uint8Array>,
  emit: (block: Buffer) => Promise<void>,
  file?: string,
): Promise<VcfIndexResult & { size: number }> {
  const indexer = new VcfIndexer(file);
  const ready: Buffer[] = [];
  const writer = new BgzfWriter((block) => ready.push(block));
  const drain = async () => {
    while (ready.length > 0) await emit(ready.shift()!);
  };
  const take = (bytes: Buffer) => {
    const vStart = writer.offset;
    writer.write(bytes);
    indexer.line({ bytes, vStart, vEnd: writer.offset });
  };
  let partial: Buffer[] = [];
  for await (const chunk of text) {
    const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let from = 0;
    while (from < data.length) {
      const nl = data.indexOf(10, from);
      if (nl < 0) {
        partial.push(data.subarray(from));
        break;
      }
      partial.push(data.subarray(from, nl + 1));
      take(Buffer.concat(partial));
      partial = [];
      from = nl + 1;
    }
    await drain();
  }
  if (partial.length > 0) take(Buffer.concat([...partial, Buffer.from('\n')]));
  const lastOffset = writer.offset;
  const size = writer.end();
  await drain();
  return { ...indexer.finish(lastOffset), size };
}
