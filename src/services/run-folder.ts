import { AppError, checkSampleSheet, type RunDetails } from '../domain/index.js';
import {
  FormatError,
  parseRunInfo,
  parseRunParameters,
  parseSampleSheet,
  readCorrectedIntensityMetrics,
  readErrorMetrics,
  readExtractionMetrics,
  readIndexMetrics,
  readQualityMetrics,
  readTileMetrics,
  summarizeMetrics,
  type MetricsInput,
  type RunMetricsSummary,
} from '../formats/index.js';
import type { RunPatch } from '../ports.js';

/** Reads one file of the folder by its relative path; undefined when the folder has no such file. */
export type ReadRunFile = (path: string) => Promise<Uint8Array | undefined>;

/** What a run folder's metadata files say, ready to be written onto the Run. */
export interface RunFolderFacts {
  patch: RunPatch;
  details: RunDetails;
  stats: RunMetricsSummary;
}

const INVALID = 'BASESPACE.RUNS.FOLDER_INVALID';

const fail = (message: string) => new AppError(INVALID, message);

/** The file among `paths` equal to `name` ignoring case (instruments spell runParameters both ways). */
function find(paths: readonly string[], ...names: string[]): string | undefined {
  const wanted = names.map((n) => n.toLowerCase());
  return paths.find((p) => wanted.includes(p.toLowerCase()));
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/**
 * Reads RunInfo.xml (required), RunParameters.xml, SampleSheet.csv and InterOp/*.bin of a run
 * folder and turns them into Run fields and the metrics summary. Any file that does not parse,
 * or a sample sheet with problems, is a 400 `BASESPACE.RUNS.FOLDER_INVALID` naming the file and
 * the line or byte.
 */
export async function readRunFolder(
  paths: readonly string[],
  read: ReadRunFile,
): Promise<RunFolderFacts> {
  const guard = async <T>(file: string, work: () => T | Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof FormatError)
        throw fail(error.message.startsWith(file) ? error.message : `${file}: ${error.message}`);
      throw error;
    }
  };
  const load = async (path: string) => {
    const bytes = await read(path);
    if (!bytes) throw fail(`${path} could not be read`);
    return bytes;
  };

  const runInfoPath = find(paths, 'RunInfo.xml');
  if (!runInfoPath) throw fail('RunInfo.xml is missing: this is not an Illumina run folder');
  const runInfo = await guard(runInfoPath, async () => parseRunInfo(text(await load(runInfoPath))));

  const paramsPath = find(paths, 'RunParameters.xml', 'runParameters.xml');
  const params = paramsPath
    ? await guard(paramsPath, async () => parseRunParameters(text(await load(paramsPath))))
    : undefined;

  const sheetPath = find(paths, 'SampleSheet.csv');
  const sheet = sheetPath
    ? await guard(sheetPath, async () => parseSampleSheet(await load(sheetPath)))
    : undefined;
  if (sheet) {
    const problems = checkSampleSheet(sheet, { reads: runInfo.reads });
    if (problems.length > 0)
      throw fail(
        `${sheetPath}: ${problems
          .slice(0, 5)
          .map((p) => (p.line ? `line ${p.line}: ${p.message}` : p.message))
          .join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`,
      );
  }

  const metrics: MetricsInput = { reads: runInfo.reads };
  const metricsFiles: string[] = [];
  const interop = async <T>(name: string, reader: (b: Uint8Array) => T): Promise<T | undefined> => {
    const path = find(paths, `InterOp/${name}`);
    if (!path) return undefined;
    metricsFiles.push(path);
    return guard(path, async () => reader(await load(path)));
  };
  metrics.tile = await interop('TileMetricsOut.bin', readTileMetrics);
  metrics.quality = (await interop('QMetricsOut.bin', readQualityMetrics))?.records;
  metrics.error = (await interop('ErrorMetricsOut.bin', readErrorMetrics))?.records;
  metrics.extraction = (await interop('ExtractionMetricsOut.bin', readExtractionMetrics))?.records;
  metrics.correctedIntensity = (
    await interop('CorrectedIntMetricsOut.bin', readCorrectedIntensityMetrics)
  )?.records;
  metrics.index = (await interop('IndexMetricsOut.bin', readIndexMetrics))?.records;
  const stats = summarizeMetrics(metrics);

  const dataReads = runInfo.reads.filter((r) => !r.isIndexed);
  const indexReads = runInfo.reads.filter((r) => r.isIndexed);
  const experimentName =
    params?.experimentName ??
    sheet?.header['ExperimentName'] ??
    sheet?.header['Experiment Name'] ??
    sheet?.header['RunName'] ??
    runInfo.runId;
  const details: RunDetails = {
    runFolder: runInfo.runId,
    runDate: runInfo.date,
    reads: runInfo.reads,
    totalCycles: runInfo.totalCycles,
    lanes: runInfo.lanes ?? (stats.lanes.length || undefined),
    surfaces: runInfo.surfaces,
    swathsPerLane: runInfo.swaths,
    tilesPerSwath: runInfo.tilesPerSwath,
    tileCount: runInfo.tiles.length || undefined,
    chemistry: params?.chemistry,
    rtaVersion: params?.rtaVersion,
    applicationName: params?.applicationName,
    applicationVersion: params?.applicationVersion,
    i5Orientation: indexReads[1]?.isReverseComplement ? 'B' : params?.i5Orientation,
    sampleSheetName: sheetPath,
    sampleSheetVersion: sheet?.version,
    libraryCount: sheet ? new Set(sheet.samples.map((s) => s.sampleId)).size : undefined,
    metricsFiles,
  };
  const patch: RunPatch = {
    ...(runInfo.runId !== undefined && { name: runInfo.runId }),
    ...(experimentName !== undefined && { experimentName: experimentName.slice(0, 255) }),
    number: runInfo.number ?? params?.runNumber,
    platformName: params?.instrumentType,
    instrumentName: runInfo.instrument ?? params?.instrumentId,
    instrumentType: params?.instrumentType,
    instrumentSerialNumber: runInfo.instrument ?? params?.instrumentId,
    flowcellBarcode: runInfo.flowcell ?? params?.flowcellSerial,
    reagentBarcode: params?.reagentKitSerial,
    numCyclesRead1: dataReads[0]?.cycles,
    numCyclesRead2: dataReads[1]?.cycles,
    numCyclesIndex1: indexReads[0]?.cycles,
    numCyclesIndex2: indexReads[1]?.cycles,
    details,
    sequencingStats: stats,
  };
  return { patch, details, stats };
}
