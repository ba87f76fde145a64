import type { RunRead } from '../formats/runinfo.js';
import type { SampleSheet, SheetSample } from '../formats/samplesheet.js';

/** One thing wrong with a sample sheet; `line` is 1-based when the problem has a place. */
export interface SheetProblem {
  kind:
    | 'duplicate-sample'
    | 'index-collision'
    | 'index-length'
    | 'index-characters'
    | 'sample-id-characters'
    | 'missing-column'
    | 'override-cycles';
  line: number | undefined;
  message: string;
}

/** One read's cycles in OverrideCycles form: `I10U9` = 10 index cycles, then 9 UMI cycles. */
export interface CycleSegment {
  kind: 'Y' | 'I' | 'U' | 'N';
  cycles: number;
}

export interface SheetCheckOptions {
  /** The run's reads (RunInfo); without them, lengths and OverrideCycles sums are not checked. */
  reads?: readonly RunRead[] | undefined;
  /** Overrides of the sheet's own settings (the demultiplex request's fields). */
  barcodeMismatchesIndex1?: number | undefined;
  barcodeMismatchesIndex2?: number | undefined;
}

/** BCL Convert's default when the sheet says nothing (bcl2fastq's too). */
export const DEFAULT_BARCODE_MISMATCHES = 1;

/** BCL Convert: Sample_ID may hold letters, digits, `-` and `_` only. */
const SAMPLE_ID = /^[A-Za-z0-9_-]{1,100}$/;
const INDEX = /^[ACGTN]+$/;

/**
 * Parses OverrideCycles (`Y151;I8U4;I8;Y151`): one `;`-separated segment per read, each a run of
 * `<Y|I|U|N><count>` tokens. Returns undefined with a message when malformed.
 */
export function parseOverrideCycles(
  text: string,
): { segments: CycleSegment[][] } | { error: string } {
  const segments: CycleSegment[][] = [];
  for (const part of text.split(';')) {
    const tokens = [...part.trim().matchAll(/([YINU])(\d{1,4})/gi)];
    if (tokens.length === 0 || tokens.map((t) => t[0]).join('') !== part.trim())
      return { error: `OverrideCycles segment '${part}' is not like Y151, I8U9 or N1Y150` };
    segments.push(
      tokens.map((t) => ({
        kind: t[1]!.toUpperCase() as CycleSegment['kind'],
        cycles: Number(t[2]),
      })),
    );
  }
  return { segments };
}

/** Hamming distance over the common length (shorter indexes are compared on their prefix). */
function distance(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let d = 0;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) d++;
  return d;
}

/**
 * Every content problem of a parsed sheet, in line order: duplicate samples per lane, index
 * collisions within the allowed mismatches (naming both samples), index lengths that do not fit
 * the run's index cycles, bad characters in Sample_ID or an index, OverrideCycles that do not add
 * up to the run's reads. An empty list means the sheet can be demultiplexed.
 */
export function checkSampleSheet(
  sheet: SampleSheet,
  options: SheetCheckOptions = {},
): SheetProblem[] {
  const problems: SheetProblem[] = [];
  const add = (kind: SheetProblem['kind'], line: number | undefined, message: string) =>
    problems.push({ kind, line, message });

  for (const s of sheet.samples) {
    if (!SAMPLE_ID.test(s.sampleId))
      add(
        'sample-id-characters',
        s.line,
        `Sample_ID '${s.sampleId.slice(0, 100)}' may hold only letters, digits, '-' and '_' (at most 100)`,
      );
    for (const [name, v] of [
      ['index', s.index],
      ['index2', s.index2],
    ] as const)
      if (v !== undefined && !INDEX.test(v))
        add(
          'index-characters',
          s.line,
          `${name} '${v}' of sample '${s.sampleId}' may hold only A, C, G, T, N`,
        );
  }

  const withIndex = sheet.samples.filter((s) => s.index !== undefined);
  if (withIndex.length > 0 && withIndex.length < sheet.samples.length) {
    const first = sheet.samples.find((s) => s.index === undefined)!;
    add(
      'missing-column',
      first.line,
      `sample '${first.sampleId}' has no index while others have one`,
    );
  }
  const withIndex2 = sheet.samples.filter((s) => s.index2 !== undefined);
  if (withIndex2.length > 0 && withIndex2.length < sheet.samples.length) {
    const first = sheet.samples.find((s) => s.index2 === undefined)!;
    add(
      'missing-column',
      first.line,
      `sample '${first.sampleId}' has no index2 while others have one`,
    );
  }

  // Duplicates and collisions are per lane; a sample without a lane is in every lane.
  const lanes = [...new Set(sheet.samples.map((s) => s.lane))];
  const inLane = (lane: number | undefined) =>
    sheet.samples.filter((s) => s.lane === undefined || lane === undefined || s.lane === lane);
  const seenPairs = new Set<string>();
  const mm1 =
    options.barcodeMismatchesIndex1 ?? sheet.barcodeMismatchesIndex1 ?? DEFAULT_BARCODE_MISMATCHES;
  const mm2 =
    options.barcodeMismatchesIndex2 ?? sheet.barcodeMismatchesIndex2 ?? DEFAULT_BARCODE_MISMATCHES;
  for (const lane of lanes.length ? lanes : [undefined]) {
    const group = inLane(lane);
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) {
        const a = group[i]!;
        const b = group[j]!;
        const key = `${a.line}:${b.line}`;
        if (seenPairs.has(key)) continue;
        const where = a.lane ?? b.lane;
        const laneText = where === undefined ? '' : ` in lane ${where}`;
        if (a.sampleId === b.sampleId && a.index === b.index && a.index2 === b.index2) {
          seenPairs.add(key);
          add(
            'duplicate-sample',
            b.line,
            `sample '${b.sampleId}' is listed twice${laneText} (lines ${a.line} and ${b.line})`,
          );
          continue;
        }
        if (a.sampleId === b.sampleId) continue; // one sample, several index pairs (10x sets)
        if (a.index === undefined && b.index === undefined) {
          seenPairs.add(key);
          add(
            'index-collision',
            b.line,
            `samples '${a.sampleId}' (line ${a.line}) and '${b.sampleId}' (line ${b.line}) share a lane${laneText} and have no index to tell them apart`,
          );
          continue;
        }
        const collision = collides(a, b, mm1, mm2);
        if (collision !== undefined) {
          seenPairs.add(key);
          add(
            'index-collision',
            b.line,
            `samples '${a.sampleId}' (line ${a.line}) and '${b.sampleId}' (line ${b.line}) have indexes ${collision}${laneText}: ` +
              `with BarcodeMismatchesIndex1=${mm1}` +
              (a.index2 !== undefined || b.index2 !== undefined
                ? `, BarcodeMismatchesIndex2=${mm2}`
                : '') +
              ' a read could match both',
          );
        }
      }
    }
  }

  checkCycles(sheet, options.reads, add);
  return problems.sort((x, y) => (x.line ?? 0) - (y.line ?? 0));
}

