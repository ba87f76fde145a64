import { sql, type Kysely } from 'kysely';
import type { Genome, GenomeSequenceStatus, Page, PageRequest } from '../../../domain/index.js';
import type { AppSessionLogRepository, GenomeRepository, GenomeSort } from '../../../ports.js';
import type { Database } from '../schema.js';
import { countAll, orderAndPage, pageOf, toId } from './common.js';

const SORT_COLUMNS: Record<GenomeSort, string> = {
  Id: 'g.id',
  SpeciesName: 'g.species_name',
  Build: 'g.build',
};

export class KyselyGenomeRepository implements GenomeRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async findById(id: string): Promise<Genome | undefined> {
    const row = await this.db
      .selectFrom('genomes as g')
      .selectAll()
      .where('g.id', '=', id)
      .executeTakeFirst();
    return row && mapGenome(row);
  }

  async list(page: PageRequest<GenomeSort>): Promise<Page<Genome>> {
    const base = this.db.selectFrom('genomes as g');
    const rows = orderAndPage(base.selectAll('g'), page, SORT_COLUMNS, 'g.id').execute();
    return pageOf(base.select(countAll).executeTakeFirst(), rows, mapGenome);
  }

  async createWithSequence(input: {
    speciesName: string;
    source: string;
    build: string;
    displayName: string;
    sequenceKey: (id: string) => string;
  }): Promise<Genome> {
    // Catalog ids are fixed (1-30); added genomes take the next one. The caller's transaction
    // (or the primary key) keeps two concurrent adds from sharing it.
    const max = await this.db
      .selectFrom('genomes')
      .select(sql<number | string>`max(id)`.as('m'))
      .executeTakeFirst();
    const id = String(Number(max?.m ?? 0) + 1);
    await this.db
      .insertInto('genomes')
      .values({
        id,
        species_name: input.speciesName,
        source: input.source,
        build: input.build,
        display_name: input.displayName,
        sequence_status: 'indexing',
        sequence_key: input.sequenceKey(id),
        sequence_message: null,
      })
      .execute();
    return (await this.findById(id))!;
  }

  async setSequenceStatus(
    id: string,
    status: GenomeSequenceStatus,
    message: string | undefined,
  ): Promise<void> {
    await this.db
      .updateTable('genomes')
      .set({ sequence_status: status, sequence_message: message ?? null })
      .where('id', '=', id)
      .where('sequence_key', 'is not', null)
      .execute();
  }
}

/** App logs: numbered lines per AppSession; the writer numbers them (one job writes a log). */
export class KyselyAppSessionLogRepository implements AppSessionLogRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async append(appSessionId: string, firstSeq: number, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    await this.db
      .insertInto('appsession_logs')
      .values(lines.map((text, i) => ({ appsession_id: appSessionId, seq: firstSeq + i, text })))
      .execute();
  }

  async read(appSessionId: string, fromSeq = 0, limit = 100_000): Promise<string[]> {
    const rows = await this.db
      .selectFrom('appsession_logs')
      .select('text')
      .where('appsession_id', '=', appSessionId)
      .where('seq', '>=', fromSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((r) => r.text);
  }

  async next(appSessionId: string): Promise<number> {
    const row = await this.db
      .selectFrom('appsession_logs')
      .select(sql<number | string | null>`max(seq)`.as('m'))
      .where('appsession_id', '=', appSessionId)
      .executeTakeFirst();
    return row?.m === null || row?.m === undefined ? 0 : Number(row.m) + 1;
  }
}

function mapGenome(r: {
  id: number | string;
  species_name: string;
  source: string;
  build: string;
  display_name: string;
  sequence_status: string | null;
  sequence_key: string | null;
  sequence_message: string | null;
}): Genome {
  return {
    id: toId(r.id),
    speciesName: r.species_name,
    source: r.source,
    build: r.build,
    displayName: r.display_name,
    ...(r.sequence_status &&
      r.sequence_key && {
        sequence: {
          status: r.sequence_status as GenomeSequenceStatus,
          key: r.sequence_key,
          message: r.sequence_message ?? undefined,
        },
      }),
  };
}
