import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Page, PageRequest } from '../../../domain/index.js';
import {
  searchNameKey,
  searchWords,
  type SearchKind,
  type SearchQuery,
  type SearchTerm,
} from '../../../domain/search.js';
import type {
  SearchAccess,
  SearchHit,
  SearchRepository,
  SearchSort,
  Viewer,
} from '../../../ports.js';
import type { Database, DbKind } from '../schema.js';
import { toId } from './common.js';
import { visibleIds } from './visibility.js';

/** Indexed text is capped: a page of property text is plenty to find a resource by. */
const BODY_LIMIT = 32 * 1024;
/** Name words weigh more than the rest (bm25 column weights; tsvector weight A vs D). */
const NAME_WEIGHT = 4;

interface IndexRow {
  kind: SearchKind;
  owner_id: number | string;
  project_id: number | string | null;
  subject_kind: string;
  subject_id: number | string;
  name: string;
  texts: (string | null)[];
  created_at: string;
}

/** Strings of a property value worth finding it by: strings, string lists, map keys and values. */
export function propertyText(type: string, json: string): string[] {
  if (!(type === 'string' || type === 'string[]' || type === 'map' || type === 'map[]')) return [];
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(JSON.parse(json));
  return out;
}

/**
 * The search index (migration 0005). Rows are rebuilt whole from the resource and its properties
 * on every write that changes them; queries run on FTS5 (SQLite) or a GIN-indexed tsvector
 * (PostgreSQL), filtered to the caller's resources and token scope, exact names first.
 */
