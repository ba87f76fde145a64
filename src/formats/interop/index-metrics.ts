import { InteropCursor, readVersion } from './reader.js';

/** IndexMetricsOut.bin: clusters per index sequence, per tile and read, with sample and project. */
export interface IndexRecord {
  lane: number;
  tile: number;
  read: number;
  index: string;
  clusters: number;
  sample: string;
  project: string;
}

const FILE = 'InterOp/IndexMetricsOut.bin';

/** Reads IndexMetricsOut.bin version 1 (16-bit tile, 32-bit count) and 2 (32-bit tile, 64-bit count). */
export function readIndexMetrics(bytes: Uint8Array): { version: number; records: IndexRecord[] } {
  const c = new InteropCursor(bytes, FILE);
  const version = readVersion(c, [1, 2]);
  const out: IndexRecord[] = [];
  while (c.remaining > 0) {
    const lane = c.u16('the lane');
    const tile = version === 1 ? c.u16('the tile') : c.u32('the tile');
    const read = c.u16('the read');
    const index = c.str16('the index name');
    const clusters = version === 1 ? c.u32('the cluster count') : c.u64('the cluster count');
    const sample = c.str16('the sample name');
    const project = c.str16('the project name');
    out.push({ lane, tile, read, index, clusters, sample, project });
  }
  return { version, records: out };
}
