import {
  CBCL_PREAMBLE_SIZE,
  FormatError,
  cbclHeaderSize,
  parseCbclHeader,
  type CbclHeader,
  type CbclTileRecord,
} from '../../formats/index.js';
import type { RunFolderReader } from '../../ports.js';

/** The run's lanes and tiles, as RunInfo.xml lists them (`<Tile>1_1101</Tile>` -> lane 1, tile 1101). */
export interface RunTiles {
  tiles: { lane: number; tile: number }[];
}

/** One cycle's bytes for one tile, still encoded: parsing happens where the CPU work is done. */
export type RawCycle =
  | { kind: 'bcl'; path: string; bytes: Uint8Array }
  | { kind: 'cbcl'; path: string; header: CbclHeader; record: CbclTileRecord; block: Uint8Array };

/** Everything needed to demultiplex one tile, as bytes (transferable to a worker thread). */
export interface RawTile {
  lane: number;
  tile: number;
  filterPath: string;
  filter: Uint8Array;
  positions: { kind: 'locs' | 'clocs'; path: string; bytes: Uint8Array };
  /** 0-based run cycles loaded, in the order of `cycles`. */
  cycleNumbers: number[];
  cycles: RawCycle[];
}

type LaneFormat = { kind: 'cbcl' } | { kind: 'bcl'; suffix: string };

const BASECALLS = 'Data/Intensities/BaseCalls';
/** CBCL surfaces to look in: flow cells have two (top and bottom). */
const CBCL_SURFACES = [1, 2];
const lanePart = (lane: number) => `L${String(lane).padStart(3, '0')}`;

/**
 * Finds and reads a tile's files: `.filter`, positions (`.locs`, `.clocs` or the flow cell's
 * `s.locs`), and the BCL/CBCL data of the wanted cycles. Lane formats and CBCL headers are looked
 * up once per file and kept (their number depends on cycles and lanes, not on cluster counts).
 */
export class TileLoader {
  private readonly formats = new Map<number, Promise<LaneFormat>>();
  private readonly cbclHeaders = new Map<string, Promise<CbclHeader>>();
  private sLocs: Promise<Uint8Array | undefined> | undefined;

  constructor(private readonly reader: RunFolderReader) {}

