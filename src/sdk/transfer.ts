/**
 * The browser-safe half of transfers: the resources files go into and come out of (projects'
 * samples and app results, app sessions), ranged reads of a file's content and waiting on an
 * AppSession. Only fetch, Blob and AbortSignal; the local-disk half is `transfer-node.ts`.
 */
import { ApiError, apiErrorOf } from './errors.js';
import type { HttpTransport } from './http.js';
import { paginate } from './paging.js';
import { sleep } from './retry.js';
import { fromFile, fromPage, type HubFile, type Page } from './types.js';
import type { FileParentRef } from './upload.js';

type Wire = Record<string, unknown>;

/** A sample or app result (or run) that holds files, with the name a download folder takes. */
export interface FileHolder extends FileParentRef {
  name: string;
  /** The AppSession that made it (samples and app results), to complete after an upload. */
  appSessionId: string | undefined;
}

/** The fields of an AppSession a wait needs. */
export interface AppSessionState {
  id: string;
  name: string;
  status: string;
  statusSummary: string;
}

/**
 * Statuses after which an AppSession does not change by itself (spec 4.6: Complete and Aborted
 * are terminal; NeedsAttention and TimedOut wait for a person, so a script must stop waiting).
 */
export const SETTLED_STATUSES = ['Complete', 'Aborted', 'NeedsAttention', 'TimedOut'] as const;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const idOf = (v: unknown): string => (typeof v === 'number' ? String(v) : (str(v) ?? ''));
const enc = (id: string) => encodeURIComponent(id);

function holder(kind: FileParentRef['kind'], w: Wire): FileHolder {
  const session = (w.AppSession ?? undefined) as Wire | undefined;
  return {
    kind,
    id: idOf(w.Id),
    name: str(w.Name) ?? idOf(w.Id),
    appSessionId: session ? idOf(session.Id) || undefined : undefined,
  };
}

function appSessionOf(w: Wire): AppSessionState {
  return {
    id: idOf(w.Id),
    name: str(w.Name) ?? '',
    status: str(w.Status) ?? '',
    statusSummary: str(w.StatusSummary) ?? '',
  };
}

/** `GET samples/{id}`, `appresults/{id}` or `runs/{id}`: the holder's name and session. */
export async function getHolder(
  http: HttpTransport,
  ref: FileParentRef,
  signal?: AbortSignal,
): Promise<FileHolder> {
  return holder(
    ref.kind,
    await http.call('GET', `${ref.kind}/${enc(ref.id)}`, { idempotent: true, signal }),
  );
}

/**
 * `POST projects/{id}/appresults` or `projects/{id}/samples` without `appsessionid`: a new holder
 * in a new Running AppSession (spec 4.3, 4.4).
 */
export async function createHolder(
  http: HttpTransport,
  kind: 'samples' | 'appresults',
  projectId: string,
  input: { name: string; description?: string },
  signal?: AbortSignal,
): Promise<FileHolder> {
  const json: Wire = { Name: input.name };
  if (input.description !== undefined) json.Description = input.description;
  if (kind === 'samples') json.SampleId = input.name;
  return holder(
    kind,
    await http.call('POST', `projects/${enc(projectId)}/${kind}`, { json, signal }),
  );
}

/** Every sample and app result of a project (`projects/{id}/samples`, `.../appresults`). */
export async function* projectHolders(
  http: HttpTransport,
  projectId: string,
  signal?: AbortSignal,
): AsyncGenerator<FileHolder> {
  for (const kind of ['samples', 'appresults'] as const) {
    const page = async (offset: number, limit: number): Promise<Page<FileHolder>> =>
      fromPage(
        await http.call('GET', `projects/${enc(projectId)}/${kind}`, {
          query: { Offset: offset, Limit: limit, SortBy: 'Id', SortDir: 'Asc' },
          idempotent: true,
          signal,
        }),
        (w) => holder(kind, w),
      );
    yield* paginate(page, signal ? { signal } : {});
  }
}

