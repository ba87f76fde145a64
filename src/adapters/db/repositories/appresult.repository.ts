import type { Kysely } from 'kysely';
import type {
  AppResult,
  AppSessionStatus,
  Page,
  PageRequest,
  PropertyMatch,
} from '../../../domain/index.js';
import type { AppResultRepository, NewAppResult, ProjectSort } from '../../../ports.js';
import type { Database } from '../schema.js';
import {
  countAll,
  decodeRefs,
  encodeRefs,
  optId,
  orderAndPage,
  ownerRef,
  pageOf,
  toId,
  propertyCondition,
} from './common.js';

const SORT_COLUMNS: Record<ProjectSort, string> = {
  Id: 'r.id',
  Name: 'r.name',
  DateCreated: 'r.created_at',
};

export class KyselyAppResultRepository implements AppResultRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => string,
  ) {}

  private select() {
    return this.db
      .selectFrom('appresults as r')
      .innerJoin('users as u', 'u.id', 'r.owner_id')
      .innerJoin('appsessions as a', 'a.id', 'r.appsession_id')
      .selectAll('r')
      .select(['u.name as owner_name', 'u.email as owner_email', 'a.status', 'a.status_summary']);
  }

  async create(input: NewAppResult): Promise<AppResult> {
    const at = this.now();
    const { id } = await this.db
      .insertInto('appresults')
      .values({
        project_id: input.projectId,
        owner_id: input.ownerId,
        appsession_id: input.appSessionId,
        name: input.name,
        description: input.description,
        genome_id: input.genomeId ?? null,
        refs: encodeRefs(input.references),
        created_at: at,
        modified_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return (await this.findById(toId(id)))!;
  }

  async findById(id: string): Promise<AppResult | undefined> {
    const row = await this.select().where('r.id', '=', id).executeTakeFirst();
    return row && mapAppResult(row);
  }

  async findByIds(ids: readonly string[]): Promise<AppResult[]> {
    if (ids.length === 0) return [];
    const rows = await this.select()
      .where('r.id', 'in', [...new Set(ids)])
      .execute();
    return rows.map(mapAppResult);
  }

  async listByProject(
    projectId: string,
    filter: {
      statuses?: readonly AppSessionStatus[] | undefined;
      property?: PropertyMatch | undefined;
    },
    page: PageRequest<ProjectSort>,
  ): Promise<Page<AppResult>> {
    let base = this.db
      .selectFrom('appresults as r')
      .innerJoin('appsessions as a', 'a.id', 'r.appsession_id')
      .where('r.project_id', '=', projectId);
    if (filter.statuses?.length) base = base.where('a.status', 'in', [...filter.statuses]);
    if (filter.property) base = base.where(propertyCondition('appresult', 'r.id', filter.property));
    const rows = orderAndPage(
      base
        .innerJoin('users as u', 'u.id', 'r.owner_id')
        .selectAll('r')
        .select(['u.name as owner_name', 'u.email as owner_email', 'a.status', 'a.status_summary']),
      page,
      SORT_COLUMNS,
      'r.id',
    ).execute();
    return pageOf(base.select(countAll).executeTakeFirst(), rows, mapAppResult);
  }

  async listByAppSession(
    appSessionId: string,
    page: PageRequest<ProjectSort>,
  ): Promise<Page<AppResult>> {
    const base = this.db.selectFrom('appresults as r').where('r.appsession_id', '=', appSessionId);
    const rows = orderAndPage(
      base
        .innerJoin('users as u', 'u.id', 'r.owner_id')
        .innerJoin('appsessions as a', 'a.id', 'r.appsession_id')
        .selectAll('r')
        .select(['u.name as owner_name', 'u.email as owner_email', 'a.status', 'a.status_summary']),
      page,
      SORT_COLUMNS,
      'r.id',
    ).execute();
    return pageOf(base.select(countAll).executeTakeFirst(), rows, mapAppResult);
  }
}

function mapAppResult(r: {
  id: number | string;
  project_id: number | string;
  owner_id: number | string;
  owner_name: string;
  owner_email: string;
  appsession_id: number | string;
  name: string;
  description: string;
  genome_id: number | string | null;
  refs: string | null;
  created_at: string;
  modified_at: string;
  total_size: number | string;
  status: string;
  status_summary: string;
}): AppResult {
  return {
    id: toId(r.id),
    projectId: toId(r.project_id),
    ownerId: toId(r.owner_id),
    owner: ownerRef(r),
    appSessionId: toId(r.appsession_id),
    name: r.name,
    description: r.description,
    genomeId: optId(r.genome_id),
    references: decodeRefs(r.refs),
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
    totalSize: Number(r.total_size),
    status: r.status as AppSessionStatus,
    statusSummary: r.status_summary,
  };
}
