import {
  AppError,
  forbidden,
  isWorkable,
  notFound,
  parseId,
  rightAllows,
  scopeGrants,
  scopeGrantsGlobally,
  type Access,
  type AppResult,
  type AppSession,
  type AuditEvent,
  type FileParent,
  type FileRecord,
  type Project,
  type Right,
  type Run,
  type Sample,
  type ScopeSubject,
} from '../domain/index.js';
import type { Clock, Repositories, Viewer } from '../ports.js';
import type { Principal } from './principal.js';

/**
 * How long a `read` verdict on an indexed genomic file is reused by the region queries of one
 * caller (issue 7). A genome browser sends dozens of coverage and variant queries a second on one
 * file; checking each took two queries and a fifth of a coverage query's CPU (bench/genomics
 * profile). A sharing change made through this process clears every verdict at once; one made
 * through another process takes effect here within this time, as token revocation does
 * (AuthService's principal cache, 5 s).
 */
const VERDICT_TTL_MS = 2_000;
/** Bound on remembered verdicts; past it the cache starts over rather than grow. */
const VERDICT_ENTRIES = 10_000;

const LABEL: Record<ScopeSubject['type'] | 'appsession' | 'file', string> = {
  file: 'File',
  project: 'Project',
  sample: 'Sample',
  appresult: 'AppResult',
  run: 'Run',
  appsession: 'AppSession',
};

/** What a reference or search hit may point at, with what decides its visibility. */
export type Governed =
  | { kind: 'project'; value: Project }
  | { kind: 'run'; value: Run }
  | { kind: 'sample'; value: Sample }
  | { kind: 'appresult'; value: AppResult };

/**
 * The one place that decides who may touch what (issue 4: sharing). A caller's standing on a
 * project or run ({@link Right}) is: its owner; a collaborator at READ or WRITE; the holder of a
 * share link to the project (READ on it, nothing else); or nobody. Samples, app results, their
 * files and AppSessions follow their project; run files follow their run. Then the token's scope
 * must grant the access too, so a token never does more than both allow.
 *
 * Nobody: 404, exactly like an unknown id, so ids leak nothing. A standing too low for the access
 * (a READ collaborator creating a sample) or a scope lacking it: 403 in BaseSpace's words (spec
 * 1.4). Lists and search apply the same rule in SQL (adapters/db/repositories/visibility.ts).
 */
export class AccessService {
  private readonly verdicts = new Map<string, { file: FileRecord; until: number }>();

  constructor(
    private readonly repos: Repositories,
    private readonly clock?: Clock,
  ) {}

  /**
   * {@link file} with `read`, for region queries on an indexed (`ready`) file: a caller's
   * verdict is reused for VERDICT_TTL_MS. Only granted verdicts on ready files are kept (a
   * complete file never changes, and its index never does once ready); a refusal is never
   * cached.
   */
  async indexedFile(principal: Principal, rawId: string): Promise<FileRecord> {
    const now = (this.clock?.now() ?? new Date()).getTime();
    const who = principal.link ? `l${principal.link.id}` : `t${principal.tokenId}`;
    const key = `${who}:${rawId}`;
    const hit = this.verdicts.get(key);
    if (hit && hit.until > now) return hit.file;
    const file = await this.file(principal, rawId, 'read');
    if (file.indexStatus === 'ready' && file.uploadStatus === 'complete') {
      if (this.verdicts.size >= VERDICT_ENTRIES) this.verdicts.clear();
      this.verdicts.set(key, { file, until: now + VERDICT_TTL_MS });
    }
    return file;
  }

  /** Who may see what changed (sharing, ownership, links): forget every cached verdict. */
  changed(): void {
    this.verdicts.clear();
  }

  private denied(need: Access, type: keyof typeof LABEL): AppError {
    return forbidden(
      `Sorry but this requires ${need.toUpperCase()} access to this ${LABEL[type]} resource.`,
    );
  }

  /** Whose rights lists and search filter by. */
  viewer(principal: Principal): Viewer {
    return principal.link
      ? { kind: 'link', projectId: principal.link.projectId }
      : { kind: 'user', userId: principal.user.id };
  }

  /** The caller's standing on a project or run, or undefined when they have none. */
  async rightOn(
    principal: Principal,
    kind: 'project' | 'run',
    resource: { id: string; ownerId: string },
  ): Promise<Right | undefined> {
    if (principal.link)
      return kind === 'project' && principal.link.projectId === resource.id ? 'read' : undefined;
    if (resource.ownerId === principal.user.id) return 'owner';
    return this.repos.shares.level(kind, resource.id, principal.user.id);
  }

  private async projectRight(principal: Principal, projectId: string): Promise<Right | undefined> {
    if (principal.link) return principal.link.projectId === projectId ? 'read' : undefined;
    const project = await this.repos.projects.findById(projectId);
    return project && this.rightOn(principal, 'project', project);
  }

  /** 404 without a standing, 403 when the standing or the scope lacks `need`. */
  private guard(
    principal: Principal,
    right: Right | undefined,
    need: Access,
    subject: ScopeSubject,
    label: keyof typeof LABEL,
    missing: () => AppError,
  ): void {
    if (!right) throw missing();
    if (!rightAllows(right, need)) throw this.denied(need, label);
    if (!scopeGrants(principal.scope, need, subject)) throw this.denied(need, label);
  }

  async project(principal: Principal, rawId: string, need: Access): Promise<Project> {
    const id = parseId(rawId, 'Project');
    const project = await this.repos.projects.findById(id);
    const right = project && (await this.rightOn(principal, 'project', project));
    this.guard(principal, right, need, { type: 'project', id }, 'project', () =>
      notFound(`Project id '${id}' doesn't exist`),
    );
    return project!;
  }

