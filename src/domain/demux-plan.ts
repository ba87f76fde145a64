import { badRequest } from './errors.js';
import { adapterRules, type AdapterRule, type AdapterSettings } from './adapter-trimming.js';
import { BarcodeMatcher, type BarcodeMatching, type MatcherSample } from './barcode-matcher.js';

/** One read of the run as RunInfo.xml lists it (part A's RunInfo parser produces these). */
export interface RunRead {
  number: number;
  cycles: number;
  isIndexedRead: boolean;
  /** RunInfo v6 `IsReverseComplement` (the i5 read of reverse-complement workflows). */
  isReverseComplement?: boolean | undefined;
}

/** One sample-sheet row; `lane` undefined means every lane of the run. */
export interface DemuxSampleInput {
  sampleId: string;
  project?: string | undefined;
  index?: string | undefined;
  index2?: string | undefined;
  lane?: number | undefined;
}

export interface DemuxPlanInput {
  reads: RunRead[];
  lanes: number[];
  samples: DemuxSampleInput[];
  /** BCL Convert `OverrideCycles`, e.g. `U8Y143;I8;I8;Y151`; default: Y for reads, I for index reads. */
  overrideCycles?: string | undefined;
  /** 0, 1 or 2; default 1 (BCL Convert's default). */
  barcodeMismatchesIndex1?: number | undefined;
  barcodeMismatchesIndex2?: number | undefined;
  /**
   * How the i5 read relates to the sheet's Index2: `forward` (read as written) or
   * `reverse-complement` (the instrument reads the other strand, e.g. RunInfo `IsReverseComplement`).
   * Default: `reverse-complement` when the i5 read says so in RunInfo, else `forward`.
   */
  index2Orientation?: 'forward' | 'reverse-complement' | undefined;
  createFastqForIndexReads?: boolean | undefined;
  /** Per-index mismatches with collisions refused (BCL Convert), or Picard's best unique match. */
  matching?: BarcodeMatching | undefined;
  /** Adapter trimming or masking (the sheet's, see `adapterSettingsFromSheet`); off without adapters. */
  adapters?: AdapterSettings | undefined;
}

/** Cycle kinds of OverrideCycles: template, index, UMI, skipped. */
export type CycleKind = 'Y' | 'I' | 'U' | 'N';

export interface PlannedSample {
  sampleId: string;
  /** The `S<n>` of the file names: 1-based, in order of first appearance in the sheet. */
  number: number;
  project: string | undefined;
  index: string;
  index2: string;
  lanes: number[];
}

/** The pure description of a demultiplexing: which cycle goes where and how barcodes match. */
export interface DemuxPlan {
  totalCycles: number;
  lanes: number[];
  /** Output reads R1, R2...: 0-based run cycles, in order. */
  outputReads: { read: number; cycles: number[] }[];
  /** Index reads I1, I2: 0-based run cycles used for matching (and the I1/I2 FASTQs). */
  indexReads: { index: number; cycles: number[] }[];
  /** UMI segments, each its 0-based cycles; written into the read name joined by `+`. */
  umiSegments: number[][];
  samples: PlannedSample[];
  createFastqForIndexReads: boolean;
  /** How the i5 reads relate to the sheet's Index2. */
  index2Orientation: 'forward' | 'reverse-complement';
  /** Sample index per lane; -1 is Undetermined. */
  matchers: Map<number, BarcodeMatcher>;
  /** Per output read (as `outputReads`), its adapter rule; undefined: written as read. */
  adapterRules: (AdapterRule | undefined)[];
}

const SEGMENT = /([YIUN])(\d+|\*)/g;
const SAMPLE_ID = /^[A-Za-z0-9_-]+$/;
const INDEX = /^[ACGT]*$/;
/** Picard's barcode lists may hold no-calls, which never match a called base. */
const INDEX_WITH_NO_CALLS = /^[ACGTN]*$/;

