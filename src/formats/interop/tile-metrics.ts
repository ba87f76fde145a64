import { FormatError } from '../format-error.js';
import { InteropCursor, readRecordSize, readVersion, records } from './reader.js';

/** One tile's numbers from TileMetricsOut.bin. Densities are clusters per mm². */
export interface TileMetric {
  lane: number;
  tile: number;
  density: number | undefined;
  densityPf: number | undefined;
  clusters: number | undefined;
  clustersPf: number | undefined;
  /** Per read number (1-based): phasing and prephasing in percent, % aligned to PhiX. */
  phasing: Map<number, number>;
  prephasing: Map<number, number>;
  percentAligned: Map<number, number>;
}

export interface TileMetrics {
  version: number;
  /** v3 only: the tile area in mm² that densities are computed with. */
  tileArea: number | undefined;
  tiles: TileMetric[];
}

const FILE = 'InterOp/TileMetricsOut.bin';

/** Reads TileMetricsOut.bin, versions 2 (code/value records) and 3 (NovaSeq, typed records). */
export function readTileMetrics(bytes: Uint8Array): TileMetrics {
  const c = new InteropCursor(bytes, FILE);
  const version = readVersion(c, [2, 3]);
  const byKey = new Map<string, TileMetric>();
  const tileOf = (lane: number, tile: number): TileMetric => {
    const key = `${lane}_${tile}`;
    let t = byKey.get(key);
    if (!t) {
      t = {
        lane,
        tile,
        density: undefined,
        densityPf: undefined,
        clusters: undefined,
        clustersPf: undefined,
        phasing: new Map(),
        prephasing: new Map(),
        percentAligned: new Map(),
      };
      byKey.set(key, t);
    }
    return t;
  };

  let tileArea: number | undefined;
  if (version === 2) {
    const size = readRecordSize(c, 10);
    for (const _at of records(c, size)) {
      const lane = c.u16();
      const tile = c.u16();
      const code = c.u16();
      const value = c.f32();
      if (lane === 0 || tile === 0) continue; // padding records some RTA versions write
      const t = tileOf(lane, tile);
      if (code === 100) t.density = value;
      else if (code === 101) t.densityPf = value;
      else if (code === 102) t.clusters = value;
      else if (code === 103) t.clustersPf = value;
      else if (code >= 200 && code < 300) {
        const read = Math.floor((code - 200) / 2) + 1;
        (code % 2 === 0 ? t.phasing : t.prephasing).set(read, value);
      } else if (code >= 300 && code < 400) t.percentAligned.set(code - 300 + 1, value);
    }
  } else {
    const size = readRecordSize(c, 15);
    tileArea = c.f32('the tile area');
    if (!(tileArea > 0))
      throw new FormatError(`has tile area ${tileArea}`, { offset: c.offset - 4 }, FILE);
    for (const at of records(c, size)) {
      const lane = c.u16();
      const tile = c.u32();
      const code = c.u8();
      if (lane === 0 || tile === 0) continue;
      const t = tileOf(lane, tile);
      if (code === 0x74) {
        t.clusters = c.f32();
        t.clustersPf = c.f32();
        t.density = t.clusters / tileArea;
        t.densityPf = t.clustersPf / tileArea;
      } else if (code === 0x72) {
        const read = c.u32();
        t.percentAligned.set(read, c.f32());
      } else if (code !== 0) {
        throw new FormatError(`has an unknown record type ${code}`, { offset: at + 6 }, FILE);
      }
    }
  }
  return { version, tileArea, tiles: [...byKey.values()] };
}