/** Two samples collide when every index is within 2 x mismatches of the other's (their balls overlap). */
function collides(a: SheetSample, b: SheetSample, mm1: number, mm2: number): string | undefined {
  if (a.index === undefined || b.index === undefined) return undefined;
  const d1 = distance(a.index, b.index);
  if (d1 > 2 * mm1) return undefined;
  if (a.index2 !== undefined && b.index2 !== undefined) {
    const d2 = distance(a.index2, b.index2);
    if (d2 > 2 * mm2) return undefined;
    return `${a.index}+${a.index2} and ${b.index}+${b.index2} only ${d1}+${d2} mismatch(es) apart`;
  }
  return `${a.index} and ${b.index} only ${d1} mismatch(es) apart`;
}

function checkCycles(
  sheet: SampleSheet,
  reads: readonly RunRead[] | undefined,
  add: (kind: SheetProblem['kind'], line: number | undefined, message: string) => void,
): void {
  const overrideLine = sheet.settingLines['overridecycles'];
  let indexCycles: number[] | undefined = reads?.filter((r) => r.isIndexed).map((r) => r.cycles);
  if (sheet.overrideCycles !== undefined) {
    const parsed = parseOverrideCycles(sheet.overrideCycles);
    if ('error' in parsed) {
      add('override-cycles', overrideLine, parsed.error);
      return;
    }
    if (reads) {
      if (parsed.segments.length !== reads.length) {
        add(
          'override-cycles',
          overrideLine,
          `OverrideCycles '${sheet.overrideCycles}' has ${parsed.segments.length} read(s); the run has ${reads.length}`,
        );
        return;
      }
      let bad = false;
      parsed.segments.forEach((seg, i) => {
        const sum = seg.reduce((a, t) => a + t.cycles, 0);
        const read = reads[i]!;
        if (sum !== read.cycles) {
          bad = true;
          add(
            'override-cycles',
            overrideLine,
            `OverrideCycles read ${i + 1} '${seg.map((t) => t.kind + t.cycles).join('')}' adds up to ${sum} cycles; the run's read ${read.number} has ${read.cycles}`,
          );
        }
      });
      if (bad) return;
      // With OverrideCycles, the index length is the I cycles of each index-bearing segment.
      indexCycles = parsed.segments
        .map((seg) => seg.filter((t) => t.kind === 'I').reduce((a, t) => a + t.cycles, 0))
        .filter((n) => n > 0);
    }
  }
  if (!indexCycles) return;
  for (const s of sheet.samples) {
    for (const [name, v, cycles] of [
      ['index', s.index, indexCycles[0]],
      ['index2', s.index2, indexCycles[1]],
    ] as const) {
      if (v === undefined) continue;
      if (cycles === undefined)
        add(
          'index-length',
          s.line,
          `sample '${s.sampleId}' has ${name} '${v}' but the run reads no ${name === 'index' ? 'first' : 'second'} index`,
        );
      else if (v.length > cycles)
        add(
          'index-length',
          s.line,
          `${name} '${v}' of sample '${s.sampleId}' is ${v.length} bases; the run reads ${cycles} ${name === 'index' ? 'i7' : 'i5'} cycles`,
        );
    }
  }
}
