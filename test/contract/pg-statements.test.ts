import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DbHandle } from '../../src/adapters/db/index.js';
import { backends } from '../support/backends.js';

/**
 * PostgreSQL runs our statements as named prepared statements with generic plans
 * (adapters/db/connect.ts). What that must not break: a table changed under a prepared
 * `select *` by another connection (a migration from another process), and many distinct texts.
 */
const postgres = backends().filter((b) => b.kind === 'postgres');

describe.skipIf(postgres.length === 0).each(postgres)('prepared statements on $kind', (backend) => {
  let handle: DbHandle;
  let other: DbHandle;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await backend.create();
    drop = db.drop;
    const url = db.env.DATABASE_URL!;
    handle = openDatabase({ kind: 'postgres', url, poolSize: 1 });
    other = openDatabase({ kind: 'postgres', url, poolSize: 1 });
    await sql`create table t (id integer primary key, a text)`.execute(other.db);
    await sql`insert into t values (1, 'one'), (2, 'two')`.execute(other.db);
  });
  afterAll(async () => {
    await handle?.close();
    await other?.close();
    await drop?.();
  });

  it('uses a generic plan on its connections', async () => {
    const { rows } = await sql<{ plan_cache_mode: string }>`show plan_cache_mode`.execute(
      handle.db,
    );
    expect(rows[0]?.plan_cache_mode).toBe('force_generic_plan');
  });

  it('has custom-plan connections for statements planned for their values (ADR 0003)', async () => {
    const { rows } = await sql<{ plan_cache_mode: string }>`show plan_cache_mode`.execute(
      handle.customPlans!,
    );
    expect(rows[0]?.plan_cache_mode).toBe('force_custom_plan');
    // A named statement there is planned for each run's values: a skewed column gets an index
    // scan for its rare value and a sequential scan for its common one.
    await sql`create table skew (id integer primary key, k text)`.execute(other.db);
    await sql`insert into skew select g, case when g = 1 then 'rare' else 'common' end
      from generate_series(1, 5000) g`.execute(other.db);
    await sql`create index skew_k on skew (k)`.execute(other.db);
    await sql`analyze skew`.execute(other.db);
    const plan = async (k: string) => {
      for (let i = 0; i < 6; i++)
        await sql`select id from skew where k = ${k}`.execute(handle.customPlans!);
      const { rows } = await sql<{ name: string; generic_plans: string; custom_plans: string }>`
        select name, generic_plans, custom_plans from pg_prepared_statements
        where statement like 'select id from skew%'`.execute(handle.customPlans!);
      return rows;
    };
    const runs = await plan('rare');
    await plan('common');
    expect(runs).toHaveLength(1);
    expect(Number(runs[0]!.generic_plans)).toBe(0);
    expect(Number(runs[0]!.custom_plans)).toBeGreaterThanOrEqual(6);
  });

  it('answers a select * again after another connection adds a column', async () => {
    const read = (id: number) =>
      handle.db
        .selectFrom('t' as never)
        .selectAll()
        .where('id' as never, '=', id as never)
        .execute() as Promise<Record<string, unknown>[]>;
    for (let i = 0; i < 6; i++) expect(await read(1)).toEqual([{ id: 1, a: 'one' }]);
    await sql`alter table t add column b text default 'x'`.execute(other.db);
    expect(await read(2)).toEqual([{ id: 2, a: 'two', b: 'x' }]);
    expect(await read(1)).toEqual([{ id: 1, a: 'one', b: 'x' }]);
  });

  it('runs many distinct texts, past the named-statement budget', async () => {
    for (let n = 1; n <= 1100; n++) {
      const { rows } = await sql<{
        v: number;
      }>`select ${sql.raw(String(n))}::int + ${1}::int as v`.execute(handle.db);
      expect(rows[0]?.v).toBe(n + 1);
    }
  });
});
