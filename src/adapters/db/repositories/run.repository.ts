import { sql, type Kysely } from 'kysely';
import type { Page, PageRequest, Run } from '../../../domain/index.js';
import type { NewRun, RunFilter, RunRepository, RunSort, Viewer } from '../../../ports.js';
import type { Database, RunsTable } from '../schema.js';
import {
  countAll,
  nullable,
  optNum,
  optStr,
  orderAndPage,
  ownerRef,
  pageOf,
  toId,
  propertyCondition,
} from './common.js';
import { visibleIds } from './visibility.js';

const SORT_COLUMNS: Record<RunSort, string> = {
  Id: 'r.id',
  DateCreated: 'r.created_at',
  DateModified: 'r.modified_at',
  ExperimentName: 'r.experiment_name',
  Status: 'r.status',
  TotalSize: 'r.total_size',
};

export class KyselyRunRepository implements RunRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => string,
  ) {}

  async create(input: NewRun): Promise<Run> {
    const at = this.now();
    const { id } = await this.db
      .insertInto('runs')
      .values({
        owner_id: input.ownerId,
        name: input.name,
        experiment_name: input.experimentName,
        number: nullable(input.number),
        status: input.status,
        platform_name: nullable(input.platformName),
        instrument_name: nullable(input.instrumentName),
        instrument_type: nullable(input.instrumentType),
        instrument_serial_number: nullable(input.instrumentSerialNumber),
        flowcell_barcode: nullable(input.flowcellBarcode),
        reagent_barcode: nullable(input.reagentBarcode),
        workflow: nullable(input.workflow),
        num_cycles_read1: nullable(input.numCyclesRead1),
        num_cycles_read2: nullable(input.numCyclesRead2),
        num_cycles_index1: nullable(input.numCyclesIndex1),
        num_cycles_index2: nullable(input.numCyclesIndex2),
        created_at: at,
        modified_at: at,
        upload_started_at: nullable(input.uploadStartedAt),
        upload_completed_at: nullable(input.uploadCompletedAt),
        total_size: input.totalSize,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return (await this.findById(toId(id)))!;
  }

  async findById(id: string): Promise<Run | undefined> {
    return (await this.findByIds([id]))[0];
  }

  async findByIds(ids: readonly string[]): Promise<Run[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('runs as r')
      .innerJoin('users as u', 'u.id', 'r.owner_id')
      .selectAll('r')
      .select(['u.name as owner_name', 'u.email as owner_email'])
      .where('r.id', 'in', [...new Set(ids)])
      .execute();
    return rows.map(mapRun);
  }

  async setOwner(id: string, fromOwnerId: string, newOwnerId: string): Promise<'moved' | 'stale'> {
    const result = await this.db
      .updateTable('runs')
      .set({ owner_id: newOwnerId, modified_at: this.now() })
      .where('id', '=', id)
      .where('owner_id', '=', fromOwnerId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1 ? 'moved' : 'stale';
  }

  async listVisible(
    viewer: Viewer,
    filter: RunFilter,
    page: PageRequest<RunSort>,
  ): Promise<Page<Run>> {
    let base = this.db
      .selectFrom('runs as r')
      .where(sql<boolean>`r.id IN (${visibleIds('run', viewer, filter.ownership)})`);
    if (filter.statuses?.length) base = base.where('r.status', 'in', [...filter.statuses]);
    if (filter.instrumentType !== undefined)
      base = base.where('r.instrument_type', '=', filter.instrumentType);
    // Spec 3.1: an empty FlowcellBarcode/ReagentBarcode means "runs with no barcode".
    if (filter.flowcellBarcode !== undefined) {
      const v = filter.flowcellBarcode;
      base =
        v === ''
          ? base.where((eb) =>
              eb.or([eb('r.flowcell_barcode', 'is', null), eb('r.flowcell_barcode', '=', '')]),
            )
          : base.where('r.flowcell_barcode', '=', v);
    }
    if (filter.reagentBarcode !== undefined) {
      const v = filter.reagentBarcode;
      base =
        v === ''
          ? base.where((eb) =>
              eb.or([eb('r.reagent_barcode', 'is', null), eb('r.reagent_barcode', '=', '')]),
            )
          : base.where('r.reagent_barcode', '=', v);
    }
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return { items: [], totalCount: 0 };
      base = base.where('r.id', 'in', [...filter.ids]);
    }
    if (filter.property) base = base.where(propertyCondition('run', 'r.id', filter.property));
    const rows = orderAndPage(
      base
        .innerJoin('users as u', 'u.id', 'r.owner_id')
        .selectAll('r')
        .select(['u.name as owner_name', 'u.email as owner_email']),
      page,
      SORT_COLUMNS,
      'r.id',
    ).execute();
    return pageOf(base.select(countAll).executeTakeFirst(), rows, mapRun);
  }
}

type RunRow = { [K in keyof RunsTable]: K extends 'id' ? number | string : RunsTable[K] } & {
  owner_name: string;
  owner_email: string;
};

function mapRun(r: RunRow): Run {
  return {
    id: toId(r.id),
    ownerId: toId(r.owner_id),
    owner: ownerRef(r),
    name: r.name,
    experimentName: r.experiment_name,
    number: optNum(r.number),
    status: r.status,
    platformName: optStr(r.platform_name),
    instrumentName: optStr(r.instrument_name),
    instrumentType: optStr(r.instrument_type),
    instrumentSerialNumber: optStr(r.instrument_serial_number),
    flowcellBarcode: optStr(r.flowcell_barcode),
    reagentBarcode: optStr(r.reagent_barcode),
    workflow: optStr(r.workflow),
    numCyclesRead1: optNum(r.num_cycles_read1),
    numCyclesRead2: optNum(r.num_cycles_read2),
    numCyclesIndex1: optNum(r.num_cycles_index1),
    numCyclesIndex2: optNum(r.num_cycles_index2),
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
    uploadStartedAt: optStr(r.upload_started_at),
    uploadCompletedAt: optStr(r.upload_completed_at),
    totalSize: Number(r.total_size),
  };
}
