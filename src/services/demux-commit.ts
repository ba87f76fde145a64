import { AppError, type PropertyInput, type ResourceReference } from '../domain/index.js';
import type { Repositories } from '../ports.js';
import type { DemuxReport } from './demux/demux.engine.js';
import type { DemuxSetup } from './demux/demux-setup.js';
import type { DemuxJobPayload } from './demux.service.js';

/** A staged output already copied into the blob store, with its checksums. */
export interface StoredOutput {
  /** Relative name in the staging area: `S1_S1_L001_R1_001.fastq.gz`, `Reports/...`. */
  name: string;
  storageKey: string;
  size: number;
  md5: string;
  sha256: string;
  /** Absent in outputs staged before CRC-32s were kept. */
  crc32?: string;
}

/** What the commit made, for the job's log and tests. */
export interface DemuxCommitResult {
  sampleIds: string[];
  appResultId: string;
}

const CONTENT_TYPES: Record<string, string> = {
  gz: 'application/gzip',
  csv: 'text/csv',
};

/** The name of the AppResult holding the reports. */
export const DEMUX_REPORTS_RESULT = 'Demultiplexing reports';

/**
 * Makes a successful demultiplexing visible in ONE transaction: one Sample per Sample_ID of the
 * sheet (SampleId = Sample_ID, its FASTQ.gz files, read counts and lengths, a reference to the
 * run), an AppResult holding `Reports/Demultiplex_Stats.csv` and `Reports/Top_Unknown_Barcodes.csv`,
 * the session's `Input.*` and `Output.*` properties, and the session `Complete`. A session that
 * became final meanwhile (Aborted by its user) rolls everything back.
 */
export async function commitDemux(
  repos: Repositories,
  payload: DemuxJobPayload,
  setup: DemuxSetup,
  report: DemuxReport,
  outputs: readonly StoredOutput[],
): Promise<DemuxCommitResult> {
  const { plan } = setup;
  const runRef: ResourceReference = { rel: 'using', kind: 'run', id: payload.runId };
  const readLength = (k: number) => plan.outputReads[k]?.cycles.length;
  const fileOf = (name: string) => {
    const slash = name.lastIndexOf('/');
    return {
      name: name.slice(slash + 1),
      directory: slash < 0 ? '' : name.slice(0, slash),
      path: name,
    };
  };
  const byPrefix = (prefix: string) =>
    outputs.filter((o) => !o.name.includes('/') && o.name.startsWith(prefix));
  const run = await repos.runs.findById(payload.runId);

  return repos.transaction(async (tx) => {
    const addFile = async (
      parentKind: 'sample' | 'appresult',
      parentId: string,
      out: StoredOutput,
    ) => {
      const place = fileOf(out.name);
      const file = await tx.files.create({
        parentKind,
        parentId,
        ownerId: payload.userId,
        projectId: payload.projectId,
        ...place,
        contentType:
          CONTENT_TYPES[place.name.split('.').pop()!.toLowerCase()] ?? 'application/octet-stream',
        multipart: false,
      });
      const complete = await tx.files.transition(file.id, 'pending', {
        uploadStatus: 'complete',
        size: out.size,
        md5: out.md5,
        sha256: out.sha256,
        ...(out.crc32 !== undefined && { crc32: out.crc32 }),
        storageKey: out.storageKey,
      });
      await tx.files.addToParentSize(complete!, out.size);
      await tx.search.reindex('file', file.id);
    };

    const sampleIds: string[] = [];
    for (const planned of plan.samples) {
      const rows = report.rows.filter((r) => r.sampleId === planned.sampleId);
      const reads = rows.reduce((n, r) => n + r.reads, 0);
      const sheetRow = setup.sheet.samples.find((s) => s.sampleId === planned.sampleId);
      const sample = await tx.samples.create({
        projectId: payload.projectId,
        ownerId: payload.userId,
        appSessionId: payload.appSessionId,
        runId: payload.runId,
        name: (sheetRow?.sampleName || planned.sampleId).slice(0, 255),
        description: '',
        sampleId: planned.sampleId,
        sampleNumber: planned.number,
        experimentName: run?.experimentName,
        numReadsRaw: reads,
        numReadsPF: reads,
        read1: readLength(0),
        read2: readLength(1),
        isPairedEnd: plan.outputReads.length > 1,
        genomeId: undefined,
        references: [runRef],
      });
      for (const out of byPrefix(`${planned.sampleId}_S${planned.number}_L`))
        await addFile('sample', sample.id, out);
      await tx.search.reindex('sample', sample.id);
      sampleIds.push(sample.id);
    }

    const result = await tx.appResults.create({
      projectId: payload.projectId,
      ownerId: payload.userId,
      appSessionId: payload.appSessionId,
      name: DEMUX_REPORTS_RESULT,
      description: `Demultiplexing of run ${run?.name ?? payload.runId}: reads per sample and lane, top unknown barcodes`,
      genomeId: undefined,
      references: [runRef],
    });
    // The reports, and the reads of no sample (BCL Convert writes them beside the samples').
    for (const out of outputs.filter(
      (o) => o.name.startsWith('Reports/') || o.name.startsWith('Undetermined_S0_'),
    ))
      await addFile('appresult', result.id, out);
    await tx.search.reindex('appresult', result.id);

    const str = (name: string, content: string): PropertyInput => ({
      name,
      description: '',
      value: { type: 'string', content },
    });
    const properties: PropertyInput[] = [
      {
        name: 'Input.Runs',
        description: 'The demultiplexed run',
        value: { type: 'run[]', items: [{ kind: 'run', id: payload.runId }] },
      },
      {
        name: 'Input.Project',
        description: 'Where the samples were written',
        value: { type: 'project', content: { kind: 'project', id: payload.projectId } },
      },
      str('Input.SampleSheet', setup.sheetName),
      str('Input.WithFailedReads', String(payload.withFailedReads)),
      str('Input.BarcodeMismatchesIndex1', String(setup.planInput.barcodeMismatchesIndex1 ?? 1)),
      str('Input.BarcodeMismatchesIndex2', String(setup.planInput.barcodeMismatchesIndex2 ?? 1)),
      str('Input.CreateFastqForIndexReads', String(plan.createFastqForIndexReads)),
      ...(setup.planInput.overrideCycles
        ? [str('Input.OverrideCycles', setup.planInput.overrideCycles)]
        : []),
      {
        name: 'Output.Samples',
        description: 'One sample per Sample_ID',
        value: { type: 'sample[]', items: sampleIds.map((id) => ({ kind: 'sample', id })) },
      },
      {
        name: 'Output.AppResults',
        description: 'Demultiplex_Stats.csv and Top_Unknown_Barcodes.csv',
        value: { type: 'appresult[]', items: [{ kind: 'appresult', id: result.id }] },
      },
      str('Output.Clusters', String(report.clusters)),
      str('Output.ClustersPF', String(report.pfClusters)),
    ];
    await tx.properties.upsert('appsession', payload.appSessionId, properties, payload.userId);

    const undetermined = report.rows
      .filter((r) => r.sampleId === undefined)
      .reduce((n, r) => n + r.reads, 0);
    const done = await tx.appSessions.update(payload.appSessionId, {
      status: 'Complete',
      statusSummary: `Demultiplexed ${report.pfClusters} PF clusters of ${report.clusters} into ${plan.samples.length} samples (${undetermined} undetermined)`,
    });
    if (!done)
      throw new AppError(
        'BASESPACE.APPSESSIONS.NOT_WORKABLE',
        `AppSession ${payload.appSessionId} became final while its outputs were committed`,
      );
    return { sampleIds, appResultId: result.id };
  });
}
