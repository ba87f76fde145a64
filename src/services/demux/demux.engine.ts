import { gzipSync } from 'node:zlib';
import {
  fastqFileName,
  planDemux,
  type DemuxPlan,
  type DemuxPlanInput,
} from '../../domain/demux-plan.js';
import type { DemuxSink, RunFolderReader } from '../../ports.js';
import { TileLoader, type RunTiles } from './tile-loader.js';
import { TilePool } from './tile-pool.js';
import type { ReadNameContext, SampleCounts, TileResult, TileSettings } from './tile-processor.js';

export interface DemuxOptions extends ReadNameContext {
  withFailedReads?: boolean | undefined;
  compressionLevel?: number | undefined;
  /** See {@link TileSettings.indexInName}; default `sample`, as bcl2fastq. */
  indexInName?: 'sample' | 'read' | undefined;
  /** Picard's default EAMSS quality masking (bcl2fastq and BCL Convert do not mask); default false. */
  eamss?: boolean | undefined;
  /** Clusters of a tile part (plain per-tile .bcl only); default PART_CLUSTERS. For tests. */
  partClusters?: number | undefined;
  /** Worker threads; 0 runs tiles inline. Default: one per CPU. */
  workers?: number | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: DemuxProgress) => void) | undefined;
}

export interface DemuxProgress {
  tilesDone: number;
  tilesTotal: number;
  clusters: number;
}

export interface SampleLaneStats extends SampleCounts {
  lane: number;
  /** undefined for Undetermined. */
  sampleId: string | undefined;
  project: string | undefined;
  index: string;
}

export interface DemuxReport {
  clusters: number;
  pfClusters: number;
  rows: SampleLaneStats[];
  topUnknown: { lane: number; index: string; index2: string; reads: number }[];
  /** Every FASTQ file written (also empty ones for samples without reads). */
  files: string[];
  /** Worker threads the tiles ran on (0: inline). */
  threads: number;
}

/** Output files appended to at once. */
const SINK_CONCURRENCY = 8;
/** Tile parts read or being processed at once beyond the workers: keeps the threads fed, bounds memory. */
const PARTS_AHEAD = 2;
/**
 * Clusters of a tile part (see TileLoader.split): 100,000 clusters of 2x151 cycles are ~32 MB
 * of calls and ~40 MB of FASTQ text, a fraction of a second's work for a thread.
 */
const PART_CLUSTERS = 100_000;
/** Distinct unknown barcodes kept per lane; past it the rarest half is dropped (counts of the top stay exact unless a barcode was dropped before). */
const UNKNOWN_BARCODES_KEPT = 50_000;
/** Rows of Top_Unknown_Barcodes.csv per lane. */
const TOP_UNKNOWN = 100;

export const DEMULTIPLEX_STATS_CSV = 'Reports/Demultiplex_Stats.csv';
export const TOP_UNKNOWN_BARCODES_CSV = 'Reports/Top_Unknown_Barcodes.csv';
export const ADAPTER_METRICS_CSV = 'Reports/Adapter_Metrics.csv';

/**
 * Demultiplexes a run folder: tiles (or parts of big tiles) stream through a pipeline (the main
 * thread reads a part's files while worker threads decode and compress earlier ones), results are
 * appended to the sink in tile order, gzip members per file per part. Memory holds a few tiles at a time, whatever
 * the run's size. Writes `Reports/Demultiplex_Stats.csv` and `Reports/Top_Unknown_Barcodes.csv`
 * as BCL Convert does.
 */
