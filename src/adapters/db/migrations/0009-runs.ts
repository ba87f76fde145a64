import type { Kysely, Migration } from 'kysely';

/**
 * Run ingest (issue 6): what RunInfo.xml, RunParameters.xml and the sample sheet say about a run
 * (`details`, JSON: reads, lanes, tiles, chemistry...) and the InterOp summary computed once at
 * ingest (`sequencing_stats`, JSON), so `GET runs/{id}/sequencingstats` never re-parses InterOp.
 * A run being imported has status `Importing` and is invisible until its one final transaction.
 */
export const runsMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('runs').addColumn('details', 'text').execute();
    await db.schema.alterTable('runs').addColumn('sequencing_stats', 'text').execute();
  },
};
