import type { Readable } from 'node:stream';
import type {
  AccessToken,
  AuthorizationCode,
  DeviceAuthorization,
  DeviceStatus,
  OAuthClient,
  FileParent,
  FilePart,
  FileRecord,
  IndexStatus,
  PropertyInput,
  PropertyMatch,
  PropertyOwner,
  PropertyRecord,
  UploadStatus,
  AppResult,
  AppSession,
  AppSessionStatus,
  Genome,
  GenomeSequenceStatus,
  Page,
  PageRequest,
  Project,
  ResourceReference,
  Run,
  RunDetails,
  Sample,
  User,
  AuditEvent,
  AuditRecord,
  Share,
  ShareLevel,
  ShareLink,
  ShareableKind,
} from './domain/index.js';
import type { SearchKind, SearchQuery } from './domain/search.js';

/**
 * The interfaces with more than one real implementation. Repositories are implemented once over
 * Kysely and run on SQLite and PostgreSQL; test/contract runs one suite against both.
 */

export type ProjectSort = 'Id' | 'Name' | 'DateCreated';
export type RunSort =
  'Id' | 'DateCreated' | 'DateModified' | 'ExperimentName' | 'Status' | 'TotalSize';
export type GenomeSort = 'Id' | 'SpeciesName' | 'Build';

export interface UserRepository {
  create(input: { email: string; name: string; isAdmin: boolean }): Promise<User>;
  findById(id: string): Promise<User | undefined>;
  findByEmail(email: string): Promise<User | undefined>;
  count(): Promise<number>;
  touch(id: string, at: string): Promise<void>;
}

export interface TokenRepository {
  create(input: {
    userId: string;
    tokenHash: string;
    scope: string;
    clientRef?: string | undefined;
    expiresAt?: string | undefined;
  }): Promise<AccessToken>;
  /** The token and its user, when the token exists and is not revoked (expiry: the caller's). */
  findByHash(tokenHash: string): Promise<{ token: AccessToken; user: User } | undefined>;
  /** Revokes one token by hash or id; returns its id when it was live. */
  revoke(by: { hash: string } | { id: string }, at: string): Promise<string | undefined>;
  /** Revokes every live token of a client (of one user only, when given); returns their ids. */
  revokeByClient(clientRef: string, at: string, userId?: string): Promise<string[]>;
}

/** Registered OAuth clients and the short-lived grants of both flows (migration 0008). */
export interface OAuthRepository {
  createClient(input: {
    clientId: string;
    secretHash: string;
    name: string;
    redirectUris: readonly string[];
  }): Promise<OAuthClient>;
  findClient(clientId: string): Promise<{ client: OAuthClient; secretHash: string } | undefined>;
  findClientByRef(id: string): Promise<OAuthClient | undefined>;
  listClients(): Promise<OAuthClient[]>;
  /** Deletes the client and its pending codes; returns false when there was none. */
  deleteClient(clientId: string): Promise<boolean>;

  createCode(input: Omit<AuthorizationCode, 'usedAt'> & { codeHash: string }): Promise<void>;
  /**
   * Marks the code used and returns it, in one conditional statement, so a code can be
   * exchanged once even under concurrent requests; undefined when unknown or already used.
   */
  useCode(codeHash: string, at: string): Promise<AuthorizationCode | undefined>;

  createDevice(input: {
    deviceCodeHash: string;
    userCode: string;
    clientRef: string;
    scope: string;
    intervalSeconds: number;
    expiresAt: string;
  }): Promise<DeviceAuthorization>;
  findDeviceByHash(deviceCodeHash: string): Promise<DeviceAuthorization | undefined>;
  findDeviceByUserCode(userCode: string): Promise<DeviceAuthorization | undefined>;
  /** Records the time of a poll (slow_down compares the next one with it). */
  touchDevice(id: string, at: string): Promise<void>;
  /** Moves the device authorization from `from` to `to` in one conditional statement. */
  transitionDevice(
    id: string,
    from: DeviceStatus,
    to: DeviceStatus,
    userId?: string,
  ): Promise<boolean>;
}

