import { sql, type SelectQueryBuilder } from 'kysely';
import type { Page, PageRequest, ResourceReference, UserRef } from '../../../domain/index.js';

/** int8 comes back as a string from pg and a number from better-sqlite3: ids are strings inside. */
export const toId = (v: number | string): string => String(v);
export const optId = (v: number | string | null | undefined): string | undefined =>
  v === null || v === undefined ? undefined : String(v);
export const optNum = (v: number | string | null | undefined): number | undefined =>
  v === null || v === undefined ? undefined : Number(v);
export const optStr = (v: string | null | undefined): string | undefined => v ?? undefined;
export const optBool = (v: number | null | undefined): boolean | undefined =>
  v === null || v === undefined ? undefined : v !== 0;
export const nullable = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

export const ownerRef = (row: {
  owner_id: number | string;
  owner_name: string;
  owner_email: string;
}): UserRef => ({
  id: toId(row.owner_id),
  name: row.owner_name,
  email: row.owner_email,
});

export const encodeRefs = (refs: readonly ResourceReference[]): string | null =>
  refs.length === 0 ? null : JSON.stringify(refs);
export const decodeRefs = (text: string | null): ResourceReference[] =>
  text ? (JSON.parse(text) as ResourceReference[]) : [];

/**
 * Orders by the requested column then by id (a stable tiebreak, so pages never overlap), and cuts
 * the page. `columns` maps each API SortBy value to a column of the query.
 */
export function orderAndPage<DB, TB extends keyof DB, O, S extends string>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: PageRequest<S>,
  columns: Record<S, string>,
  idColumn: string,
): SelectQueryBuilder<DB, TB, O> {
  const dir = page.sortDir === 'Desc' ? 'desc' : 'asc';
  const column = columns[page.sortBy];
  let q = query.orderBy(sql.ref(column), dir);
  if (column !== idColumn) q = q.orderBy(sql.ref(idColumn), dir);
  return q.limit(page.limit).offset(page.offset);
}

/** Runs the count and the page queries of one list. */
export async function pageOf<R, T>(
  count: Promise<{ n: number | string | bigint } | undefined>,
  rows: Promise<R[]>,
  map: (row: R) => T,
): Promise<Page<T>> {
  const [c, r] = await Promise.all([count, rows]);
  return { totalCount: Number(c?.n ?? 0), items: r.map(map) };
}

export const countAll = sql<number>`count(*)`.as('n');
