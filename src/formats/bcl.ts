import { FormatError } from './format-error.js';
import { gunzip, isGzip } from './gzip.js';

/**
 * The base calls of one cycle of one tile: one byte per cluster, as a classic BCL stores it
 * (bits 0-1 the base A/C/G/T, bits 2-7 the Phred quality; 0 means no call, written `N` with
 * quality 2). CBCL calls are converted to the same form, so everything after the readers works
 * on one representation.
 */
export type CycleCalls = Uint8Array;

/**
 * Parses a classic `.bcl`, `.bcl.gz` or `.bcl.bgzf` file (compression recognised by its magic
 * bytes, not its name): a uint32 cluster count, then one byte per cluster.
 *
 * @param expectedClusters when given (from the tile's `.filter` file), a different count is an error.
 */
export function parseBcl(bytes: Uint8Array, file?: string, expectedClusters?: number): CycleCalls {
  const raw = isGzip(bytes) ? gunzip(bytes, file, 'compressed BCL') : bytes;
  checkedBclCount(raw, raw.length, file, expectedClusters);
  return raw.subarray(4);
}

/**
 * The cluster count of a plain BCL from its first bytes (`head`, at least 4 when the file has
 * them), checked against the file's `size` and, when given, the tile's filter count. Shared by
 * {@link parseBcl} and readers that take a BCL by byte ranges, so both fail the same way.
 */
export function checkedBclCount(
  head: Uint8Array,
  size: number,
  file?: string,
  expectedClusters?: number,
): number {
  if (size < 4) {
    throw new FormatError(
      `truncated: a BCL needs a 4-byte cluster count, the file has ${size} bytes`,
      {
        file,
        offset: 0,
      },
    );
  }
  const count = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
  const held = size - 4;
  if (held < count) {
    throw new FormatError(
      `truncated: the header says ${count} clusters but the file holds ${held}`,
      {
        file,
        offset: size,
      },
    );
  }
  if (held > count) {
    throw new FormatError(`${held - count} bytes past the ${count} clusters the header announces`, {
      file,
      offset: 4 + count,
    });
  }
  if (expectedClusters !== undefined && count !== expectedClusters) {
    throw new FormatError(
      `holds ${count} clusters but the tile's filter file has ${expectedClusters}`,
      {
        file,
        offset: 0,
      },
    );
  }
  return count;
}

/** ASCII of the base for each call byte (`N` for 0). */
export const CALL_BASE: Uint8Array = (() => {
  const t = new Uint8Array(256);
  const bases = [65, 67, 71, 84];
  for (let b = 0; b < 256; b++) t[b] = b === 0 ? 78 : bases[b & 3]!;
  return t;
})();

/** Phred+33 ASCII of the quality for each call byte (`#`, Q2, for a no call). */
export const CALL_QUAL: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = b === 0 ? 35 : (b >> 2) + 33;
  return t;
})();