/** Local passwords and browser sessions (migration 0008). */
export interface WebAuthRepository {
  passwordHash(userId: string): Promise<string | undefined>;
  setPassword(userId: string, hash: string, at: string): Promise<void>;
  createSession(input: { idHash: string; userId: string; expiresAt: string }): Promise<void>;
  /** The session's user, when the session exists and has not expired at `now`. */
  findSession(idHash: string, now: string): Promise<User | undefined>;
  deleteSession(idHash: string): Promise<void>;
}

/**
 * Whose rights a list or search is filtered by: a user (what they own and what is shared with
 * them), or a share link (its one project). See adapters/db/repositories/visibility.ts.
 */
export type Viewer = { kind: 'user'; userId: string } | { kind: 'link'; projectId: string };

/** `all` (default): owned and shared; `owned`; `shared`: shared with the viewer by others. */
export type Ownership = 'all' | 'owned' | 'shared';

export interface ProjectFilter {
  /** Exact name match (the SDK's getUserProjectByName). */
  name?: string | undefined;
  /** Restrict to these ids (a token scoped to some projects only). */
  ids?: readonly string[] | undefined;
  property?: PropertyMatch | undefined;
  ownership?: Ownership | undefined;
}

export interface ProjectRepository {
  /** Inserts, or returns undefined when the owner already has a project of that name. */
  insert(input: {
    ownerId: string;
    name: string;
    description: string;
  }): Promise<Project | undefined>;
  findById(id: string): Promise<Project | undefined>;
  /** Those of `ids` that exist, in any order. */
  findByIds(ids: readonly string[]): Promise<Project[]>;
  findByOwnerAndName(ownerId: string, name: string): Promise<Project | undefined>;
  /** Projects the viewer may see (owned and shared with them), by the one visibility rule. */
  listVisible(
    viewer: Viewer,
    filter: ProjectFilter,
    page: PageRequest<ProjectSort>,
  ): Promise<Page<Project>>;
  /**
   * Gives the project from `fromOwnerId` to `newOwnerId`: `name-taken` when they already have a
   * project of that name (on PostgreSQL the transaction is then aborted: throw), `stale` when
   * `fromOwnerId` no longer owns it (a racing transfer won).
   */
  setOwner(
    id: string,
    fromOwnerId: string,
    newOwnerId: string,
  ): Promise<'moved' | 'name-taken' | 'stale'>;
}

export interface AppSessionFilter {
  statuses?: readonly AppSessionStatus[] | undefined;
  /** Only sessions whose project is one of these (a project-scoped token). */
  projectIds?: readonly string[] | undefined;
  property?: PropertyMatch | undefined;
}

export interface AppSessionRepository {
  create(input: {
    ownerId: string;
    applicationId: string;
    name: string;
    projectId: string | undefined;
  }): Promise<AppSession>;
  findById(id: string): Promise<AppSession | undefined>;
  /** Reads the session and, inside a transaction on PostgreSQL, locks its row until commit. */
  findForUpdate(id: string): Promise<AppSession | undefined>;
  findByIds(ids: readonly string[]): Promise<AppSession[]>;
  /**
   * Applies the patch unless the session is already final (Complete, Aborted); returns the
   * updated session, or undefined when it was final. The check and the write are one statement.
   */
  update(
    id: string,
    patch: { status?: AppSessionStatus; statusSummary?: string; projectId?: string },
  ): Promise<AppSession | undefined>;
  listByOwner(
    ownerId: string,
    filter: AppSessionFilter,
    page: PageRequest<ProjectSort>,
  ): Promise<Page<AppSession>>;
}

export interface NewAppResult {
  projectId: string;
  ownerId: string;
  appSessionId: string;
  name: string;
  description: string;
  genomeId: string | undefined;
  references: ResourceReference[];
}

