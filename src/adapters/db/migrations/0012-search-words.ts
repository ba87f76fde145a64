import { sql, type Kysely, type Migration, type RawBuilder } from 'kysely';
import type { DbKind } from '../schema.js';

/**
 * PostgreSQL: a word index beside the GIN one (issue 5, docs/adr/0003-pg-search-words.md). One
 * row per distinct word of each `search_index` row, keyed (word, id) and carrying the visibility
 * keys, so a one-word search counts and pages its hits by an index-only scan instead of visiting
 * one heap row per match. A GIN index cannot count without the heap: over 1,000,000 samples,
 * `tissue50` (10,000 matches, 1,000 counted) cost 12 ms of PostgreSQL CPU through GIN and
 * 0.9 ms through this table (bench/search). Kept in step with `search_index` by a trigger, as
 * SQLite's FTS5 table is by the triggers of 0005. SQLite needs none of it (FTS5 counts from its
 * own doclists).
 */
export function searchWordsMigration(kind: DbKind): Migration {
  return {
    async up(db: Kysely<any>) {
      if (kind !== 'postgres') return;
      // `run_id`: the subject of a run or run file, the other arm of the visibility rule.
      // `rank`: ts_rank of the row for a query of this word alone, as the GIN path computes it.
      await sql`CREATE TABLE search_words (
          word text COLLATE "C" NOT NULL,
          id bigint NOT NULL,
          project_id bigint,
          run_id bigint,
          kind text NOT NULL,
          rank real NOT NULL)`.execute(db);
      await sql`CREATE FUNCTION search_words_sync() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
          IF TG_OP <> 'INSERT' THEN
            DELETE FROM search_words
            WHERE word = ANY (string_to_array(OLD.name_words || ' ' || OLD.body, ' '))
              AND id = OLD.id;
          END IF;
          IF TG_OP <> 'DELETE' THEN
            INSERT INTO search_words (word, id, project_id, run_id, kind, rank)
            SELECT w, NEW.id, NEW.project_id,
              CASE WHEN NEW.subject_kind = 'run' THEN NEW.subject_id END, NEW.kind,
              ${wordRank(sql`NEW.tsv`)}
            FROM (SELECT DISTINCT w FROM unnest(string_to_array(NEW.name_words || ' ' || NEW.body,
              ' ')) AS w WHERE w <> '') AS words;
          END IF;
          RETURN NULL;
        END $fn$`.execute(db);
      // The trigger first: creating it locks search_index against writes until the migration's
      // transaction ends, so no write of another process falls between the fill and the trigger.
      await sql`CREATE TRIGGER search_words_sync AFTER INSERT OR UPDATE OR DELETE ON search_index
        FOR EACH ROW EXECUTE FUNCTION search_words_sync()`.execute(db);
      await fillSearchWords(db);
    },
  };
}

/**
 * Fills `search_words` from every `search_index` row in one statement (the words as the trigger
 * writes them), then builds its key: the migration's backfill, and the bench's bulk fill (with
 * the trigger disabled while it inserts the rows). Expects an empty table without its key.
 */
export async function fillSearchWords(db: Kysely<any>): Promise<void> {
  await sql`INSERT INTO search_words (word, id, project_id, run_id, kind, rank)
    SELECT w, si.id, si.project_id, CASE WHEN si.subject_kind = 'run' THEN si.subject_id END,
      si.kind, ${wordRank(sql`si.tsv`)}
    FROM search_index si, LATERAL (SELECT DISTINCT w
      FROM unnest(string_to_array(si.name_words || ' ' || si.body, ' ')) AS w WHERE w <> '') AS words
    `.execute(db);
  // The key is the index the searches read: INCLUDE makes them index-only scans.
  await sql`ALTER TABLE search_words ADD CONSTRAINT search_words_pkey
    PRIMARY KEY (word, id) INCLUDE (project_id, run_id, kind, rank)`.execute(db);
}

/**
 * ts_rank of a row for the query of word `w` alone, the very expression the GIN path ranks by
 * (`to_tsquery('simple', '''w''')`), for the words the word path answers (plainWord in
 * search.repository.ts); 0 for the others, which never read it (and whose tsquery could be
 * empty, a NOTICE per word).
 */
function wordRank(tsv: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`CASE WHEN w ~ '^([a-z][a-z0-9]*|[0-9]+)$'
    THEN ts_rank(${tsv}, to_tsquery('simple'::regconfig, '''' || w || '''')) ELSE 0 END`;
}
