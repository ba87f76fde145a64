import {
  AppError,
  API_CLIENT_APPLICATION,
  assertTransition,
  isWorkable,
  notFound,
  parseAppSessionStatus,
  parseHref,
  parseId,
  scopeGrantsGlobally,
  scopedIds,
  validText,
  type AppResult,
  type AppSession,
  type AppSessionStatus,
  type Page,
  type PageRequest,
  type Project,
  type PropertyMatch,
} from '../domain/index.js';
import type { ProjectSort, Repositories } from '../ports.js';
import type { AccessService } from './access.service.js';
import type { Principal } from './principal.js';

export class AppSessionService {
  constructor(
    private readonly repos: Repositories,
    private readonly access: AccessService,
  ) {}

  get(principal: Principal, id: string): Promise<AppSession> {
    return this.access.appSession(principal, id, 'browse');
  }

  /**
   * `POST appsessions/{id}`: sets Status and/or StatusSummary. Any non-final status may move to
   * any status; Complete and Aborted are final (spec 4.6).
   */
  async update(
    principal: Principal,
    id: string,
    input: { status?: unknown; statusSummary?: unknown },
  ): Promise<AppSession> {
    if (input.status !== undefined && typeof input.status !== 'string')
      throw new AppError('BadRequest', 'status must be a string');
    const status = input.status === undefined ? undefined : parseAppSessionStatus(input.status);
    const statusSummary =
      input.statusSummary === undefined
        ? undefined
        : validText(input.statusSummary, 'StatusSummary');
    if (status === undefined && statusSummary === undefined) {
      throw new AppError('BadRequest', 'Nothing to change: send status and/or statussummary');
    }
    const session = await this.access.appSession(principal, id, 'create');
    assertTransition(session.status, status ?? session.status);
    const updated = await this.repos.appSessions.update(session.id, {
      ...(status !== undefined && { status }),
      ...(statusSummary !== undefined && { statusSummary }),
    });
    if (!updated) {
      // Another request finished the session between our read and our write.
      const now = (await this.repos.appSessions.findById(session.id))!;
      assertTransition(now.status, status ?? now.status);
      throw new AppError(
        'BASESPACE.APPSESSIONS.NOT_WORKABLE',
        `AppSession is ${now.status}, which is final`,
      );
    }
    return updated;
  }

  /**
   * `POST /v2/appsessions/{id}/stop` (the SDK's stopAppSession): Aborted, final. A job working
   * for the session (demultiplexing) sees it within a second, stops, and leaves nothing behind.
   * Stopping an Aborted session again answers it unchanged; a Complete one is a 409.
   */
  async stop(principal: Principal, id: string): Promise<AppSession> {
    const session = await this.access.appSession(principal, id, 'create');
    if (session.status === 'Aborted') return session;
    const stopped = await this.repos.appSessions.update(session.id, {
      status: 'Aborted',
      statusSummary: 'Stopped by the user',
    });
    if (stopped) return stopped;
    const now = (await this.repos.appSessions.findById(session.id))!;
    if (now.status === 'Aborted') return now;
    throw new AppError(
      'BASESPACE.APPSESSIONS.NOT_WORKABLE',
      `AppSession is ${now.status}, which is final`,
    );
  }

  list(
    principal: Principal,
    filter: {
      statuses?: readonly AppSessionStatus[] | undefined;
      property?: PropertyMatch | undefined;
    },
    page: PageRequest<ProjectSort>,
  ): Promise<Page<AppSession>> {
    const projectIds = scopeGrantsGlobally(principal.scope, 'browse')
      ? undefined
      : scopedIds(principal.scope, 'browse', 'project');
    return this.repos.appSessions.listByOwner(
      principal.user.id,
      { statuses: filter.statuses, property: filter.property, projectIds },
      page,
    );
  }

  async appResults(
    principal: Principal,
    id: string,
    page: PageRequest<ProjectSort>,
  ): Promise<Page<AppResult>> {
    const session = await this.access.appSession(principal, id, 'browse');
    return this.repos.appResults.listByAppSession(session.id, page);
  }

  async byIds(ids: readonly string[]): Promise<Map<string, AppSession>> {
    const sessions = await this.repos.appSessions.findByIds(ids);
    return new Map(sessions.map((s) => [s.id, s]));
  }
}

/**
 * The AppSession a new Sample or AppResult joins, inside the caller's transaction: the one named
 * by `appsessionid` (or `HrefAppSession`), which must be the caller's and still workable, or a
 * new Running one when none is named (spec 4.4).
 */
export async function sessionForNewWork(
  repos: Repositories,
  principal: Principal,
  project: Project,
  requested: { appSessionId?: string | undefined; hrefAppSession?: string | undefined },
  nameForNew: string,
): Promise<AppSession> {
  let raw = requested.appSessionId?.trim() || undefined;
  if (!raw && requested.hrefAppSession) {
    const ref = parseHref(requested.hrefAppSession);
    if (!ref || ref.kind !== 'appsession') {
      throw new AppError(
        'BadRequest',
        `HrefAppSession '${requested.hrefAppSession.slice(0, 64)}' is not an AppSession href`,
      );
    }
    raw = ref.id;
  }
  if (!raw) {
    return repos.appSessions.create({
      ownerId: principal.user.id,
      applicationId: API_CLIENT_APPLICATION.id,
      name: nameForNew,
      projectId: project.id,
    });
  }
  const id = parseId(raw, 'AppSession');
  const session = await repos.appSessions.findForUpdate(id);
  if (!session || session.ownerId !== principal.user.id)
    throw notFound(`AppSession id '${id}' doesn't exist`);
  if (!isWorkable(session.status)) {
    throw new AppError(
      'BASESPACE.APPSESSIONS.NOT_WORKABLE',
      `AppSession ${id} is ${session.status}: nothing can be added to it`,
    );
  }
  if (session.projectId === undefined) {
    return (await repos.appSessions.update(session.id, { projectId: project.id })) ?? session;
  }
  return session;
}
