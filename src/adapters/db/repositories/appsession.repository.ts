import type { Kysely } from 'kysely';
import type { AppSession, AppSessionStatus, Page, PageRequest } from '../../../domain/index.js';
import { FINAL_STATUSES } from '../../../domain/index.js';
import type { AppSessionFilter, AppSessionRepository, ProjectSort } from '../../../ports.js';
import type { Database, DbKind } from '../schema.js';
import {
  countAll,
  optId,
  optStr,
  orderAndPage,
  ownerRef,
  pageOf,
  propertyCondition,
  toId,
} from './common.js';

const SORT_COLUMNS: Record<ProjectSort, string> = {
  Id: 'a.id',
  Name: 'a.name',
  DateCreated: 'a.created_at',
};

export class KyselyAppSessionRepository implements AppSessionRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => string,
    private readonly kind: DbKind,
  ) {}

  private select() {
    return this.db
      .selectFrom('appsessions as a')
      .innerJoin('users as u', 'u.id', 'a.owner_id')
      .selectAll('a')
      .select(['u.name as owner_name', 'u.email as owner_email']);
  }

  async create(input: {
    ownerId: string;
    applicationId: string;
    name: string;
    projectId: string | undefined;
  }): Promise<AppSession> {
    const at = this.now();
    const { id } = await this.db
      .insertInto('appsessions')
      .values({
        owner_id: input.ownerId,
        application_id: input.applicationId,
        name: input.name,
        status: 'Running',
        status_summary: '',
        project_id: input.projectId ?? null,
        created_at: at,
        modified_at: at,
        completed_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return (await this.findById(toId(id)))!;
  }

  async findById(id: string): Promise<AppSession | undefined> {
    const row = await this.select().where('a.id', '=', id).executeTakeFirst();
    return row && mapAppSession(row);
  }

  async findForUpdate(id: string): Promise<AppSession | undefined> {
    // SQLite has no row locks and needs none: a write transaction holds the whole database.
    const query = this.select().where('a.id', '=', id);
    const row = await (
      this.kind === 'postgres' && this.db.isTransaction ? query.forUpdate('a') : query
    ).executeTakeFirst();
    return row && mapAppSession(row);
  }

  async findByIds(ids: readonly string[]): Promise<AppSession[]> {
    if (ids.length === 0) return [];
    const rows = await this.select()
      .where('a.id', 'in', [...new Set(ids)])
      .execute();
    return rows.map(mapAppSession);
  }

  async update(
    id: string,
    patch: { status?: AppSessionStatus; statusSummary?: string; projectId?: string },
  ): Promise<AppSession | undefined> {
    const at = this.now();
    const result = await this.db
      .updateTable('appsessions')
      .set({
        modified_at: at,
        ...(patch.status !== undefined && { status: patch.status }),
        ...(patch.status !== undefined &&
          FINAL_STATUSES.includes(patch.status) && { completed_at: at }),
        ...(patch.statusSummary !== undefined && { status_summary: patch.statusSummary }),
        ...(patch.projectId !== undefined && { project_id: patch.projectId }),
      })
      .where('id', '=', id)
      .where('status', 'not in', [...FINAL_STATUSES])
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return undefined;
    return this.findById(id);
  }

  async listByOwner(
    ownerId: string,
    filter: AppSessionFilter,
    page: PageRequest<ProjectSort>,
  ): Promise<Page<AppSession>> {
    let base = this.db.selectFrom('appsessions as a').where('a.owner_id', '=', ownerId);
    if (filter.statuses?.length) base = base.where('a.status', 'in', [...filter.statuses]);
    if (filter.projectIds !== undefined) {
      if (filter.projectIds.length === 0) return { items: [], totalCount: 0 };
      base = base.where('a.project_id', 'in', [...filter.projectIds]);
    }
    if (filter.property)
      base = base.where(propertyCondition('appsession', 'a.id', filter.property));
    const rows = orderAndPage(
      base
        .innerJoin('users as u', 'u.id', 'a.owner_id')
        .selectAll('a')
        .select(['u.name as owner_name', 'u.email as owner_email']),
      page,
      SORT_COLUMNS,
      'a.id',
    ).execute();
    return pageOf(base.select(countAll).executeTakeFirst(), rows, mapAppSession);
  }
}

function mapAppSession(r: {
  id: number | string;
  owner_id: number | string;
  owner_name: string;
  owner_email: string;
  application_id: string;
  name: string;
  status: string;
  status_summary: string;
  project_id: number | string | null;
  created_at: string;
  modified_at: string;
  completed_at: string | null;
  total_size: number | string;
}): AppSession {
  return {
    id: toId(r.id),
    ownerId: toId(r.owner_id),
    owner: ownerRef(r),
    applicationId: r.application_id,
    name: r.name,
    status: r.status as AppSessionStatus,
    statusSummary: r.status_summary,
    projectId: optId(r.project_id),
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
    completedAt: optStr(r.completed_at),
    totalSize: Number(r.total_size),
  };
}