export interface AppResultRepository {
  create(input: NewAppResult): Promise<AppResult>;
  findById(id: string): Promise<AppResult | undefined>;
  findByIds(ids: readonly string[]): Promise<AppResult[]>;
  listByProject(
    projectId: string,
    filter: {
      statuses?: readonly AppSessionStatus[] | undefined;
      property?: PropertyMatch | undefined;
    },
    page: PageRequest<ProjectSort>,
  ): Promise<Page<AppResult>>;
  listByAppSession(appSessionId: string, page: PageRequest<ProjectSort>): Promise<Page<AppResult>>;
}

export type NewSample = Omit<
  Sample,
  'id' | 'owner' | 'status' | 'statusSummary' | 'createdAt' | 'modifiedAt' | 'totalSize'
>;

export interface SampleRepository {
  create(input: NewSample): Promise<Sample>;
  findById(id: string): Promise<Sample | undefined>;
  findByIds(ids: readonly string[]): Promise<Sample[]>;
  listByProject(
    projectId: string,
    page: PageRequest<ProjectSort>,
    filter?: { property?: PropertyMatch | undefined },
  ): Promise<Page<Sample>>;
}

export type NewRun = Omit<Run, 'id' | 'owner' | 'createdAt' | 'modifiedAt' | 'details'> & {
  details?: RunDetails | undefined;
};

/** What ingest sets on a run once its folder is read (all in one statement). */
export type RunPatch = Partial<
  Pick<
    Run,
    | 'name'
    | 'experimentName'
    | 'number'
    | 'status'
    | 'platformName'
    | 'instrumentName'
    | 'instrumentType'
    | 'instrumentSerialNumber'
    | 'flowcellBarcode'
    | 'reagentBarcode'
    | 'workflow'
    | 'numCyclesRead1'
    | 'numCyclesRead2'
    | 'numCyclesIndex1'
    | 'numCyclesIndex2'
    | 'uploadCompletedAt'
    | 'details'
  >
> & { sequencingStats?: unknown };

export interface RunFilter {
  statuses?: readonly string[] | undefined;
  ids?: readonly string[] | undefined;
  ownership?: Ownership | undefined;
  instrumentType?: string | undefined;
  flowcellBarcode?: string | undefined;
  reagentBarcode?: string | undefined;
  property?: PropertyMatch | undefined;
}

export interface RunRepository {
  create(input: NewRun): Promise<Run>;
  /** A visible run; one still `Importing` only when `includeImporting` is set. */
  findById(id: string, options?: { includeImporting?: boolean }): Promise<Run | undefined>;
  findByIds(ids: readonly string[]): Promise<Run[]>;
  /** Applies the patch when the run's status is `fromStatus`; returns the run, or undefined. */
  update(id: string, fromStatus: string, patch: RunPatch): Promise<Run | undefined>;
  /** The stored InterOp summary (JSON as written at ingest), if any. */
  sequencingStats(id: string): Promise<unknown>;
  /** Removes a run that never became visible (a failed import). */
  deleteImporting(id: string): Promise<void>;
  /** Runs the viewer may see (owned and shared with them), by the one visibility rule. */
  listVisible(viewer: Viewer, filter: RunFilter, page: PageRequest<RunSort>): Promise<Page<Run>>;
  /** As for projects (run names need not be unique). */
  setOwner(id: string, fromOwnerId: string, newOwnerId: string): Promise<'moved' | 'stale'>;
}

/** Who a project or run is shared with (table `shares`, migration 0007). */
export interface ShareRepository {
  /** The user's level on the resource, if it is shared with them (one indexed lookup). */
  level(kind: ShareableKind, resourceId: string, userId: string): Promise<ShareLevel | undefined>;
  list(kind: ShareableKind, resourceId: string, page: PageRequest<'Id'>): Promise<Page<Share>>;
  /** Creates or changes the user's share; returns it. */
  put(kind: ShareableKind, resourceId: string, userId: string, level: ShareLevel): Promise<Share>;
  /** Removes it; false when there was none. */
  remove(kind: ShareableKind, resourceId: string, userId: string): Promise<boolean>;
}

