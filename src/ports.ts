import type {
  AccessToken,
  AppResult,
  AppSession,
  AppSessionStatus,
  Genome,
  Page,
  PageRequest,
  Project,
  ResourceReference,
  Run,
  Sample,
  User,
} from './domain/index.js';

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

export type NewRun = Omit<Run, 'id' | 'owner' | 'createdAt' | 'modifiedAt'>;

export interface RunFilter {
  statuses?: readonly string[] | undefined;
  ids?: readonly string[] | undefined;
  instrumentType?: string | undefined;
  flowcellBarcode?: string | undefined;
  reagentBarcode?: string | undefined;
}

export interface RunRepository {
  create(input: NewRun): Promise<Run>;
  findById(id: string): Promise<Run | undefined>;
  listByOwner(ownerId: string, filter: RunFilter, page: PageRequest<RunSort>): Promise<Page<Run>>;
}

export interface GenomeRepository {
  findById(id: string): Promise<Genome | undefined>;
  list(page: PageRequest<GenomeSort>): Promise<Page<Genome>>;
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
  /** Runs `work` in one database transaction: all of its writes land, or none. */
  transaction<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
}

export interface Clock {
  now(): Date;
}
