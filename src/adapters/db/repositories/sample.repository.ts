import { sql, type Kysely } from 'kysely';
import type {
  AppSessionStatus,
  Page,
  PageRequest,
  PropertyMatch,
  Sample,
} from '../../../domain/index.js';
import type { NewSample, ProjectSort, SampleRepository } from '../../../ports.js';
import type { Database, DbKind, SamplesTable } from '../schema.js';
import {
  countAll,
  decodeRefs,
  encodeRefs,
  nullable,
  optBool,
  optId,
  optNum,
  optStr,
  orderAndPage,
  ownerRef,
  pageOf,
  toId,
  propertyCondition,
} from './common.js';

const SORT_COLUMNS: Record<ProjectSort, string> = {
  Id: 's.id',
  Name: 's.name',
  DateCreated: 's.created_at',
};

export class KyselySampleRepository implements SampleRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => string,
    private readonly kind: DbKind,
  ) {}

  async create(input: NewSample): Promise<Sample> {
    const at = this.now();
    const { id } = await this.db
      .insertInto('samples')
      .values({
        project_id: input.projectId,
        owner_id: input.ownerId,
        appsession_id: input.appSessionId,
        run_id: nullable(input.runId),
        name: input.name,
        description: input.description,
        sample_id: input.sampleId,
        sample_number: nullable(input.sampleNumber),
        experiment_name: nullable(input.experimentName),
        num_reads_raw: nullable(input.numReadsRaw),
        num_reads_pf: nullable(input.numReadsPF),
        read1: nullable(input.read1),
        read2: nullable(input.read2),
        is_paired_end: input.isPairedEnd === undefined ? null : input.isPairedEnd ? 1 : 0,
        genome_id: nullable(input.genomeId),
        refs: encodeRefs(input.references),
        created_at: at,
        modified_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return (await this.findById(toId(id)))!;
  }

  async findById(id: string): Promise<Sample | undefined> {
    return (await this.findByIds([id]))[0];
  }

  async findByIds(ids: readonly string[]): Promise<Sample[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('samples as s')
      .innerJoin('users as u', 'u.id', 's.owner_id')
      .innerJoin('appsessions as a', 'a.id', 's.appsession_id')
      .selectAll('s')
      .select(['u.name as owner_name', 'u.email as owner_email', 'a.status', 'a.status_summary'])
      .where('s.id', 'in', [...new Set(ids)])
      .execute();
    return rows.map(mapSample);
  }

  /**
   * Deep pages. Figures from bench/samples-pages (1M samples over 1,000 projects, Offset
   * 900..990, Limit 10, all six orders, random projects):
   *
   * - The page is cut from the (project_id, sort column, id) index alone, selecting only ids,
   *   and just those ids are joined back to their sample, owner and AppSession rows. Cutting
   *   with `s.*` made PostgreSQL read a heap row for every skipped row: a bitmap heap scan and
   *   sort of the whole project (EXPLAIN ANALYZE, SortBy=Name: 1,040 buffers, 1.86 ms -> 82
   *   buffers, 0.30 ms, an index-only scan with 0 heap fetches).
   * - On PostgreSQL the count rides along in the same statement, as a one-row derived table
   *   LEFT JOINed to the page (so an empty page, Offset past the end, still carries it): one
   *   round trip instead of two. Served, 10 connections, quiet machine: 138 -> 353..438 req/s,
   *   p99 180 -> 47..57 ms, PostgreSQL CPU 9.9 -> 2.4..2.9 ms per request.
   * - On SQLite, in process, the count stays a statement of its own: the merged statement
   *   costs more to prepare and materializes the page. better-sqlite3, preparing each time as
   *   the driver does, CPU per page: `s.*` cut + count 348 us, ids cut + count 318 us, merged
   *   359 us (median of 10 x 2,000 pages).
   */
  async listByProject(
    projectId: string,
    page: PageRequest<ProjectSort>,
    filter: { property?: PropertyMatch | undefined } = {},
  ): Promise<Page<Sample>> {
    let base = this.db.selectFrom('samples as s').where('s.project_id', '=', projectId);
    if (filter.property) base = base.where(propertyCondition('sample', 's.id', filter.property));
    const pageIds = orderAndPage(base.select('s.id'), page, SORT_COLUMNS, 's.id');
    const pageRows = this.db
      .selectFrom(pageIds.as('p'))
      .innerJoin('samples as s', 's.id', 'p.id')
      .innerJoin('users as u', 'u.id', 's.owner_id')
      .innerJoin('appsessions as a', 'a.id', 's.appsession_id')
      .selectAll('s')
      .select(['u.name as owner_name', 'u.email as owner_email', 'a.status', 'a.status_summary']);
    const dir = page.sortDir === 'Desc' ? 'desc' : 'asc';
    const sortColumn = SORT_COLUMNS[page.sortBy];

    if (this.kind === 'sqlite') {
      let rows = pageRows.orderBy(sql.ref(sortColumn), dir);
      if (sortColumn !== 's.id') rows = rows.orderBy('s.id', dir);
      return pageOf(base.select(countAll).executeTakeFirst(), rows.execute(), mapSample);
    }

    const outerSort = sortColumn.replace(/^s\./, 'r.');
    let query = this.db
      .selectFrom(base.select(countAll).as('c'))
      .leftJoin(pageRows.as('r'), (join) => join.onTrue())
      .selectAll('r')
      .select('c.n as total_count')
      .orderBy(sql.ref(outerSort), dir);
    if (outerSort !== 'r.id') query = query.orderBy('r.id', dir);
    const rows = await query.execute();
    const items: Sample[] = [];
    for (const row of rows) if (row.id !== null) items.push(mapSample(row as SampleRow));
    return { totalCount: Number(rows[0]?.total_count ?? 0), items };
  }
}

type SampleRow = {
  [K in keyof SamplesTable]: K extends 'id' | 'total_size' ? number | string : SamplesTable[K];
} & {
  owner_name: string;
  owner_email: string;
  status: string;
  status_summary: string;
};

function mapSample(r: SampleRow): Sample {
  return {
    id: toId(r.id),
    projectId: toId(r.project_id),
    ownerId: toId(r.owner_id),
    owner: ownerRef(r),
    appSessionId: toId(r.appsession_id),
    runId: optId(r.run_id),
    name: r.name,
    description: r.description,
    sampleId: r.sample_id,
    sampleNumber: optNum(r.sample_number),
    experimentName: optStr(r.experiment_name),
    numReadsRaw: optNum(r.num_reads_raw),
    numReadsPF: optNum(r.num_reads_pf),
    read1: optNum(r.read1),
    read2: optNum(r.read2),
    isPairedEnd: optBool(r.is_paired_end),
    genomeId: optId(r.genome_id),
    references: decodeRefs(r.refs),
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
    totalSize: Number(r.total_size),
    status: r.status as AppSessionStatus,
    statusSummary: r.status_summary,
  };
}
