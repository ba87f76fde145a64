import { FormatError } from './format-error.js';

/**
 * The fields of a bcl2fastq / BCL Convert read name:
 * `@instrument:run:flowcell:lane:tile:x:y[:umi] read:filtered:control:index`.
 */
export interface ReadName {
  instrument: string;
  run: string;
  flowcell: string;
  lane: number;
  tile: number;
  x: number;
  y: number;
  umi?: string | undefined;
  read: number;
  /** True when the cluster failed the chastity filter (written `Y`). */
  filtered: boolean;
  control: number;
  /** The index read(s) as sequenced, `i7+i5` for dual indexes. */
  index: string;
}

/** Formats a read name without the leading `@`. */
export function formatReadName(n: ReadName): string {
  const umi = n.umi ? `:${n.umi}` : '';
  return `${n.instrument}:${n.run}:${n.flowcell}:${n.lane}:${n.tile}:${n.x}:${n.y}${umi} ${n.read}:${n.filtered ? 'Y' : 'N'}:${n.control}:${n.index}`;
}

/**
 * Appends FASTQ records to a growing byte buffer without building per-record strings for the
 * sequence and quality lines (they are copied as bytes).
 */
export class FastqBuilder {
  private buf: Buffer;
  length = 0;
  records = 0;

  constructor(initialSize = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  /**
   * Appends one record: `@name`, the bases, `+`, the qualities (Phred+33 ASCII bytes); the first
   * `length` of `seq` and `qual` when given.
   */
  append(name: string, seq: Uint8Array, qual: Uint8Array, length = seq.length): void {
    this.reserve(name.length * 3 + 2 * length + 6);
    const b = this.buf;
    let at = this.length;
    b[at++] = 64;
    at += b.write(name, at, 'utf8');
    b[at++] = 10;
    // set() is a memcpy; a subarray only when the record is shorter than the arrays given.
    b.set(length === seq.length ? seq : seq.subarray(0, length), at);
    at += length;
    b[at++] = 10;
    b[at++] = 43;
    b[at++] = 10;
    b.set(length === qual.length ? qual : qual.subarray(0, length), at);
    at += length;
    b[at++] = 10;
    this.length = at;
    this.records++;
  }

  /** The bytes so far (a view; copy it before the next append if you keep it). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
    this.records = 0;
  }
}

/** One FASTQ record as text. */
export interface FastqRecord {
  name: string;
  seq: string;
  qual: string;
}

/** Parses FASTQ text (four lines per record); a malformed record is a {@link FormatError} with its line. */
export function parseFastq(text: string, file?: string): FastqRecord[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length % 4 !== 0) {
    throw new FormatError(`${lines.length} lines is not a whole number of 4-line records`, {
      file,
      line: lines.length,
    });
  }
  const out: FastqRecord[] = [];
  for (let i = 0; i < lines.length; i += 4) {
    const [head, seq, plus, qual] = [lines[i]!, lines[i + 1]!, lines[i + 2]!, lines[i + 3]!];
    if (!head.startsWith('@') || !plus.startsWith('+') || seq.length !== qual.length) {
      throw new FormatError('not a FASTQ record', { file, line: i + 1 });
    }
    out.push({ name: head.slice(1), seq, qual });
  }
  return out;
}