/** Read-only share links of projects (table `share_links`). */
export interface ShareLinkRepository {
  create(input: {
    projectId: string;
    tokenHash: string;
    createdBy: string;
    label: string;
  }): Promise<ShareLink>;
  /** The active link with this token hash. */
  findActiveByHash(tokenHash: string): Promise<ShareLink | undefined>;
  list(projectId: string, page: PageRequest<'Id'>): Promise<Page<ShareLink>>;
  /** Deactivates the project's link; returns it with its token hash, or undefined if unknown. */
  deactivate(
    projectId: string,
    linkId: string,
  ): Promise<{ link: ShareLink; tokenHash: string } | undefined>;
}

/**
 * The audit log (issue 4): sharing changes, links, tokens, downloads, and (later) OAuth grants.
 * `record` is called in the writer's transaction where there is one, so a change and its event
 * land together.
 */
export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
  /** Events readable by the owner of the project or run, newest first. */
  list(
    scope: { kind: ShareableKind; id: string },
    page: { offset: number; limit: number },
  ): Promise<Page<AuditRecord>>;
}

export interface GenomeRepository {
  findById(id: string): Promise<Genome | undefined>;
  list(page: PageRequest<GenomeSort>): Promise<Page<Genome>>;
  /** Adds a genome with a sequence (status `indexing`); `sequenceKey` names its blob prefix. */
  createWithSequence(input: {
    speciesName: string;
    source: string;
    build: string;
    displayName: string;
    sequenceKey: (id: string) => string;
  }): Promise<Genome>;
  setSequenceStatus(
    id: string,
    status: GenomeSequenceStatus,
    message: string | undefined,
  ): Promise<void>;
}

/** The log lines of app AppSessions (issue 12), numbered from 0 by their one writer. */
export interface AppSessionLogRepository {
  append(appSessionId: string, firstSeq: number, lines: readonly string[]): Promise<void>;
  read(appSessionId: string, fromSeq?: number, limit?: number): Promise<string[]>;
  /** The number the next line gets (0 for an empty log). */
  next(appSessionId: string): Promise<number>;
}

export type FileSort = 'Id' | 'Path' | 'DateCreated' | 'Name';

export interface FileFilter {
  /** Lower-case suffixes with their dot, e.g. ['.bam', '.vcf.gz']. */
  extensions?: readonly string[] | undefined;
  /** Files in this directory or below it. */
  directory?: string | undefined;
  property?: PropertyMatch | undefined;
}

export type NewFile = Pick<
  FileRecord,
  | 'parentKind'
  | 'parentId'
  | 'ownerId'
  | 'projectId'
  | 'name'
  | 'directory'
  | 'path'
  | 'contentType'
  | 'multipart'
>;

export interface FileRepository {
  /** A new, invisible (`pending`) file. */
  create(input: NewFile): Promise<FileRecord>;
  findById(id: string): Promise<FileRecord | undefined>;
  findByIds(ids: readonly string[]): Promise<FileRecord[]>;
  /** Complete files of one parent. */
  list(
    parent: FileParent,
    parentId: string,
    filter: FileFilter,
    page: PageRequest<FileSort>,
  ): Promise<Page<FileRecord>>;
  /**
   * Moves the file from `from` to the patch's status in one conditional statement; returns the
   * updated file, or undefined when it was not in `from` any more (a racing request won).
   */
  transition(
    id: string,
    from: UploadStatus | 'assembling',
    patch: {
      uploadStatus: UploadStatus | 'assembling';
      size?: number;
      md5?: string;
      sha256?: string;
      crc32?: string;
      storageKey?: string;
      /** Set with the completion of a VCF/BAM: `pending` until the indexer is done (issue 7). */
      indexStatus?: IndexStatus;
    },
  ): Promise<FileRecord | undefined>;
  /** Adds `delta` bytes to the TotalSize of the file's parent and of its project. */
  addToParentSize(file: FileRecord, delta: number): Promise<void>;
  /** Records a part; returns the storage key of the part it replaced, if any (last one wins). */
  putPart(fileId: string, part: FilePart): Promise<string | undefined>;
  listParts(fileId: string): Promise<FilePart[]>;
  deleteParts(fileId: string): Promise<void>;
  /** Files in `status` not modified since `before` (for the sweeper). */
  stale(
    status: UploadStatus | 'assembling',
    before: string,
    multipart: boolean | undefined,
    limit: number,
  ): Promise<FileRecord[]>;
  delete(id: string): Promise<void>;
  /**
   * Records the indexing state (issue 7); with `from`, only when it is still `from` (so a slow
   * indexer cannot overwrite a newer verdict). Returns whether the row changed.
   */
  setIndexStatus(
    id: string,
    status: IndexStatus,
    message: string | undefined,
    from?: IndexStatus,
  ): Promise<boolean>;
  /** Complete files whose indexing is pending (for a starting hub to resume). */
  listIndexPending(limit: number): Promise<FileRecord[]>;
}

