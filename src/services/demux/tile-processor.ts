import { gzipSync } from 'node:zlib';
import {
  CALL_BASE,
  CALL_QUAL,
  FastqBuilder,
  FormatError,
  decodeCbclTile,
  inflateBgzfRange,
  parseBcl,
  parseClocs,
  parseFilter,
  parseLocs,
  readNameCoordinate,
} from '../../formats/index.js';
import {
  fastqFileName,
  planDemux,
  reverseComplement,
  type DemuxPlan,
  type DemuxPlanInput,
} from '../../domain/demux-plan.js';
import { applyAdapters } from '../../domain/adapter-trimming.js';
import { applyEamss } from '../../domain/eamss.js';
import type { RawTile } from './tile-loader.js';

/** What the read names carry besides the cluster's own fields. */
export interface ReadNameContext {
  instrument: string;
  runNumber: string;
  flowcell: string;
}

export interface TileSettings extends ReadNameContext {
  /** Keep clusters that failed the chastity filter, flagged `Y` (bcl2fastq `--with-failed-reads`). */
  withFailedReads: boolean;
  /** gzip level of the FASTQ members (BCL Convert's default is 1). */
  compressionLevel: number;
  /**
   * The index written in the names of assigned reads: the sample's (bcl2fastq, as its FASTQs of
   * the bcl2fastr run show for reads matched with a mismatch) or the bases as read. Undetermined
   * reads always carry the bases as read.
   */
  indexInName: 'sample' | 'read';
  /** Apply Illumina's EAMSS quality masking to template reads, as Picard does by default. */
  eamss: boolean;
}

/** Counts of one sample (or Undetermined, the last entry) in one tile. */
export interface SampleCounts {
  reads: number;
  perfect: number;
  oneMismatch: number;
  twoMismatches: number;
  /** With adapters only, per output read (R1, R2...): reads in which an adapter was found. */
  adapterReads?: number[];
  /** With adapters only, per output read: bases trimmed or masked (BCL Convert's AdapterBases). */
  adapterBases?: number[];
  /** With adapters only, per output read: bases kept as called (BCL Convert's SampleBases). */
  sampleBases?: number[];
}

export interface TileResult {
  lane: number;
  tile: number;
  clusters: number;
  pfClusters: number;
  /**
   * The gzip members of each output file that got reads from this tile, in file-name order. Each
   * member is the whole of its own ArrayBuffer's used part, moved (not copied) to the main thread.
   */
  outputs: { name: string; members: Uint8Array[] }[];
  /** Per planned sample, then Undetermined last; PF reads only, as BCL Convert counts them. */
  counts: SampleCounts[];
  /** Index sequences (`i7+i5`) of Undetermined PF reads with their counts. */
  unknown: [string, number][];
  /** The part's input memory (RawTile.arena), free again, for the loader to reuse. */
  arena?: ArrayBuffer;
}

/**
 * Clusters formatted before their FASTQ text is compressed: keeps the uncompressed text of a
 * tile small (64k clusters of 2x151 is ~50 MB) while members stay large enough to compress well.
 */
const FLUSH_CLUSTERS = 65_536;

/** Clusters transposed at a time: 1,024 x 302 cycles is 300 KB, within a core's L2 cache. */
const BLOCK_CLUSTERS = 1024;

let cached: { key: string; plan: DemuxPlan; builders: Map<string, FastqBuilder> } | undefined;

/**
 * The plan for an input, rebuilt once per thread (a plan holds lookup tables, not clonable), with
 * the thread's FASTQ buffers for its output files. The buffers are kept from tile to tile: fresh
 * memory costs a page fault per 4 KiB on first write, which on this project's VMs made a tile's
 * new buffers cost as much as formatting them.
 */
function planAndBuilders(input: DemuxPlanInput) {
  const key = JSON.stringify(input);
  if (cached?.key !== key) cached = { key, plan: planDemux(input), builders: new Map() };
  return cached;
}

/**
 * Demultiplexes one tile: parses its files, matches each cluster's index to a sample, and writes
 * the FASTQ records of every output file as one gzip member. Pure CPU work over bytes, so it runs
 * in a worker thread as well as inline.
 */
