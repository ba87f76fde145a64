import { FormatError } from './format-error.js';
import { gunzip } from './gzip.js';

/** The largest BGZF block (BSIZE is a uint16 of size - 1), compressed or inflated. */
export const BGZF_MAX_BLOCK = 65_536;
const HEADER = 18;

/**
 * Inflates `count` bytes that start `skip` bytes into the first of a run of BGZF blocks (the
 * bytes from a virtual offset). Walks the blocks by their BSIZE and ISIZE fields without
 * inflating, then inflates only the blocks that hold the wanted bytes.
 *
 * @param bytes whole blocks from a block start; may go on past the wanted blocks (even into a cut block).
 * @param fileOffset where `bytes` starts in `file`, for error offsets.
 */
export function inflateBgzfRange(
  bytes: Uint8Array,
  skip: number,
  count: number,
  file: string | undefined,
  fileOffset = 0,
): Uint8Array {
  if (count === 0) return new Uint8Array(0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wanted = skip + count;
  let pos = 0;
  let inflated = 0;
  while (inflated < wanted) {
    const at = fileOffset + pos;
    if (pos + HEADER > bytes.length) {
      throw new FormatError(
        `truncated: a BGZF block header needs ${HEADER} bytes, ${bytes.length - pos} are left (${wanted - inflated} inflated bytes still missing)`,
        { file, offset: at },
      );
    }
    if (bytes[pos] !== 0x1f || bytes[pos + 1] !== 0x8b || bytes[pos + 2] !== 8) {
      throw new FormatError('not a BGZF block (no gzip magic)', { file, offset: at });
    }
    const xlen = view.getUint16(pos + 10, true);
    let bsize = -1;
    for (let x = pos + 12; x + 4 <= pos + 12 + xlen && x + 4 <= bytes.length;) {
      const slen = view.getUint16(x + 2, true);
      if (bytes[x] === 66 && bytes[x + 1] === 67 && slen === 2) bsize = view.getUint16(x + 4, true);
      x += 4 + slen;
    }
    if (bsize < 0)
      throw new FormatError('a gzip member without the BGZF BC field', { file, offset: at });
    const end = pos + bsize + 1;
    if (end > bytes.length) {
      throw new FormatError(
        `truncated: the BGZF block of ${bsize + 1} bytes ends past the end of the file`,
        { file, offset: fileOffset + bytes.length },
      );
    }
    inflated += view.getUint32(end - 4, true);
    pos = end;
  }
  const raw = gunzip(bytes.subarray(0, pos), file, 'BGZF data', fileOffset);
  if (raw.length < wanted) {
    throw new FormatError(
      `BGZF blocks inflate to ${raw.length} bytes, their sizes say ${inflated}`,
      {
        file,
        offset: fileOffset,
      },
    );
  }
  return raw.subarray(skip, wanted);
}
