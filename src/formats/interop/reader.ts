import { FormatError } from '../format-error.js';

/**
 * The frame every InterOp file shares: a version byte, a record-size byte, a version-specific
 * header, then fixed-size little-endian records. Bounds are checked here, so a truncated file is
 * a FormatError with the byte offset of the cut record, never a garbage value.
 */
export class InteropCursor {
  private readonly view: DataView;
  offset = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.byteLength - this.offset;
  }

  private need(n: number, what: string): void {
    if (this.offset + n > this.bytes.byteLength)
      throw new FormatError(
        `is truncated: ${what} needs ${n} byte(s), ${this.remaining} left`,
        { offset: this.offset },
        this.file,
      );
  }

  u8(what = 'a byte'): number {
    this.need(1, what);
    return this.view.getUint8(this.offset++);
  }
  u16(what = 'a field'): number {
    this.need(2, what);
    const v = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return v;
  }
  u32(what = 'a field'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }
  u64(what = 'a field'): number {
    this.need(8, what);
    const v = Number(this.view.getBigUint64(this.offset, true));
    this.offset += 8;
    return v;
  }
  f32(what = 'a field'): number {
    this.need(4, what);
    const v = this.view.getFloat32(this.offset, true);
    this.offset += 4;
    return v;
  }
  skip(n: number, what = 'a field'): void {
    this.need(n, what);
    this.offset += n;
  }
  /** A u16 length-prefixed ASCII string (IndexMetricsOut names). */
  str16(what: string): string {
    const n = this.u16(`the length of ${what}`);
    this.need(n, what);
    const s = new TextDecoder('latin1').decode(this.bytes.subarray(this.offset, this.offset + n));
    this.offset += n;
    return s;
  }
}

/** Reads the version byte and checks it is one this reader knows. */
export function readVersion(c: InteropCursor, supported: readonly number[]): number {
  if (c.bytes.byteLength === 0) throw new FormatError('is empty', { offset: 0 }, c.file);
  const version = c.u8('the version');
  if (!supported.includes(version))
    throw new FormatError(
      `has version ${version}; supported: ${supported.join(', ')}`,
      { offset: 0 },
      c.file,
    );
  return version;
}

/**
 * Reads the record-size byte, checks it against what the version implies, and checks that the
 * records fill the rest of the file exactly (else the file was cut short mid-record).
 */
export function readRecordSize(c: InteropCursor, expected: number | undefined): number {
  const at = c.offset;
  const size = c.u8('the record size');
  if (size === 0 || (expected !== undefined && size !== expected))
    throw new FormatError(
      `has record size ${size}, expected ${expected ?? 'more than 0'}`,
      { offset: at },
      c.file,
    );
  return size;
}

/** Iterates fixed-size records; the last partial record is a FormatError at its offset. */
export function* records(c: InteropCursor, size: number): Generator<number> {
  const start = c.offset;
  const whole = Math.floor(c.remaining / size);
  if (c.remaining % size !== 0)
    throw new FormatError(
      `is truncated: ${c.remaining % size} byte(s) of a ${size}-byte record at the end`,
      { offset: start + whole * size },
      c.file,
    );
  for (let i = 0; i < whole; i++) {
    const at = start + i * size;
    c.offset = at;
    yield at;
    c.offset = at + size;
  }
}
