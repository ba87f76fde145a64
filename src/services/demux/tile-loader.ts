import {
  BGZF_MAX_BLOCK,
  CBCL_PREAMBLE_SIZE,
  FormatError,
  cbclHeaderSize,
  checkedBclCount,
  isGzip,
  cycleBciSize,
  parseCbclHeader,
  parseCycleBci,
  parseLaneTileIndex,
  type CbclHeader,
  type CbclTileRecord,
  type LaneTile,
  type VirtualOffset,
} from '../../formats/index.js';
import type { RunFolderReader } from '../../ports.js';

/** The run's lanes and tiles, as RunInfo.xml lists them (`<Tile>1_1101</Tile>` -> lane 1, tile 1101). */
export interface RunTiles {
  tiles: { lane: number; tile: number }[];
}

/** One cycle's bytes for one tile, still encoded: parsing happens where the CPU work is done. */
export type RawCycle =
  | { kind: 'bcl'; path: string; bytes: Uint8Array }
  /** The calls of the tile's cluster range in a plain `.bcl` (no header: the range's bytes). */
  | { kind: 'calls'; path: string; bytes: Uint8Array }
  | { kind: 'cbcl'; path: string; header: CbclHeader; record: CbclTileRecord; block: Uint8Array }
  /**
   * A tile's slice of a NextSeq lane file: whole BGZF blocks from the one its first call is in;
   * the calls are the `count` inflated bytes after the first `skip`.
   */
  | {
      kind: 'bgzf';
      path: string;
      bytes: Uint8Array;
      fileOffset: number;
      skip: number;
      count: number;
    };

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
  /**
   * Set when only some of the tile's clusters are loaded (see {@link TileLoader.split}): the
   * filter and positions are the whole tile's, the cycles are `calls` of these clusters.
   */
  range?: ClusterRange;
  /**
   * The memory the part's calls were read into (when the reader can fill given memory): handed
   * back with the result and given to {@link TileLoader.recycle} for the next part.
   */
  arena?: ArrayBuffer;
}

/** Clusters `first` to `first + count - 1` of a tile. */
export interface ClusterRange {
  first: number;
  count: number;
}

type LaneFormat =
  | { kind: 'cbcl' }
  | { kind: 'bcl'; suffix: string }
  /** NextSeq 500/550: one `<cycle>.bcl.bgzf` per cycle for all tiles of the lane. */
  | { kind: 'nextseq'; indexPath: string; tiles: Map<number, LaneTile>; order: number[] };

/** Part memories kept for reuse beyond those in flight. */
const SPARE_ARENAS = 2;

