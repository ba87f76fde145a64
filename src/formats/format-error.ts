/**
 * A file that does not follow its format. `where` says where: a 1-based line number for text
 * formats, a 0-based byte offset for binary ones, so a message can point at the spot.
 */
export class FormatError extends Error {
  constructor(
    message: string,
    readonly where?: { line: number } | { offset: number },
    readonly file?: string,
  ) {
    super(
      `${file ? `${file}: ` : ''}${message}${
        where === undefined
          ? ''
          : 'line' in where
            ? ` (line ${where.line})`
            : ` (byte ${where.offset})`
      }`,
    );
    this.name = 'FormatError';
  }
}
