import {
  AppError,
  forbidden,
  isWorkable,
  notFound,
  parseId,
  scopeGrants,
  scopeGrantsGlobally,
  type Access,
  type AppResult,
  type AppSession,
  type FileParent,
  type FileRecord,
  type Project,
  type Run,
  type Sample,
  type ScopeSubject,
} from '../domain/index.js';
import type { Repositories } from '../ports.js';
import type { Principal } from './principal.js';

const LABEL: Record<ScopeSubject['type'] | 'appsession' | 'file', string> = {
  file: 'File',
  project: 'Project',
  sample: 'Sample',
  appresult: 'AppResult',
  run: 'Run',
  appsession: 'AppSession',
};

/**
 * The one place that decides who may touch what. A resource the caller does not own is reported
 * as missing (404), so ids of other users' objects leak nothing; a resource they own but whose
 * scope their token lacks is a 403 in BaseSpace's words (spec 1.4).
 */
export class AccessService {
  constructor(private readonly repos: Repositories) {}

  private denied(need: Access, type: keyof typeof LABEL): AppError {
    return forbidden(
      `Sorry but this requires ${need.toUpperCase()} access to this ${LABEL[type]} resource.`,
    );
  }

  private check(principal: Principal, need: Access, subject: ScopeSubject): void {
    if (!scopeGrants(principal.scope, need, subject)) throw this.denied(need, subject.type);
  }

  async project(principal: Principal, rawId: string, need: Access): Promise<Project> {
    const id = parseId(rawId, 'Project');
    const project = await this.repos.projects.findById(id);
    if (!project || project.ownerId !== principal.user.id)
      throw notFound(`Project id '${id}' doesn't exist`);
    this.check(principal, need, { type: 'project', id });
    return project;
  }

  async sample(principal: Principal, rawId: string, need: Access): Promise<Sample> {
    const id = parseId(rawId, 'Sample');
    const sample = await this.repos.samples.findById(id);
    if (!sample || sample.ownerId !== principal.user.id)
      throw notFound(`Sample id '${id}' doesn't exist`);
    this.check(principal, need, { type: 'sample', id, projectId: sample.projectId });
    return sample;
  }

  async appResult(principal: Principal, rawId: string, need: Access): Promise<AppResult> {
    const id = parseId(rawId, 'AppResult');
    const result = await this.repos.appResults.findById(id);
    if (!result || result.ownerId !== principal.user.id)
      throw notFound(`AppResult id '${id}' doesn't exist`);
    this.check(principal, need, { type: 'appresult', id, projectId: result.projectId });
    return result;
  }

  async run(principal: Principal, rawId: string, need: Access): Promise<Run> {
    const id = parseId(rawId, 'Run');
    const run = await this.repos.runs.findById(id);
    if (!run || run.ownerId !== principal.user.id) throw notFound(`Run id '${id}' doesn't exist`);
    this.check(principal, need, { type: 'run', id });
    return run;
  }

  /**
   * An AppSession is governed by the project its results go to; one with no project yet needs a
   * global grant. Changing it takes `create` there, which is what wrote its results.
   */
  async appSession(principal: Principal, rawId: string, need: Access): Promise<AppSession> {
    const id = parseId(rawId, 'AppSession');
    const session = await this.repos.appSessions.findById(id);
    if (!session || session.ownerId !== principal.user.id)
      throw notFound(`AppSession id '${id}' doesn't exist`);
    const granted =
      scopeGrantsGlobally(principal.scope, need) ||
      (session.projectId !== undefined &&
        scopeGrants(principal.scope, need, { type: 'project', id: session.projectId }));
    if (!granted) throw this.denied(need, 'appsession');
    return session;
  }

  /**
   * The parent a file is listed under or uploaded to. Uploading (`need` = create) also needs the
   * parent's AppSession to be workable (spec 4.6: uploads only while Running, NeedsAttention,
   * TimedOut).
   */
  async fileParent(
    principal: Principal,
    kind: FileParent,
    rawId: string,
    need: Access,
  ): Promise<{ id: string; projectId: string | undefined }> {
    if (kind === 'run') {
      const run = await this.run(principal, rawId, need);
      // A run's files are the instrument's output: they are added while it is Uploading only.
      if ((need === 'create' || need === 'write') && run.status !== 'Uploading')
        throw new AppError(
          'BASESPACE.RUNS.NOT_UPLOADING',
          `Run ${run.id} is ${run.status}: files are added to a run only while it is Uploading`,
        );
      return { id: run.id, projectId: undefined };
    }
    const parent =
      kind === 'sample'
        ? await this.sample(principal, rawId, need)
        : await this.appResult(principal, rawId, need);
    if (need === 'create' || need === 'write') await this.assertWorkable(parent.appSessionId);
    return { id: parent.id, projectId: parent.projectId };
  }

  /** Throws 409 unless the AppSession can still take work. */
  async assertWorkable(appSessionId: string): Promise<void> {
    const session = await this.repos.appSessions.findById(appSessionId);
    if (session && !isWorkable(session.status)) {
      throw new AppError(
        'BASESPACE.APPSESSIONS.NOT_WORKABLE',
        `AppSession ${session.id} is ${session.status}: nothing can be added to it`,
      );
    }
  }

  /**
   * A file the caller may act on with `need`. Pending uploads are seen only by their uploader and
   * only when multipart (resumable); everything else not complete is reported missing.
   */
  async file(principal: Principal, rawId: string, need: Access): Promise<FileRecord> {
    const id = parseId(rawId, 'File');
    const file = await this.repos.files.findById(id);
    const visible =
      file !== undefined &&
      file.ownerId === principal.user.id &&
      (file.uploadStatus === 'complete' ||
        (file.multipart &&
          (file.uploadStatus === 'pending' || file.uploadStatus === 'assembling')));
    if (!visible) throw notFound(`File id '${id}' doesn't exist`);
    const subject: ScopeSubject =
      file.parentKind === 'run'
        ? { type: 'run', id: file.parentId }
        : { type: file.parentKind, id: file.parentId, projectId: file.projectId };
    if (!scopeGrants(principal.scope, need, subject)) throw this.denied(need, 'file');
    return file;
  }
}