/** Parses OverrideCycles against the run's reads into one segment list per read. */
export function parseOverrideCycles(
  text: string,
  reads: RunRead[],
): { kind: CycleKind; length: number }[][] {
  const groups = text.trim().split(';');
  if (groups.length !== reads.length) {
    throw badRequest(
      `OverrideCycles '${text}' has ${groups.length} reads but the run has ${reads.length}`,
    );
  }
  return groups.map((group, i) => {
    const read = reads[i]!;
    const segments: { kind: CycleKind; length: number }[] = [];
    let consumed = '';
    for (const m of group.trim().matchAll(SEGMENT)) {
      consumed += m[0];
      segments.push({ kind: m[1] as CycleKind, length: m[2] === '*' ? -1 : Number(m[2]) });
    }
    if (consumed !== group.trim() || segments.length === 0) {
      throw badRequest(`OverrideCycles read ${i + 1} '${group}' is not a list of Y/I/U/N segments`);
    }
    const star = segments.filter((s) => s.length === -1);
    const fixed = segments.reduce((n, s) => n + Math.max(s.length, 0), 0);
    if (star.length > 1)
      throw badRequest(`OverrideCycles read ${i + 1} '${group}' has more than one '*'`);
    if (star[0]) star[0].length = read.cycles - fixed;
    const total = segments.reduce((n, s) => n + s.length, 0);
    if (total !== read.cycles || segments.some((s) => s.length < 0)) {
      throw badRequest(
        `OverrideCycles read ${i + 1} '${group}' covers ${fixed} cycles but RunInfo read ${read.number} has ${read.cycles}`,
      );
    }
    return segments;
  });
}

export function reverseComplement(seq: string): string {
  const comp: Record<string, string> = { A: 'T', C: 'G', G: 'C', T: 'A', N: 'N' };
  let out = '';
  for (let i = seq.length - 1; i >= 0; i--) out += comp[seq[i]!] ?? seq[i]!;
  return out;
}

/**
 * Builds the plan from the run's reads and lanes and the sheet's samples. Refuses (400) what
 * BCL Convert refuses: OverrideCycles that do not fit the reads, indexes longer than the index
 * cycles, bad characters, duplicate sample rows, and indexes that collide within the allowed
 * mismatches (naming the pair).
 */