export async function demultiplex(
  reader: RunFolderReader,
  run: RunTiles,
  planInput: DemuxPlanInput,
  sink: DemuxSink,
  options: DemuxOptions,
): Promise<DemuxReport> {
  const plan = planDemux(planInput);
  const signal = options.signal;
  signal?.throwIfAborted();
  const settings: TileSettings = {
    instrument: options.instrument,
    runNumber: options.runNumber,
    flowcell: options.flowcell,
    withFailedReads: options.withFailedReads ?? false,
    compressionLevel: options.compressionLevel ?? 1,
    indexInName: options.indexInName ?? 'sample',
    eamss: options.eamss ?? false,
  };
  const cycles = [
    ...new Set(
      [...plan.outputReads, ...plan.indexReads]
        .flatMap((r) => r.cycles)
        .concat(plan.umiSegments.flat()),
    ),
  ].sort((a, b) => a - b);
  const tiles = run.tiles.filter((t) => plan.lanes.includes(t.lane));
  const loader = new TileLoader(reader);
  const pool = new TilePool(options.workers);
  const stats = new Stats(plan);
  const written = new Set<string>();
  const width = pool.size + PARTS_AHEAD;
  const inFlight: { job: Promise<TileResult>; last: boolean }[] = [];
  let done = 0;
  const consume = async ({ job, last }: (typeof inFlight)[number]) => {
    const result = await job;
    if (result.arena) loader.recycle(result.arena);
    signal?.throwIfAborted();
    // Files several at once (each file's members in one append, in order): one after another,
    // writing bounded the pipeline on a slow disk.
    for (let i = 0; i < result.outputs.length; i += SINK_CONCURRENCY) {
      const batch = result.outputs.slice(i, i + SINK_CONCURRENCY);
      await Promise.all(batch.map((out) => sink.append(out.name, out.members, signal)));
      for (const out of batch) written.add(out.name);
    }
    stats.add(result);
    if (last) done++;
    options.onProgress?.({ tilesDone: done, tilesTotal: tiles.length, clusters: stats.clusters });
  };
  // Parts are read one after another (each part's files in parallel): started together, the
  // first parts' reads shared the disk and the main thread, and every worker waited for all of
  // them before its first part.
  let reading: Promise<unknown> = Promise.resolve();
  try {
    for (const t of tiles) {
      signal?.throwIfAborted();
      const parts = await loader.split(
        t.lane,
        t.tile,
        options.partClusters ?? PART_CLUSTERS,
        signal,
      );
      for (const [k, range] of parts.entries()) {
        while (inFlight.length >= width) await consume(inFlight.shift()!);
        const load = reading.then(() => loader.load(t.lane, t.tile, cycles, signal, range));
        reading = load.catch(() => undefined);
        const job = load.then((raw) => pool.run(raw, planInput, settings));
        job.catch(() => undefined);
        inFlight.push({ job, last: k === parts.length - 1 });
      }
    }
    while (inFlight.length) await consume(inFlight.shift()!);
  } finally {
    await pool.close();
  }

  const files: string[] = [];
  const empty = gzipSync(Buffer.alloc(0));
  for (const lane of plan.lanes) {
    const owners = [...plan.samples.filter((s) => s.lanes.includes(lane)), undefined];
    for (const sample of owners) {
      const names = [
        ...plan.outputReads.map((r) => fastqFileName(sample, lane, `R${r.read}`)),
        ...(plan.createFastqForIndexReads
          ? plan.indexReads.map((r) => fastqFileName(sample, lane, `I${r.index}`))
          : []),
      ];
      for (const name of names) {
        if (!written.has(name)) await sink.append(name, empty, signal);
        files.push(name);
      }
    }
  }
  const report = { ...stats.report(files), threads: pool.threaded ? pool.size : 0 };
  await sink.append(DEMULTIPLEX_STATS_CSV, Buffer.from(demultiplexStatsCsv(report)), signal);
  await sink.append(TOP_UNKNOWN_BARCODES_CSV, Buffer.from(topUnknownBarcodesCsv(report)), signal);
  if (plan.adapterRules.some((r) => r)) {
    await sink.append(ADAPTER_METRICS_CSV, Buffer.from(adapterMetricsCsv(report, plan)), signal);
  }
  return report;
}

class Stats {
  clusters = 0;
  pfClusters = 0;
  private readonly counts = new Map<string, SampleCounts>();
  private readonly unknown = new Map<number, Map<string, number>>();

  constructor(private readonly plan: DemuxPlan) {}

  add(r: TileResult): void {
    this.clusters += r.clusters;
    this.pfClusters += r.pfClusters;
    r.counts.forEach((c, s) => {
      const key = `${r.lane}\t${s}`;
      const into = this.counts.get(key) ?? {
        reads: 0,
        perfect: 0,
        oneMismatch: 0,
        twoMismatches: 0,
      };
      into.reads += c.reads;
      into.perfect += c.perfect;
      into.oneMismatch += c.oneMismatch;
      into.twoMismatches += c.twoMismatches;
      for (const field of ['adapterReads', 'adapterBases', 'sampleBases'] as const) {
        const add = c[field];
        if (!add) continue;
        const sum = (into[field] ??= add.map(() => 0));
        add.forEach((n, k) => (sum[k] = (sum[k] ?? 0) + n));
      }
      this.counts.set(key, into);
    });
    let lane = this.unknown.get(r.lane);
    if (!lane) this.unknown.set(r.lane, (lane = new Map()));
    for (const [seq, n] of r.unknown) lane.set(seq, (lane.get(seq) ?? 0) + n);
    if (lane.size > UNKNOWN_BARCODES_KEPT) {
      const kept = [...lane.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, UNKNOWN_BARCODES_KEPT / 2);
      lane.clear();
      for (const [seq, n] of kept) lane.set(seq, n);
    }
  }