/** `GET projects/{id}`: fails with ApiError 404 when there is no such project. */
export async function getProjectName(
  http: HttpTransport,
  projectId: string,
  signal?: AbortSignal,
): Promise<string> {
  const w = await http.call('GET', `projects/${enc(projectId)}`, { idempotent: true, signal });
  return str(w.Name) ?? projectId;
}

/** Every complete file of a holder, optionally only those with one of `extensions`. */
export function holderFiles(
  http: HttpTransport,
  ref: FileParentRef,
  options: { extensions?: string[]; signal?: AbortSignal } = {},
): AsyncGenerator<HubFile> {
  return paginate(
    async (offset, limit) =>
      fromPage(
        await http.call('GET', `${ref.kind}/${enc(ref.id)}/files`, {
          query: {
            Offset: offset,
            Limit: limit,
            SortBy: 'Path',
            SortDir: 'Asc',
            Extensions: options.extensions?.join(','),
          },
          idempotent: true,
          signal: options.signal,
        }),
        fromFile,
      ),
    options.signal ? { signal: options.signal } : {},
  );
}

export async function getAppSession(
  http: HttpTransport,
  id: string,
  signal?: AbortSignal,
): Promise<AppSessionState> {
  return appSessionOf(
    await http.call('GET', `appsessions/${enc(id)}`, { idempotent: true, signal }),
  );
}

/** `POST appsessions/{id}` with a new status (`Complete`, `Aborted` ...); repeating is a no-op. */
export async function setAppSessionStatus(
  http: HttpTransport,
  id: string,
  status: string,
  statusSummary?: string,
  signal?: AbortSignal,
): Promise<AppSessionState> {
  const json: Wire = { Status: status };
  if (statusSummary !== undefined) json.StatusSummary = statusSummary;
  return appSessionOf(
    await http.call('POST', `appsessions/${enc(id)}`, { json, idempotent: true, signal }),
  );
}

/** `POST runs/{id}/demultiplex`: the new Running AppSession that fills the project's samples. */
export async function startDemultiplex(
  http: HttpTransport,
  runId: string,
  input: { projectId: string; sampleSheet?: string },
  signal?: AbortSignal,
): Promise<AppSessionState> {
  const json: Wire = { ProjectId: input.projectId };
  if (input.sampleSheet !== undefined) json.SampleSheet = input.sampleSheet;
  return appSessionOf(await http.call('POST', `runs/${enc(runId)}/demultiplex`, { json, signal }));
}

/** How often a wait polls by default: a demux of a MiSeq run takes minutes; 2 s looks live. */
export const DEFAULT_POLL_MS = 2000;

/**
 * Polls `appsessions/{id}` until its status is one of SETTLED_STATUSES; resolves with it.
 * `onStatus` sees every answer (for a progress line). Network errors are retried by the
 * transport; a 404 is thrown at once.
 */
export async function awaitAppSession(
  http: HttpTransport,
  id: string,
  options: {
    intervalMs?: number;
    signal?: AbortSignal;
    onStatus?: (s: AppSessionState) => void;
  } = {},
): Promise<AppSessionState> {
  for (;;) {
    const state = await getAppSession(http, id, options.signal);
    options.onStatus?.(state);
    if ((SETTLED_STATUSES as readonly string[]).includes(state.status)) return state;
    await sleep(options.intervalMs ?? DEFAULT_POLL_MS, options.signal);
  }
}

/**
 * `GET files/{id}/content` with the token (no redirect), the bytes `start` to `end` inclusive
 * when given (HTTP Range). Throws ApiError unless the hub answers 200 or 206 as asked.
 */
export async function fetchContent(
  http: HttpTransport,
  fileId: string,
  range?: { start: number; end: number },
  signal?: AbortSignal,
): Promise<Response> {
  const res = await http.send('GET', `files/${enc(fileId)}/content`, {
    idempotent: true,
    signal,
    ...(range && { headers: { Range: `bytes=${range.start}-${range.end}` } }),
  });
  if (res.status === (range ? 206 : 200)) return res;
  const text = await res.text().catch(() => '');
  if (res.ok)
    throw new ApiError(res.status, `HTTP${res.status}`, `unexpected ${res.status} for a range`);
  throw apiErrorOf(res.status, text);
}
