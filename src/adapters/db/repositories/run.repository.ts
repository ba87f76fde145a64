import { sql, type Kysely } from 'kysely';
import { RUN_IMPORTING, type Page, type PageRequest, type Run } from '../../../domain/index.js';
import type {
  NewRun,
  RunFilter,
  RunPatch,
  RunRepository,
  RunSort,
  Viewer,
} from '../../../ports.js';
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
        details: input.details === undefined ? null : JSON.stringify(input.details),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return (await this.findById(toId(id), { includeImporting: true }))!;
  }

  /** A visible run; one still `Importing` (hidden until its files are in) only when asked. */
  async findById(id: string, options?: { includeImporting?: boolean }): Promise<Run | undefined> {
    return (await this.select([id], options?.includeImporting ?? false))[0];
  }

  async findByIds(ids: readonly string[]): Promise<Run[]> {
    return this.select(ids, false);
  }

  private async select(ids: readonly string[], includeImporting: boolean): Promise<Run[]> {
    if (ids.length === 0) return [];
    let q = this.db
      .selectFrom('runs as r')
      .innerJoin('users as u', 'u.id', 'r.owner_id')
      .select(RUN_COLUMNS)
      .select(['u.name as owner_name', 'u.email as owner_email'])
      .where('r.id', 'in', [...new Set(ids)]);
    if (!includeImporting) q = q.where('r.status', '!=', RUN_IMPORTING);
    return (await q.execute()).map(mapRun);
  }

  async update(id: string, fromStatus: string, patch: RunPatch): Promise<Run | undefined> {
    const set: Record<string, unknown> = { modified_at: this.now() };
    const columns: [keyof RunPatch, string][] = [
      ['name', 'name'],
      ['experimentName', 'experiment_name'],
      ['number', 'number'],
      ['status', 'status'],
      ['platformName', 'platform_name'],
      ['instrumentName', 'instrument_name'],
      ['instrumentType', 'instrument_type'],
      ['instrumentSerialNumber', 'instrument_serial_number'],
      ['flowcellBarcode', 'flowcell_barcode'],
      ['reagentBarcode', 'reagent_barcode'],
      ['workflow', 'workflow'],
      ['numCyclesRead1', 'num_cycles_read1'],
      ['numCyclesRead2', 'num_cycles_read2'],
      ['numCyclesIndex1', 'num_cycles_index1'],
      ['numCyclesIndex2', 'num_cycles_index2'],
      ['uploadCompletedAt', 'upload_completed_at'],
    ];
    for (const [key, column] of columns)
      if (key in patch) set[column] = nullable(patch[key] as never);
    if ('details' in patch) set['details'] = patch.details ? JSON.stringify(patch.details) : null;
    if ('sequencingStats' in patch)
      set['sequencing_stats'] =
        patch.sequencingStats === undefined ? null : JSON.stringify(patch.sequencingStats);
    const result = await this.db
      .updateTable('runs')
      .set(set)
      .where('id', '=', id)
      .where('status', '=', fromStatus)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return undefined;
    return this.findById(id, { includeImporting: true });
  }

  async sequencingStats(id: string): Promise<unknown> {
    const row = await this.db
      .selectFrom('runs')
      .select('sequencing_stats')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.sequencing_stats ? (JSON.parse(row.sequencing_stats) as unknown) : undefined;
  }

  async deleteImporting(id: string): Promise<void> {
    await this.db
      .deleteFrom('runs')
      .where('id', '=', id)
      .where('status', '=', RUN_IMPORTING)
      .execute();
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
      .where(sql<boolean>`r.id IN (${visibleIds('run', viewer, filter.ownership)})`)
      .where('r.status', '!=', RUN_IMPORTING);
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
        .select(RUN_COLUMNS)
        .select(['u.name as owner_name', 'u.email as owner_email']),
      page,
      SORT_COLUMNS,
      'r.id',
    ).execute();
    return pageOf(base.select(countAll).executeTakeFirst(), rows, mapRun);
  }
}

/** Every column but the (large) sequencing stats, which only `sequencingStats` reads. */
const RUN_COLUMNS = [
  'r.id',
  'r.owner_id',
  'r.name',
  'r.experiment_name',
  'r.number',
  'r.status',
  'r.platform_name',
  'r.instrument_name',
  'r.instrument_type',
  'r.instrument_serial_number',
  'r.flowcell_barcode',
  'r.reagent_barcode',
  'r.workflow',
  'r.num_cycles_read1',
  'r.num_cycles_read2',
  'r.num_cycles_index1',
  'r.num_cycles_index2',
  'r.created_at',
  'r.modified_at',
  'r.upload_started_at',
  'r.upload_completed_at',
  'r.total_size',
  'r.details',
] as const;

type RunRow = {
  [K in Exclude<keyof RunsTable, 'sequencing_stats'>]: K extends 'id'
    ? number | string
    : RunsTable[K];
} & {
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
    details: r.details ? (JSON.parse(r.details) as Run['details']) : undefined,
  };
}