  report(files: string[]): Omit<DemuxReport, 'threads'> {
    const rows: SampleLaneStats[] = [];
    const reads = this.plan.outputReads.map(() => 0);
    const zero: SampleCounts = {
      reads: 0,
      perfect: 0,
      oneMismatch: 0,
      twoMismatches: 0,
      ...(this.plan.adapterRules.some((r) => r)
        ? { adapterReads: reads, adapterBases: reads, sampleBases: reads }
        : {}),
    };
    for (const lane of this.plan.lanes) {
      this.plan.samples.forEach((s, i) => {
        if (!s.lanes.includes(lane)) return;
        const index = s.index2 ? `${s.index}-${s.index2}` : s.index;
        rows.push({
          lane,
          sampleId: s.sampleId,
          project: s.project,
          index,
          ...(this.counts.get(`${lane}\t${i}`) ?? zero),
        });
      });
      rows.push({
        lane,
        sampleId: undefined,
        project: undefined,
        index: '',
        ...(this.counts.get(`${lane}\t${this.plan.samples.length}`) ?? zero),
      });
    }
    const topUnknown: DemuxReport['topUnknown'] = [];
    for (const lane of this.plan.lanes) {
      const entries = [...(this.unknown.get(lane) ?? new Map<string, number>()).entries()];
      entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      for (const [seq, reads] of entries.slice(0, TOP_UNKNOWN)) {
        const [index = '', index2 = ''] = seq.split('+');
        topUnknown.push({ lane, index, index2, reads });
      }
    }
    return { clusters: this.clusters, pfClusters: this.pfClusters, rows, topUnknown, files };
  }
}

const fraction = (part: number, whole: number) => (whole ? part / whole : 0).toFixed(4);

/** `Demultiplex_Stats.csv` as BCL Convert writes it (fractions, not percents, in the `%` columns). */
export function demultiplexStatsCsv(report: DemuxReport): string {
  const lines = [
    'Lane,SampleID,Sample_Project,Index,# Reads,# Perfect Index Reads,# One Mismatch Index Reads,# Two Mismatch Index Reads,% Reads,% Perfect Index Reads,% One Mismatch Index Reads,% Two Mismatch Index Reads',
  ];
  const laneTotals = new Map<number, number>();
  for (const r of report.rows) laneTotals.set(r.lane, (laneTotals.get(r.lane) ?? 0) + r.reads);
  for (const r of report.rows) {
    lines.push(
      [
        r.lane,
        r.sampleId ?? 'Undetermined',
        r.project ?? '',
        r.index,
        r.reads,
        r.perfect,
        r.oneMismatch,
        r.twoMismatches,
        fraction(r.reads, laneTotals.get(r.lane)!),
        fraction(r.perfect, r.reads),
        fraction(r.oneMismatch, r.reads),
        fraction(r.twoMismatches, r.reads),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `Top_Unknown_Barcodes.csv` as BCL Convert writes it. */
export function topUnknownBarcodesCsv(report: DemuxReport): string {
  const lines = ['Lane,index,index2,# Reads,% of Unknown Barcodes,% of All Barcodes'];
  const unknownTotals = new Map<number, number>();
  const allTotals = new Map<number, number>();
  for (const r of report.rows) {
    allTotals.set(r.lane, (allTotals.get(r.lane) ?? 0) + r.reads);
    if (!r.sampleId) unknownTotals.set(r.lane, r.reads);
  }
  for (const u of report.topUnknown) {
    lines.push(
      [
        u.lane,
        u.index,
        u.index2,
        u.reads,
        fraction(u.reads, unknownTotals.get(u.lane) ?? 0),
        fraction(u.reads, allTotals.get(u.lane) ?? 0),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `Adapter_Metrics.csv` as BCL Convert writes it (written when adapters are set): per lane and
 * sample (Undetermined last), `R<n>_AdapterBases` (trimmed or masked, N padding included) and
 * `R<n>_SampleBases` (kept as called) of PF reads, and the reads.
 */
export function adapterMetricsCsv(report: DemuxReport, plan: DemuxPlan): string {
  const perRead = plan.outputReads.map((r) => `R${r.read}_AdapterBases,R${r.read}_SampleBases`);
  const lines = [`Lane,Sample_ID,index,index2,${perRead.join(',')},# Reads`];
  for (const r of report.rows) {
    const sample = plan.samples.find((s) => s.sampleId === r.sampleId);
    const bases = plan.outputReads.map(
      (_, k) => `${r.adapterBases?.[k] ?? 0},${r.sampleBases?.[k] ?? 0}`,
    );
    lines.push(
      [
        r.lane,
        r.sampleId ?? 'Undetermined',
        sample?.index ?? '',
        sample?.index2 ?? '',
        ...bases,
        r.reads,
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
