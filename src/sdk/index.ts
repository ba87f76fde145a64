/**
 * The seqhub SDK: a typed client of the BaseSpace v1pre3 API as seqhub serves it. Browser-safe
 * (fetch, Blob, AbortSignal only); Node helpers that read local files are in `seqhub/node`.
 */
export {
  SeqhubClient,
  type FileListOptions,
  type ListOptions,
  type ListQuery,
  type Ownership,
  type ProjectListOptions,
  type PropertyFilter,
  type PropertyOwnerKind,
  type Resource,
  type ResourceRef,
  type RunListOptions,
  type SearchOptions,
  type SeqhubClientOptions,
  type ShareableRef,
  type StatusListOptions,
} from './client.js';
export { ApiError, NetworkError, isAbortError } from './errors.js';
export { HttpTransport, type ClientOptions, type RequestOptions } from './http.js';
export { RateLimiter, mapConcurrent } from './limits.js';
export { MAX_PAGE_SIZE, collect, paginate } from './paging.js';
export { DEFAULT_RETRY, backoffDelay, parseRetryAfter, type RetryPolicy } from './retry.js';
export { camelize } from './types.js';
export type {
  AppResult,
  AppSession,
  Collaborator,
  DeviceAuthorization,
  Extra,
  FilePart,
  Genome,
  HubFile,
  Page,
  Project,
  Property,
  PropertyInput,
  PropertyItem,
  Run,
  RunStatus,
  Sample,
  SearchHit,
  ShareAccess,
  ShareLink,
  TokenGrant,
  UploadStatus,
  User,
  UserRef,
} from './types.js';
export {
  DEFAULT_PART_SIZE,
  MAX_PARTS,
  PART_CONCURRENCY,
  type FileParentRef,
  type ProgressCallback,
  type UploadOptions,
} from './upload.js';
export {
  DEFAULT_POLL_MS,
  SETTLED_STATUSES,
  awaitAppSession,
  createHolder,
  fetchContent,
  getAppSession,
  getHolder,
  getProjectName,
  holderFiles,
  projectHolders,
  setAppSessionStatus,
  startDemultiplex,
  type AppSessionState,
  type FileHolder,
} from './transfer.js';
