import { sql, type Kysely } from 'kysely';
import type { DbHandle } from './connect.js';

/**
 * Tables never copied: the migrator's own (the target is migrated by the same code), SQLite's
 * FTS5 index and its shadow tables (rebuilt by triggers as `search_index` rows arrive), and
 * PostgreSQL's `search_words` (filled by its trigger the same way, migration 0012).
 */
const SKIPPED =
  /^(kysely_migration|kysely_migration_lock|search_fts(_\w+)?|search_words|sqlite_\w+)$/;

/**
 * Rows per INSERT: PostgreSQL takes at most 65,535 parameters per statement and SQLite 32,766;
 * staying under 30,000 keeps every table (the widest has ~25 columns) within both.
 */
const MAX_PARAMETERS = 30_000;
const MAX_BATCH_ROWS = 1000;

export interface TableCopy {
  table: string;
  rows: number;
}

/**
 * Copies every row of an embedded (SQLite) hub database into a freshly migrated, empty PostgreSQL
 * one, ids kept, in one transaction: the target either holds all of it or nothing new. Tables are
 * filled parents first (by the target's foreign keys); identity sequences are then moved past the
 * highest id SQLite ever gave out (its `sqlite_sequence`), so a deleted object's id is not reused.
 * Row counts are compared table by table before the commit.
 */
export async function copyDatabase(
  source: DbHandle,
  target: DbHandle,
  onTable: (copied: TableCopy) => void = () => undefined,
): Promise<TableCopy[]> {
  if (source.kind !== 'sqlite' || target.kind !== 'postgres')
    throw new Error('database copy goes from an embedded SQLite hub to PostgreSQL');
  const from = source.db as Kysely<any>;
  const to = target.db as Kysely<any>;

  const sourceTables = (
    await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table'`.execute(from)
  ).rows
    .map((r) => r.name)
    .filter((name) => !SKIPPED.test(name));
  const targetColumns = await postgresColumns(to);
  const missing = sourceTables.filter((t) => !targetColumns.has(t));
  if (missing.length > 0)
    throw new Error(
      `the target database has no table ${missing.join(', ')}: is it the same version?`,
    );

  const ordered = await parentsFirst(to, sourceTables);
  const sequences = new Map(
    (
      await sql<{ name: string; seq: number }>`SELECT name, seq FROM sqlite_sequence`.execute(from)
    ).rows.map((r) => [r.name, Number(r.seq)]),
  );

  return to.transaction().execute(async (tx) => {
    const users = await tx
      .selectFrom('users')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirst();
    if (Number(users?.n ?? 0) > 0)
      throw new Error('the target database already holds users: give an empty database');
    // Migrations seed some tables (the genome catalog); the source's copy of them wins.
    for (const table of [...ordered].reverse()) await tx.deleteFrom(table).execute();

    const copied: TableCopy[] = [];
    for (const table of ordered) {
      const columns = targetColumns
        .get(table)!
        .filter((c) => !c.generated)
        .map((c) => c.name);
      const sourceCols = new Set(
        (
          await sql<{ name: string }>`SELECT name FROM pragma_table_info(${table})`.execute(from)
        ).rows.map((r) => r.name),
      );
      const shared = columns.filter((c) => sourceCols.has(c));
      const batch = Math.max(
        1,
        Math.min(MAX_BATCH_ROWS, Math.floor(MAX_PARAMETERS / shared.length)),
      );
      let after = Number.MIN_SAFE_INTEGER;
      let rows = 0;
      for (;;) {
        const page = (
          await sql<Record<string, unknown>>`SELECT rowid AS seqhub_rowid, ${sql.join(
            shared.map((c) => sql.ref(c)),
          )} FROM ${sql.table(table)} WHERE rowid > ${after}
          ORDER BY rowid LIMIT ${batch}`.execute(from)
        ).rows;
        if (page.length === 0) break;
        after = Number(page[page.length - 1]!.seqhub_rowid);
        await tx
          .insertInto(table)
          .values(page.map((row) => Object.fromEntries(shared.map((c) => [c, row[c] ?? null]))))
          .execute();
        rows += page.length;
      }
      const counted = await tx
        .selectFrom(table)
        .select(sql<string>`count(*)`.as('n'))
        .executeTakeFirstOrThrow();
      if (Number(counted.n) !== rows)
        throw new Error(`table ${table}: copied ${rows} rows but the target holds ${counted.n}`);
      for (const column of targetColumns.get(table)!.filter((c) => c.identity)) {
        const top = await sql<{
          top: string;
        }>`SELECT coalesce(max(${sql.ref(column.name)}), 0) AS top
          FROM ${sql.table(table)}`.execute(tx);
        const next = Math.max(sequences.get(table) ?? 0, Number(top.rows[0]?.top ?? 0));
        if (next > 0)
          await sql`SELECT setval(pg_get_serial_sequence(${table}, ${column.name}), ${next}, true)`.execute(
            tx,
          );
      }
      copied.push({ table, rows });
      onTable({ table, rows });
    }
    return copied;
  });
}

interface PgColumn {
  name: string;
  generated: boolean;
  identity: boolean;
}

async function postgresColumns(db: Kysely<any>): Promise<Map<string, PgColumn[]>> {
  const rows = (
    await sql<{
      table_name: string;
      column_name: string;
      is_generated: string;
      is_identity: string;
    }>`SELECT table_name, column_name, is_generated, is_identity FROM information_schema.columns
      WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`.execute(db)
  ).rows;
  const out = new Map<string, PgColumn[]>();
  for (const r of rows) {
    let list = out.get(r.table_name);
    if (!list) out.set(r.table_name, (list = []));
    list.push({
      name: r.column_name,
      generated: r.is_generated === 'ALWAYS',
      identity: r.is_identity === 'YES',
    });
  }
  return out;
}

/** `tables` ordered so that every table comes after the tables its foreign keys point to. */
async function parentsFirst(db: Kysely<any>, tables: string[]): Promise<string[]> {
  const edges = (
    await sql<{ child: string; parent: string }>`SELECT c.conrelid::regclass::text AS child,
        c.confrelid::regclass::text AS parent
      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE c.contype = 'f' AND n.nspname = current_schema()`.execute(db)
  ).rows;
  const wanted = new Set(tables);
  const parents = new Map<string, Set<string>>(tables.map((t) => [t, new Set()]));
  for (const { child, parent } of edges) {
    const c = child.replace(/^"|"$/g, '');
    const p = parent.replace(/^"|"$/g, '');
    if (c !== p && wanted.has(c) && wanted.has(p)) parents.get(c)!.add(p);
  }
  const out: string[] = [];
  const placed = new Set<string>();
  while (out.length < tables.length) {
    const ready = [...tables]
      .sort()
      .filter((t) => !placed.has(t) && [...parents.get(t)!].every((p) => placed.has(p)));
    if (ready.length === 0) throw new Error('foreign keys form a cycle between tables');
    for (const t of ready) {
      placed.add(t);
      out.push(t);
    }
  }
  return out;
}