export class KyselySearchRepository implements SearchRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly kind: DbKind,
    /** PostgreSQL connections planning every run for its values (DbHandle.customPlans). */
    private readonly customPlans?: Kysely<Database>,
  ) {}

  private async source(
    kind: 'project' | 'sample' | 'appresult' | 'run' | 'file',
    id: string,
  ): Promise<IndexRow | undefined> {
    switch (kind) {
      case 'project': {
        const r = await this.db
          .selectFrom('projects')
          .select(['owner_id', 'name', 'description', 'created_at'])
          .where('id', '=', id)
          .executeTakeFirst();
        return (
          r && {
            kind,
            owner_id: r.owner_id,
            project_id: id,
            subject_kind: 'project',
            subject_id: id,
            name: r.name,
            texts: [r.description],
            created_at: r.created_at,
          }
        );
      }
      case 'sample': {
        const r = await this.db
          .selectFrom('samples')
          .select([
            'owner_id',
            'project_id',
            'name',
            'description',
            'sample_id',
            'experiment_name',
            'created_at',
          ])
          .where('id', '=', id)
          .executeTakeFirst();
        return (
          r && {
            kind,
            owner_id: r.owner_id,
            project_id: r.project_id,
            subject_kind: 'sample',
            subject_id: id,
            name: r.name,
            texts: [r.description, r.sample_id === r.name ? null : r.sample_id, r.experiment_name],
            created_at: r.created_at,
          }
        );
      }
      case 'appresult': {
        const r = await this.db
          .selectFrom('appresults')
          .select(['owner_id', 'project_id', 'name', 'description', 'created_at'])
          .where('id', '=', id)
          .executeTakeFirst();
        return (
          r && {
            kind,
            owner_id: r.owner_id,
            project_id: r.project_id,
            subject_kind: 'appresult',
            subject_id: id,
            name: r.name,
            texts: [r.description],
            created_at: r.created_at,
          }
        );
      }
      case 'run': {
        const r = await this.db
          .selectFrom('runs')
          .select([
            'owner_id',
            'name',
            'experiment_name',
            'instrument_name',
            'flowcell_barcode',
            'reagent_barcode',
            'created_at',
          ])
          .where('id', '=', id)
          .executeTakeFirst();
        return (
          r && {
            kind,
            owner_id: r.owner_id,
            project_id: null,
            subject_kind: 'run',
            subject_id: id,
            name: r.name,
            texts: [r.experiment_name, r.instrument_name, r.flowcell_barcode, r.reagent_barcode],
            created_at: r.created_at,
          }
        );
      }
      case 'file': {
        const r = await this.db
          .selectFrom('files')
          .select([
            'owner_id',
            'project_id',
            'parent_kind',
            'parent_id',
            'name',
            'path',
            'upload_status',
            'created_at',
          ])
          .where('id', '=', id)
          .executeTakeFirst();
        if (!r || r.upload_status !== 'complete') return undefined;
        return {
          kind: `${r.parent_kind}_file` as SearchKind,
          owner_id: r.owner_id,
          project_id: r.project_id,
          subject_kind: r.parent_kind,
          subject_id: r.parent_id,
          name: r.name,
          texts: [r.path],
          created_at: r.created_at,
        };
      }
    }
  }

  async reindex(
    kind: 'project' | 'sample' | 'appresult' | 'run' | 'file',
    id: string,
  ): Promise<void> {
    const row = await this.source(kind, id);
    if (!row) {
      const kinds: SearchKind[] =
        kind === 'file' ? ['sample_file', 'appresult_file', 'run_file'] : [kind];
      await this.db
        .deleteFrom('search_index')
        .where('kind', 'in', kinds)
        .where('resource_id', '=', id)
        .execute();
      return;
    }
    const props = await this.db
      .selectFrom('properties')
      .select(['type', 'value'])
      .where('resource_kind', '=', kind)
      .where('resource_id', '=', id)
      .orderBy('name')
      .execute();
    const texts = [
      row.name,
      ...row.texts.filter((t): t is string => !!t),
      ...props.flatMap((p) => propertyText(p.type, p.value)),
    ];
    const body = searchWords(texts.join(' ')).join(' ').slice(0, BODY_LIMIT);
    const values = {
      owner_id: row.owner_id,
      project_id: row.project_id,
      subject_kind: row.subject_kind,
      subject_id: row.subject_id,
      name: row.name,
      name_lc: searchNameKey(row.name),
      name_words: searchWords(row.name).join(' '),
      body,
      created_at: row.created_at,
    };
    await sql`INSERT INTO search_index
        (kind, resource_id, owner_id, project_id, subject_kind, subject_id, name, name_lc,
         name_words, body, created_at)
      VALUES (${row.kind}, ${id}, ${values.owner_id}, ${values.project_id}, ${values.subject_kind},
        ${values.subject_id}, ${values.name}, ${values.name_lc}, ${values.name_words},
        ${values.body}, ${values.created_at})
      ON CONFLICT (kind, resource_id) DO UPDATE SET
        owner_id = excluded.owner_id, project_id = excluded.project_id,
        subject_kind = excluded.subject_kind, subject_id = excluded.subject_id,
        name = excluded.name, name_lc = excluded.name_lc, name_words = excluded.name_words,
        body = excluded.body, created_at = excluded.created_at`.execute(this.db);
  }

  async search(
    query: SearchQuery,
    filter: { viewer: Viewer; kinds: readonly SearchKind[]; access: SearchAccess },
    page: PageRequest<SearchSort>,
  ): Promise<Page<SearchHit>> {
    // Sharing (issue 4): a hit is visible when its project is, or (runs and run files) its run.
    const where: RawBuilder<unknown>[] = [
      sql`(si.project_id IN (${visibleIds('project', filter.viewer)})
        OR (si.subject_kind = 'run' AND si.subject_id IN (${visibleIds('run', filter.viewer)})))`,
    ];
    if (filter.kinds.length < 7)
      where.push(sql`si.kind IN (${sql.join(filter.kinds.map((k) => sql.lit(k)))})`);
    const access = accessCondition(filter.access);
    if (access === false) return { totalCount: 0, items: [] };
    if (access) where.push(access);
    const conds = sql.join(where, sql` AND `);
    const cap = sql.lit(SEARCH_MAX_HITS);
    const exactName = query.exactName;
    // Paging stops at the cap: hits past it are not considered.
    const limit = Math.max(0, Math.min(page.limit, SEARCH_MAX_HITS - page.offset));
    const desc = page.sortDir === 'Desc';
    const dir = sql.raw(desc ? 'DESC' : 'ASC');
    const order =
      page.sortBy === 'Score'
        ? sql`exact ${dir}, rank ${dir}, id ${dir}`
        : page.sortBy === 'Name'
          ? sql`name_lc ${dir}, id ${dir}`
          : sql`created_at ${dir}, id ${dir}`;

    if (this.kind === 'sqlite') {
      const match = fts5Query(query.terms);
      const from = sql`search_fts JOIN search_index si ON si.id = search_fts.rowid`;
      const cols = sql`si.id, si.kind, si.resource_id, si.name_lc, si.created_at`;
      // Exact names wherever they are in the match set (visible ones: shared projects' too, so
      // not through the (owner_id, name_lc) index); the other matches are the first ones in
      // index order, up to SEARCH_MAX_HITS in all.
      const exact = sql`SELECT ${cols}, 1 AS exact FROM ${from}
        WHERE si.name_lc = ${exactName} AND search_fts MATCH ${match} AND ${conds}`;
      const exactCount = Number(
        (await sql<{ n: number }>`SELECT count(*) AS n FROM (${exact})`.execute(this.db)).rows[0]
          ?.n ?? 0,
      );
      const room = Math.max(0, SEARCH_MAX_HITS - exactCount);
      // Newest first: FTS5 walks its doclists backwards at no extra cost.
      const sliceOf = (limit: number, offset = 0) => sql`SELECT ${cols}, 0 AS exact FROM ${from}
        WHERE search_fts MATCH ${match} AND si.name_lc <> ${exactName} AND ${conds}
        ORDER BY search_fts.rowid DESC LIMIT ${sql.lit(limit)} OFFSET ${sql.lit(offset)}`;
      const slice = sliceOf(room);
      const others = Number(
        (await sql<{ n: number }>`SELECT count(*) AS n FROM (${slice})`.execute(this.db)).rows[0]
          ?.n ?? 0,
      );
      const total = Math.min(exactCount + others, SEARCH_MAX_HITS);
      if (total === 0 || limit === 0) return { totalCount: total, items: [] };
      // bm25 (lower is better: Score is its negation) costs ~3 us a row: small match sets are
      // ranked, large ones ordered by exact name, then index order.
      if (total <= SEARCH_RANKED_MAX) {
        const rows = await sql<PageRow>`SELECT si.id, si.kind, si.resource_id, si.name_lc,
            si.created_at, CASE WHEN si.name_lc = ${exactName} THEN 1 ELSE 0 END AS exact,
            -bm25(search_fts, ${sql.lit(NAME_WEIGHT)}, 1.0) AS rank
          FROM ${from} WHERE search_fts MATCH ${match} AND ${conds}
          ORDER BY ${order} LIMIT ${limit} OFFSET ${page.offset}`.execute(this.db);
        return { totalCount: total, items: rows.rows.map(toHit) };
      }
      if (page.sortBy === 'Score' && desc) {
        // The default order, without sorting the slice: exact names, then the slice as FTS5
        // yields it (newest first), reading only the rows up to the page's end.
        const exactRows = (
          await sql<PageRow>`SELECT *, 0 AS rank FROM (${exact}) ORDER BY id DESC`.execute(this.db)
        ).rows;
        const fromExact = exactRows.slice(page.offset, page.offset + limit);
        const rest = limit - fromExact.length;
        const skip = Math.max(0, page.offset - exactRows.length);
        const more =
          rest > 0 && skip < room
            ? (
                await sql<PageRow>`SELECT *, 0 AS rank FROM (${sliceOf(Math.min(rest, room - skip), skip)})`.execute(
                  this.db,
                )
              ).rows
            : [];
        return { totalCount: total, items: [...fromExact, ...more].map(toHit) };
      }
      const rows = await sql<PageRow>`SELECT *, 0 AS rank FROM (
          SELECT * FROM (${slice}) UNION ALL SELECT * FROM (${exact}))
        ORDER BY ${order} LIMIT ${limit} OFFSET ${page.offset}`.execute(this.db);
      return { totalCount: total, items: rows.rows.map(toHit) };
    }

    const tsq = sql`to_tsquery('simple'::regconfig, ${tsQuery(query.terms)})`;
    // PostgreSQL: one statement. The slice keeps each row's tsvector, and ts_rank runs only
    // when the slice is small; the count rides along (LEFT JOIN: an empty page still has it).
    // The constant inner LIMIT lets the planner read a common word's rows in table order until
    // it has enough (EXPLAIN ANALYZE, `kit5` over 1M rows: a GIN bitmap of all 100,000 matches
    // took 94 ms of 151; a scan stopping at 1,000 rows, 9 ms).
    const cols = sql`si.id, si.kind, si.resource_id, si.name_lc, si.created_at, si.tsv`;
    const ginStatement = (cap: RawBuilder<unknown>) => sql<PageRow & { total: string }>`
      WITH e AS MATERIALIZED (
        SELECT ${cols}, 1 AS exact FROM search_index si
        WHERE si.name_lc = ${exactName} AND si.tsv @@ ${tsq} AND ${conds}),
      s AS MATERIALIZED (
        (SELECT * FROM (SELECT ${cols}, 0 AS exact FROM search_index si
           WHERE si.tsv @@ ${tsq} AND si.name_lc <> ${exactName} AND ${conds} LIMIT ${cap}) x
         LIMIT greatest(0, ${cap} - (SELECT count(*) FROM e)))
        UNION ALL
        SELECT * FROM e),
      c AS (SELECT least(count(*), ${cap}) AS n FROM s),
      p AS (
        SELECT s.id, s.kind, s.resource_id, s.name_lc, s.created_at, s.exact,
          CASE WHEN (SELECT n FROM c) <= ${sql.lit(SEARCH_RANKED_MAX)}
            THEN ts_rank(s.tsv, ${tsq}) ELSE 0 END AS rank
        FROM s ORDER BY ${order} LIMIT ${limit} OFFSET ${page.offset})
      SELECT c.n AS total, p.* FROM c LEFT JOIN p ON true ORDER BY ${order}`;
    // Planned for its own words (ADR 0002: connections use generic plans otherwise). A generic
    // plan cannot know a word matches 10 rows or 100,000 and chose a GIN bitmap of every match:
    // bench/search, KIT5 p50 14 -> 959 ms.
    // One round trip on the custom-plan connections; without them (a repository made over a
    // bare handle), in a transaction that sets the mode for itself. `generic`: on the main
    // connections' generic plan, where that plan is the one every value gets anyway (below).
    const gin = async (cap: RawBuilder<unknown>, plan: 'custom' | 'generic' = 'custom') => {
      const statement = ginStatement(cap);
      const customPlans = this.customPlans;
      const result =
        this.db.isTransaction || plan === 'generic'
          ? await statement.execute(this.db)
          : customPlans
            ? await statement.execute(customPlans)
            : await this.db.transaction().execute(async (trx) => {
                await sql`SET LOCAL plan_cache_mode = force_custom_plan`.execute(trx);
                return statement.execute(trx);
              });
      return pageOf(result.rows);
    };
    const phrase = phraseWords(query.terms);
    if (phrase !== undefined && filter.access.global) {
      // Phrases and `name:` terms of plain words (an exact-name search: `Sample-0123456` is the
      // phrase `sample <-> 0123456`), usually with one rare word: its rows are the candidates
      // (every match holds every word), kept when they hold the other words too (one
      // search_words descent each) and then tested against the query on their search_index row,
      // exactly as the GIN statement's recheck does. Every step is a key lookup whatever the
      // words, so this runs on the connection's generic plan: the GIN statement, planned for its
      // words on every run, spent more CPU planning than running (ADR 0003, addendum 4). When
      // every word has more than PHRASE_DRIVER_MAX rows, GIN answers as before.
      const rows = (
        await phraseStatement({
          words: phrase,
          tsq,
          exactName,
          conds,
          order,
          limit,
          offset: page.offset,
        }).execute(this.db)
      ).rows;
      if (Number(rows[0]?.driver ?? 0) <= PHRASE_DRIVER_MAX) return pageOf(rows);
      return gin(cap);
    }
    const word = plainWord(query.terms);
    const words = word !== undefined ? [word] : plainWords(query.terms);
    if (words !== undefined && filter.access.global) {
      // One plain word (most searches), from search_words (migration 0012): the slice is the
      // newest SEARCH_MAX_HITS visible hits, read, counted and ranked (each word row holds its
      // ts_rank) by an index-only scan; search_index rows are visited for the page only, or for
      // every hit when the order needs names or dates. Every plan serves every word (no plan
      // choice), so this runs on the connection's generic plan, without a transaction (ADR 0003).
      // Several plain words, all required: past SEARCH_RANKED_MAX common hits they are counted
      // and paged here, joined by id (GIN would visit one search_index heap row per hit counted,
      // 1,000 random pages; the join reads the words' key ranges in id order: ADR 0003,
      // addendum 2). Whether they are past it, a probe of search_words tells at once when the
      // words share most of their newest rows (bench/search: `KIT<k> TISSUE<t>` with common
      // rows, the mix's p99), without GIN's bitmap of every common row (addendum 3); otherwise
      // GIN answers for at most SEARCH_RANKED_MAX + 1 hits: its posting lists answer "none" or
      // "a few" (ranked) cheaply, and only past that does the join run.
      const [first, ...more] = words;
      const joins = sql.join(
        more.map((other, i) => {
          const alias = sql.raw(`w${i + 1}`);
          return sql` JOIN search_words ${alias} ON ${alias}.word = ${other} AND ${alias}.id = w.id`;
        }),
        sql``,
      );
      const kinds =
        filter.kinds.length < 7
          ? sql` AND w.kind IN (${sql.join(filter.kinds.map((k) => sql.lit(k)))})`
          : sql``;
      const pageIds =
        page.sortBy === 'Score'
          ? sql`SELECT * FROM r ORDER BY ${order} LIMIT ${limit + page.offset}`
          : sql`SELECT * FROM r`;
      // `probe`: the statement answers only when the probe finds more than SEARCH_RANKED_MAX
      // common rows (a one-time filter on m and e); its count comes back as `probe`.
      const wordStatement = (probe?: RawBuilder<unknown>) => {
        const gate = probe
          ? sql` AND (SELECT n FROM probe) > ${sql.lit(SEARCH_RANKED_MAX)}`
          : sql``;
        return sql<PageRow & { total: string; probe: string | null }>`
        WITH ${probe ? sql`probe AS MATERIALIZED (${probe}),` : sql``}
        m AS MATERIALIZED (
          SELECT w.id, w.rank FROM search_words w${joins}
          WHERE w.word = ${first} AND (w.project_id IN (${visibleIds('project', filter.viewer)})
            OR w.run_id IN (${visibleIds('run', filter.viewer)}))${kinds}${gate}
          ORDER BY w.id DESC LIMIT ${cap}),
        e AS MATERIALIZED (
          SELECT si.id, w.rank FROM search_index si
          JOIN search_words w ON w.word = ${first} AND w.id = si.id${joins}
          WHERE si.name_lc = ${exactName} AND ${conds}${gate}),
        s AS MATERIALIZED (
          SELECT id, 1 AS exact, rank FROM e
          UNION ALL
          (SELECT id, 0 AS exact, rank FROM m WHERE id NOT IN (SELECT id FROM e)
           ORDER BY id DESC LIMIT greatest(0, ${cap} - (SELECT count(*) FROM e)))),
        c AS (SELECT count(*) AS n FROM s),
        r AS (
          SELECT id, exact,
            CASE WHEN (SELECT n FROM c) <= ${sql.lit(SEARCH_RANKED_MAX)} THEN rank ELSE 0 END AS rank
          FROM s),
        p AS (
          SELECT si.id, si.kind, si.resource_id, si.name_lc, si.created_at, t.exact, t.rank
          FROM (${pageIds}) t JOIN search_index si ON si.id = t.id
          ORDER BY ${order} LIMIT ${limit} OFFSET ${page.offset})
        SELECT c.n AS total, ${probe ? sql`(SELECT n FROM probe)` : sql`NULL`} AS probe, p.*
        FROM c LEFT JOIN p ON true ORDER BY ${order}`;
      };
      if (query.terms.length > 1) {
        // The probe's count past SEARCH_RANKED_MAX is what GIN's capped count would say.
        const probed = (
          await wordStatement(commonRowsProbe(words, filter.viewer, filter.kinds)).execute(this.db)
        ).rows;
        if (Number(probed[0]?.probe ?? 0) > SEARCH_RANKED_MAX) return pageOf(probed);
        // Generic plan: a GIN bitmap of the words' common rows, read until SEARCH_RANKED_MAX + 1
        // of them are visible, which is what the custom plans chose for these queries too
        // (EXPLAIN, `kit3 tissue47`): words common enough for a plan reading the table in order
        // share most of their newest rows, and the probe above has answered for them. Planning
        // it on every run cost more than running it (ADR 0003, addendum 4).
        const few = await gin(sql.lit(SEARCH_RANKED_MAX + 1), 'generic');
        if (few.totalCount <= SEARCH_RANKED_MAX) return few;
      }
      const result = await wordStatement().execute(this.db);
      return pageOf(result.rows);
    }

    return gin(cap);
  }
}

