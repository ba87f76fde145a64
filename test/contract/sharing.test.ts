import SQLite from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kyselyRepositories, migrateToLatest, openDatabase } from '../../src/adapters/db/index.js';
import type { Database } from '../../src/adapters/db/schema.js';
import type { PageRequest, User } from '../../src/domain/index.js';
import { parseSearchQuery, SearchKinds } from '../../src/domain/search.js';
import type { ProjectSort, Repositories } from '../../src/ports.js';
import { backends } from '../support/backends.js';

/** The sharing ports (shares, links, audit log, visible lists) against every database. */
describe.each(backends())('sharing repositories on $kind', (backend) => {
  let db: Kysely<Database>;
  let repos: Repositories;
  let drop: () => Promise<void>;
  let dir: string;
  let kind: 'sqlite' | 'postgres';
  let now = '2026-01-01T00:00:00.000Z';
  const queries: CompiledQuery[] = [];
  const page = (p: Partial<PageRequest<ProjectSort>> = {}): PageRequest<ProjectSort> => ({
    offset: 0,
    limit: 100,
    sortBy: 'Id',
    sortDir: 'Asc',
    ...p,
  });
  let me: User;
  let other: User;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seqhub-sharing-'));
    const created = await backend.create();
    drop = created.drop;
    const url = created.env.DATABASE_URL;
    const path = join(dir, 'x.db');
    const handle = openDatabase(url ? { kind: 'postgres', url } : { kind: 'sqlite', path });
    await migrateToLatest(handle);
    await handle.close();
    kind = url ? 'postgres' : 'sqlite';
    // The same database through a Kysely that remembers its SQL, to EXPLAIN what the code runs.
    db = new Kysely<Database>({
      dialect: url
        ? new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) })
        : new SqliteDialect({ database: new SQLite(path) }),
      log: (event) => {
        if (event.level === 'query') queries.push(event.query);
      },
    });
    repos = kyselyRepositories(db, kind, () => now);
    me = await repos.users.create({ email: 'me@lab.example', name: 'Me', isAdmin: false });
    other = await repos.users.create({ email: 'o@lab.example', name: 'O', isAdmin: false });
  });
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shares: put creates or changes, level reads, list pages, remove deletes', async () => {
    const p = (await repos.projects.insert({ ownerId: other.id, name: 'S1', description: '' }))!;
    expect(await repos.shares.level('project', p.id, me.id)).toBeUndefined();
    const a = await repos.shares.put('project', p.id, me.id, 'read');
    expect(a).toMatchObject({ level: 'read', user: { id: me.id, email: 'me@lab.example' } });
    now = '2026-01-01T00:00:01.000Z';
    const b = await repos.shares.put('project', p.id, me.id, 'write');
    expect(b).toMatchObject({ level: 'write', createdAt: a.createdAt, modifiedAt: now });
    expect(await repos.shares.level('project', p.id, me.id)).toBe('write');
    // A run with the same id is another resource.
    expect(await repos.shares.level('run', p.id, me.id)).toBeUndefined();
    const listed = await repos.shares.list('project', p.id, { ...page(), sortBy: 'Id' });
    expect(listed.totalCount).toBe(1);
    expect(await repos.shares.remove('project', p.id, me.id)).toBe(true);
    expect(await repos.shares.remove('project', p.id, me.id)).toBe(false);
  });

  it('listVisible: owned and shared, the Ownership filter, and a link viewer', async () => {
    const mine = (await repos.projects.insert({
      ownerId: me.id,
      name: 'V-mine',
      description: '',
    }))!;
    const theirs = (await repos.projects.insert({
      ownerId: other.id,
      name: 'V-shared',
      description: '',
    }))!;
    await repos.projects.insert({ ownerId: other.id, name: 'V-hidden', description: '' });
    await repos.shares.put('project', theirs.id, me.id, 'read');
    const viewer = { kind: 'user', userId: me.id } as const;
    const names = async (ownership?: 'all' | 'owned' | 'shared', ids?: string[]) => {
      const r = await repos.projects.listVisible(viewer, { ownership, ids }, page());
      return {
        names: r.items.map((p) => p.name).filter((n) => n.startsWith('V-')),
        total: r.totalCount,
      };
    };
    expect(await names()).toEqual({ names: ['V-mine', 'V-shared'], total: 2 });
    expect(await names('owned')).toEqual({ names: ['V-mine'], total: 1 });
    expect(await names('shared')).toEqual({ names: ['V-shared'], total: 1 });
    expect(await names('all', [theirs.id])).toEqual({ names: ['V-shared'], total: 1 });
    const link = await repos.projects.listVisible(
      { kind: 'link', projectId: theirs.id },
      {},
      page(),
    );
    expect(link.items.map((p) => p.id)).toEqual([theirs.id]);
    expect(mine.ownerId).toBe(me.id);
  });

  it('setOwner moves a project from its owner only; a name the new owner has is refused', async () => {
    const p = (await repos.projects.insert({ ownerId: me.id, name: 'Move', description: '' }))!;
    expect(await repos.projects.setOwner(p.id, me.id, other.id)).toBe('moved');
    expect(await repos.projects.setOwner(p.id, me.id, other.id)).toBe('stale');
    expect((await repos.projects.findById(p.id))!.ownerId).toBe(other.id);
    const q = (await repos.projects.insert({ ownerId: me.id, name: 'Move', description: '' }))!;
    expect(await repos.projects.setOwner(q.id, me.id, other.id)).toBe('name-taken');
    expect((await repos.projects.findById(q.id))!.ownerId).toBe(me.id);
  });

  it('links: found by hash while active; deactivation is for good', async () => {
    const p = (await repos.projects.insert({ ownerId: me.id, name: 'L', description: '' }))!;
    const link = await repos.shareLinks.create({
      projectId: p.id,
      tokenHash: 'h1',
      createdBy: me.id,
      label: 'x',
    });
    expect((await repos.shareLinks.findActiveByHash('h1'))?.id).toBe(link.id);
    expect(await repos.shareLinks.deactivate(p.id, '999999')).toBeUndefined();
    const off = await repos.shareLinks.deactivate(p.id, link.id);
    expect(off?.tokenHash).toBe('h1');
    expect(off?.link.deactivatedAt).toBeDefined();
    expect(await repos.shareLinks.findActiveByHash('h1')).toBeUndefined();
    expect((await repos.shareLinks.list(p.id, { ...page(), sortBy: 'Id' })).totalCount).toBe(1);
  });

  it('audit log: events by project or run, newest first, paged, details kept', async () => {
    for (let i = 0; i < 5; i++)
      await repos.audit.record({
        actor: { kind: 'user', id: me.id },
        action: `a.${i}`,
        target: { kind: 'file', id: String(i) },
        projectId: '777',
        clientIp: '10.0.0.1',
        details: { n: i, ok: true },
      });
    await repos.audit.record({
      actor: { kind: 'system' },
      action: 'r',
      target: { kind: 'run', id: '5' },
      runId: '777',
    });
    const first = await repos.audit.list({ kind: 'project', id: '777' }, { offset: 1, limit: 2 });
    expect(first.totalCount).toBe(5);
    expect(first.items.map((e) => e.action)).toEqual(['a.3', 'a.2']);
    expect(first.items[0]).toMatchObject({
      actor: { kind: 'user', id: me.id },
      clientIp: '10.0.0.1',
      details: { n: 3, ok: true },
    });
    const run = await repos.audit.list({ kind: 'run', id: '777' }, { offset: 0, limit: 10 });
    expect(run.items).toMatchObject([{ action: 'r', actor: { kind: 'system' } }]);
    expect(run.items[0]!.actor.id).toBeUndefined();
  });

  it("a user's project list reads indexes only: it never scans the projects table", async () => {
    // 2000 projects of 200 other users, some shared with others; `me` has a few of each kind.
    const users = await db
      .insertInto('users')
      .values(
        Array.from({ length: 200 }, (_, i) => ({
          email: `bulk${i}@x`,
          name: 'B',
          is_admin: 0,
          created_at: now,
          last_active_at: now,
        })),
      )
      .returning('id')
      .execute();
    for (let n = 0; n < 10; n++) {
      await db
        .insertInto('projects')
        .values(
          users.map((u) => ({
            owner_id: u.id,
            name: `bulk-${n}`,
            description: '',
            created_at: now,
            modified_at: now,
          })),
        )
        .execute();
    }
    if (kind === 'postgres') await sql`ANALYZE`.execute(db);
    queries.length = 0;
    await repos.projects.listVisible({ kind: 'user', userId: me.id }, {}, page());
    const captured = [...queries];
    expect(captured.length).toBe(2);
    for (const q of captured) {
      const plan = await explain(q);
      expect(plan, plan).not.toMatch(
        kind === 'sqlite' ? /SCAN (p|projects)\b(?! USING)/ : /Seq Scan on projects/,
      );
      expect(plan, plan).not.toMatch(
        kind === 'sqlite' ? /SCAN shares\b(?! USING)/ : /Seq Scan on shares/,
      );
    }
  });

  it('search finds exact-name hits by name (migration 0010), not by testing every word match', async () => {
    // 300 resources share the word `common`; one is named exactly as the query.
    const rows = await db
      .insertInto('projects')
      .values(
        Array.from({ length: 300 }, (_, i) => ({
          owner_id: other.id,
          name: `common ${i}`,
          description: '',
          created_at: now,
          modified_at: now,
        })),
      )
      .returning('id')
      .execute();
    for (const r of rows) await repos.search.reindex('project', String(r.id));
    await repos.shares.put('project', String(rows[7]!.id), me.id, 'read');
    if (kind === 'postgres') await sql`ANALYZE search_index`.execute(db);
    else await sql`ANALYZE`.execute(db);
    queries.length = 0;
    const found = await repos.search.search(
      parseSearchQuery('common 7'),
      {
        viewer: { kind: 'user', userId: me.id },
        kinds: SearchKinds,
        access: { global: true },
      },
      { offset: 0, limit: 10, sortBy: 'Score', sortDir: 'Desc' },
    );
    // Shared with me: only that project is visible, and it is an exact-name hit.
    expect(found.items).toEqual([
      { kind: 'project', id: String(rows[7]!.id), score: expect.any(Number) },
    ]);
    expect(found.items[0]!.score).toBeGreaterThanOrEqual(1000);
    const exact = queries.filter((q) => /name_lc = \S+ AND/.test(q.sql));
    expect(exact.length).toBeGreaterThan(0);
    for (const q of exact) {
      const plan = await explain(q);
      expect(plan, plan).toMatch(/search_index_name_lc_idx/);
    }
  });

  async function explain(q: CompiledQuery): Promise<string> {
    if (kind === 'sqlite') {
      const direct = new SQLite(join(dir, 'x.db'), { readonly: true });
      try {
        const rows = direct
          .prepare(`EXPLAIN QUERY PLAN ${q.sql}`)
          .all(...(q.parameters as unknown[])) as { detail: string }[];
        return rows.map((r) => r.detail).join('\n');
      } finally {
        direct.close();
      }
    }
    // Seq scans switched off: a plan that still scans has no index path at all.
    return db.connection().execute(async (conn) => {
      await sql`SET enable_seqscan = off`.execute(conn);
      const client = conn as unknown as Kysely<Database>;
      const res = await client.executeQuery<{ 'QUERY PLAN': string }>({
        sql: `EXPLAIN ${q.sql}`,
        parameters: q.parameters,
        query: q.query,
        queryId: q.queryId,
      });
      await sql`SET enable_seqscan = on`.execute(conn);
      return res.rows.map((r) => r['QUERY PLAN']).join('\n');
    });
  }
});