/** The NextSeq lane files' fixed headers: `.filter` and `.locs` both have 12 bytes. */
const LANE_FILE_HEADER = 12;

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
  /** Per-cycle NextSeq `.bci` files: 8 bytes per tile, one file per cycle and lane. */
  private readonly cycleIndexes = new Map<string, Promise<VirtualOffset[]>>();
  private sLocs: Promise<Uint8Array | undefined> | undefined;
  /** Part memory handed back, reused for the next parts (see RawTile.arena). */
  private readonly spare: ArrayBuffer[] = [];

  constructor(private readonly reader: RunFolderReader) {}

  /**
   * Takes back a part's memory. Fresh memory costs a page fault per 4 KiB on first write (here,
   * reading a 400k-cluster tile into new buffers was ~0.8 s of the main thread per tile).
   */
  recycle(arena: ArrayBuffer): void {
    if (this.spare.length < SPARE_ARENAS) this.spare.push(arena);
  }

  private arena(bytes: number): ArrayBuffer {
    const at = this.spare.findIndex((b) => b.byteLength >= bytes);
    return at >= 0 ? this.spare.splice(at, 1)[0]! : new ArrayBuffer(bytes);
  }

  /**
   * The parts a tile is demultiplexed in: cluster ranges of about `target` clusters when its
   * calls are plain per-tile `.bcl` files (a range is a byte range of each), else the whole tile
   * (`[undefined]`: gzipped BCL, CBCL and NextSeq blocks must be inflated whole). Parts keep
   * every worker thread busy to the end of a run of few big tiles (4 tiles on 2 threads left
   * one idle for a whole tile's time, and each thread waited for a whole tile's reads first)
   * and bound the memory of a tile in flight.
   */
  async split(
    lane: number,
    tile: number,
    target: number,
    signal?: AbortSignal,
  ): Promise<(ClusterRange | undefined)[]> {
    const format = await this.format(lane, tile, signal);
    if (format.kind !== 'bcl' || format.suffix !== '.bcl') return [undefined];
    const path = await this.filterPath(lane, tile, signal);
    if (!path) return [undefined];
    const header = await this.reader.read(path, { start: 0, end: 11 }, signal);
    if (header.length < 12) return [undefined];
    const n = new DataView(header.buffer, header.byteOffset, 12).getUint32(8, true);
    const parts = Math.floor(n / target);
    if (parts < 2) return [undefined];
    const size = Math.ceil(n / parts);
    return Array.from({ length: parts }, (_, k) => ({
      first: k * size,
      count: Math.min(size, n - k * size),
    })).filter((r) => r.count > 0);
  }

  async load(
    lane: number,
    tile: number,
    cycleNumbers: number[],
    signal?: AbortSignal,
    range?: ClusterRange,
  ): Promise<RawTile> {
    const format = await this.format(lane, tile, signal);
    // Settled, then the filter's error first: a lane index that disagrees with both files
    // reports the same file every time, whichever read finishes first.
    const [filterRead, positionsRead] = await Promise.allSettled([
      this.filter(lane, tile, format, signal),
      this.positions(lane, tile, format, signal),
    ]);
    if (filterRead.status === 'rejected') throw filterRead.reason;
    if (positionsRead.status === 'rejected') throw positionsRead.reason;
    const { filterPath, filter } = filterRead.value;
    const positions = positionsRead.value;
    // Settled in cycle order, so a broken run reports the same (first) broken file every time.
    const clusters = range && parseFilterCount(filter);
    const arena =
      range && this.reader.readInto ? this.arena(cycleNumbers.length * range.count) : undefined;
    const settled = await Promise.allSettled(
      cycleNumbers.map((c, k) =>
        range && clusters !== undefined
          ? this.rangeOfCycle(
              lane,
              tile,
              c + 1,
              clusters,
              range,
              signal,
              arena && new Uint8Array(arena, k * range.count, range.count),
            )
          : this.cycle(lane, tile, c + 1, format, signal),
      ),
    );
    if (arena && settled.some((r) => r.status === 'rejected')) this.recycle(arena);
    const cycles = settled.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    });
    return {
      lane,
      tile,
      filterPath,
      filter,
      positions,
      cycleNumbers,
      cycles,
      ...(range && { range }),
      ...(arena && { arena }),
    };
  }

  /**
   * A cluster range of a plain `.bcl` (a uint32 count, then a byte per cluster) as a byte range.
   * The first range checks each file as a whole read would (size, count, not gzipped), with the
   * same messages, so a broken run fails before any of its output is written.
   */
  private async rangeOfCycle(
    lane: number,
    tile: number,
    cycle: number,
    clusters: number,
    range: ClusterRange,
    signal?: AbortSignal,
    into?: Uint8Array,
  ): Promise<RawCycle> {
    const path = `${BASECALLS}/${lanePart(lane)}/C${cycle}.1/s_${lane}_${tile}.bcl`;
    if (range.first === 0) {
      const size = await this.reader.size(path, signal);
      if (size === undefined)
        throw new FormatError(`missing: cycle ${cycle} of lane ${lane} tile ${tile}`, {
          file: path,
        });
      const head = await this.reader.read(path, { start: 0, end: Math.min(size, 4) - 1 }, signal);
      if (size >= 4 && isGzip(head))
        throw new FormatError(
          `is gzip-compressed while the lane's other BCL files are not (cycle 1's .bcl is plain)`,
          { file: path, offset: 0 },
        );
      checkedBclCount(head, size, path, clusters);
    }
    const start = 4 + range.first;
    const span = { start, end: start + range.count - 1 };
    const bytes =
      into && this.reader.readInto
        ? into.subarray(0, await this.reader.readInto(path, span, into, signal))
        : await this.reader.read(path, span, signal);
    if (bytes.length < range.count)
      throw new FormatError(`truncated: the file ends at byte ${start + bytes.length}`, {
        file: path,
        offset: start + bytes.length,
      });
    return { kind: 'calls', path, bytes };
  }

  private filterPath(lane: number, tile: number, signal?: AbortSignal) {
    const l = lanePart(lane);
    return this.first(
      [`${BASECALLS}/${l}/s_${lane}_${tile}.filter`, `${BASECALLS}/s_${lane}_${tile}.filter`],
      signal,
    );
  }

  private async filter(
    lane: number,
    tile: number,
    format: LaneFormat,
    signal?: AbortSignal,
  ): Promise<{ filterPath: string; filter: Uint8Array }> {
    const l = lanePart(lane);
    if (format.kind === 'nextseq') {
      const path = `${BASECALLS}/${l}/s_${lane}.filter`;
      if ((await this.reader.size(path, signal)) !== undefined) {
        return {
          filterPath: path,
          filter: await this.laneSlice(path, lane, tile, 1, format, signal),
        };
      }
    }
    const filterPath = await this.filterPath(lane, tile, signal);
    if (!filterPath) {
      throw new FormatError(`no filter file for lane ${lane} tile ${tile}`, {
        file: `${BASECALLS}/${l}/s_${lane}_${tile}.filter`,
      });
    }
    return { filterPath, filter: await this.reader.read(filterPath, undefined, signal) };
  }

  /**
   * One tile's records of a NextSeq per-lane file with a 12-byte header (`s_<l>.filter`,
   * `s_<l>.locs`), as a file of its own: the lane file's header with the tile's cluster count,
   * then the tile's records, read by byte range. The lane file's header count must be the lane's.
   */
  private async laneSlice(
    path: string,
    lane: number,
    tile: number,
    recordSize: number,
    format: Extract<LaneFormat, { kind: 'nextseq' }>,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    const entry = laneTile(format, lane, tile);
    const laneClusters = laneTotal(format);
    const size = (await this.reader.size(path, signal)) ?? 0;
    const header = await this.reader.read(
      path,
      { start: 0, end: Math.min(size, LANE_FILE_HEADER) - 1 },
      signal,
    );
    if (header.length < LANE_FILE_HEADER) {
      throw new FormatError(
        `truncated: the header needs ${LANE_FILE_HEADER} bytes, the file has ${size}`,
        {
          file: path,
          offset: size,
        },
      );
    }
    const count = new DataView(header.buffer, header.byteOffset, 12).getUint32(8, true);
    if (count !== laneClusters) {
      throw new FormatError(
        `holds ${count} clusters but the lane's ${format.indexPath} lists ${laneClusters}`,
        { file: path, offset: 8 },
      );
    }
    const start = LANE_FILE_HEADER + entry.firstCluster * recordSize;
    const end = start + entry.clusters * recordSize;
    if (end > size) {
      throw new FormatError(
        `truncated: tile ${tile}'s records end at byte ${end}, the file has ${size} bytes`,
        { file: path, offset: size },
      );
    }
    const out = new Uint8Array(LANE_FILE_HEADER + entry.clusters * recordSize);
    out.set(header);
    new DataView(out.buffer).setUint32(8, entry.clusters, true);
    if (end > start) out.set(await this.reader.read(path, { start, end: end - 1 }, signal), 12);
    return out;
  }

  private async first(paths: string[], signal?: AbortSignal): Promise<string | undefined> {
    for (const path of paths) if ((await this.reader.size(path, signal)) !== undefined) return path;
    return undefined;
  }

  private async positions(
    lane: number,
    tile: number,
    format: LaneFormat,
    signal?: AbortSignal,
  ): Promise<RawTile['positions']> {
    if (format.kind === 'nextseq') {
      const path = `Data/Intensities/${lanePart(lane)}/s_${lane}.locs`;
      if ((await this.reader.size(path, signal)) !== undefined) {
        return {
          kind: 'locs',
          path,
          bytes: await this.laneSlice(path, lane, tile, 8, format, signal),
        };
      }
    }
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
        if ((await this.reader.size(`${BASECALLS}/${l}/0001.bcl.bgzf`, signal)) !== undefined)
          return this.nextSeqLane(lane, signal);
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

  private async nextSeqLane(lane: number, signal?: AbortSignal): Promise<LaneFormat> {
    const indexPath = `${BASECALLS}/${lanePart(lane)}/s_${lane}.bci`;
    if ((await this.reader.size(indexPath, signal)) === undefined) {
      throw new FormatError(`missing: lane ${lane} has NextSeq .bcl.bgzf files but no tile index`, {
        file: indexPath,
      });
    }
    const list = parseLaneTileIndex(
      await this.reader.read(indexPath, undefined, signal),
      indexPath,
    );
    return {
      kind: 'nextseq',
      indexPath,
      tiles: new Map(list.map((t) => [t.tile, t])),
      order: list.map((t) => t.tile),
    };
  }

  /**
   * A tile's calls in a NextSeq `<cycle>.bcl.bgzf`: the cycle's `.bci` gives the BGZF virtual
   * offset of each tile's first call, so only the blocks from that offset to the next tile's are
   * read (a block is at most 64 KiB, so reading up to 64 KiB past the next tile's block start
   * always takes in the block the tile ends in); they are inflated in the worker.
   */
  private async nextSeqCycle(
    lane: number,
    tile: number,
    cycle: number,
    format: Extract<LaneFormat, { kind: 'nextseq' }>,
    signal?: AbortSignal,
  ): Promise<RawCycle> {
    const path = `${BASECALLS}/${lanePart(lane)}/${String(cycle).padStart(4, '0')}.bcl.bgzf`;
    const size = await this.reader.size(path, signal);
    if (size === undefined) {
      throw new FormatError(`missing: cycle ${cycle} of lane ${lane}`, { file: path });
    }
    const offsets = await this.cycleIndex(`${path}.bci`, format, signal);
    const entry = laneTile(format, lane, tile);
    const k = format.order.indexOf(tile);
    const from = offsets[k]!;
    const next = offsets[k + 1];
    if (
      next &&
      (next.block < from.block || (next.block === from.block && next.within < from.within))
    ) {
      throw new FormatError(`tile ${format.order[k + 1]} starts before tile ${tile}`, {
        file: `${path}.bci`,
        offset: cycleBciSize(k + 1),
      });
    }
    const end = next
      ? Math.min(size, next.within === 0 ? next.block : next.block + BGZF_MAX_BLOCK)
      : size;
    if (from.block >= end && entry.clusters > 0) {
      throw new FormatError(
        `truncated: tile ${tile} starts at byte ${from.block}, the file has ${size} bytes`,
        { file: path, offset: size },
      );
    }
    const bytes =
      entry.clusters > 0
        ? await this.reader.read(path, { start: from.block, end: end - 1 }, signal)
        : new Uint8Array(0);
    return {
      kind: 'bgzf',
      path,
      bytes,
      fileOffset: from.block,
      skip: from.within,
      count: entry.clusters,
    };
  }

  private cycleIndex(
    path: string,
    format: Extract<LaneFormat, { kind: 'nextseq' }>,
    signal?: AbortSignal,
  ): Promise<VirtualOffset[]> {
    let found = this.cycleIndexes.get(path);
    if (!found) {
      found = (async () => {
        if ((await this.reader.size(path, signal)) === undefined) {
          throw new FormatError('missing: the BGZF index of a NextSeq cycle file', { file: path });
        }
        const offsets = parseCycleBci(await this.reader.read(path, undefined, signal), path);
        if (offsets.length !== format.order.length) {
          throw new FormatError(
            `indexes ${offsets.length} tiles but ${format.indexPath} lists ${format.order.length}`,
            { file: path, offset: 4 },
          );
        }
        return offsets;
      })();
      // A failed read is not kept: the next tile reports it again, naming the same file.
      found.catch(() => this.cycleIndexes.delete(path));
      this.cycleIndexes.set(path, found);
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
    if (format.kind === 'nextseq') return this.nextSeqCycle(lane, tile, cycle, format, signal);
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

function laneTile(
  format: Extract<LaneFormat, { kind: 'nextseq' }>,
  lane: number,
  tile: number,
): LaneTile {
  const entry = format.tiles.get(tile);
  if (!entry) {
    throw new FormatError(`lane ${lane} has no tile ${tile} (RunInfo lists it)`, {
      file: format.indexPath,
    });
  }
  return entry;
}

function laneTotal(format: Extract<LaneFormat, { kind: 'nextseq' }>): number {
  let n = 0;
  for (const t of format.tiles.values()) n += t.clusters;
  return n;
}

/** The cluster count in a filter file's header, or undefined when it has none (parsed later). */
function parseFilterCount(filter: Uint8Array): number | undefined {
  if (filter.length < 12) return undefined;
  return new DataView(filter.buffer, filter.byteOffset, 12).getUint32(8, true);
}