/** The page of a PostgreSQL search: its rows, each with the total (one row of nulls if none). */
function pageOf(rows: (PageRow & { total: string })[]): Page<SearchHit> {
  const items: SearchHit[] = [];
  for (const row of rows) if (row.id !== null) items.push(toHit(row));
  return { totalCount: Number(rows[0]?.total ?? 0), items };
}

/**
 * The query's word when it is one plain word (no phrase, prefix or `name:`) that PostgreSQL's
 * parser keeps whole, so search_words (our words) and the tsvector (the parser's lexemes) agree
 * on its matches: a letter then letters and digits, or digits only. Other words (`12e3x` is
 * the lexemes `12e3` and `x` to the parser) go through the GIN index.
 */
export function plainWord(terms: readonly SearchTerm[]): string | undefined {
  const term = terms.length === 1 ? terms[0]! : undefined;
  if (!term || term.prefix || term.nameOnly || term.words.length !== 1) return undefined;
  const word = term.words[0]!;
  return /^(?:[a-z][a-z0-9]*|[0-9]+)$/.test(word) ? word : undefined;
}

/**
 * The query's words when it is 2 to 4 terms, each one plain word (see {@link plainWord}), all
 * required: search_words can count their common rows. A repeated word counts once.
 */
export function plainWords(terms: readonly SearchTerm[]): string[] | undefined {
  if (terms.length < 2 || terms.length > 4) return undefined;
  const words: string[] = [];
  for (const term of terms) {
    const word = plainWord([term]);
    if (word === undefined) return undefined;
    if (!words.includes(word)) words.push(word);
  }
  return words;
}

