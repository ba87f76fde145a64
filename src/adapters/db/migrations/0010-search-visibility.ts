import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Exact-name hits of a search (issue 5, docs/api-choices.md "Search") by name alone. Since
 * sharing (issue 4) a visible hit may belong to any owner, so the (owner_id, name_lc) index of
 * 0005 cannot serve them: PostgreSQL fetched every match of the query's words to test their
 * names (EXPLAIN ANALYZE, `tissue50` over 1,000,000 samples: 10,000 heap blocks, 963 ms of a
 * 1,013 ms search; with this index 0.1 ms). SQLite only found them through a skip-scan that
 * depends on ANALYZE statistics.
 */
export const searchVisibilityMigration: Migration = {
  async up(db: Kysely<any>) {
    await sql`CREATE INDEX search_index_name_lc_idx ON search_index (name_lc)`.execute(db);
  },
};