export function processTile(
  raw: RawTile,
  planInput: DemuxPlanInput,
  settings: TileSettings,
): TileResult {
  const { plan, builders } = planAndBuilders(planInput);
  for (const b of builders.values()) b.reset();
  const { lane, tile } = raw;
  const wholePf = parseFilter(raw.filter, raw.filterPath);
  const wholePos =
    raw.positions.kind === 'clocs'
      ? parseClocs(raw.positions.bytes, raw.positions.path)
      : parseLocs(raw.positions.bytes, raw.positions.path);
  if (wholePos.x.length !== wholePf.length) {
    throw new FormatError(
      `has ${wholePos.x.length} cluster positions but ${raw.filterPath} has ${wholePf.length} clusters`,
      { file: raw.positions.path },
    );
  }
  // A part of the tile: its clusters' flags and positions (the loader checked the range fits).
  const from = raw.range?.first ?? 0;
  const to = raw.range ? from + raw.range.count : wholePf.length;
  const pf = raw.range ? wholePf.subarray(from, to) : wholePf;
  const pos = raw.range
    ? { x: wholePos.x.subarray(from, to), y: wholePos.y.subarray(from, to) }
    : wholePos;
  const n = pf.length;
  const slot = new Map<number, Uint8Array>();
  raw.cycles.forEach((c, k) => {
    const calls =
      c.kind === 'bcl'
        ? parseBcl(c.bytes, c.path, n)
        : c.kind === 'calls'
          ? c.bytes
          : c.kind === 'bgzf'
            ? inflateBgzfRange(c.bytes, c.skip, c.count, c.path, c.fileOffset)
            : decodeCbclTile(c.header, c.record, c.block, c.path, pf);
    if (calls.length !== n) {
      throw new FormatError(
        `tile ${tile} has ${calls.length} clusters but ${raw.filterPath} has ${n}`,
        { file: c.path, offset: 0 },
      );
    }
    slot.set(raw.cycleNumbers[k]!, calls);
  });
  const callsOf = (cycles: number[]) => cycles.map((c) => slot.get(c)!);
  const reads = plan.outputReads.map((r) => ({ read: r.read, calls: callsOf(r.cycles) }));
  const indexes = plan.indexReads.map((r) => callsOf(r.cycles));
  const umis = plan.umiSegments.map(callsOf);
  const matcher = plan.matchers.get(lane);
  if (!matcher) throw new Error(`lane ${lane} is not in the plan`);

  const samples = plan.samples.length;
  const rules = plan.adapterRules;
  const trimming = rules.some((r) => r !== undefined);
  const counts: SampleCounts[] = Array.from({ length: samples + 1 }, () => ({
    reads: 0,
    perfect: 0,
    oneMismatch: 0,
    twoMismatches: 0,
    ...(trimming
      ? {
          adapterReads: reads.map(() => 0),
          adapterBases: reads.map(() => 0),
          sampleBases: reads.map(() => 0),
        }
      : {}),
  }));
  const unknown = new Map<string, number>();
  const builder = (name: string) => {
    let b = builders.get(name);
    if (!b) builders.set(name, (b = new FastqBuilder()));
    return b;
  };
  const sampleIndexes = plan.samples.map((s) => {
    const i5 =
      plan.index2Orientation === 'reverse-complement' ? reverseComplement(s.index2) : s.index2;
    return i5 ? `${s.index}+${i5}` : s.index;
  });
  // Output files of each sample (Undetermined last): R1, R2... then I1, I2 when index reads
  // are written. Builders are made when a file gets its first read, so files stay sorted by name.
  const fileNames = Array.from({ length: samples + 1 }, (_, s) => {
    const sample = s < samples ? plan.samples[s] : undefined;
    return [
      ...reads.map((r) => fastqFileName(sample, lane, `R${r.read}`)),
      ...(plan.createFastqForIndexReads
        ? indexes.map((_, k) => fastqFileName(sample, lane, `I${k + 1}`))
        : []),
    ];
  });
  const fileBuilders: (FastqBuilder | undefined)[][] = fileNames.map((f) => f.map(() => undefined));
  // What each cluster writes: template reads (read number, cycles, adapter rule), then index reads.
  const segments = [
    ...reads.map((r, k) => ({ calls: r.calls, readNumber: r.read, rule: trimming ? k : -1 })),
    ...(plan.createFastqForIndexReads
      ? indexes.map((calls, k) => ({ calls, readNumber: k + 1, rule: -1 }))
      : []),
  ];
  const templates = reads.length;
  const maxLen = Math.max(1, ...segments.map((r) => r.calls.length));
  const seq = new Uint8Array(maxLen);
  const qual = new Uint8Array(maxLen);
  const text = (calls: Uint8Array[], i: number) => {
    let s = '';
    for (const c of calls) s += String.fromCharCode(CALL_BASE[c[i]!]!);
    return s;
  };
  const prefix = `${settings.instrument}:${settings.runNumber}:${settings.flowcell}:${lane}:${tile}:`;
  let pfClusters = 0;

  const members = new Map<string, Uint8Array[]>();
  const flush = () => {
    for (const [name, b] of builders) {
      if (b.length === 0) continue;
      const list = members.get(name) ?? [];
      // One output chunk big enough for the member (FASTQ at level 1 compresses ~2x), so zlib
      // does not collect 16 KiB chunks and copy them into one buffer afterwards.
      const chunkSize = Math.max(64 * 1024, Math.ceil(b.length / 65_536) * 65_536);
      // memLevel 9 (zlib's largest hash table) and an 8 KiB window: at level 1 on the bench's
      // FASTQ, 25% faster than zlib's defaults and 1% smaller (a FASTQ's repeats, read-name
      // prefixes and quality runs, are within the last few records; still under GNU gzip -1's
      // size). Whole demux bench: 13.0 s against 14.5 s (medians of 3), output 494 against 500 MB.
      list.push(
        gzipSync(b.bytes(), {
          level: settings.compressionLevel,
          memLevel: 9,
          windowBits: 13,
          chunkSize,
        }),
      );
      members.set(name, list);
      b.reset();
    }
  };

  // The calls arrive one array per cycle, and a record needs one cluster across all its cycles:
  // reading cycle arrays at stride per cluster missed the cache on every base (14% of a tile's
  // CPU in a profile). So each block of clusters is first transposed into per-segment rows
  // (one cluster's calls contiguous), a block small enough to stay in cache.
  const blockSize = Math.min(BLOCK_CLUSTERS, Math.max(1, n));
  const blocks = segments.map((g) => new Uint8Array(blockSize * g.calls.length));
  for (let i0 = 0; i0 < n; i0 += blockSize) {
    const i1 = Math.min(n, i0 + blockSize);
    segments.forEach((g, r) => {
      const block = blocks[r]!;
      const len = g.calls.length;
      for (let k = 0; k < len; k++) {
        const column = g.calls[k]!;
        for (let i = i0, at = k; i < i1; i++, at += len) block[at] = column[i]!;
      }
    });
    for (let i = i0; i < i1; i++) {
      if (i > 0 && i % FLUSH_CLUSTERS === 0) flush();
      const passed = pf[i] === 1;
      if (passed) pfClusters++;
      else if (!settings.withFailedReads) continue;
      const i7 = indexes[0] ? text(indexes[0], i) : '';
      const i5 = indexes[1] ? text(indexes[1], i) : '';
      const m = matcher.match(i7, i5);
      const s = m.sample < 0 ? samples : m.sample;
      const c = counts[s]!;
      if (passed) {
        c.reads++;
        if (m.sample >= 0) {
          if (m.mismatches === 0) c.perfect++;
          else if (m.mismatches === 1) c.oneMismatch++;
          else c.twoMismatches++;
        } else {
          const key = i5 ? `${i7}+${i5}` : i7;
          unknown.set(key, (unknown.get(key) ?? 0) + 1);
        }
      }
      const umi = umis.length ? `:${umis.map((u) => text(u, i)).join('+')}` : '';
      const head = `${prefix}${readNameCoordinate(pos.x[i]!)}:${readNameCoordinate(pos.y[i]!)}${umi}`;
      const index =
        m.sample >= 0 && settings.indexInName === 'sample'
          ? sampleIndexes[m.sample]!
          : i5
            ? `${i7}+${i5}`
            : i7;
      const tail = `:${passed ? 'N' : 'Y'}:0:${index}`;
      const row = i - i0;
      const files = fileBuilders[s]!;
      for (let r = 0; r < segments.length; r++) {
        const g = segments[r]!;
        const len = g.calls.length;
        const block = blocks[r]!;
        for (let k = 0, at = row * len; k < len; k++, at++) {
          const call = block[at]!;
          seq[k] = CALL_BASE[call]!;
          qual[k] = CALL_QUAL[call]!;
        }
        let length = len;
        if (r < templates && settings.eamss)
          applyEamss(seq.subarray(0, length), qual.subarray(0, length));
        const adapter = g.rule >= 0 ? rules[g.rule] : undefined;
        if (adapter) {
          const outcome = applyAdapters(seq, qual, length, adapter);
          if (passed) {
            if (outcome.adapterStart < length) c.adapterReads![g.rule]!++;
            c.adapterBases![g.rule]! += length - outcome.kept;
            c.sampleBases![g.rule]! += outcome.kept;
          }
          length = outcome.length;
        }
        const out = (files[r] ??= builder(fileNames[s]![r]!));
        out.append(`${head} ${g.readNumber}${tail}`, seq, qual, length);
      }
    }
  }

  flush();
  // Members as zlib made them (each in an output buffer of its own, see flush): joining them per
  // file took a tile's worth of fresh memory and a copy.
  const outputs = [...members.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, list]) => ({ name, members: list }));
  return {
    lane,
    tile,
    clusters: n,
    pfClusters,
    outputs,
    counts,
    unknown: [...unknown.entries()],
    ...(raw.arena && { arena: raw.arena }),
  };
}
