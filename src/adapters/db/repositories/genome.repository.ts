import type { Kysely } from 'kysely';
import type { Genome, Page, PageRequest } from '../../../domain/index.js';
import type { GenomeRepository, GenomeSort } from '../../../ports.js';
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
}

function mapGenome(r: {
  id: number | string;
  species_name: string;
  source: string;
  build: string;
  display_name: string;
}): Genome {
  return {
    id: toId(r.id),
    speciesName: r.species_name,
    source: r.source,
    build: r.build,
    displayName: r.display_name,
  };
}
