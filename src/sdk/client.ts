import { HttpTransport, type ClientOptions } from './http.js';
import { RateLimiter } from './limits.js';
import { MAX_PAGE_SIZE, paginate } from './paging.js';
import {
  fromFile,
  fromPage,
  fromPart,
  fromRun,
  fromUser,
  type FilePart,
  type HubFile,
  type Page,
  type Run,
  type User,
} from './types.js';
import { uploadFile, type FileParentRef, type UploadOptions } from './upload.js';

type Wire = Record<string, unknown>;

export interface SeqhubClientOptions extends ClientOptions {
  /** Average upload rate ceiling in bytes per second, across every upload of this client. */
  maxUploadBytesPerSecond?: number;
}

/** Sorting and paging of a list call. */
export interface ListOptions {
  pageSize?: number;
  sortBy?: string;
  sortDir?: 'Asc' | 'Desc';
  signal?: AbortSignal;
}

/**
 * A typed client of a hub's v1pre3 API (or BaseSpace's). Every call takes an optional
 * AbortSignal; errors are `ApiError` (the hub answered) or `NetworkError` (it could not be reached).
 */
export class SeqhubClient {
  readonly http: HttpTransport;
  private readonly limiter: RateLimiter | undefined;

  constructor(options: SeqhubClientOptions) {
    this.http = new HttpTransport(options);
    this.limiter =
      options.maxUploadBytesPerSecond === undefined
        ? undefined
        : new RateLimiter(options.maxUploadBytesPerSecond);
  }

  /** `GET users/current`: whom the token belongs to. */
  async currentUser(signal?: AbortSignal): Promise<User> {
    return fromUser(await this.http.call('GET', 'users/current', { idempotent: true, signal }));
  }

  /** `POST runs`: a new run in `Uploading`, to upload files into and then complete. */
  async createRun(
    input: { name: string; experimentName?: string },
    signal?: AbortSignal,
  ): Promise<Run> {
    const body: Wire = { Name: input.name };
    if (input.experimentName !== undefined) body.ExperimentName = input.experimentName;
    return fromRun(await this.http.call('POST', 'runs', { json: body, signal }));
  }

  async getRun(id: string, signal?: AbortSignal): Promise<Run> {
    return fromRun(await this.http.call('GET', `runs/${enc(id)}`, { idempotent: true, signal }));
  }

  /** One page of the caller's runs (`users/current/runs`); `statuses` e.g. `['Uploading']`. */
  async listRunsPage(
    offset: number,
    limit: number,
    options: ListOptions & { statuses?: string[] } = {},
  ): Promise<Page<Run>> {
    return fromPage(
      await this.http.call('GET', 'users/current/runs', {
        query: {
          Offset: offset,
          Limit: limit,
          SortBy: options.sortBy,
          SortDir: options.sortDir,
          Statuses: options.statuses?.join(','),
        },
        idempotent: true,
        signal: options.signal,
      }),
      fromRun,
    );
  }

  /** Every run of the caller, page after page as iterated. */
  listRuns(options: ListOptions & { statuses?: string[] } = {}): AsyncGenerator<Run> {
    return paginate((offset, limit) => this.listRunsPage(offset, limit, options), options);
  }

  /** `POST runs/{id}?uploadstatus=complete`: reads the uploaded folder and completes the run. */
  async completeRunUpload(id: string, signal?: AbortSignal): Promise<Run> {
    return fromRun(
      await this.http.call('POST', `runs/${enc(id)}`, {
        query: { uploadstatus: 'complete' },
        idempotent: true,
        signal,
      }),
    );
  }

  async listFilesPage(
    parent: FileParentRef,
    offset: number,
    limit: number,
    options: ListOptions = {},
  ): Promise<Page<HubFile>> {
    return fromPage(
      await this.http.call('GET', `${parent.kind}/${enc(parent.id)}/files`, {
        query: {
          Offset: offset,
          Limit: Math.min(limit, MAX_PAGE_SIZE),
          SortBy: options.sortBy,
          SortDir: options.sortDir,
        },
        idempotent: true,
        signal: options.signal,
      }),
      fromFile,
    );
  }

  /** Every complete file of a run, sample or app result. */
  listFiles(parent: FileParentRef, options: ListOptions = {}): AsyncGenerator<HubFile> {
    return paginate((offset, limit) => this.listFilesPage(parent, offset, limit, options), options);
  }

