import type { Readable } from 'node:stream';
import type {
  AccessToken,
  FileParent,
  FilePart,
  FileRecord,
  PropertyInput,
  PropertyOwner,
  PropertyRecord,
  UploadStatus,
  AppResult,
  AppSession,
  AppSessionStatus,
  Genome,
  Page,
  PageRequest,
  Project,
  ResourceReference,
  Run,
  RunDetails,
  Sample,
  User,
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
  create(input: { userId: string; tokenHash: string; scope: string }): Promise<AccessToken>;
  /** The token and its user, when the token exists and is not revoked. */
  findByHash(tokenHash: string): Promise<{ token: AccessToken; user: User } | undefined>;
}

export interface ProjectFilter {
  /** Exact name match (the SDK's getUserProjectByName). */
  name?: string | undefined;
  /** Restrict to these ids (a token scoped to some projects only). */
  ids?: readonly string[] | undefined;
}

export interface ProjectRepository {
  /** Inserts, or returns undefined when the owner already has a project of that name. */
  insert(input: {
    ownerId: string;
    name: string;
    description: string;
  }): Promise<Project | undefined>;
  findById(id: string): Promise<Project | undefined>;
  findByOwnerAndName(ownerId: string, name: string): Promise<Project | undefined>;
  listByOwner(
    ownerId: string,
    filter: ProjectFilter,
    page: PageRequest<ProjectSort>,
  ): Promise<Page<Project>>;
}

export interface AppSessionFilter {
  statuses?: readonly AppSessionStatus[] | undefined;
  /** Only sessions whose project is one of these (a project-scoped token). */
  projectIds?: readonly string[] | undefined;
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
  listByProject(
    projectId: string,
    filter: { statuses?: readonly AppSessionStatus[] | undefined },
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
  listByProject(projectId: string, page: PageRequest<ProjectSort>): Promise<Page<Sample>>;
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
  instrumentType?: string | undefined;
  flowcellBarcode?: string | undefined;
  reagentBarcode?: string | undefined;
}

export interface RunRepository {
  create(input: NewRun): Promise<Run>;
  /** A visible run; one still `Importing` only when `includeImporting` is set. */
  findById(id: string, options?: { includeImporting?: boolean }): Promise<Run | undefined>;
  /** Applies the patch when the run's status is `fromStatus`; returns the run, or undefined. */
  update(id: string, fromStatus: string, patch: RunPatch): Promise<Run | undefined>;
  /** The stored InterOp summary (JSON as written at ingest), if any. */
  sequencingStats(id: string): Promise<unknown>;
  /** Removes a run that never became visible (a failed import). */
  deleteImporting(id: string): Promise<void>;
  listByOwner(ownerId: string, filter: RunFilter, page: PageRequest<RunSort>): Promise<Page<Run>>;
}

export interface GenomeRepository {
  findById(id: string): Promise<Genome | undefined>;
  list(page: PageRequest<GenomeSort>): Promise<Page<Genome>>;
}

export type FileSort = 'Id' | 'Path' | 'DateCreated' | 'Name';

export interface FileFilter {
  /** Lower-case suffixes with their dot, e.g. ['.bam', '.vcf.gz']. */
  extensions?: readonly string[] | undefined;
  /** Files in this directory or below it. */
  directory?: string | undefined;
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
      storageKey?: string;
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
    filter: { ownerId: string; kinds: readonly SearchKind[]; access: SearchAccess },
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
  files: FileRepository;
  settings: SettingsRepository;
  properties: PropertyRepository;
  search: SearchRepository;
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
}
