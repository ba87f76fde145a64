import type { Kysely } from 'kysely';
import type { AppSessionStatus, Page, PageRequest, Sample } from '../../../domain/index.js';
import type { NewSample, ProjectSort, SampleRepository } from '../../../ports.js';
import type { Database, SamplesTable } from '../schema.js';
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
} from './common.js';

const SORT_COLUMNS: Record<ProjectSort, string> = { Id: 's.id', Name: 's.name', DateCreated: 's.created_at' };

export class KyselySampleRepository implements SampleRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => string,
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
    const row = await this.db
      .selectFrom('samples as s')
      .innerJoin('users as u', 'u.id', 's.owner_id')
      .innerJoin('appsessions as a', 'a.id', 's.appsession_id')
      .selectAll('s')
      .select(['u.name as owner_name', 'u.email as owner_email', 'a.status', 'a.status_summary'])
      .where('s.id', '=', id)
      .executeTakeFirst();
    return row && mapSample(row);
  }

  /**
   * Deep pages: the page of sample rows is cut first, from the (project_id, sort column, id)
   * index, and only those rows are joined to their owner and AppSession; joining before the
   * OFFSET would join every skipped row too (measured: bench/samples-pages).
   */
  async listByProject(projectId: string, page: PageRequest<ProjectSort>): Promise<Page<Sample>> {
    const base = this.db.selectFrom('samples as s').where('s.project_id', '=', projectId);
    const pageRows = orderAndPage(base.selectAll('s'), page, SORT_COLUMNS, 's.id');
    const dir = page.sortDir === 'Desc' ? 'desc' : 'asc';
    const outerSort = SORT_COLUMNS[page.sortBy].replace(/^s\./, 'p.');
    let joined = this.db
      .selectFrom(pageRows.as('p'))
      .innerJoin('users as u', 'u.id', 'p.owner_id')
      .innerJoin('appsessions as a', 'a.id', 'p.appsession_id')
      .selectAll('p')
      .select(['u.name as owner_name', 'u.email as owner_email', 'a.status', 'a.status_summary'])
      .orderBy(outerSort as 'p.id', dir);
    if (outerSort !== 'p.id') joined = joined.orderBy('p.id', dir);
    return pageOf(base.select(countAll).executeTakeFirst(), joined.execute(), mapSample);
  }
}

type SampleRow = { [K in keyof SamplesTable]: K extends 'id' | 'total_size' ? number | string : SamplesTable[K] } & {
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