  /** A run's complete files. */
  listRunFiles(runId: string, options: ListOptions = {}): AsyncGenerator<HubFile> {
    return this.listFiles({ kind: 'runs', id: runId }, options);
  }

  async getFile(id: string, signal?: AbortSignal): Promise<HubFile> {
    return fromFile(await this.http.call('GET', `files/${enc(id)}`, { idempotent: true, signal }));
  }

  /** The parts a pending multipart upload holds. */
  async listParts(fileId: string, signal?: AbortSignal): Promise<FilePart[]> {
    const list = await this.http.call<{ Items?: Wire[] }>('GET', `files/${enc(fileId)}/parts`, {
      idempotent: true,
      signal,
    });
    return (list.Items ?? []).map(fromPart);
  }

  /** Uploads one file (single `POST`, or multipart above the part size); see UploadOptions. */
  uploadFile(parent: FileParentRef, blob: Blob, options: UploadOptions): Promise<HubFile> {
    return uploadFile(this.http, this.limiter, parent, blob, options);
  }

  /** Uploads a file into a run that is `Uploading`. */
  uploadRunFile(runId: string, blob: Blob, options: UploadOptions): Promise<HubFile> {
    return this.uploadFile({ kind: 'runs', id: runId }, blob, options);
  }
  // --- Calls the web UI needs (issue 9). They answer the hub's PascalCase JSON (`Resource`)
  // until the typed camelCase views of issue 8 replace them; the names are issue 8's.

