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
}

const enc = (id: string) => encodeURIComponent(id);
