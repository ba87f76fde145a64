import {
  AppError,
  canCreateProjects,
  scopeGrantsGlobally,
  scopedIds,
  validName,
  validText,
  type AppResult,
  type AppSessionStatus,
  type Page,
  type PageRequest,
  type Project,
  type Sample,
  type PropertyMatch,
} from '../domain/index.js';
import type { Ownership, ProjectSort, Repositories } from '../ports.js';
import type { AccessService } from './access.service.js';
import type { Principal } from './principal.js';

export class ProjectService {
  constructor(
    private readonly repos: Repositories,
    private readonly access: AccessService,
  ) {}

  /**
   * `POST projects`: a name the owner already has returns that project (spec 3.3), so scripts
   * can "create" idempotently; concurrent creates of one name still make one project.
   */
  async create(
    principal: Principal,
    input: { name: unknown; description?: unknown },
  ): Promise<Project> {
    const name = validName(input.name);
    const description = validText(input.description, 'Description');
    if (!canCreateProjects(principal.scope)) {
      throw new AppError(
        'Forbidden',
        'Sorry but this requires CREATE access to create a Project resource.',
      );
    }
    const existing = await this.repos.projects.findByOwnerAndName(principal.user.id, name);
    if (existing) return existing;
    const created = await this.repos.projects.insert({
      ownerId: principal.user.id,
      name,
      description,
    });
    // search index (issue 5): after the insert, not in one transaction with it, because a
    // unique violation there would abort a PostgreSQL transaction.
    if (created) await this.repos.search.reindex('project', created.id);
    return created ?? (await this.repos.projects.findByOwnerAndName(principal.user.id, name))!;
  }

  get(principal: Principal, id: string): Promise<Project> {
    return this.access.project(principal, id, 'browse');
  }

  /**
   * The projects the caller owns or has been shared (issue 4), that the token may browse; `name`
   * is an exact match.
   */
  list(
    principal: Principal,
    filter: {
      name?: string | undefined;
      property?: PropertyMatch | undefined;
      ownership?: Ownership | undefined;
    },
    page: PageRequest<ProjectSort>,
  ): Promise<Page<Project>> {
    const ids = scopeGrantsGlobally(principal.scope, 'browse')
      ? undefined
      : scopedIds(principal.scope, 'browse', 'project');
    return this.repos.projects.listVisible(
      this.access.viewer(principal),
      { name: filter.name, ids, ownership: filter.ownership, property: filter.property },
      page,
    );
  }

  async samples(
    principal: Principal,
    projectId: string,
    page: PageRequest<ProjectSort>,
    filter: { property?: PropertyMatch | undefined } = {},
  ): Promise<Page<Sample>> {
    const project = await this.access.project(principal, projectId, 'browse');
    return this.repos.samples.listByProject(project.id, page, filter);
  }

  async appResults(
    principal: Principal,
    projectId: string,
    filter: {
      statuses?: readonly AppSessionStatus[] | undefined;
      property?: PropertyMatch | undefined;
    },
    page: PageRequest<ProjectSort>,
  ): Promise<Page<AppResult>> {
    const project = await this.access.project(principal, projectId, 'browse');
    return this.repos.appResults.listByProject(project.id, filter, page);
  }
}