  private get<T = Resource>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
    return this.http.call<T>('GET', path, { query, idempotent: true, signal });
  }

  private list(path: string, query: Query = {}, signal?: AbortSignal): Promise<Page<Resource>> {
    return this.get(path, query, signal).then((w) => fromPage(w, (item) => item));
  }

  /** `GET users/current/projects`: one page, filtered by `name` (substring), sorted. */
  listProjects(options: ListQuery & { name?: string } = {}): Promise<Page<Resource>> {
    return this.list(
      'users/current/projects',
      { ...listQuery(options), Name: options.name || undefined },
      options.signal,
    );
  }

  getProject(id: string, signal?: AbortSignal): Promise<Resource> {
    return this.get(`projects/${enc(id)}`, {}, signal);
  }

  async createProject(input: { name: string; description?: string }): Promise<Resource> {
    return this.http.call('POST', 'projects', {
      json: { Name: input.name, ...(input.description && { Description: input.description }) },
    });
  }

  listSamples(projectId: string, options: ListQuery = {}): Promise<Page<Resource>> {
    return this.list(`projects/${enc(projectId)}/samples`, listQuery(options), options.signal);
  }

  getSample(id: string, signal?: AbortSignal): Promise<Resource> {
    return this.get(`samples/${enc(id)}`, {}, signal);
  }

  listAppResults(projectId: string, options: ListQuery = {}): Promise<Page<Resource>> {
    return this.list(`projects/${enc(projectId)}/appresults`, listQuery(options), options.signal);
  }

  /** `POST projects/{id}/appresults`: a new AppResult (and its AppSession) to upload into. */
  createAppResult(
    projectId: string,
    input: { name: string; description?: string },
  ): Promise<Resource> {
    return this.http.call('POST', `projects/${enc(projectId)}/appresults`, {
      json: { Name: input.name, ...(input.description && { Description: input.description }) },
    });
  }

  getAppResult(id: string, signal?: AbortSignal): Promise<Resource> {
    return this.get(`appresults/${enc(id)}`, {}, signal);
  }

  /** `GET users/current/appsessions`. */
  listAppSessions(options: ListQuery & { statuses?: string[] } = {}): Promise<Page<Resource>> {
    return this.list(
      'users/current/appsessions',
      { ...listQuery(options), Statuses: options.statuses?.join(',') },
      options.signal,
    );
  }

  getAppSession(id: string, signal?: AbortSignal): Promise<Resource> {
    return this.get(`appsessions/${enc(id)}`, {}, signal);
  }

  /** Properties of a project, run, sample, appresult, appsession or file. */
  listProperties(
    kind: 'projects' | 'runs' | 'samples' | 'appresults' | 'appsessions' | 'files',
    id: string,
    options: ListQuery = {},
  ): Promise<Page<Resource>> {
    return this.list(`${kind}/${enc(id)}/properties`, listQuery(options), options.signal);
  }

  /** `POST {kind}/{id}/properties`: sets properties (`Type`, `Name`, `Content` or `Items`). */
  setProperties(
    kind: 'projects' | 'runs' | 'samples' | 'appresults' | 'appsessions' | 'files',
    id: string,
    properties: Resource[],
  ): Promise<Resource> {
    return this.http.call('POST', `${kind}/${enc(id)}/properties`, {
      json: { Properties: properties },
    });
  }

  listCollaborators(projectId: string, options: ListQuery = {}): Promise<Page<Resource>> {
    return this.list(
      `projects/${enc(projectId)}/collaborators`,
      listQuery(options),
      options.signal,
    );
  }

  /** Invites a user (by email) to a project with `Read` or `Write` access. */
  addCollaborator(
    projectId: string,
    input: { email?: string; userId?: string; access: 'Read' | 'Write' },
  ): Promise<Resource> {
    return this.http.call('POST', `projects/${enc(projectId)}/collaborators`, {
      json: {
        Access: input.access,
        ...(input.email && { Email: input.email }),
        ...(input.userId && { UserId: input.userId }),
      },
    });
  }

  setCollaboratorAccess(
    projectId: string,
    userId: string,
    access: 'Read' | 'Write',
  ): Promise<Resource> {
    return this.http.call('POST', `projects/${enc(projectId)}/collaborators/${enc(userId)}`, {
      json: { Access: access },
      idempotent: true,
    });
  }

  async removeCollaborator(projectId: string, userId: string): Promise<void> {
    await this.http.call('DELETE', `projects/${enc(projectId)}/collaborators/${enc(userId)}`, {
      idempotent: true,
    });
  }

  /** `GET projects/{id}/auditlog` (the owner's). */
  getProjectAuditLog(projectId: string, options: ListQuery = {}): Promise<Page<Resource>> {
    return this.list(
      `projects/${enc(projectId)}/auditlog`,
      { Offset: options.offset, Limit: options.limit },
      options.signal,
    );
  }

  /** `GET runs/{id}/sequencingstats`; `cycles` adds the per-cycle values (`Detail=cycles`). */
  getSequencingStats(
    runId: string,
    options: { cycles?: boolean; signal?: AbortSignal } = {},
  ): Promise<Resource> {
    return this.get(
      `runs/${enc(runId)}/sequencingstats`,
      { Detail: options.cycles ? 'cycles' : undefined },
      options.signal,
    );
  }

  /** `POST runs/{id}/demultiplex`: answers the new AppSession (Running). */
  demultiplex(
    runId: string,
    input: { projectId: string; sampleSheet?: string; withFailedReads?: boolean },
  ): Promise<Resource> {
    return this.http.call('POST', `runs/${enc(runId)}/demultiplex`, {
      json: {
        ProjectId: input.projectId,
        ...(input.sampleSheet !== undefined && { SampleSheet: input.sampleSheet }),
        ...(input.withFailedReads !== undefined && { WithFailedReads: input.withFailedReads }),
      },
    });
  }

  /** `GET files/{id}/content?redirect=meta`: a signed URL for the bytes (Range supported). */
  getFileContentUrl(
    fileId: string,
    signal?: AbortSignal,
  ): Promise<{ url: string; expires: string }> {
    return this.get<Resource>(`files/${enc(fileId)}/content`, { redirect: 'meta' }, signal).then(
      (w) => ({ url: String(w.HrefContent), expires: String(w.Expires) }),
    );
  }

  /** `GET search`: projects, runs, samples, app results and files matching `query`. */
  search(query: string, options: ListQuery & { scope?: string } = {}): Promise<Page<Resource>> {
    return this.list(
      'search',
      { query, scope: options.scope, ...listQuery(options) },
      options.signal,
    );
  }
}

/** A hub object as its JSON (PascalCase wire names). */
export type Resource = Record<string, any>;

type Query = Record<string, string | number | boolean | undefined>;

/** One page of a list: offset and limit, sorting. */
export interface ListQuery {
  offset?: number;
  limit?: number;
  sortBy?: string;
  sortDir?: 'Asc' | 'Desc';
  signal?: AbortSignal;
}

const listQuery = (o: ListQuery): Query => ({
  Offset: o.offset,
  Limit: o.limit,
  SortBy: o.sortBy,
  SortDir: o.sortDir,
});

const enc = (id: string) => encodeURIComponent(id);