  /**
   * A project or run only its owner may manage (sharing, links, ownership, audit log): 404 for
   * those with no standing, 403 for collaborators, link holders and tokens whose scope lacks
   * `need` on it.
   */
  async owned<K extends 'project' | 'run'>(
    principal: Principal,
    kind: K,
    rawId: string,
    need: Access,
  ): Promise<K extends 'project' ? Project : Run> {
    const resource =
      kind === 'project'
        ? await this.project(principal, rawId, 'browse')
        : await this.run(principal, rawId, 'browse');
    if ((await this.rightOn(principal, kind, resource)) !== 'owner')
      throw forbidden(`Only the owner of this ${LABEL[kind]} may do this.`);
    if (!scopeGrants(principal.scope, need, { type: kind, id: resource.id }))
      throw this.denied(need, kind);
    return resource as K extends 'project' ? Project : Run;
  }

  async sample(principal: Principal, rawId: string, need: Access): Promise<Sample> {
    const id = parseId(rawId, 'Sample');
    const sample = await this.repos.samples.findById(id);
    const right = sample && (await this.projectRight(principal, sample.projectId));
    this.guard(
      principal,
      right,
      need,
      { type: 'sample', id, projectId: sample?.projectId },
      'sample',
      () => notFound(`Sample id '${id}' doesn't exist`),
    );
    return sample!;
  }

  async appResult(principal: Principal, rawId: string, need: Access): Promise<AppResult> {
    const id = parseId(rawId, 'AppResult');
    const result = await this.repos.appResults.findById(id);
    const right = result && (await this.projectRight(principal, result.projectId));
    this.guard(
      principal,
      right,
      need,
      { type: 'appresult', id, projectId: result?.projectId },
      'appresult',
      () => notFound(`AppResult id '${id}' doesn't exist`),
    );
    return result!;
  }

  async run(principal: Principal, rawId: string, need: Access): Promise<Run> {
    const id = parseId(rawId, 'Run');
    const run = await this.repos.runs.findById(id);
    const right = run && (await this.rightOn(principal, 'run', run));
    this.guard(principal, right, need, { type: 'run', id }, 'run', () =>
      notFound(`Run id '${id}' doesn't exist`),
    );
    return run!;
  }

  /**
   * An AppSession is governed by the project its results go to; one with no project yet is its
   * owner's alone and needs a global grant. Changing it takes `create` there, which is what wrote
   * its results.
   */
  async appSession(principal: Principal, rawId: string, need: Access): Promise<AppSession> {
    const id = parseId(rawId, 'AppSession');
    const session = await this.repos.appSessions.findById(id);
    const missing = () => notFound(`AppSession id '${id}' doesn't exist`);
    if (!session) throw missing();
    const right =
      session.projectId !== undefined
        ? await this.projectRight(principal, session.projectId)
        : !principal.link && session.ownerId === principal.user.id
          ? 'owner'
          : undefined;
    if (!right) throw missing();
    const granted =
      rightAllows(right, need) &&
      (scopeGrantsGlobally(principal.scope, need) ||
        (session.projectId !== undefined &&
          scopeGrants(principal.scope, need, { type: 'project', id: session.projectId })));
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
   * A file the caller may act on with `need`. Complete files follow their parent's project (or
   * run). Pending uploads are seen only by their uploader and only when multipart (resumable);
   * everything else not complete is reported missing.
   */
  async file(principal: Principal, rawId: string, need: Access): Promise<FileRecord> {
    const id = parseId(rawId, 'File');
    const file = await this.repos.files.findById(id);
    const missing = () => notFound(`File id '${id}' doesn't exist`);
    if (!file) throw missing();
    const pendingVisible =
      file.multipart &&
      (file.uploadStatus === 'pending' || file.uploadStatus === 'assembling') &&
      !principal.link &&
      file.ownerId === principal.user.id;
    if (file.uploadStatus !== 'complete' && !pendingVisible) throw missing();
    let right: Right | undefined;
    if (file.parentKind === 'run') {
      const run = await this.repos.runs.findById(file.parentId);
      right = run && (await this.rightOn(principal, 'run', run));
    } else {
      right =
        file.projectId === undefined
          ? undefined
          : await this.projectRight(principal, file.projectId);
    }
    const subject: ScopeSubject =
      file.parentKind === 'run'
        ? { type: 'run', id: file.parentId }
        : { type: file.parentKind, id: file.parentId, projectId: file.projectId };
    this.guard(principal, right, need, subject, 'file', missing);
    return file;
  }

  /**
   * May the caller browse this object (a reference's target, a property reference)? The same
   * answer as the getters above, without throwing.
   */
  async canBrowse(principal: Principal, target: Governed): Promise<boolean> {
    const right =
      target.kind === 'project' || target.kind === 'run'
        ? await this.rightOn(principal, target.kind, target.value)
        : await this.projectRight(principal, target.value.projectId);
    return (
      right !== undefined &&
      scopeGrants(principal.scope, 'browse', {
        type: target.kind,
        id: target.value.id,
        projectId: 'projectId' in target.value ? target.value.projectId : undefined,
      })
    );
  }

  /** Who did it, for the audit log. */
  actor(principal: Principal): AuditEvent['actor'] {
    return principal.link
      ? { kind: 'link', id: principal.link.id }
      : { kind: 'user', id: principal.user.id };
  }
}