/**
 * The distinct words of a query whose terms are all plain words (see {@link plainWord}), with a
 * phrase or a `name:` term among them (the queries the one-word and several-word statements do
 * not take), no prefix: search_words holds each of them exactly where the tsvector does.
 */
export function phraseWords(terms: readonly SearchTerm[]): string[] | undefined {
  if (!terms.some((t) => t.words.length > 1 || t.nameOnly)) return undefined;
  const words: string[] = [];
  for (const term of terms) {
    if (term.prefix) return undefined;
    for (const word of term.words) {
      if (!/^(?:[a-z][a-z0-9]*|[0-9]+)$/.test(word)) return undefined;
      if (!words.includes(word)) words.push(word);
    }
  }
  return words;
}

/**
 * A phrase query answers from its rarest word's rows when that word has at most this many: as
 * many search_index rows visited at worst (after the other words' descents, only the rows
 * holding every word are). Past it, the GIN statement.
 */
const PHRASE_DRIVER_MAX = 100;

/**
 * PostgreSQL, a phrase or `name:` query of plain words, global token (see {@link phraseWords}):
 * one statement on the generic plan. `driver` is the rarest word's row count, up to
 * PHRASE_DRIVER_MAX + 1; past PHRASE_DRIVER_MAX the rest does not run (a one-time filter) and
 * the caller asks GIN. Otherwise every match is among the driver's rows, so count, exact
 * names, ranks and order are the GIN statement's for the same matches (fewer than
 * SEARCH_MAX_HITS: no slice).
 */
