import { ByteReader } from './format-error.js';

/** The filter (chastity, "PF") version this reader knows: every RTA since 1.9 writes 3. */
const FILTER_VERSION = 3;

/**
 * Parses a `.filter` file (`s_<lane>_<tile>.filter`): a zero uint32, the version (3), the cluster
 * count, then one byte per cluster, 1 when it passed the filter and 0 when not.
 *
 * @returns one 0/1 byte per cluster, in cluster order.
 */
export function parseFilter(bytes: Uint8Array, file?: string): Uint8Array {
  const r = new ByteReader(bytes, file);
  const zero = r.u32('the filter header');
  if (zero !== 0) throw r.error(`not a filter file: the first 4 bytes must be 0, found ${zero}`, 0);
  const version = r.u32('the filter version');
  if (version !== FILTER_VERSION) {
    throw r.error(`filter version ${version} is not supported (expected ${FILTER_VERSION})`, 4);
  }
  const count = r.u32('the cluster count');
  const held = bytes.length - 12;
  if (held < count) {
    throw r.error(
      `truncated: the header says ${count} clusters but the file holds ${held}`,
      bytes.length,
    );
  }
  if (held > count) {
    throw r.error(
      `${held - count} bytes past the ${count} clusters the header announces`,
      12 + count,
    );
  }
  const flags = bytes.subarray(12, 12 + count);
  for (let i = 0; i < count; i++) {
    if (flags[i]! > 1)
      throw r.error(`cluster ${i} has filter value ${flags[i]}, not 0 or 1`, 12 + i);
  }
  return flags;
}
