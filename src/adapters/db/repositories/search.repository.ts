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

    const desc = page.sortDir === 'Desc';
    const dir = sql.raw(desc ? 'DESC' : 'ASC');
    const exact = sql`CASE WHEN si.name_lc = ${query.exactName} THEN 1 ELSE 0 END`;

    if (this.kind === 'sqlite') {
      const match = sql`search_fts MATCH ${fts5Query(query.terms)}`;
      const conds = sql.join([match, ...where], sql` AND `);
      const from = sql`search_fts JOIN search_index si ON si.id = search_fts.rowid`;
      // bm25 is lower-is-better: Score is its negation, so higher is better on both databases.
      const rank = sql`bm25(search_fts, ${sql.lit(NAME_WEIGHT)}, 1.0)`;
      const order =
        page.sortBy === 'Score'
          ? sql`exact ${dir}, rank ${sql.raw(desc ? 'ASC' : 'DESC')}, si.id ${dir}`
          : page.sortBy === 'Name'
            ? sql`si.name_lc ${dir}, si.id ${dir}`
            : sql`si.created_at ${dir}, si.id ${dir}`;
      const rows = await sql<{
        kind: SearchKind;
        resource_id: number;
        exact: number;
        rank: number;
      }>`
        SELECT si.kind, si.resource_id, ${exact} AS exact, ${rank} AS rank
        FROM ${from} WHERE ${conds}
        ORDER BY ${order} LIMIT ${page.limit} OFFSET ${page.offset}`.execute(this.db);
      const count = await sql<{
        n: number;
      }>`SELECT count(*) AS n FROM ${from} WHERE ${conds}`.execute(this.db);
      return {
        totalCount: Number(count.rows[0]?.n ?? 0),
        items: rows.rows.map((r) => hit(r.kind, r.resource_id, Number(r.exact), -Number(r.rank))),
      };
    }

    const tsq = sql`to_tsquery('simple'::regconfig, ${tsQuery(query.terms)})`;
    const conds = sql.join([sql`si.tsv @@ ${tsq}`, ...where], sql` AND `);
    const order =
      page.sortBy === 'Score'
        ? sql`exact ${dir}, rank ${dir}, si.id ${dir}`
        : page.sortBy === 'Name'
          ? sql`si.name_lc ${dir}, si.id ${dir}`
          : sql`si.created_at ${dir}, si.id ${dir}`;
    const [rows, count] = await Promise.all([
      sql<{ kind: SearchKind; resource_id: string; exact: number; rank: number }>`
        SELECT si.kind, si.resource_id, ${exact} AS exact, ts_rank(si.tsv, ${tsq}) AS rank
        FROM search_index si WHERE ${conds}
        ORDER BY ${order} LIMIT ${page.limit} OFFSET ${page.offset}`.execute(this.db),
      sql<{ n: string }>`SELECT count(*) AS n FROM search_index si WHERE ${conds}`.execute(this.db),
    ]);
    return {
      totalCount: Number(count.rows[0]?.n ?? 0),
      items: rows.rows.map((r) => hit(r.kind, r.resource_id, Number(r.exact), Number(r.rank))),
    };
  }
}

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