function phraseStatement(q: {
  words: readonly string[];
  tsq: RawBuilder<unknown>;
  exactName: string;
  conds: RawBuilder<unknown>;
  order: RawBuilder<unknown>;
  limit: number;
  offset: number;
}) {
  const driver = sql`(SELECT w FROM d)`;
  const values = sql.join(q.words.map((w) => sql`(${w})`));
  // Scalar subqueries, one index descent per row and word (EXISTS became a hash of a word's
  // whole key range: ADR 0003, addendum 3). The candidates are materialized and each fetched
  // by its key (LATERAL ... OFFSET 0), so no plan can turn this into a GIN bitmap of every row
  // of a common word.
  const holdsAll = sql.join(
    q.words.map(
      (w) => sql`(${driver} = ${w} OR (SELECT true FROM search_words b
        WHERE b.word = ${w} AND b.id = w.id) IS NOT NULL)`,
    ),
    sql` AND `,
  );
  return sql<PageRow & { total: string; driver: string }>`
    WITH d AS MATERIALIZED (
      SELECT v.w, (SELECT count(*) FROM (SELECT 1 FROM search_words x WHERE x.word = v.w
          LIMIT ${sql.lit(PHRASE_DRIVER_MAX + 1)}) t) AS n
      FROM (VALUES ${values}) v(w) ORDER BY n LIMIT 1),
    k AS MATERIALIZED (
      SELECT w.id FROM search_words w
      WHERE w.word = ${driver} AND (SELECT n FROM d) <= ${sql.lit(PHRASE_DRIVER_MAX)}
        AND ${holdsAll}),
    h AS MATERIALIZED (
      SELECT si.id, si.kind, si.resource_id, si.name_lc, si.created_at, si.tsv,
        CASE WHEN si.name_lc = ${q.exactName} THEN 1 ELSE 0 END AS exact
      FROM k CROSS JOIN LATERAL (
        SELECT * FROM search_index si WHERE si.id = k.id OFFSET 0) si
      WHERE si.tsv @@ ${q.tsq} AND ${q.conds}),
    c AS (SELECT count(*) AS n FROM h),
    p AS (
      SELECT h.id, h.kind, h.resource_id, h.name_lc, h.created_at, h.exact,
        CASE WHEN (SELECT n FROM c) <= ${sql.lit(SEARCH_RANKED_MAX)}
          THEN ts_rank(h.tsv, ${q.tsq}) ELSE 0 END AS rank
      FROM h ORDER BY ${q.order} LIMIT ${q.limit} OFFSET ${q.offset})
    SELECT (SELECT n FROM d) AS driver, c.n AS total, p.* FROM c LEFT JOIN p ON true
    ORDER BY ${q.order}`;
}

