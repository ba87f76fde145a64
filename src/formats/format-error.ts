/** Where in a file a {@link FormatError} was found: the file's name, and a 0-based byte offset or a 1-based line. */
export interface FormatErrorLocation {
  file?: string | undefined;
  offset?: number | undefined;
  line?: number | undefined;
}

/**
 * A file that does not follow its format. Parsers throw it with the file's name (as the caller
 * gave it) and where: a 1-based line for text formats, a 0-based byte offset for binary ones, so
 * a job summary or a 400 can say which file is broken and where. `file` may also come as the
 * third argument (the text parsers' form).
 */
export class FormatError extends Error {
  override readonly name = 'FormatError';
  readonly file: string | undefined;
  readonly offset: number | undefined;
  readonly line: number | undefined;
  /** What is wrong, without the file's name and the place (to say it again at another place). */
  readonly problem: string;

  constructor(problem: string, where: FormatErrorLocation = {}, file?: string) {
    const name = file ?? where.file;
    const place =
      where.offset !== undefined
        ? ` (byte ${where.offset})`
        : where.line !== undefined
          ? ` (line ${where.line})`
          : '';
    super(`${name ? `${name}: ` : ''}${problem}${place}`);
    this.problem = problem;
    this.file = name;
    this.offset = where.offset;
    this.line = where.line;
  }
}

/** Bounds-checked little-endian reads over a byte array; every overrun is a {@link FormatError}. */
export class ByteReader {
  private readonly view: DataView;
  pos = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string | undefined,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(n: number, what: string): void {
    if (this.pos + n > this.bytes.length) {
      throw new FormatError(
        `truncated: ${what} needs ${n} bytes but the file has ${this.bytes.length - this.pos} left`,
        { file: this.file, offset: this.pos },
      );
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f32(what: string): number {
    this.need(4, what);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  error(problem: string, offset = this.pos): FormatError {
    return new FormatError(problem, { file: this.file, offset });
  }
}
