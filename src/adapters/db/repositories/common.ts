import { createHash } from 'node:crypto';
import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type {
  Page,
  PageRequest,
  PropertyMatch,
  PropertyOwner,
  ResourceReference,
  UserRef,
} from '../../../domain/index.js';

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

/**
 * Key of a value in `property_values` (migration 0006): a SHA-256, so values of any length (up to
 * 64 KiB) fit a b-tree index on both databases, and equal strings give equal keys.
 */
export const propertyValueKey = (value: string): string =>
  createHash('sha256').update(value, 'utf8').digest('base64url');

/**
 * `<idColumn> IN (resources of this kind whose property has this value)`, answered from the
 * (resource_kind, name, value_hash, resource_id) index of `property_values`: a list filter
 * (docs/api-choices.md "Property filters") never reads a property row.
 */
export function propertyCondition(
  kind: PropertyOwner,
  idColumn: string,
  match: PropertyMatch,
): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(idColumn)} IN (SELECT pv.resource_id FROM property_values pv
    WHERE pv.resource_kind = ${kind} AND pv.name = ${match.name}
      AND pv.value_hash = ${propertyValueKey(match.value)})`;
}
