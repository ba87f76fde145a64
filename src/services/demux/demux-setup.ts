import { AppError, checkSampleSheet } from '../../domain/index.js';
import { adapterSettingsFromSheet } from '../../domain/adapter-trimming.js';
import { planDemux, type DemuxPlan, type DemuxPlanInput } from '../../domain/demux-plan.js';
import {
  FormatError,
  parseRunInfo,
  parseSampleSheet,
  type RunInfo,
  type SampleSheet,
} from '../../formats/index.js';
import type { RunTiles } from './tile-loader.js';
import type { ReadNameContext } from './tile-processor.js';

/** What a demultiplexing request may change (the rest comes from the run and its sheet). */
export interface DemuxOptionsInput {
  /** CSV text replacing the run's own SampleSheet.csv. */
  sampleSheet?: string | undefined;
  barcodeMismatchesIndex1?: number | undefined;
  barcodeMismatchesIndex2?: number | undefined;
}

/** Everything the engine needs, read from RunInfo.xml and the sample sheet. */
export interface DemuxSetup {
  runInfo: RunInfo;
  /** `SampleSheet.csv` (the run's) or `SampleSheet (request)` (the override): names it in errors. */
  sheetName: string;
  sheet: SampleSheet;
  planInput: DemuxPlanInput;
  plan: DemuxPlan;
  tiles: RunTiles;
  names: ReadNameContext;
}

/** The request's sheet, as messages name it. */
export const REQUEST_SHEET = 'SampleSheet (request body)';

const folderInvalid = (message: string) => new AppError('BASESPACE.RUNS.FOLDER_INVALID', message);
const sheetInvalid = (message: string) =>
  new AppError('BASESPACE.RUNS.SAMPLESHEET_INVALID', message);

/** The file among `paths` equal to `name` ignoring case. */
function find(paths: readonly string[], name: string): string | undefined {
  return paths.find((p) => p.toLowerCase() === name.toLowerCase());
}

/**
 * Tiles RunInfo lists, or (older RunInfo versions list none) every tile its flow cell layout
 * names: `<surface><swath><tile>` per lane, as RTA numbers them (FourDigit: `1101`; FiveDigit:
 * `11101`).
 */
export function runTiles(info: RunInfo): RunTiles {
  if (info.tiles.length > 0)
    return { tiles: info.tiles.map((t) => ({ lane: t.lane, tile: t.tile })) };
  const tiles: RunTiles['tiles'] = [];
  const width = info.tileNaming?.toLowerCase() === 'fivedigit' ? 3 : 2;
  for (let lane = 1; lane <= (info.lanes ?? 1); lane++)
    for (let surface = 1; surface <= (info.surfaces ?? 1); surface++)
      for (let swath = 1; swath <= (info.swaths ?? 1); swath++)
        for (let t = 1; t <= (info.tilesPerSwath ?? 0); t++)
          tiles.push({ lane, tile: Number(`${surface}${swath}${String(t).padStart(width, '0')}`) });
  return { tiles };
}

/**
 * The flow cell field of read names. bcl2fastq takes it from the run folder's name, whose last
 * field carries the NovaSeq/HiSeq side letter that RunInfo's `<Flowcell>` leaves out: run
 * `190414_A00111_0296_AHJCWWDSXX` with `<Flowcell>HJCWWDSXX` names its reads `...:AHJCWWDSXX:...`
 * (the bcl2fastr FASTQs). When the last field does not end with the flow cell, `<Flowcell>` wins.
 */
export function readNameFlowcell(info: RunInfo): string {
  const last = info.runId?.split('_').pop();
  if (info.flowcell && last?.endsWith(info.flowcell)) return last;
  return info.flowcell ?? last ?? 'unknown';
}

/**
 * Reads RunInfo.xml and the sample sheet (the request's, else the run's SampleSheet.csv) and
 * builds the plan. Everything that can be known before any BCL is read is refused here, as a
 * 400 naming the file: a sheet that does not parse, duplicate samples, index collisions within
 * the allowed mismatches (naming the pair), indexes longer than the index cycles, bad
 * characters, OverrideCycles that do not fit RunInfo.
 */