export interface PropertyRepository {
  list(
    owner: PropertyOwner,
    ownerId: string,
    page: PageRequest<'Name'>,
  ): Promise<Page<PropertyRecord>>;
  get(owner: PropertyOwner, ownerId: string, name: string): Promise<PropertyRecord | undefined>;
  count(owner: PropertyOwner, ownerId: string): Promise<number>;
  /** Which of `names` the resource already has. */
  existingNames(owner: PropertyOwner, ownerId: string, names: readonly string[]): Promise<string[]>;
  /** Creates or replaces each property whole (spec 5.3), in the caller's transaction. */
  upsert(
    owner: PropertyOwner,
    ownerId: string,
    inputs: readonly PropertyInput[],
    userId: string,
  ): Promise<PropertyRecord[]>;
  delete(owner: PropertyOwner, ownerId: string, name: string): Promise<boolean>;
}

// --- Search (issue 5): see src/adapters/db/repositories/search.repository.ts ---------------
export type SearchSort = 'Score' | 'Name' | 'DateCreated';

/** Which hits a token may see besides owning them: everything, or these ids only. */
export type SearchAccess =
  | { global: true }
  | {
      global: false;
      projectIds: readonly string[];
      runIds: readonly string[];
      sampleIds: readonly string[];
      appResultIds: readonly string[];
    };

export interface SearchHit {
  kind: SearchKind;
  id: string;
  score: number;
}

export interface SearchRepository {
  /**
   * Rewrites the index row of one resource from its current row and properties (removes it when
   * the resource is gone or, for a file, not complete). Call it in the writer's transaction.
   */
  reindex(kind: 'project' | 'sample' | 'appresult' | 'run' | 'file', id: string): Promise<void>;
  search(
    query: SearchQuery,
    filter: { viewer: Viewer; kinds: readonly SearchKind[]; access: SearchAccess },
    page: PageRequest<SearchSort>,
  ): Promise<Page<SearchHit>>;
}
// ---------------------------------------------------------------------------------------------

export interface SettingsRepository {
  get(key: string): Promise<string | undefined>;
  /** Stores `value` unless the key exists; returns the value that is stored. */
  putIfAbsent(key: string, value: string): Promise<string>;
}

export interface Repositories {
  users: UserRepository;
  tokens: TokenRepository;
  projects: ProjectRepository;
  appSessions: AppSessionRepository;
  appResults: AppResultRepository;
  samples: SampleRepository;
  runs: RunRepository;
  genomes: GenomeRepository;
  appSessionLogs: AppSessionLogRepository;
  files: FileRepository;
  settings: SettingsRepository;
  properties: PropertyRepository;
  search: SearchRepository;
  oauth: OAuthRepository;
  webAuth: WebAuthRepository;
  shares: ShareRepository;
  shareLinks: ShareLinkRepository;
  audit: AuditLog;
  /** Runs `work` in one database transaction: all of its writes land, or none. */
  transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
}

export interface Clock {
  now(): Date;
}

/** Inclusive byte range, 0-based (HTTP Range semantics). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where file bytes live: the data dir, or an S3-compatible bucket. Keys are opaque paths chosen by
 * the services. An object becomes visible at its key only once it is completely written.
 */
