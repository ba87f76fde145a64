import type { Kysely, Migration } from 'kysely';

/**
 * Indexing state of VCF and BAM files (issue 7): `pending` from the moment the upload completes,
 * `ready` once the index, header and coverage are stored beside the file, `failed` with a
 * message a person can act on. NULL for every other file. The index lets a starting hub find
 * indexing that a stopped process left pending.
 */
export const genomicsMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('files').addColumn('index_status', 'text').execute();
    await db.schema.alterTable('files').addColumn('index_message', 'text').execute();
    await db.schema
      .createIndex('files_index_status_ix')
      .on('files')
      .columns(['index_status', 'id'])
      .execute();
  },
};
