import type { Kysely, Migration } from 'kysely';

/**
 * The CRC-32 of a file's content (issue 8), hex, beside its MD5 and SHA-256: clients verify a
 * download with it at a fraction of SHA-256's CPU (bench/download.mjs). NULL for files stored
 * before this migration: clients then fall back to SHA-256 or MD5.
 */
export const fileCrc32Migration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('files').addColumn('crc32', 'text').execute();
  },
};