export interface BlobStore {
  readonly kind: 'local' | 's3';
  /** Writes the whole stream to `key`, replacing any object there; resolves to the bytes written. */
  write(
    key: string,
    source: Readable,
    options?: { signal?: AbortSignal | undefined },
  ): Promise<number>;
  /** Streams the object, or the inclusive range of it. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /**
   * The inclusive range of the object, in memory (shorter when the object ends first); a missing
   * object rejects. For small random reads (index and block lookups of region queries): the
   * bytes come back in a fresh buffer of their own (`byteOffset` 0), without a stream.
   */
  readRange(key: string, range: ByteRange): Promise<Buffer>;
  /**
   * {@link readRange} done at once, on the calling thread, when the store can do that cheaply:
   * the local store does for ranges of at most 512 KiB of an object it has read lately (its file
   * already open). Undefined when it cannot (S3, a larger range, an object
   * not open): the caller then awaits {@link readRange}. For the small reads of region queries,
   * where a trip through the thread pool cost more than the read and let other requests in
   * between a query's steps (bench/genomics).
   */
  readRangeNow?(key: string, range: ByteRange): Buffer | undefined;
  /** Deletes objects; missing keys are not an error. */
  delete(keys: readonly string[]): Promise<void>;
  /** Keys under `prefix` last modified before `before` (for the sweeper). */
  listOlderThan(prefix: string, before: Date): Promise<string[]>;
  /**
   * A URL that serves the object without credentials until `expiresAt`, when the store can make
   * one itself (S3 pre-signed URLs); undefined when the hub must sign its own URL.
   */
  presignedUrl(
    key: string,
    options: { expiresInSeconds: number; fileName: string; contentType: string },
  ): Promise<string | undefined>;
  /** Rejects when the store cannot be reached or written (for `/readyz` and `admin check`). */
  check(signal?: AbortSignal): Promise<void>;
}

/**
 * Read access to a run folder by paths relative to its root (`Data/Intensities/BaseCalls/...`):
 * local disk now, the blob store once runs are uploaded.
 */
export interface RunFolderReader {
  /** The file's size in bytes, or undefined when there is no such file. */
  size(path: string, signal?: AbortSignal): Promise<number | undefined>;
  /** The whole file, or the inclusive byte range of it; a missing file rejects. */
  read(path: string, range?: ByteRange, signal?: AbortSignal): Promise<Uint8Array>;
  /**
   * Optional: reads the inclusive range into `into` from its start and resolves with the bytes
   * read (fewer at the end of the file), so a caller can fill memory it reuses.
   */
  readInto?(
    path: string,
    range: ByteRange,
    into: Uint8Array,
    signal?: AbortSignal,
  ): Promise<number>;
}

/** Where demultiplexing writes its outputs: files appended to in order, then committed. */
export interface DemuxSink {
  /** Appends bytes (or pieces of bytes, in order) to the named output file, creating it on first use. */
  append(
    name: string,
    bytes: Uint8Array | readonly Uint8Array[],
    signal?: AbortSignal,
  ): Promise<void>;
}

// --- Jobs (issue 6): see src/adapters/queue/embedded.queue.ts ---------------------------------
/** A job's life: queued -> active -> completed | failed | cancelled (active -> queued on a crash). */
export type JobState = 'queued' | 'active' | 'completed' | 'failed' | 'cancelled';

export interface JobRecord {
  id: string;
  name: string;
  payload: unknown;
  state: JobState;
  singletonKey: string | undefined;
  /** Times the job was started (a crashed worker's attempt counts). */
  attempts: number;
  maxAttempts: number;
  /** The last progress the handler reported (JSON). */
  progress: unknown;
  error: string | undefined;
  createdAt: string;
  startedAt: string | undefined;
  finishedAt: string | undefined;
}

export interface EnqueueOptions {
  /** At most one queued or active job of this name per key (pg-boss's `singletonKey`). */
  singletonKey?: string | undefined;
  /** Attempts before a job whose workers keep dying is given up (default 3). */
  maxAttempts?: number | undefined;
}

