import { sql, type Kysely } from 'kysely';
import type { Page, PageRequest, Project } from '../../../domain/index.js';
import type { ProjectFilter, ProjectRepository, ProjectSort, Viewer } from '../../../ports.js';
import { isUniqueViolation } from '../connect.js';
import type { Database } from '../schema.js';
import { countAll, orderAndPage, ownerRef, pageOf, propertyCondition, toId } from './common.js';
import { visibleIds } from './visibility.js';

const SORT_COLUMNS: Record<ProjectSort, string> = {
  Id: 'p.id',
  Name: 'p.name',
  DateCreated: 'p.created_at',
};

export class KyselyProjectRepository implements ProjectRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => string,
  ) {}

  private select() {
    return this.db
      .selectFrom('projects as p')
      .innerJoin('users as u', 'u.id', 'p.owner_id')
      .selectAll('p')
      .select(['u.name as owner_name', 'u.email as owner_email', hasCollaborators]);
  }

  async insert(input: {
    ownerId: string;
    name: string;
    description: string;
  }): Promise<Project | undefined> {
    const at = this.now();
    try {
      const { id } = await this.db
        .insertInto('projects')
        .values({
          owner_id: input.ownerId,
          name: input.name,
          description: input.description,
          created_at: at,
          modified_at: at,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return await this.findById(toId(id));
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
  }

  async findById(id: string): Promise<Project | undefined> {
    const row = await this.select().where('p.id', '=', id).executeTakeFirst();
    return row && mapProject(row);
  }

  async findByIds(ids: readonly string[]): Promise<Project[]> {
    if (ids.length === 0) return [];
    const rows = await this.select()
      .where('p.id', 'in', [...new Set(ids)])
      .execute();
    return rows.map(mapProject);
  }

  async findByOwnerAndName(ownerId: string, name: string): Promise<Project | undefined> {
    const row = await this.select()
      .where('p.owner_id', '=', ownerId)
      .where('p.name', '=', name)
      .executeTakeFirst();
    return row && mapProject(row);
  }

  async setOwner(
    id: string,
    fromOwnerId: string,
    newOwnerId: string,
  ): Promise<'moved' | 'name-taken' | 'stale'> {
    try {
      const result = await this.db
        .updateTable('projects')
        .set({ owner_id: newOwnerId, modified_at: this.now() })
        .where('id', '=', id)
        .where('owner_id', '=', fromOwnerId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1 ? 'moved' : 'stale';
    } catch (error) {
      if (isUniqueViolation(error)) return 'name-taken';
      throw error;
    }
  }

  async listVisible(
    viewer: Viewer,
    filter: ProjectFilter,
    page: PageRequest<ProjectSort>,
  ): Promise<Page<Project>> {
    let base = this.db
      .selectFrom('projects as p')
      .where(sql<boolean>`p.id IN (${visibleIds('project', viewer, filter.ownership)})`);
    if (filter.name !== undefined) base = base.where('p.name', '=', filter.name);
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return { items: [], totalCount: 0 };
      base = base.where('p.id', 'in', [...filter.ids]);
    }
    if (filter.property) base = base.where(propertyCondition('project', 'p.id', filter.property));
    const rows = orderAndPage(
      base
        .innerJoin('users as u', 'u.id', 'p.owner_id')
        .selectAll('p')
        .select(['u.name as owner_name', 'u.email as owner_email', hasCollaborators]),
      page,
      SORT_COLUMNS,
      'p.id',
    ).execute();
    return pageOf(base.select(countAll).executeTakeFirst(), rows, mapProject);
  }
}

/** One probe of `shares_resource_user_uq` per project row. */
const hasCollaborators = sql<number>`CASE WHEN EXISTS (SELECT 1 FROM shares s
  WHERE s.resource_kind = 'project' AND s.resource_id = p.id) THEN 1 ELSE 0 END`.as(
  'has_collaborators',
);

function mapProject(r: {
  id: number | string;
  owner_id: number | string;
  owner_name: string;
  owner_email: string;
  name: string;
  description: string;
  created_at: string;
  modified_at: string;
  total_size: number | string;
  has_collaborators: number | string;
}): Project {
  return {
    id: toId(r.id),
    ownerId: toId(r.owner_id),
    owner: ownerRef(r),
    name: r.name,
    description: r.description,
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
    totalSize: Number(r.total_size),
    hasCollaborators: Number(r.has_collaborators) === 1,
  };
}
