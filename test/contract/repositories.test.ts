import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  kyselyRepositories,
  migrateToLatest,
  openDatabase,
  type DbHandle,
} from '../../src/adapters/db/index.js';
import { propertyCondition } from '../../src/adapters/db/repositories/common.js';
import { backfillPropertyValues } from '../../src/adapters/db/repositories/property.repository.js';
import type { PageRequest, User } from '../../src/domain/index.js';
import type { ProjectSort, Repositories } from '../../src/ports.js';
import { backends, openMigrated } from '../support/backends.js';

/** The repository port, against every database: same answers, same order, same guarantees. */
describe.each(backends())('repositories on $kind', (backend) => {
  let handle: DbHandle;
  let repos: Repositories;
  let close: () => Promise<void>;
  // A clock the test drives, so ties in DateCreated are real ties.
  let now = '2026-01-01T00:00:00.000Z';
  const page = (p: Partial<PageRequest<ProjectSort>> = {}): PageRequest<ProjectSort> => ({
    offset: 0,
    limit: 100,
    sortBy: 'Id',
    sortDir: 'Asc',
    ...p,
  });
  let owner: User;

  beforeAll(async () => {
    ({ handle, close } = await openMigrated(backend, 'repos'));
    await migrateToLatest(handle); // idempotent
    repos = kyselyRepositories(handle.db, handle.kind, () => now);
    owner = await repos.users.create({ email: 'owner@lab.example', name: 'Owner', isAdmin: false });
  });
  afterAll(() => close?.());

  /** A fresh project of the owner's and a Running AppSession writing into it. */
  const projectWithSession = async (name: string) => {
    const project = (await repos.projects.insert({ ownerId: owner.id, name, description: '' }))!;
    const session = await repos.appSessions.create({
      ownerId: owner.id,
      applicationId: '1',
      name: 's',
      projectId: project.id,
    });
    return { project, session };
  };

  it('ids are strings and grow; a duplicate project name is refused by the database, not by luck', async () => {
    const a = await repos.projects.insert({ ownerId: owner.id, name: 'P', description: '' });
    const b = await repos.projects.insert({ ownerId: owner.id, name: 'Q', description: '' });
    expect(typeof a!.id).toBe('string');
    expect(BigInt(b!.id)).toBeGreaterThan(BigInt(a!.id));
    expect(
      await repos.projects.insert({ ownerId: owner.id, name: 'P', description: 'again' }),
    ).toBeUndefined();
    const other = await repos.users.create({
      email: 'other@lab.example',
      name: 'Other',
      isAdmin: false,
    });
    expect(
      await repos.projects.insert({ ownerId: other.id, name: 'P', description: '' }),
    ).toBeDefined();
  });

  it('sorts by Name in code-point order, breaks ties by Id, and pages without overlap', async () => {
    const { project, session } = await projectWithSession('sorting');
    const names = ['b', 'B', 'a', 'é', 'b', 'Z', '10', '9', 'b'];
    for (const name of names) {
      await repos.samples.create({
        projectId: project.id,
        ownerId: owner.id,
        appSessionId: session.id,
        runId: undefined,
        name,
        description: '',
        sampleId: name,
        sampleNumber: undefined,
        experimentName: undefined,
        numReadsRaw: undefined,
        numReadsPF: undefined,
        read1: undefined,
        read2: undefined,
        isPairedEnd: undefined,
        genomeId: undefined,
        references: [],
      });
    }
    const all = await repos.samples.listByProject(project.id, page({ sortBy: 'Name' }));
    expect(all.totalCount).toBe(names.length);
    expect(all.items.map((s) => s.name)).toEqual(['10', '9', 'B', 'Z', 'a', 'b', 'b', 'b', 'é']);
    const bs = all.items.filter((s) => s.name === 'b').map((s) => BigInt(s.id));
    expect(bs).toEqual([...bs].sort((x, y) => (x < y ? -1 : 1)));

    const desc = await repos.samples.listByProject(
      project.id,
      page({ sortBy: 'Name', sortDir: 'Desc' }),
    );
    expect(desc.items.map((s) => s.id)).toEqual([...all.items].reverse().map((s) => s.id));

    const walked: string[] = [];
    for (let offset = 0; offset < names.length; offset += 2) {
      const p = await repos.samples.listByProject(
        project.id,
        page({ sortBy: 'DateCreated', offset, limit: 2 }),
      );
      walked.push(...p.items.map((s) => s.id));
    }
    expect(new Set(walked).size).toBe(names.length);
    const beyond = await repos.samples.listByProject(project.id, page({ offset: 1000 }));
    expect(beyond).toEqual({ items: [], totalCount: names.length });
    const none = await repos.samples.listByProject(project.id, page({ limit: 0 }));
    expect(none).toEqual({ items: [], totalCount: names.length });
  });

  it('samples round-trip every field, including int64 read counts and absent optionals', async () => {
    const { project, session } = await projectWithSession('fields');
    const created = await repos.samples.create({
      projectId: project.id,
      ownerId: owner.id,
      appSessionId: session.id,
      runId: undefined,
      name: 'Échantillon 样本 🧬',
      description: 'd',
      sampleId: 'S1',
      sampleNumber: 7,
      experimentName: 'exp',
      numReadsRaw: 4_000_000_000_123,
      numReadsPF: 3_999_999_999_999,
      read1: 151,
      read2: 0,
      isPairedEnd: false,
      genomeId: '4',
      references: [{ rel: 'using', kind: 'project', id: project.id }],
    });
    const got = (await repos.samples.findById(created.id))!;
    expect(got).toMatchObject({
      name: 'Échantillon 样本 🧬',
      numReadsRaw: 4_000_000_000_123,
      read2: 0,
      isPairedEnd: false,
      genomeId: '4',
      status: 'Running',
      owner: { id: owner.id, name: 'Owner' },
      references: [{ rel: 'using', kind: 'project', id: project.id }],
    });
  });

  it('findByIds returns the rows that exist, one query for many ids', async () => {
    const { project, session } = await projectWithSession('by-ids');
    const sample = (name: string) =>
      repos.samples.create({
        projectId: project.id,
        ownerId: owner.id,
        appSessionId: session.id,
        runId: undefined,
        name,
        description: '',
        sampleId: name,
        sampleNumber: undefined,
        experimentName: undefined,
        numReadsRaw: undefined,
        numReadsPF: undefined,
        read1: undefined,
        read2: undefined,
        isPairedEnd: undefined,
        genomeId: undefined,
        references: [],
      });
    const a = await sample('a');
    const b = await sample('b');
    const found = await repos.samples.findByIds([b.id, a.id, '999999999', a.id]);
    expect(found.map((s) => s.name).sort()).toEqual(['a', 'b']);
    expect(found.find((s) => s.id === a.id)).toEqual(await repos.samples.findById(a.id));
    expect(await repos.samples.findByIds([])).toEqual([]);
    expect((await repos.projects.findByIds([project.id]))[0]?.name).toBe('by-ids');
  });

  it('property filters read property_values, which the migration backfills', async () => {
    const { project, session } = await projectWithSession('filters');
    const ids: string[] = [];
    for (const [i, library] of ['L1', 'L2', 'L1'].entries()) {
      const s = await repos.samples.create({
        projectId: project.id,
        ownerId: owner.id,
        appSessionId: session.id,
        runId: undefined,
        name: `f${i}`,
        description: '',
        sampleId: `f${i}`,
        sampleNumber: undefined,
        experimentName: undefined,
        numReadsRaw: undefined,
        numReadsPF: undefined,
        read1: undefined,
        read2: undefined,
        isPairedEnd: undefined,
        genomeId: undefined,
        references: [],
      });
      ids.push(s.id);
      await repos.properties.upsert(
        'sample',
        s.id,
        [
          { name: 'Input.Library', description: '', value: { type: 'string', content: library } },
          {
            name: 'Input.Tags',
            description: '',
            value: { type: 'string[]', items: [`t${i}`, 'all'] },
          },
        ],
        owner.id,
      );
    }
    const filtered = (name: string, value: string) =>
      repos.samples.listByProject(project.id, page(), { property: { name, value } });
    const names = async (name: string, value: string) =>
      (await filtered(name, value)).items.map((s) => s.name);
    expect(await names('Input.Library', 'L1')).toEqual(['f0', 'f2']);
    expect((await filtered('Input.Tags', 'all')).totalCount).toBe(3);
    // A database migrated from 0005 had properties but no property_values: 0006 fills them.
    await handle.db.deleteFrom('property_values').execute();
    expect(await names('Input.Library', 'L1')).toEqual([]);
    await backfillPropertyValues(handle.db);
    expect(await names('Input.Library', 'L1')).toEqual(['f0', 'f2']);
    expect(await names('Input.Tags', 't1')).toEqual(['f1']);
    if (handle.kind === 'sqlite') {
      // An index lookup, not a scan of samples or of property values.
      const plan = await sql<{ detail: string }>`EXPLAIN QUERY PLAN
        SELECT s.id FROM samples s WHERE s.project_id = ${project.id}
          AND ${propertyCondition('sample', 's.id', { name: 'Input.Library', value: 'L1' })}`.execute(
        handle.db,
      );
      const details = plan.rows.map((r) => r.detail);
      expect(details.join(' | ')).toMatch(/property_values_value_idx/);
      expect(details.filter((d) => /^SCAN /.test(d))).toEqual([]);
    }
  });

  it('a final AppSession cannot be updated, even by a racing writer', async () => {
    const s = await repos.appSessions.create({
      ownerId: owner.id,
      applicationId: '1',
      name: 'race',
      projectId: undefined,
    });
    now = '2026-01-01T00:00:01.000Z';
    const done = await repos.appSessions.update(s.id, { status: 'Complete', statusSummary: 'ok' });
    expect(done).toMatchObject({ status: 'Complete', completedAt: now, statusSummary: 'ok' });
    expect(await repos.appSessions.update(s.id, { status: 'Running' })).toBeUndefined();
    expect((await repos.appSessions.findById(s.id))!.status).toBe('Complete');
    const listed = await repos.appSessions.listByOwner(
      owner.id,
      { statuses: ['Complete'] },
      page(),
    );
    expect(listed.items.map((x) => x.id)).toContain(s.id);
  });

  it('a failed transaction leaves nothing behind', async () => {
    const before = await repos.appSessions.listByOwner(owner.id, {}, page({ limit: 0 }));
    await expect(
      repos.transaction(async (tx) => {
        await tx.appSessions.create({
          ownerId: owner.id,
          applicationId: '1',
          name: 'doomed',
          projectId: undefined,
        });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const after = await repos.appSessions.listByOwner(owner.id, {}, page({ limit: 0 }));
    expect(after.totalCount).toBe(before.totalCount);
  });

  it('tokens are found by their hash, with their user', async () => {
    await repos.tokens.create({ userId: owner.id, tokenHash: 'h1', scope: 'browse global' });
    const found = await repos.tokens.findByHash('h1');
    expect(found).toMatchObject({
      user: { id: owner.id, email: 'owner@lab.example' },
      token: { scope: 'browse global' },
    });
    expect(await repos.tokens.findByHash('nope')).toBeUndefined();
  });

  it('genomes are seeded once with stable ids', async () => {
    const list = await repos.genomes.list({ offset: 0, limit: 1000, sortBy: 'Id', sortDir: 'Asc' });
    expect(list.totalCount).toBe(30);
    expect(list.items[3]).toMatchObject({ id: '4', speciesName: 'Homo sapiens', build: 'hg19' });
    expect(list.items[3]!.sequence).toBeUndefined();
  });

  it('a genome with sequence takes the next id, starts indexing, and its status moves', async () => {
    const g = await repos.genomes.createWithSequence({
      speciesName: 'Homo sapiens',
      source: 'Custom',
      build: 'chr20-slice',
      displayName: 'slice',
      sequenceKey: (id) => `genomes/${id}/`,
    });
    expect(g).toMatchObject({
      id: '31',
      sequence: { status: 'indexing', key: 'genomes/31/', message: undefined },
    });
    await repos.genomes.setSequenceStatus(g.id, 'failed', 'bad FASTA');
    expect((await repos.genomes.findById(g.id))!.sequence).toMatchObject({
      status: 'failed',
      message: 'bad FASTA',
    });
    await repos.genomes.setSequenceStatus(g.id, 'ready', undefined);
    expect((await repos.genomes.findById(g.id))!.sequence?.status).toBe('ready');
    // A catalog genome has no sequence to mark.
    await repos.genomes.setSequenceStatus('4', 'ready', undefined);
    expect((await repos.genomes.findById('4'))!.sequence).toBeUndefined();
    const next = await repos.genomes.createWithSequence({
      speciesName: 'x',
      source: 'y',
      build: 'z',
      displayName: 'w',
      sequenceKey: (id) => `genomes/${id}/`,
    });
    expect(next.id).toBe('32');
  });

  it('app logs keep their lines in order, from any offset', async () => {
    const { session } = await projectWithSession('logs');
    expect(await repos.appSessionLogs.next(session.id)).toBe(0);
    await repos.appSessionLogs.append(session.id, 0, ['a', 'b']);
    await repos.appSessionLogs.append(session.id, 2, ['c', '', 'é\ttab']);
    expect(await repos.appSessionLogs.next(session.id)).toBe(5);
    expect(await repos.appSessionLogs.read(session.id)).toEqual(['a', 'b', 'c', '', 'é\ttab']);
    expect(await repos.appSessionLogs.read(session.id, 3, 1)).toEqual(['']);
    // A line number written twice is refused by the database, not silently doubled.
    await expect(repos.appSessionLogs.append(session.id, 4, ['again'])).rejects.toThrow();
  });
});

describe('SQLite connection', () => {
  it('reads the database file through a memory map (search joins spread rows: bench/search)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seqhub-mmap-'));
    const handle = openDatabase({ kind: 'sqlite', path: join(dir, 'x.db') });
    try {
      const { rows } = await sql<{ mmap_size: number }>`PRAGMA mmap_size`.execute(handle.db);
      // SQLite clamps the request to its build's maximum (2 GiB less 64 KiB here).
      expect(Number(rows[0]?.mmap_size)).toBeGreaterThanOrEqual(2 ** 30);
    } finally {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