export interface JobContext {
  id: string;
  /** 1 on the first run; a job re-run after a worker crash starts again from scratch. */
  attempt: number;
  /** Aborted when the job is cancelled, its lease is lost, or the queue stops. */
  signal: AbortSignal;
  /** Saves the handler's progress (JSON) on the job; also proves the worker is alive. */
  progress(value: unknown): Promise<void>;
}

export interface JobHandler {
  /** Does the job. A throw marks it `failed` (no retry: a job that fails will fail again). */
  run(payload: unknown, context: JobContext): Promise<void>;
  /** Called once when a job is given up after `maxAttempts` crashed attempts. */
  abandoned?(payload: unknown, reason: string): Promise<void>;
}

/**
 * Background jobs by name, shaped after pg-boss (issue 10 adds that adapter): enqueue with an
 * optional singleton key, workers started with one handler per job name. Jobs are at-least-once:
 * a job whose worker died (its lease expired) runs again from scratch, so handlers stage their
 * outputs and commit them in one step.
 */
export interface JobQueue {
  /** Queues a job; undefined when a job with the same singleton key is already queued or active. */
  enqueue(name: string, payload: unknown, options?: EnqueueOptions): Promise<string | undefined>;
  /** Starts workers in this process for the named handlers. */
  start(handlers: Readonly<Record<string, JobHandler>>): Promise<void>;
  /** Cancels a queued or active job (an active one sees its signal aborted); false when it was not. */
  cancel(jobId: string): Promise<boolean>;
  get(jobId: string): Promise<JobRecord | undefined>;
  /** Stops taking jobs; running ones are aborted and put back in the queue for another worker. */
  stop(): Promise<void>;
  /** Rejects when the queue's store cannot be reached (for `/readyz` and `admin check`). */
  check(signal?: AbortSignal): Promise<void>;
}

/** A demultiplexing job's outputs before they are committed: a DemuxSink that can be read back. */
export interface StagingArea extends DemuxSink {
  /** Every staged file (relative name, bytes), in name order. */
  list(): Promise<{ name: string; size: number }[]>;
  open(name: string): Promise<Readable>;
  /** Deletes the area and everything in it. */
  remove(): Promise<void>;
}

/** Where staging areas live (a folder under the data dir for every storage kind). */
export interface Staging {
  /** A fresh, empty area for `key`; whatever an earlier attempt left under that key is removed. */
  open(key: string): Promise<StagingArea>;
}

// --- Apps (issue 12): see src/adapters/runner/local.sandbox.ts -------------------------------
/** Limits and environment of one app process tree. */
export interface ExecOptions {
  /** The whole environment the process sees (the sandbox adds PATH, HOME, TMPDIR, LC_ALL). */
  env: Readonly<Record<string, string>>;
  /** Wall-clock limit: past it the process tree is killed. */
  timeLimitMs: number;
  /** Address-space limit of each process (RLIMIT_AS). */
  memoryBytes: number;
  /** Aborting kills the process tree. */
  signal: AbortSignal;
  /** Each line the processes write to stdout or stderr, in order. */
  onLine(line: string): void;
}

export interface ExecResult {
  exitCode: number | null;
  /** The signal that ended the shell, if any. */
  exitSignal: string | null;
  timedOut: boolean;
  aborted: boolean;
}

/** A private working folder of one app run; paths are relative to it, `/`-separated. */
export interface AppWorkspace {
  /** Copies a stream into a file (folders made as needed); returns the bytes written. */
  write(path: string, source: Readable, signal?: AbortSignal): Promise<number>;
  /** Files below a folder, recursively, with paths relative to that folder, sorted. */
  list(folder: string): Promise<{ name: string; size: number }[]>;
  open(path: string): Promise<Readable>;
  /** Runs a bash script in the folder, in its own process group, with the given limits. */
  exec(script: string, options: ExecOptions): Promise<ExecResult>;
  remove(): Promise<void>;
}

export interface AppSandbox {
  /** A fresh, empty working folder for `key` (letters, digits, `-`, `_`). */
  open(key: string): Promise<AppWorkspace>;
}
