import { APPLICATIONS, findApplication } from '../apps/index.js';
import {
  AppError,
  launchProperties,
  notFound,
  parseLaunch,
  truncateForMessage,
  type AppManifest,
  type AppSession,
  type LaunchValue,
} from '../domain/index.js';
import type { JobQueue, Repositories } from '../ports.js';
import type { AccessService } from './access.service.js';
import type { DemuxService } from './demux.service.js';
import type { Principal } from './principal.js';

/** The job that runs a launched script app (every script app: the payload names it). */
export const APP_RUN_JOB = 'app-run';

/** The queued job's payload: everything needed to run the app again from scratch. */
export interface AppRunPayload {
  appSessionId: string;
  appId: string;
  userId: string;
  projectId: string;
  sampleIds: string[];
  genomeId: string | undefined;
  /** Option values by field id (numbers, booleans and strings as launched or defaulted). */
  options: Record<string, string | number | boolean>;
}

/** Files an app reads as reads: FASTQ, plain or gzipped, of any lane. */
export const FASTQ_NAME = /\.(fastq|fq)(\.gz)?$/i;

/** Largest log returned at once (lines); a longer log is read from an offset. */
export const LOG_PAGE_LINES = 100_000;

export class AppService {
  constructor(
    private readonly repos: Repositories,
    private readonly access: AccessService,
    private readonly demux: DemuxService,
    private readonly queue: JobQueue,
  ) {}

  list(): readonly AppManifest[] {
    return APPLICATIONS;
  }

  /** An application by numeric id or slug; 404 otherwise. */
  get(idOrSlug: string): AppManifest {
    const app = findApplication(idOrSlug);
    if (!app) throw notFound(`Application id '${truncateForMessage(idOrSlug)}' doesn't exist`);
    return app;
  }

  /**
   * `POST applications/{id}/appsessions` (spec 4.7): checks the launch against the app's form and
   * the caller's rights (read every input, write the target project), creates a Running
   * AppSession with its `Input.*` properties, and queues the run. Nothing is written when a check
   * fails.
   */
  async launch(principal: Principal, idOrSlug: string, body: unknown): Promise<AppSession> {
    const app = this.get(idOrSlug);
    if (app.engine.kind === 'none')
      throw new AppError(
        'BASESPACE.APPLICATIONS.INPUT_INVALID',
        `Application ${app.slug} cannot be launched: its sessions are made by API clients`,
      );
    const request = parseLaunch(app, body);
    const values = request.values;
    const ref = (id: string) => {
      const v = values[id];
      return v?.kind === 'ref' ? v.id : undefined;
    };
    const named = async <T>(input: string, check: () => Promise<T>): Promise<T> => {
      try {
        return await check();
      } catch (error) {
        if (error instanceof AppError)
          throw new AppError(error.code, `Input.${input}: ${error.message}`, error.httpStatus);
        throw error;
      }
    };

    if (app.engine.kind === 'demux') {
      const session = await this.demux.start(principal, ref('run-id')!, {
        projectId: ref('project-id')!,
        sampleSheet: optionText(values['sample-sheet']),
        withFailedReads:
          values['with-failed-reads']?.kind === 'boolean' && values['with-failed-reads'].value,
        barcodeMismatchesIndex1: optionNumber(values['barcode-mismatches-index1']),
        barcodeMismatchesIndex2: optionNumber(values['barcode-mismatches-index2']),
      });
      await this.repos.properties.upsert(
        'appsession',
        session.id,
        launchProperties(app, values),
        principal.user.id,
      );
      return session;
    }

    const project = await named('project-id', () =>
      this.access.project(principal, ref('project-id')!, 'write'),
    );
    const sampleIds: string[] = [];
    const sampleNames: string[] = [];
    for (const f of app.inputs) {
      const v = values[f.id];
      if (v?.kind !== 'refs') continue;
      for (const id of v.ids) {
        if (v.refKind === 'appresult') {
          await named(f.id, () => this.access.appResult(principal, id, 'read'));
          continue;
        }
        const sample = await named(f.id, () => this.access.sample(principal, id, 'read'));
        const files = await this.repos.files.list(
          'sample',
          sample.id,
          {},
          { offset: 0, limit: 1000, sortBy: 'Name', sortDir: 'Asc' },
        );
        if (
          !files.items.some(
            (file) => file.uploadStatus === 'complete' && FASTQ_NAME.test(file.name),
          )
        )
          throw new AppError(
            'BASESPACE.APPLICATIONS.INPUT_INVALID',
            `Input.${f.id}: sample ${sample.id} (${sample.name}) has no complete FASTQ file`,
          );
        sampleIds.push(sample.id);
        sampleNames.push(sample.name);
      }
    }
    const genomeId = ref('genome-id');
    if (genomeId !== undefined) {
      const genome = await this.repos.genomes.findById(genomeId);
      if (!genome)
        throw new AppError(
          'BASESPACE.APPLICATIONS.INPUT_INVALID',
          `Input.genome-id: genome ${genomeId} doesn't exist`,
        );
      if (genome.sequence?.status !== 'ready')
        throw new AppError(
          'BASESPACE.GENOMES.NO_SEQUENCE',
          `Input.genome-id: genome ${genome.id} (${genome.displayName}) ${
            genome.sequence?.status === 'indexing'
              ? 'is still being indexed'
              : 'has no sequence registered (HasSequence is false)'
          }`,
        );
    }
    const options: Record<string, string | number | boolean> = {};
    for (const [id, v] of Object.entries(values))
      if (v.kind === 'string' || v.kind === 'number' || v.kind === 'boolean') options[id] = v.value;

    const name = (
      request.name ??
      `${app.name}: ${sampleNames.slice(0, 3).join(', ')}${sampleNames.length > 3 ? ', ...' : ''}`
    ).slice(0, 255);
    const session = await this.repos.transaction(async (tx) => {
      const created = await tx.appSessions.create({
        ownerId: principal.user.id,
        applicationId: app.id,
        name,
        projectId: project.id,
      });
      await tx.properties.upsert(
        'appsession',
        created.id,
        launchProperties(app, values),
        principal.user.id,
      );
      return (await tx.appSessions.update(created.id, {
        statusSummary: request.statusSummary ?? 'Queued',
      }))!;
    });
    const payload: AppRunPayload = {
      appSessionId: session.id,
      appId: app.id,
      userId: principal.user.id,
      projectId: project.id,
      sampleIds,
      genomeId,
      options,
    };
    try {
      await this.queue.enqueue(APP_RUN_JOB, payload, { singletonKey: `appsession-${session.id}` });
    } catch (error) {
      await this.repos.appSessions.update(session.id, {
        status: 'NeedsAttention',
        statusSummary: `The ${app.slug} job could not be queued`,
      });
      throw error;
    }
    return session;
  }

  /** The log of an AppSession (spec 6.5), from line `from` on; readable while it runs. */
  async log(principal: Principal, appSessionId: string, from: number): Promise<string[]> {
    const session = await this.access.appSession(principal, appSessionId, 'browse');
    return this.repos.appSessionLogs.read(session.id, from, LOG_PAGE_LINES);
  }
}

const optionText = (v: LaunchValue | undefined) => (v?.kind === 'string' ? v.value : undefined);
const optionNumber = (v: LaunchValue | undefined) => (v?.kind === 'number' ? v.value : undefined);
