import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kyselyRepositories, type DbHandle } from '../../src/adapters/db/index.js';
import { RUN_IMPORTING, type RunDetails, type User } from '../../src/domain/index.js';
import type { NewRun, Repositories } from '../../src/ports.js';
import { blankRun } from '../../src/services/run.service.js';
import { backends, openMigrated } from '../support/backends.js';

/** The run repository's ingest methods (migration 0009), against every database. */
describe.each(backends())('run repository on $kind', (backend) => {
  let handle: DbHandle;
  let repos: Repositories;
  let close: () => Promise<void>;
  let owner: User;
  const base = (status: string): NewRun =>
    blankRun({
      ownerId: owner.id,
      name: 'R',
      experimentName: 'E',
      status,
      uploadStartedAt: undefined,
    });
  const details: RunDetails = {
    runFolder: 'F',
    runDate: '2024-01-02',
    reads: [{ number: 1, cycles: 151, isIndexed: false, isReverseComplement: false }],
    totalCycles: 151,
    lanes: 2,
    surfaces: 2,
    swathsPerLane: 4,
    tilesPerSwath: 78,
    tileCount: 1248,
    chemistry: undefined,
    rtaVersion: 'v3.4.4',
    applicationName: undefined,
    applicationVersion: undefined,
    i5Orientation: 'B',
    sampleSheetName: 'SampleSheet.csv',
    sampleSheetVersion: 2,
    libraryCount: 96,
    metricsFiles: [],
  };

  // Stored as JSON: absent optionals come back absent.
  const stored = JSON.parse(JSON.stringify(details)) as RunDetails;

  beforeAll(async () => {
    ({ handle, close } = await openMigrated(backend, 'runs'));
    repos = kyselyRepositories(handle.db, handle.kind, () => '2026-01-01T00:00:00.000Z');
    owner = await repos.users.create({ email: 'runs@lab.example', name: 'Runs', isAdmin: false });
  });
  afterAll(() => close?.());

  it('an Importing run is invisible to findById and lists until updated, then round-trips details and stats', async () => {
    const run = await repos.runs.create(base(RUN_IMPORTING));
    expect(run.status).toBe(RUN_IMPORTING);
    expect(await repos.runs.findById(run.id)).toBeUndefined();
    const page = { offset: 0, limit: 10, sortBy: 'Id' as const, sortDir: 'Asc' as const };
    expect(
      (await repos.runs.listVisible({ kind: 'user', userId: owner.id }, {}, page)).totalCount,
    ).toBe(0);
    // The wrong "from" status changes nothing.
    expect(await repos.runs.update(run.id, 'Uploading', { status: 'Complete' })).toBeUndefined();
    const stats = { clusters: 2 ** 40 + 1, lanes: [{ lane: 1, density: { mean: 1.5 } }] };
    const done = await repos.runs.update(run.id, RUN_IMPORTING, {
      status: 'Complete',
      flowcellBarcode: 'HJCWWDSXX',
      numCyclesRead1: 151,
      details,
      sequencingStats: stats,
    });
    expect(done).toMatchObject({
      status: 'Complete',
      flowcellBarcode: 'HJCWWDSXX',
      numCyclesRead1: 151,
      details: stored,
    });
    expect((await repos.runs.findById(run.id))!.details).toEqual(stored);
    expect(await repos.runs.sequencingStats(run.id)).toEqual(stats);
    expect(
      (await repos.runs.listVisible({ kind: 'user', userId: owner.id }, {}, page)).items.map(
        (r: { id: string }) => r.id,
      ),
    ).toEqual([run.id]);
  });

  it('deleteImporting removes only a run that is still Importing', async () => {
    const importing = await repos.runs.create(base(RUN_IMPORTING));
    const visible = await repos.runs.create(base('Uploading'));
    await repos.runs.deleteImporting(importing.id);
    await repos.runs.deleteImporting(visible.id);
    expect(await repos.runs.findById(importing.id, { includeImporting: true })).toBeUndefined();
    expect(await repos.runs.findById(visible.id)).toMatchObject({ status: 'Uploading' });
    expect(await repos.runs.sequencingStats(visible.id)).toBeUndefined();
  });
});