/**
 * At most this many hits are considered per search (docs/api-choices.md "Search"): every exact
 * name match, then the first matches in index order. Counting and ranking every match of a
 * common word cost 0.15-2.6 s per request over 1,000,000 samples (bench/search); the slice
 * bounds the work whatever the query. TotalCount is capped at it too.
 */
export const SEARCH_MAX_HITS = 1000;

/**
 * Slices up to this size are ranked by relevance (bm25 / ts_rank); larger ones go by exact name,
 * then index order, with Score 1000 or 0. bm25 over a 1,000-row slice cost 3-7 ms on the bench
 * machine, more than all the rest of a search.
 */
export const SEARCH_RANKED_MAX = 200;

/** Rows of the driving word a probe reads first, and how many of them must be common rows. */
const PROBE_SAMPLE = 32;
const PROBE_SAMPLE_HITS = 16;
/** Rows of the driving word a probe reads at most: 201 common rows among them is half. */
const PROBE_ROWS = 2 * (SEARCH_RANKED_MAX + 1);

/**
 * PostgreSQL, several plain words (2-4, all required, a token that may browse everything): a
 * lower bound of their visible common rows in scope, up to SEARCH_RANKED_MAX + 1, read from
 * search_words (ADR 0003, addendum 3). Above SEARCH_RANKED_MAX it proves what GIN's capped
 * count would say (more than SEARCH_RANKED_MAX hits), so GIN's bitmap of every common row and
 * its heap rows are skipped; otherwise (a bound only) GIN answers.
 *
 * It walks the newest rows of the rarest-looking word (the one whose 32 newest rows span the
 * most ids) and probes the other words' keys for each row's id, one index descent each: the 32
 * newest first, giving up unless half are visible common rows (so words sharing few rows, most
 * AND queries, pay ~32 descents), then up to PROBE_ROWS, stopping at SEARCH_RANKED_MAX + 1
 * common rows. Each probe is a scalar subquery, not EXISTS: PostgreSQL made EXISTS a hash of
 * the other word's whole key range (100,000 rows for `kit4`). No step depends on the words'
 * frequencies: it runs on the connection's generic plan.
 */
