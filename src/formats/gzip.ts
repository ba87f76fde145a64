import { gunzipSync } from 'node:zlib';
import { FormatError } from './format-error.js';

/** True when the bytes start with the gzip magic (plain gzip and BGZF alike). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates gzip bytes: one member, or several concatenated (BGZF is a series of members). A broken
 * or truncated stream is a {@link FormatError} naming the file.
 */
export function gunzip(
  bytes: Uint8Array,
  file: string | undefined,
  what = 'gzip data',
  offset = 0,
): Buffer {
  try {
    return gunzipSync(bytes);
  } catch (error) {
    throw new FormatError(`${what} does not inflate: ${(error as Error).message}`, {
      file,
      offset,
    });
  }
}
