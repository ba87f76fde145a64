import { ApiError } from './errors.js';
import { HttpTransport, type ClientOptions } from './http.js';
import { RateLimiter } from './limits.js';
import { MAX_PAGE_SIZE, paginate } from './paging.js';
import { sleep } from './retry.js';
import {
  camelize,
  fromAppResult,
  fromAppSession,
  fromCollaborator,
  fromDeviceAuthorization,
  fromFile,
  fromGenome,
  fromPage,
  fromPart,
  fromProject,
  fromProperty,
  fromRun,
  fromSample,
  fromSearchHit,
  fromShareLink,
  fromTokenGrant,
  fromUser,
  toProperty,
  type AppResult,
  type AppSession,
  type Collaborator,
  type DeviceAuthorization,
  type FilePart,
  type Genome,
  type HubFile,
  type Page,
  type Project,
  type Property,
  type PropertyInput,
  type PropertyItem,
  type Run,
  type Sample,
  type SearchHit,
  type ShareAccess,
  type ShareLink,
  type TokenGrant,
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

/** Property filters every resource list takes (spec 5.4: `PropertyName`, `PropertyValue`). */
export interface PropertyFilter {
  propertyName?: string;
  propertyValue?: string;
}

/** `All` (default): owned and shared with the caller; `Owned`; `Shared`. */
export type Ownership = 'All' | 'Owned' | 'Shared';

export interface ProjectListOptions extends ListOptions, PropertyFilter {
  /** Exact project name. */
  name?: string;
  ownership?: Ownership;
}

export interface StatusListOptions extends ListOptions, PropertyFilter {
  statuses?: string[];
}

export interface RunListOptions extends StatusListOptions {
  ownership?: Ownership;
}

/** What a list of files can be narrowed to. */
export interface FileListOptions extends ListOptions, PropertyFilter {
  /** `.bam`, `.vcf.gz`, ... */
  extensions?: string[];
  directory?: string;
}

/** The resources that carry properties (and the path segment that names them). */
export type PropertyOwnerKind =
  'projects' | 'runs' | 'samples' | 'appresults' | 'appsessions' | 'files';

/** A resource that carries properties: `{ kind: 'projects', id: '12' }`. */
export interface ResourceRef {
  kind: PropertyOwnerKind;
  id: string;
}

/** The resources that can be shared with other users. */
export interface ShareableRef {
  kind: 'projects' | 'runs';
  id: string;
}

/** Search scopes: `projects`, `samples`, `appresults`, `runs`, `sample_files`, ... */
export interface SearchOptions extends ListOptions {
  scope?: string[];
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
    options: RunListOptions = {},
  ): Promise<Page<Run>> {
    return this.page('users/current/runs', offset, limit, options, fromRun, {
      Statuses: options.statuses?.join(','),
      Ownership: options.ownership,
    });
  }

  /** Every run of the caller, page after page as iterated. */
  listRuns(options: RunListOptions = {}): AsyncGenerator<Run> {
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

  /** One page of the complete files of a run, sample or app result. */
  async listFilesPage(
    parent: FileParentRef,
    offset: number,
    limit: number,
    options: FileListOptions = {},
  ): Promise<Page<HubFile>> {
    return this.page(`${parent.kind}/${enc(parent.id)}/files`, offset, limit, options, fromFile, {
      Extensions: options.extensions?.join(','),
      Directory: options.directory,
    });
  }

  /** Every complete file of a run, sample or app result. */
  listFiles(parent: FileParentRef, options: FileListOptions = {}): AsyncGenerator<HubFile> {
    return paginate((offset, limit) => this.listFilesPage(parent, offset, limit, options), options);
  }

  /** A run's complete files. */
  listRunFiles(runId: string, options: FileListOptions = {}): AsyncGenerator<HubFile> {
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

  // --- users and OAuth ------------------------------------------------------------------------

  /** `POST oauthv2/deviceauthorization` (spec 1.3.2): starts a device login for a client. */
  async startDeviceAuthorization(
    input: { clientId: string; scope: string },
    signal?: AbortSignal,
  ): Promise<DeviceAuthorization> {
    return fromDeviceAuthorization(
      await this.http.call('POST', 'oauthv2/deviceauthorization', {
        json: { client_id: input.clientId, scope: input.scope, response_type: 'device_code' },
        signal,
      }),
    );
  }

  /**
   * `POST oauthv2/token` with `grant_type=device`, once. Rejects with an ApiError whose
   * `errorCode` is `authorization_pending` or `slow_down` while the user has not decided
   * (`pollDeviceToken` loops over this), `access_denied` or `expired_token` when it is over.
   */
  async exchangeDeviceCode(
    input: { clientId: string; clientSecret?: string | undefined; deviceCode: string },
    signal?: AbortSignal,
  ): Promise<TokenGrant> {
    return fromTokenGrant(
      await this.http.call('POST', 'oauthv2/token', {
        json: {
          grant_type: 'device',
          client_id: input.clientId,
          // A public client (the hub's `seqhub-cli`) has no secret to send.
          ...(input.clientSecret !== undefined && { client_secret: input.clientSecret }),
          device_code: input.deviceCode,
        },
        signal,
      }),
    );
  }

  /**
   * Polls the token endpoint every `interval` seconds (5 more after each `slow_down`, RFC 8628
   * 3.5) until the user approves (the token), denies or the code expires (the ApiError).
   */
  async pollDeviceToken(
    input: { clientId: string; clientSecret?: string | undefined; device: DeviceAuthorization },
    signal?: AbortSignal,
  ): Promise<TokenGrant> {
    let intervalMs = Math.max(1, input.device.interval) * 1000;
    for (;;) {
      await sleep(intervalMs, signal);
      try {
        return await this.exchangeDeviceCode(
          {
            clientId: input.clientId,
            clientSecret: input.clientSecret,
            deviceCode: input.device.deviceCode,
          },
          signal,
        );
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (error.errorCode === 'slow_down') intervalMs += 5000;
        else if (error.errorCode !== 'authorization_pending') throw error;
      }
    }
  }

  /** `DELETE oauthv2/token/current`: revokes the token this client holds. */
  async revokeToken(signal?: AbortSignal): Promise<void> {
    await this.http.call('DELETE', 'oauthv2/token/current', { idempotent: true, signal });
  }

  // --- projects -------------------------------------------------------------------------------

  /** `GET users/current/projects`: one page of the caller's projects (owned and shared). */
  async listProjectsPage(
    offset: number,
    limit: number,
    options: ProjectListOptions = {},
  ): Promise<Page<Project>> {
    return this.page('users/current/projects', offset, limit, options, fromProject, {
      Name: options.name,
      Ownership: options.ownership,
    });
  }

  /** Every project of the caller, page after page as iterated. */
  listProjects(options: ProjectListOptions = {}): AsyncGenerator<Project> {
    return paginate((o, l) => this.listProjectsPage(o, l, options), options);
  }

  async getProject(id: string, signal?: AbortSignal): Promise<Project> {
    return fromProject(await this.get(`projects/${enc(id)}`, signal));
  }

  /** `POST projects`: a name the caller already has answers that project (spec 3.2). */
  async createProject(
    input: { name: string; description?: string },
    signal?: AbortSignal,
  ): Promise<Project> {
    const body: Wire = { Name: input.name };
    if (input.description !== undefined) body.Description = input.description;
    // Safe to repeat: the same name answers the same project.
    return fromProject(
      await this.http.call('POST', 'projects', { json: body, idempotent: true, signal }),
    );
  }

  // --- samples --------------------------------------------------------------------------------

  async listSamplesPage(
    projectId: string,
    offset: number,
    limit: number,
    options: ListOptions & PropertyFilter = {},
  ): Promise<Page<Sample>> {
    return this.page(`projects/${enc(projectId)}/samples`, offset, limit, options, fromSample);
  }

  /** Every sample of a project. */
  listSamples(
    projectId: string,
    options: ListOptions & PropertyFilter = {},
  ): AsyncGenerator<Sample> {
    return paginate((o, l) => this.listSamplesPage(projectId, o, l, options), options);
  }

  async getSample(id: string, signal?: AbortSignal): Promise<Sample> {
    return fromSample(await this.get(`samples/${enc(id)}`, signal));
  }

  /** `POST projects/{id}/samples`: a sample to upload files into (in a new AppSession). */
  async createSample(
    projectId: string,
    input: { name: string; sampleId?: string; description?: string; appSessionId?: string },
    signal?: AbortSignal,
  ): Promise<Sample> {
    const body: Wire = { Name: input.name, SampleId: input.sampleId ?? input.name };
    if (input.description !== undefined) body.Description = input.description;
    return fromSample(
      await this.http.call('POST', `projects/${enc(projectId)}/samples`, {
        json: body,
        query: { appsessionid: input.appSessionId },
        signal,
      }),
    );
  }

  // --- app results and app sessions -----------------------------------------------------------

  async listAppResultsPage(
    projectId: string,
    offset: number,
    limit: number,
    options: StatusListOptions = {},
  ): Promise<Page<AppResult>> {
    return this.page(
      `projects/${enc(projectId)}/appresults`,
      offset,
      limit,
      options,
      fromAppResult,
      {
        Statuses: options.statuses?.join(','),
      },
    );
  }

  /** Every app result of a project. */
  listAppResults(projectId: string, options: StatusListOptions = {}): AsyncGenerator<AppResult> {
    return paginate((o, l) => this.listAppResultsPage(projectId, o, l, options), options);
  }

  async getAppResult(id: string, signal?: AbortSignal): Promise<AppResult> {
    return fromAppResult(await this.get(`appresults/${enc(id)}`, signal));
  }

  /** `POST projects/{id}/appresults`: an app result to upload files into (in a new AppSession). */
  async createAppResult(
    projectId: string,
    input: { name: string; description?: string; appSessionId?: string },
    signal?: AbortSignal,
  ): Promise<AppResult> {
    const body: Wire = { Name: input.name };
    if (input.description !== undefined) body.Description = input.description;
    return fromAppResult(
      await this.http.call('POST', `projects/${enc(projectId)}/appresults`, {
        json: body,
        query: { appsessionid: input.appSessionId },
        signal,
      }),
    );
  }

  /** `GET users/current/appsessions`: one page of the caller's app sessions ("Analyses"). */
  async listAppSessionsPage(
    offset: number,
    limit: number,
    options: StatusListOptions = {},
  ): Promise<Page<AppSession>> {
    return this.page('users/current/appsessions', offset, limit, options, fromAppSession, {
      Statuses: options.statuses?.join(','),
    });
  }

  listAppSessions(options: StatusListOptions = {}): AsyncGenerator<AppSession> {
    return paginate((o, l) => this.listAppSessionsPage(o, l, options), options);
  }

  async getAppSession(id: string, signal?: AbortSignal): Promise<AppSession> {
    return fromAppSession(await this.get(`appsessions/${enc(id)}`, signal));
  }

  /** `POST appsessions/{id}`: sets Status (Complete, Aborted, NeedsAttention...) and its summary. */
  async setAppSessionStatus(
    id: string,
    input: { status: string; statusSummary?: string },
    signal?: AbortSignal,
  ): Promise<AppSession> {
    const body: Wire = { Status: input.status };
    if (input.statusSummary !== undefined) body.StatusSummary = input.statusSummary;
    return fromAppSession(
      await this.http.call('POST', `appsessions/${enc(id)}`, {
        json: body,
        idempotent: true,
        signal,
      }),
    );
  }

  /** Every app result an app session made. */
  listAppSessionAppResults(id: string, options: ListOptions = {}): AsyncGenerator<AppResult> {
    return paginate(
      (o, l) => this.page(`appsessions/${enc(id)}/appresults`, o, l, options, fromAppResult),
      options,
    );
  }

  // --- runs (besides upload) ------------------------------------------------------------------

  /** `GET runs/{id}/sequencingstats` (spec 6.1), camelCased. */
  async getSequencingStats(id: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
    return camelize(await this.get(`runs/${enc(id)}/sequencingstats`, signal)) as Record<
      string,
      unknown
    >;
  }

  /**
   * `POST runs/{id}/demultiplex`: starts demultiplexing into Samples of a project; answers the
   * new AppSession (Running): poll `getAppSession` until Complete or NeedsAttention.
   */
  async demultiplexRun(
    id: string,
    input: {
      projectId: string;
      sampleSheet?: string;
      withFailedReads?: boolean;
      barcodeMismatchesIndex1?: number;
      barcodeMismatchesIndex2?: number;
    },
    signal?: AbortSignal,
  ): Promise<AppSession> {
    const body: Wire = { ProjectId: input.projectId };
    if (input.sampleSheet !== undefined) body.SampleSheet = input.sampleSheet;
    if (input.withFailedReads !== undefined) body.WithFailedReads = input.withFailedReads;
    if (input.barcodeMismatchesIndex1 !== undefined)
      body.BarcodeMismatchesIndex1 = input.barcodeMismatchesIndex1;
    if (input.barcodeMismatchesIndex2 !== undefined)
      body.BarcodeMismatchesIndex2 = input.barcodeMismatchesIndex2;
    return fromAppSession(
      await this.http.call('POST', `runs/${enc(id)}/demultiplex`, { json: body, signal }),
    );
  }

  // --- genomics reads of indexed files (camelCased answers) ---------------------------------

  /** `GET files/{id}/variants`: a VCF's header (metadata, legends, sample names). */
  async getVariantSet(fileId: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
    return camelize(await this.get(`files/${enc(fileId)}/variants`, signal)) as Record<
      string,
      unknown
    >;
  }

  /**
   * `GET files/{id}/variants/{chrom}`: one page of the records overlapping `start..end`
   * (1-based, inclusive, as BaseSpace).
   */
  async listVariantsPage(
    fileId: string,
    chrom: string,
    range: { start?: number; end?: number },
    offset: number,
    limit: number,
    options: ListOptions = {},
  ): Promise<Page<Record<string, unknown>>> {
    return this.page(
      `files/${enc(fileId)}/variants/${enc(chrom)}`,
      offset,
      limit,
      options,
      (w) => camelize(w) as Record<string, unknown>,
      { StartPos: range.start?.toString(), EndPos: range.end?.toString() },
    );
  }

  /**
   * `GET files/{id}/coverage/{chrom}`: mean depth per bucket over `start..end` (1-based,
   * inclusive); `meta: true` asks `.../meta` (highest depth, smallest bucket) instead.
   */
  async getCoverage(
    fileId: string,
    chrom: string,
    range: { start?: number; end?: number; bucketSize?: number; meta?: boolean },
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const path = `files/${enc(fileId)}/coverage/${enc(chrom)}${range.meta ? '/meta' : ''}`;
    return camelize(
      await this.http.call<Wire>('GET', path, {
        query: range.meta
          ? {}
          : { StartPos: range.start, EndPos: range.end, BucketSize: range.bucketSize },
        idempotent: true,
        signal,
      }),
    ) as Record<string, unknown>;
  }

  // --- genomes --------------------------------------------------------------------------------

  async listGenomesPage(
    offset: number,
    limit: number,
    options: ListOptions = {},
  ): Promise<Page<Genome>> {
    return this.page('genomes', offset, limit, options, fromGenome);
  }

  listGenomes(options: ListOptions = {}): AsyncGenerator<Genome> {
    return paginate((o, l) => this.listGenomesPage(o, l, options), options);
  }

  async getGenome(id: string, signal?: AbortSignal): Promise<Genome> {
    return fromGenome(await this.get(`genomes/${enc(id)}`, signal));
  }

  // --- properties -----------------------------------------------------------------------------

  async listPropertiesPage(
    owner: ResourceRef,
    offset: number,
    limit: number,
    options: ListOptions = {},
  ): Promise<Page<Property>> {
    return this.page(
      `${owner.kind}/${enc(owner.id)}/properties`,
      offset,
      limit,
      options,
      fromProperty,
    );
  }

  /** Every property of a resource. */
  listProperties(owner: ResourceRef, options: ListOptions = {}): AsyncGenerator<Property> {
    return paginate((o, l) => this.listPropertiesPage(owner, o, l, options), options);
  }

  async getProperty(owner: ResourceRef, name: string, signal?: AbortSignal): Promise<Property> {
    return fromProperty(
      await this.get(`${owner.kind}/${enc(owner.id)}/properties/${enc(name)}`, signal),
    );
  }

  /** Every item of a multi-value (`[]`) property: its id and its content, camelCased. */
  listPropertyItems(
    owner: ResourceRef,
    name: string,
    options: ListOptions = {},
  ): AsyncGenerator<PropertyItem> {
    const path = `${owner.kind}/${enc(owner.id)}/properties/${enc(name)}/items`;
    return paginate(
      (o, l) =>
        this.page(path, o, l, options, (w) => ({
          id: typeof w.Id === 'number' ? String(w.Id) : String(w.Id ?? ''),
          content: camelize(w.Content),
        })),
      options,
    );
  }

  /** `POST {resource}/properties`: creates or replaces these properties; answers them as written. */
  async setProperties(
    owner: ResourceRef,
    properties: PropertyInput[],
    signal?: AbortSignal,
  ): Promise<Property[]> {
    const list = await this.http.call<{ Items?: Wire[] }>(
      'POST',
      `${owner.kind}/${enc(owner.id)}/properties`,
      { json: { Properties: properties.map(toProperty) }, idempotent: true, signal },
    );
    return (list.Items ?? []).map(fromProperty);
  }

  /** Creates or replaces one property. */
  async setProperty(
    owner: ResourceRef,
    property: PropertyInput,
    signal?: AbortSignal,
  ): Promise<Property> {
    const [written] = await this.setProperties(owner, [property], signal);
    return written ?? fromProperty({ Name: property.name });
  }

  async deleteProperty(owner: ResourceRef, name: string, signal?: AbortSignal): Promise<void> {
    await this.http.call('DELETE', `${owner.kind}/${enc(owner.id)}/properties/${enc(name)}`, {
      idempotent: true,
      signal,
    });
  }

  // --- sharing --------------------------------------------------------------------------------

  /** Users a project or run is shared with (owner only). */
  listCollaborators(
    resource: ShareableRef,
    options: ListOptions = {},
  ): AsyncGenerator<Collaborator> {
    const path = `${resource.kind}/${enc(resource.id)}/collaborators`;
    return paginate((o, l) => this.page(path, o, l, options, fromCollaborator), options);
  }

  /** Shares with a user (by id or email) at Read or Write; an existing share changes level. */
  async share(
    resource: ShareableRef,
    input: { userId?: string; email?: string; access: ShareAccess },
    signal?: AbortSignal,
  ): Promise<Collaborator> {
    const body: Wire = { Access: input.access };
    if (input.userId !== undefined) body.UserId = input.userId;
    if (input.email !== undefined) body.Email = input.email;
    return fromCollaborator(
      await this.http.call('POST', `${resource.kind}/${enc(resource.id)}/collaborators`, {
        json: body,
        idempotent: true,
        signal,
      }),
    );
  }

  /** Stops sharing with a user (by user id). */
  async unshare(resource: ShareableRef, userId: string, signal?: AbortSignal): Promise<void> {
    await this.http.call(
      'DELETE',
      `${resource.kind}/${enc(resource.id)}/collaborators/${enc(userId)}`,
      { idempotent: true, signal },
    );
  }

  /** Hands the resource to another user; the former owner keeps Write access. */
  async transferOwnership(
    resource: ShareableRef,
    input: { userId?: string; email?: string },
    signal?: AbortSignal,
  ): Promise<void> {
    const body: Wire = {};
    if (input.userId !== undefined) body.UserId = input.userId;
    if (input.email !== undefined) body.Email = input.email;
    await this.http.call('POST', `${resource.kind}/${enc(resource.id)}/owner`, {
      json: body,
      signal,
    });
  }

  /** The audit log of a project or run (owner only), camelCased events. */
  listAuditLog(
    resource: ShareableRef,
    options: ListOptions = {},
  ): AsyncGenerator<Record<string, unknown>> {
    const path = `${resource.kind}/${enc(resource.id)}/auditlog`;
    return paginate(
      (o, l) => this.page(path, o, l, options, (w) => camelize(w) as Record<string, unknown>),
      options,
    );
  }

  /** A read-only share link to a project; its `token` is in this answer only. */
  async createShareLink(
    projectId: string,
    input: { label?: string } = {},
    signal?: AbortSignal,
  ): Promise<ShareLink> {
    const body: Wire = {};
    if (input.label !== undefined) body.Label = input.label;
    return fromShareLink(
      await this.http.call('POST', `projects/${enc(projectId)}/links`, { json: body, signal }),
    );
  }

  listShareLinks(projectId: string, options: ListOptions = {}): AsyncGenerator<ShareLink> {
    const path = `projects/${enc(projectId)}/links`;
    return paginate((o, l) => this.page(path, o, l, options, fromShareLink), options);
  }

  async deactivateShareLink(
    projectId: string,
    linkId: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.http.call('DELETE', `projects/${enc(projectId)}/links/${enc(linkId)}`, {
      idempotent: true,
      signal,
    });
  }

  // --- search ---------------------------------------------------------------------------------

  /** One page of `GET search?query=` over what the caller may see. */
  async searchPage(
    query: string,
    offset: number,
    limit: number,
    options: SearchOptions = {},
  ): Promise<Page<SearchHit>> {
    return this.page('search', offset, limit, options, fromSearchHit, {
      query,
      scope: options.scope?.join(','),
    });
  }

  /** Every hit of a search, best first. */
  search(query: string, options: SearchOptions = {}): AsyncGenerator<SearchHit> {
    return paginate((o, l) => this.searchPage(query, o, l, options), options);
  }

  // --- helpers --------------------------------------------------------------------------------

  private get(path: string, signal?: AbortSignal): Promise<Wire> {
    return this.http.call<Wire>('GET', path, { idempotent: true, signal });
  }

  /** One page of a list, with paging, sorting, property filters and any `extra` query. */
  private async page<T>(
    path: string,
    offset: number,
    limit: number,
    options: ListOptions & PropertyFilter,
    read: (w: Wire) => T,
    extra: Record<string, string | undefined> = {},
  ): Promise<Page<T>> {
    return fromPage(
      await this.http.call('GET', path, {
        query: {
          Offset: offset,
          Limit: Math.min(limit, MAX_PAGE_SIZE),
          SortBy: options.sortBy,
          SortDir: options.sortDir,
          PropertyName: options.propertyName,
          PropertyValue: options.propertyValue,
          ...extra,
        },
        idempotent: true,
        signal: options.signal,
      }),
      read,
    );
  }

  /** Uploads one file (single `POST`, or multipart above the part size); see UploadOptions. */
  uploadFile(parent: FileParentRef, blob: Blob, options: UploadOptions): Promise<HubFile> {
    return uploadFile(this.http, this.limiter, parent, blob, options);
  }

  /** Uploads a file into a run that is `Uploading`. */
  uploadRunFile(runId: string, blob: Blob, options: UploadOptions): Promise<HubFile> {
    return this.uploadFile({ kind: 'runs', id: runId }, blob, options);
  }
  // --- Wire-format calls the web UI uses (issue 9), `...Raw` where a typed call of the same
  // name exists above: to converge on the typed views (follow-up). They answer the hub's PascalCase JSON (`Resource`)
  // until the typed camelCase views of issue 8 replace them; the names are issue 8's.

  private getRaw<T = Resource>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
    return this.http.call<T>('GET', path, { query, idempotent: true, signal });
  }

  private list(path: string, query: Query = {}, signal?: AbortSignal): Promise<Page<Resource>> {
    return this.getRaw(path, query, signal).then((w) => fromPage(w, (item) => item));
  }

  /** `GET users/current/projects`: one page, filtered by `name` (substring), sorted. */
  listProjectsRaw(options: ListQuery & { name?: string } = {}): Promise<Page<Resource>> {
    return this.list(
      'users/current/projects',
      { ...listQuery(options), Name: options.name || undefined },
      options.signal,
    );
  }

  getProjectRaw(id: string, signal?: AbortSignal): Promise<Resource> {
    return this.getRaw(`projects/${enc(id)}`, {}, signal);
  }

  async createProjectRaw(input: { name: string; description?: string }): Promise<Resource> {
    return this.http.call('POST', 'projects', {
      json: { Name: input.name, ...(input.description && { Description: input.description }) },
    });
  }

  listSamplesRaw(projectId: string, options: ListQuery = {}): Promise<Page<Resource>> {
    return this.list(`projects/${enc(projectId)}/samples`, listQuery(options), options.signal);
  }

  getSampleRaw(id: string, signal?: AbortSignal): Promise<Resource> {
    return this.getRaw(`samples/${enc(id)}`, {}, signal);
  }

  listAppResultsRaw(projectId: string, options: ListQuery = {}): Promise<Page<Resource>> {
    return this.list(`projects/${enc(projectId)}/appresults`, listQuery(options), options.signal);
  }

  /** `POST projects/{id}/appresults`: a new AppResult (and its AppSession) to upload into. */
  createAppResultRaw(
    projectId: string,
    input: { name: string; description?: string },
  ): Promise<Resource> {
    return this.http.call('POST', `projects/${enc(projectId)}/appresults`, {
      json: { Name: input.name, ...(input.description && { Description: input.description }) },
    });
  }

  getAppResultRaw(id: string, signal?: AbortSignal): Promise<Resource> {
    return this.getRaw(`appresults/${enc(id)}`, {}, signal);
  }

  /** `GET users/current/appsessions`. */
  listAppSessionsRaw(options: ListQuery & { statuses?: string[] } = {}): Promise<Page<Resource>> {
    return this.list(
      'users/current/appsessions',
      { ...listQuery(options), Statuses: options.statuses?.join(',') },
      options.signal,
    );
  }

  getAppSessionRaw(id: string, signal?: AbortSignal): Promise<Resource> {
    return this.getRaw(`appsessions/${enc(id)}`, {}, signal);
  }

  /** Properties of a project, run, sample, appresult, appsession or file. */
  listPropertiesRaw(
    kind: 'projects' | 'runs' | 'samples' | 'appresults' | 'appsessions' | 'files',
    id: string,
    options: ListQuery = {},
  ): Promise<Page<Resource>> {
    return this.list(`${kind}/${enc(id)}/properties`, listQuery(options), options.signal);
  }

  /** `POST {kind}/{id}/properties`: sets properties (`Type`, `Name`, `Content` or `Items`). */
  setPropertiesRaw(
    kind: 'projects' | 'runs' | 'samples' | 'appresults' | 'appsessions' | 'files',
    id: string,
    properties: Resource[],
  ): Promise<Resource> {
    return this.http.call('POST', `${kind}/${enc(id)}/properties`, {
      json: { Properties: properties },
    });
  }

  listCollaboratorsRaw(projectId: string, options: ListQuery = {}): Promise<Page<Resource>> {
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
  getSequencingStatsRaw(
    runId: string,
    options: { cycles?: boolean; signal?: AbortSignal } = {},
  ): Promise<Resource> {
    return this.getRaw(
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
    return this.getRaw<Resource>(`files/${enc(fileId)}/content`, { redirect: 'meta' }, signal).then(
      (w) => ({ url: String(w.HrefContent), expires: String(w.Expires) }),
    );
  }

  /**
   * The text of a small file (a report, a CSV) through its signed URL; `maxBytes` reads only
   * its first bytes (a Range request). The signed URL carries its own authority, so no token
   * is sent with it.
   */
  async getFileText(
    fileId: string,
    options: { maxBytes?: number; signal?: AbortSignal } = {},
  ): Promise<string> {
    const { url } = await this.getFileContentUrl(fileId, options.signal);
    const res = await fetch(url, {
      headers: options.maxBytes ? { Range: `bytes=0-${options.maxBytes - 1}` } : {},
      signal: options.signal,
    });
    if (!res.ok) throw new Error(`Could not read file ${fileId} (HTTP ${res.status})`);
    return res.text();
  }

  /** `GET search`: projects, runs, samples, app results and files matching `query`. */
  searchRaw(query: string, options: ListQuery & { scope?: string } = {}): Promise<Page<Resource>> {
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