function commonRowsProbe(
  words: readonly string[],
  viewer: Viewer,
  kinds: readonly SearchKind[],
): RawBuilder<unknown> {
  const values = sql.join(words.map((w) => sql`(${w})`));
  const driver = sql`(SELECT w FROM probe_driver)`;
  const rows = (n: number) => sql`(SELECT id, project_id, run_id, kind FROM search_words
      WHERE word = ${driver} ORDER BY id DESC LIMIT ${sql.lit(n)}) a`;
  const common = sql.join(
    words.map(
      (w) => sql`(${driver} = ${w} OR (SELECT true FROM search_words b
        WHERE b.word = ${w} AND b.id = a.id) IS NOT NULL)`,
    ),
    sql` AND `,
  );
  const visible = sql.join(
    [
      sql`(a.project_id IN (${visibleIds('project', viewer)})
        OR a.run_id IN (${visibleIds('run', viewer)}))`,
      ...(kinds.length < 7 ? [sql`a.kind IN (${sql.join(kinds.map((k) => sql.lit(k)))})`] : []),
    ],
    sql` AND `,
  );
  // CASE: the visibility test (a hash of the viewer's projects) only for common rows; as plain
  // AND, PostgreSQL ordered it first (cheaper per row) and built the hash for every probe.
  const hits = sql`CASE WHEN ${common} THEN ${visible} ELSE false END`;
  return sql`WITH probe_driver AS MATERIALIZED (
      SELECT w FROM (VALUES ${values}) v(w)
      ORDER BY (SELECT min(id) FROM (SELECT id FROM search_words WHERE word = v.w
        ORDER BY id DESC LIMIT ${sql.lit(PROBE_SAMPLE)}) t) NULLS FIRST
      LIMIT 1)
    SELECT CASE
      WHEN (SELECT count(*) FROM ${rows(PROBE_SAMPLE)} WHERE ${hits}) >= ${sql.lit(PROBE_SAMPLE_HITS)}
      THEN (SELECT count(*) FROM (SELECT 1 FROM ${rows(PROBE_ROWS)} WHERE ${hits}
        LIMIT ${sql.lit(SEARCH_RANKED_MAX + 1)}) x)
      ELSE 0 END AS n`;
}