export function planDemux(input: DemuxPlanInput): DemuxPlan {
  const reads = [...input.reads].sort((a, b) => a.number - b.number);
  if (reads.length === 0) throw badRequest('the run has no reads');
  const perRead = input.overrideCycles
    ? parseOverrideCycles(input.overrideCycles, reads)
    : reads.map((r) => [{ kind: (r.isIndexedRead ? 'I' : 'Y') as CycleKind, length: r.cycles }]);

  const outputReads: DemuxPlan['outputReads'] = [];
  const indexReads: DemuxPlan['indexReads'] = [];
  const umiSegments: number[][] = [];
  let cycle = 0;
  let i5IsReverse = false;
  perRead.forEach((segments, r) => {
    const y: number[] = [];
    const idx: number[] = [];
    for (const s of segments) {
      const cycles = Array.from({ length: s.length }, (_, k) => cycle + k);
      cycle += s.length;
      if (s.kind === 'Y') y.push(...cycles);
      else if (s.kind === 'I') idx.push(...cycles);
      else if (s.kind === 'U') umiSegments.push(cycles);
    }
    if (y.length) outputReads.push({ read: outputReads.length + 1, cycles: y });
    if (idx.length) {
      indexReads.push({ index: indexReads.length + 1, cycles: idx });
      if (indexReads.length === 2 && reads[r]!.isReverseComplement) i5IsReverse = true;
    }
  });
  if (indexReads.length > 2)
    throw badRequest(`${indexReads.length} index reads: at most 2 (i7 and i5)`);
  if (outputReads.length === 0) throw badRequest('no read has template (Y) cycles to write');

  const orientation = input.index2Orientation ?? (i5IsReverse ? 'reverse-complement' : 'forward');
  const mismatches = [input.barcodeMismatchesIndex1 ?? 1, input.barcodeMismatchesIndex2 ?? 1];
  for (const [k, m] of mismatches.entries()) {
    if (!Number.isInteger(m) || m < 0 || m > 2) {
      throw badRequest(`BarcodeMismatchesIndex${k + 1} must be 0, 1 or 2, not ${m}`);
    }
  }

  const samples: PlannedSample[] = [];
  const byId = new Map<string, PlannedSample>();
  const seenRows = new Set<string>();
  for (const row of input.samples) {
    if (!SAMPLE_ID.test(row.sampleId)) {
      throw badRequest(`Sample_ID '${row.sampleId}' may only hold letters, digits, - and _`);
    }
    const index = (row.index ?? '').trim().toUpperCase();
    const index2 = (row.index2 ?? '').trim().toUpperCase();
    for (const [name, seq] of [
      ['Index', index],
      ['Index2', index2],
    ] as const) {
      if (!(input.matching?.kind === 'best-total' ? INDEX_WITH_NO_CALLS : INDEX).test(seq))
        throw badRequest(`${name} '${seq}' of sample ${row.sampleId} may only hold A, C, G and T`);
    }
    if (row.lane !== undefined && !input.lanes.includes(row.lane)) {
      throw badRequest(
        `sample ${row.sampleId} is in lane ${row.lane}, which the run does not have`,
      );
    }
    const lanes = row.lane === undefined ? input.lanes : [row.lane];
    const key = `${row.sampleId}\t${row.lane ?? '*'}`;
    if (seenRows.has(key))
      throw badRequest(
        `sample ${row.sampleId} is listed twice${row.lane ? ` in lane ${row.lane}` : ''}`,
      );
    seenRows.add(key);
    const existing = byId.get(row.sampleId);
    if (existing) {
      if (existing.index !== index || existing.index2 !== index2) {
        throw badRequest(`sample ${row.sampleId} has different indexes in different lanes`);
      }
      existing.lanes.push(...lanes.filter((l) => !existing.lanes.includes(l)));
      continue;
    }
    const sample: PlannedSample = {
      sampleId: row.sampleId,
      number: samples.length + 1,
      project: row.project,
      index,
      index2,
      lanes: [...lanes],
    };
    byId.set(row.sampleId, sample);
    samples.push(sample);
  }

  const lengths = [indexReads[0]?.cycles.length ?? 0, indexReads[1]?.cycles.length ?? 0];
  for (const s of samples) {
    for (const [k, seq] of [s.index, s.index2].entries()) {
      if (seq.length > lengths[k]!) {
        throw badRequest(
          `Index${k ? '2' : ''} '${seq}' of sample ${s.sampleId} has ${seq.length} bases but the run has ${lengths[k]} index ${k ? 'i5' : 'i7'} cycles`,
        );
      }
    }
  }
  // Shorter indexes use the first cycles of their read (bcl2fastq's automatic masking), so every
  // sample of a run must agree on the length it uses.
  for (let k = 0; k < 2; k++) {
    const used = new Set(samples.map((s) => (k ? s.index2 : s.index).length));
    if (used.size > 1)
      throw badRequest(
        `samples have Index${k ? '2' : ''} of different lengths (${[...used].join(', ')})`,
      );
    const len = [...used][0] ?? 0;
    if (indexReads[k]) indexReads[k]!.cycles = indexReads[k]!.cycles.slice(0, len);
  }
  if (indexReads[1] && indexReads[1].cycles.length === 0) indexReads.pop();
  if (indexReads[0] && indexReads[0].cycles.length === 0) indexReads.length = 0;
  if (samples.length > 1 && indexReads.length === 0) {
    throw badRequest(`${samples.length} samples without indexes cannot be told apart`);
  }

  const matching: BarcodeMatching = input.matching ?? {
    kind: 'per-index',
    mismatches: [mismatches[0]!, mismatches[1]!],
  };
  const matchers = new Map<number, BarcodeMatcher>();
  for (const lane of input.lanes) {
    const inLane: MatcherSample[] = samples
      .map((s, i) => ({
        sample: i,
        sampleId: s.sampleId,
        lanes: s.lanes,
        i7: s.index,
        i5: orientation === 'reverse-complement' ? reverseComplement(s.index2) : s.index2,
      }))
      .filter((s) => s.lanes.includes(lane));
    try {
      matchers.set(lane, new BarcodeMatcher(inLane, matching));
    } catch (error) {
      if (error instanceof Error && 'pair' in error)
        throw badRequest(`lane ${lane}: ${error.message}`);
      throw error;
    }
  }
  return {
    totalCycles: cycle,
    lanes: [...input.lanes],
    outputReads,
    indexReads,
    umiSegments,
    samples,
    createFastqForIndexReads: input.createFastqForIndexReads ?? false,
    index2Orientation: orientation,
    matchers,
    adapterRules: adapterRules(
      input.adapters,
      outputReads.map((r) => ({ read: r.read, length: r.cycles.length })),
    ),
  };
}

/**
 * BCL Convert's output name: `<Sample_ID>_S<n>_L00<lane>_<R1|R2|I1|I2>_001.fastq.gz`;
 * Undetermined reads are `Undetermined_S0_...`.
 */
export function fastqFileName(
  sample: PlannedSample | undefined,
  lane: number,
  read: `${'R' | 'I'}${number}`,
): string {
  const prefix = sample ? `${sample.sampleId}_S${sample.number}` : 'Undetermined_S0';
  return `${prefix}_L${String(lane).padStart(3, '0')}_${read}_001.fastq.gz`;
}