export async function prepareDemux(
  paths: readonly string[],
  read: (path: string) => Promise<Uint8Array>,
  options: DemuxOptionsInput,
): Promise<DemuxSetup> {
  const runInfoPath = find(paths, 'RunInfo.xml');
  if (!runInfoPath) throw folderInvalid('RunInfo.xml is missing: the run cannot be demultiplexed');
  let runInfo: RunInfo;
  try {
    runInfo = parseRunInfo(new TextDecoder().decode(await read(runInfoPath)));
  } catch (error) {
    if (error instanceof FormatError)
      throw folderInvalid(
        error.message.startsWith(runInfoPath) ? error.message : `${runInfoPath}: ${error.message}`,
      );
    throw error;
  }

  let sheetName: string;
  let sheetBytes: Uint8Array | string;
  if (options.sampleSheet !== undefined) {
    sheetName = REQUEST_SHEET;
    sheetBytes = options.sampleSheet;
  } else {
    const path = find(paths, 'SampleSheet.csv');
    if (!path)
      throw sheetInvalid(
        'the run has no SampleSheet.csv: send one as SampleSheet in the request body',
      );
    sheetName = path;
    sheetBytes = await read(path);
  }
  let sheet: SampleSheet;
  try {
    sheet = parseSampleSheet(sheetBytes);
  } catch (error) {
    if (error instanceof FormatError) throw sheetInvalid(`${sheetName}: ${error.message}`);
    throw error;
  }
  const problems = checkSampleSheet(sheet, {
    reads: runInfo.reads,
    barcodeMismatchesIndex1: options.barcodeMismatchesIndex1,
    barcodeMismatchesIndex2: options.barcodeMismatchesIndex2,
  });
  if (problems.length > 0)
    throw sheetInvalid(
      `${sheetName}: ${problems
        .slice(0, 5)
        .map((p) => (p.line ? `line ${p.line}: ${p.message}` : p.message))
        .join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`,
    );

  const tiles = runTiles(runInfo);
  const lanes = runInfo.lanes
    ? Array.from({ length: runInfo.lanes }, (_, i) => i + 1)
    : [...new Set(tiles.tiles.map((t) => t.lane))].sort((a, b) => a - b);
  if (tiles.tiles.length === 0)
    throw folderInvalid(`${runInfoPath}: lists no tiles and no flow cell layout to derive them`);
  const planInput: DemuxPlanInput = {
    reads: runInfo.reads.map((r) => ({
      number: r.number,
      cycles: r.cycles,
      isIndexedRead: r.isIndexed,
      isReverseComplement: r.isReverseComplement,
    })),
    lanes,
    samples: sheet.samples.map((s) => ({
      sampleId: s.sampleId,
      project: s.sampleProject,
      index: s.index,
      index2: s.index2,
      lane: s.lane,
    })),
    overrideCycles: sheet.overrideCycles,
    barcodeMismatchesIndex1: options.barcodeMismatchesIndex1 ?? sheet.barcodeMismatchesIndex1,
    barcodeMismatchesIndex2: options.barcodeMismatchesIndex2 ?? sheet.barcodeMismatchesIndex2,
    createFastqForIndexReads: sheet.createFastqForIndexReads,
  };
  let plan: DemuxPlan;
  try {
    // The sheet's AdapterRead1/2 (v2) or Adapter (v1) settings: trimming is off without them.
    planInput.adapters = adapterSettingsFromSheet(sheet);
    plan = planDemux(planInput);
  } catch (error) {
    if (error instanceof AppError) throw sheetInvalid(`${sheetName}: ${error.message}`);
    throw error;
  }
  return {
    runInfo,
    sheetName,
    sheet,
    planInput,
    plan,
    tiles,
    names: {
      instrument: runInfo.instrument ?? 'unknown',
      runNumber: String(runInfo.number ?? 0),
      flowcell: readNameFlowcell(runInfo),
    },
  };
}
