import type { Kysely, Migration } from 'kysely';
import { GENOME_CATALOG } from '../../../domain/index.js';

/** Seeds the reference genome catalog (domain/genomes.ts). Ids are fixed, so re-running is harmless. */
export const genomeCatalogMigration: Migration = {
  async up(db: Kysely<any>) {
    await db
      .insertInto('genomes')
      .values(
        GENOME_CATALOG.map((g) => ({
          id: g.id,
          species_name: g.speciesName,
          source: g.source,
          build: g.build,
          display_name: g.displayName,
        })),
      )
      .execute();
  },
};
