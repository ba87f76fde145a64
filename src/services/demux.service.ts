import {
  AppError,
  DEMUX_APPLICATION,
  badRequest,
  type AppSession,
  type FileRecord,
} from '../domain/index.js';
import type { BlobStore, JobQueue, Repositories } from '../ports.js';
import type { AccessService } from './access.service.js';
import type { StoredRunFile } from './demux/blob-run-folder.js';
import { prepareDemux, type DemuxSetup } from './demux/demux-setup.js';
import type { Principal } from './principal.js';

/** The job name of demultiplexing in the queue. */
export const DEMUX_JOB = 'demux';

/** What `POST runs/{id}/demultiplex` takes (the HTTP schema has checked the types). */
export interface DemuxRequestInput {
  projectId: string;
  sampleSheet?: string | undefined;
  withFailedReads?: boolean | undefined;
  barcodeMismatchesIndex1?: number | undefined;
  barcodeMismatchesIndex2?: number | undefined;
}

/** The queued job's payload: everything needed to run it again from scratch after a crash. */
export interface DemuxJobPayload {
  appSessionId: string;
  runId: string;
  projectId: string;
  userId: string;
  sampleSheet: string | undefined;
  withFailedReads: boolean;
  barcodeMismatchesIndex1: number | undefined;
  barcodeMismatchesIndex2: number | undefined;
}

/** Largest RunInfo.xml or SampleSheet.csv read for planning (both are a few KB). */
const MAX_SETUP_FILE_BYTES = 16 * 1024 * 1024;

/** Every complete file of a run, with its blob key. */
export async function storedRunFiles(repos: Repositories, runId: string): Promise<StoredRunFile[]> {
  const out: StoredRunFile[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await repos.files.list(
      'run',
      runId,
      {},
      { offset, limit: 1000, sortBy: 'Id', sortDir: 'Asc' },
    );
    out.push(
      ...page.items
        .filter((f): f is FileRecord & { storageKey: string } => f.storageKey !== undefined)
        .map((f) => ({ path: f.path, storageKey: f.storageKey, size: f.size })),
    );
    if (page.items.length < 1000) return out;
  }
}

/** Reads small run files (RunInfo, the sample sheet) whole from the blob store. */
export function smallFileReader(
  blobs: BlobStore,
  files: readonly StoredRunFile[],
): (path: string) => Promise<Uint8Array> {
  const byPath = new Map(files.map((f) => [f.path, f]));
  return async (path) => {
    const file = byPath.get(path)!;
    if (file.size > MAX_SETUP_FILE_BYTES)
      throw badRequest(`${path} is larger than ${MAX_SETUP_FILE_BYTES} bytes`);
    const chunks: Buffer[] = [];
    for await (const chunk of (await blobs.read(file.storageKey)) as AsyncIterable<Buffer>)
      chunks.push(chunk);
    return new Uint8Array(Buffer.concat(chunks));
  };
}

/** Reads RunInfo.xml and the sample sheet of a stored run and plans its demultiplexing. */
export async function prepareStoredRun(
  repos: Repositories,
  blobs: BlobStore,
  runId: string,
  options: Pick<
    DemuxRequestInput,
    'sampleSheet' | 'barcodeMismatchesIndex1' | 'barcodeMismatchesIndex2'
  >,
): Promise<{ setup: DemuxSetup; files: StoredRunFile[] }> {
  const files = await storedRunFiles(repos, runId);
  const setup = await prepareDemux(
    files.map((f) => f.path),
    smallFileReader(blobs, files),
    options,
  );
  return { setup, files };
}

export class DemuxService {
  constructor(
    private readonly repos: Repositories,
    private readonly access: AccessService,
    private readonly blobs: BlobStore,
    private readonly queue: JobQueue,
  ) {}

  /**
   * `POST runs/{id}/demultiplex`: checks access (read the run, write the project), plans the
   * demultiplexing (a bad sample sheet is a 400 here, before anything is written), then creates
   * a Running AppSession in the project and queues the job that fills it.
   */
  async start(principal: Principal, runId: string, input: DemuxRequestInput): Promise<AppSession> {
    const run = await this.access.run(principal, runId, 'read');
    const project = await this.access.project(principal, input.projectId, 'write');
    if (run.status !== 'Complete')
      throw new AppError(
        'BASESPACE.RUNS.NOT_COMPLETE',
        `Run ${run.id} is ${run.status}: only a Complete run can be demultiplexed`,
      );
    await prepareStoredRun(this.repos, this.blobs, run.id, input);
    const session = await this.repos.appSessions.create({
      ownerId: principal.user.id,
      applicationId: DEMUX_APPLICATION.id,
      name: `Demultiplexing ${run.name}`.slice(0, 255),
      projectId: project.id,
    });
    const payload: DemuxJobPayload = {
      appSessionId: session.id,
      runId: run.id,
      projectId: project.id,
      userId: principal.user.id,
      sampleSheet: input.sampleSheet,
      withFailedReads: input.withFailedReads ?? false,
      barcodeMismatchesIndex1: input.barcodeMismatchesIndex1,
      barcodeMismatchesIndex2: input.barcodeMismatchesIndex2,
    };
    const queued =
      (await this.repos.appSessions.update(session.id, { statusSummary: 'Queued' })) ?? session;
    try {
      await this.queue.enqueue(DEMUX_JOB, payload, { singletonKey: `appsession-${session.id}` });
    } catch (error) {
      await this.repos.appSessions.update(session.id, {
        status: 'NeedsAttention',
        statusSummary: 'The demultiplexing job could not be queued',
      });
      throw error;
    }
    return queued;
  }
}