interface PageRow {
  id: number | string | null;
  kind: SearchKind;
  resource_id: number | string;
  exact: number | string;
  rank: number | string | null;
}

const toHit = (r: PageRow): SearchHit =>
  hit(r.kind, r.resource_id, Number(r.exact), Number(r.rank ?? 0));

const hit = (kind: SearchKind, id: number | string, exact: number, rank: number): SearchHit => ({
  kind,
  id: toId(id),
  score: (exact ? 1000 : 0) + Math.round(rank * 1e6) / 1e6,
});

/** undefined: no restriction; false: the token may browse nothing searchable. */
function accessCondition(access: SearchAccess): RawBuilder<unknown> | undefined | false {
  if (access.global) return undefined;
  const parts: RawBuilder<unknown>[] = [];
  const ids = (list: readonly string[]) => sql.join(list.map((id) => sql`${id}`));
  if (access.projectIds.length > 0) parts.push(sql`si.project_id IN (${ids(access.projectIds)})`);
  const subjects: [string, readonly string[]][] = [
    ['run', access.runIds],
    ['sample', access.sampleIds],
    ['appresult', access.appResultIds],
  ];
  for (const [kind, list] of subjects)
    if (list.length > 0)
      parts.push(sql`(si.subject_kind = ${sql.lit(kind)} AND si.subject_id IN (${ids(list)}))`);
  if (parts.length === 0) return false;
  return sql`(${sql.join(parts, sql` OR `)})`;
}

/** FTS5 query: every word double-quoted (words are letters and digits only, see searchWords). */
export function fts5Query(terms: readonly SearchTerm[]): string {
  return terms
    .map((t) => {
      const phrase = `"${t.words.join(' ')}"${t.prefix ? '*' : ''}`;
      return t.nameOnly ? `name_words : ${phrase}` : phrase;
    })
    .join(' AND ');
}

/** tsquery text: quoted lexemes, `<->` inside a phrase, `:*` prefix, `:A` for the name only. */
export function tsQuery(terms: readonly SearchTerm[]): string {
  return terms
    .map((t) => {
      const lexemes = t.words.map((w, i) => {
        const flags = `${t.prefix && i === t.words.length - 1 ? '*' : ''}${t.nameOnly ? 'A' : ''}`;
        return `'${w}'${flags ? `:${flags}` : ''}`;
      });
      return lexemes.length === 1 ? lexemes[0]! : `(${lexemes.join(' <-> ')})`;
    })
    .join(' & ');
}

/**
 * Indexes what existed before migration 0005 (one row at a time through `reindex`, so the text
 * is exactly what a write would index; minutes for millions of rows, once).
 */
export async function backfillSearchIndex(db: Kysely<Database>, kind: DbKind): Promise<void> {
  const repo = new KyselySearchRepository(db, kind);
  const tables = [
    ['project', 'projects'],
    ['sample', 'samples'],
    ['appresult', 'appresults'],
    ['run', 'runs'],
    ['file', 'files'],
  ] as const;
  for (const [resource, table] of tables) {
    let after: string | number = 0;
    for (;;) {
      const onlyComplete = table === 'files' ? sql`AND upload_status = 'complete'` : sql``;
      const { rows } = await sql<{ id: number | string }>`SELECT id FROM ${sql.table(table)}
        WHERE id > ${after} ${onlyComplete} ORDER BY id LIMIT 1000`.execute(db);
      if (rows.length === 0) break;
      for (const row of rows) await repo.reindex(resource, toId(row.id));
      after = rows.at(-1)!.id;
    }
  }
}
