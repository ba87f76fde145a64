import type { Kysely, Migration } from 'kysely';
import type { DbKind } from '../schema.js';

/**
 * Apps (issue 12). Genomes may carry their sequence: `sequence_status` is NULL for catalog
 * entries without one, `indexing` while the `genome-index` job builds the FASTA index and the
 * aligner index, then `ready` or `failed` (with `sequence_message`); the files live in the blob
 * store under `sequence_key` (a prefix). `appsession_logs` holds the log lines an app writes,
 * in order, readable while it runs, from whichever process runs it.
 */
export function appsMigration(kind: DbKind): Migration {
  const refType = kind === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('genomes').addColumn('sequence_status', 'text').execute();
      await db.schema.alterTable('genomes').addColumn('sequence_key', 'text').execute();
      await db.schema.alterTable('genomes').addColumn('sequence_message', 'text').execute();
      await db.schema
        .createTable('appsession_logs')
        .addColumn('appsession_id', refType, (c) => c.notNull().references('appsessions.id'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('appsession_logs_pk', ['appsession_id', 'seq'])
        .execute();
    },
  };
}