  async load(
    lane: number,
    tile: number,
    cycleNumbers: number[],
    signal?: AbortSignal,
  ): Promise<RawTile> {
    const l = lanePart(lane);
    const [filterPath, positions, format] = await Promise.all([
      this.first(
        [`${BASECALLS}/${l}/s_${lane}_${tile}.filter`, `${BASECALLS}/s_${lane}_${tile}.filter`],
        signal,
      ),
      this.positions(lane, tile, signal),
      this.format(lane, tile, signal),
    ]);
    if (!filterPath) {
      throw new FormatError(`no filter file for lane ${lane} tile ${tile}`, {
        file: `${BASECALLS}/${l}/s_${lane}_${tile}.filter`,
      });
    }
    const filter = await this.reader.read(filterPath, undefined, signal);
    // Settled in cycle order, so a broken run reports the same (first) broken file every time.
    const settled = await Promise.allSettled(
      cycleNumbers.map((c) => this.cycle(lane, tile, c + 1, format, signal)),
    );
    const cycles = settled.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    });
    return { lane, tile, filterPath, filter, positions, cycleNumbers, cycles };
  }

  private async first(paths: string[], signal?: AbortSignal): Promise<string | undefined> {
    for (const path of paths) if ((await this.reader.size(path, signal)) !== undefined) return path;
    return undefined;
  }

  private async positions(
    lane: number,
    tile: number,
    signal?: AbortSignal,
  ): Promise<RawTile['positions']> {
    const base = `Data/Intensities/${lanePart(lane)}/s_${lane}_${tile}`;
    const own = await this.first([`${base}.locs`, `${base}.clocs`], signal);
    if (own) {
      return {
        kind: own.endsWith('.clocs') ? 'clocs' : 'locs',
        path: own,
        bytes: await this.reader.read(own, undefined, signal),
      };
    }
    this.sLocs ??= this.reader
      .size('Data/Intensities/s.locs', signal)
      .then((size) =>
        size === undefined
          ? undefined
          : this.reader.read('Data/Intensities/s.locs', undefined, signal),
      );
    const shared = await this.sLocs;
    if (!shared) {
      throw new FormatError(
        `no cluster positions for lane ${lane} tile ${tile} (no .locs, .clocs or s.locs)`,
        { file: `${base}.locs` },
      );
    }
    return { kind: 'locs', path: 'Data/Intensities/s.locs', bytes: shared };
  }

  private format(lane: number, tile: number, signal?: AbortSignal): Promise<LaneFormat> {
    let found = this.formats.get(lane);
    if (!found) {
      found = (async (): Promise<LaneFormat> => {
        const l = lanePart(lane);
        if (
          (await this.reader.size(`${BASECALLS}/${l}/C1.1/${l}_${surface(tile)}.cbcl`, signal)) !==
          undefined
        )
          return { kind: 'cbcl' };
        for (const suffix of ['.bcl', '.bcl.gz', '.bcl.bgzf']) {
          if (
            (await this.reader.size(
              `${BASECALLS}/${l}/C1.1/s_${lane}_${tile}${suffix}`,
              signal,
            )) !== undefined
          ) {
            return { kind: 'bcl', suffix };
          }
        }
        throw new FormatError(`no base calls for lane ${lane} (no BCL or CBCL for cycle 1)`, {
          file: `${BASECALLS}/${l}/C1.1`,
        });
      })();
      this.formats.set(lane, found);
    }
    return found;
  }

  private async cycle(
    lane: number,
    tile: number,
    cycle: number,
    format: LaneFormat,
    signal?: AbortSignal,
  ): Promise<RawCycle> {
    const l = lanePart(lane);
    if (format.kind === 'bcl') {
      const path = `${BASECALLS}/${l}/C${cycle}.1/s_${lane}_${tile}${format.suffix}`;
      if ((await this.reader.size(path, signal)) === undefined) {
        throw new FormatError(`missing: cycle ${cycle} of lane ${lane} tile ${tile}`, {
          file: path,
        });
      }
      return { kind: 'bcl', path, bytes: await this.reader.read(path, undefined, signal) };
    }
    // A CBCL holds the tiles of one surface; the tile number's first digit names it on real
    // runs, but the file's own header is what counts (Picard's fixture puts tile 1102 in _2).
    const first = surface(tile);
    let path = '';
    let size: number | undefined;
    let header: CbclHeader | undefined;
    let record: CbclTileRecord | undefined;
    for (const s of [first, ...CBCL_SURFACES.filter((x) => x !== first)]) {
      const candidate = `${BASECALLS}/${l}/C${cycle}.1/${l}_${s}.cbcl`;
      const candidateSize = await this.reader.size(candidate, signal);
      if (candidateSize === undefined) continue;
      const candidateHeader = await this.cbclHeader(candidate, signal);
      path ||= candidate;
      size ??= candidateSize;
      header ??= candidateHeader;
      const found = candidateHeader.tiles.find((t) => t.tile === tile);
      if (found) {
        [path, size, header, record] = [candidate, candidateSize, candidateHeader, found];
        break;
      }
    }
    if (!header || size === undefined) {
      throw new FormatError(`missing: cycle ${cycle} of lane ${lane} (no CBCL for tile ${tile})`, {
        file: `${BASECALLS}/${l}/C${cycle}.1/${l}_${first}.cbcl`,
      });
    }
    if (!record) throw new FormatError(`has no block for tile ${tile}`, { file: path, offset: 0 });
    const last = header.tiles[header.tiles.length - 1] === record;
    const end = last ? size - 1 : record.offset + record.compressedSize - 1;
    if (record.offset > end || end >= size) {
      throw new FormatError(
        `truncated: the block of tile ${tile} ends past the end of the file (${size} bytes)`,
        { file: path, offset: size },
      );
    }
    const block = await this.reader.read(path, { start: record.offset, end }, signal);
    return { kind: 'cbcl', path, header, record, block };
  }

  private cbclHeader(path: string, signal?: AbortSignal): Promise<CbclHeader> {
    let header = this.cbclHeaders.get(path);
    if (!header) {
      header = (async () => {
        const preamble = await this.reader.read(
          path,
          { start: 0, end: CBCL_PREAMBLE_SIZE - 1 },
          signal,
        );
        const size = cbclHeaderSize(preamble, path);
        return parseCbclHeader(
          await this.reader.read(path, { start: 0, end: size - 1 }, signal),
          path,
        );
      })();
      this.cbclHeaders.set(path, header);
    }
    return header;
  }
}

/** The surface of a tile number (1101 -> 1, 2205 -> 2): CBCL files are per lane and surface. */
function surface(tile: number): number {
  return Number(String(tile)[0]);
}
