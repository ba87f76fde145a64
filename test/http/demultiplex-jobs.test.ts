import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/domain/index.js';
import { backends, type Backend } from '../support/backends.js';
import { BCL2FASTR_RUN } from '../support/demux.js';
import { api, importRun, listAll, waitForSession } from '../support/demux-http.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { writeSyntheticRun } from '../support/synthetic-run.js';

/**
 * Stopping a demultiplexing job while it runs, by both of the spec's ways: the SDK's
 * `POST /v2/appsessions/{id}/stop` and `POST appsessions/{id}` with `status=aborted`. The run is
 * a generated one (8 tiles x 30,000 clusters, 2x51 + 8 + 8 cycles) so the job is still working
 * when it is stopped.
 */
const EMBEDDED = { SEQHUB_QUEUE: 'embedded' };

describe.each(backends())('stopping a demultiplexing job on $kind', (backend: Backend) => {
  let hub: TestHub;
  let user: User;
  let token: string;
  let runId: string;
  const folder = mkdtempSync(join(tmpdir(), 'seqhub-synthetic-'));

  beforeAll(async () => {
    writeSyntheticRun(folder, { tiles: 8, clusters: 30_000, readLength: 51, samples: 8 });
    // The embedded queue on both databases: these tests read and edit its `jobs` table.
    hub = await startTestHub(backend, { env: EMBEDDED });
    ({ user, token } = await hub.newUser());
    runId = await importRun(hub, user, folder);
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const call = (method: string, path: string, body?: unknown) =>
    api(hub.url, token, method, path, body);

  /** Starts a job and waits until it has demultiplexed at least one tile. */
  const startAndWaitForProgress = async (name: string) => {
    const projectId = (await call('POST', 'projects', { Name: name })).body.Response.Id as string;
    const started = await call('POST', `runs/${runId}/demultiplex`, { ProjectId: projectId });
    expect(started.status).toBe(200);
    const id = started.body.Response.Id as string;
    const end = Date.now() + 60_000;
    for (;;) {
      const s = (await call('GET', `appsessions/${id}`)).body.Response;
      expect(s.Status).toBe('Running');
      if (/^Demultiplexing: [1-7] of 8 tiles$/.test(s.StatusSummary)) break;
      if (Date.now() > end) throw new Error(`no progress: ${s.StatusSummary}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return { projectId, id };
  };

  const jobOf = (sessionId: string) =>
    hub.server.hub.db.db
      .selectFrom('jobs')
      .selectAll()
      .where('singleton_key', '=', `appsession-${sessionId}`)
      .executeTakeFirstOrThrow();

  const expectNothingLeft = async (projectId: string, sessionId: string) => {
    const end = Date.now() + 30_000;
    while ((await jobOf(sessionId)).state === 'active') {
      if (Date.now() > end) throw new Error('the job did not stop');
      await new Promise((r) => setTimeout(r, 50));
    }
    const session = (await call('GET', `appsessions/${sessionId}`)).body.Response;
    expect(session.Status).toBe('Aborted');
    expect(await listAll(hub.url, token, `projects/${projectId}/samples`)).toEqual([]);
    expect(await listAll(hub.url, token, `projects/${projectId}/appresults`)).toEqual([]);
    expect(readdirSync(join(hub.dataDir, 'staging'))).toEqual([]);
    expect(existsSync(join(hub.dataDir, 'blobs', 'demux', sessionId))).toBe(false);
  };

  it('POST /v2/appsessions/{id}/stop aborts the job: Aborted, no Sample, nothing staged', async () => {
    const { projectId, id } = await startAndWaitForProgress('stop v2');
    const stopped = await call('POST', `v2/appsessions/${id}/stop`, {});
    expect(stopped.status).toBe(200);
    expect(stopped.body.Response).toMatchObject({ Id: id, Status: 'Aborted' });
    await expectNothingLeft(projectId, id);
    // Stopping again answers the same; the summary stays the user's.
    const again = await call('POST', `v2/appsessions/${id}/stop`, {});
    expect(again.body.Response).toMatchObject({
      Status: 'Aborted',
      StatusSummary: 'Stopped by the user',
    });
  });

  it("POST appsessions/{id} with status=aborted (the SDK's setAppSessionState) does the same", async () => {
    const { projectId, id } = await startAndWaitForProgress('status aborted');
    const res = await call('POST', `appsessions/${id}`, {
      status: 'aborted',
      statussummary: 'changed my mind',
    });
    expect(res.status).toBe(200);
    await expectNothingLeft(projectId, id);
    expect((await call('GET', `appsessions/${id}`)).body.Response.StatusSummary).toBe(
      'changed my mind',
    );
  });

  it('a job left alone completes with one Sample per Sample_ID, and a Complete session cannot be stopped', async () => {
    const projectId = (await call('POST', 'projects', { Name: 'complete' })).body.Response.Id;
    const started = await call('POST', `runs/${runId}/demultiplex`, { ProjectId: projectId });
    const { session, summaries } = await waitForSession(hub.url, token, started.body.Response.Id);
    expect(session.Status, session.StatusSummary).toBe('Complete');
    // Progress was saved on the AppSession while it ran.
    expect(summaries.some((s) => /^Demultiplexing: [1-7] of 8 tiles$/.test(s))).toBe(true);
    const samples = await listAll(hub.url, token, `projects/${projectId}/samples`);
    expect(samples.map((s) => s.SampleId).sort()).toEqual(
      ['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8'].sort(),
    );
    let reads = 0;
    for (const s of samples)
      reads += (await call('GET', `samples/${s.Id}`)).body.Response.NumReadsPF;
    expect(reads).toBeGreaterThan(8 * 30_000 * 0.8);
    const stop = await call('POST', `v2/appsessions/${session.Id}/stop`, {});
    expect(stop.status).toBe(409);
    expect(stop.body.ResponseStatus.ErrorCode).toBe('BASESPACE.APPSESSIONS.NOT_WORKABLE');
  });
});

describe.skipIf(!BCL2FASTR_RUN).each(backends())(
  'a demultiplexing job whose workers keep dying, on $kind',
  (backend: Backend) => {
    let hub: TestHub;
    afterAll(async () => hub?.close());

    it('is given up after 3 attempts: NeedsAttention saying so, no Sample', async () => {
      // A hub that runs no workers (SEQHUB_WORKERS=0): the job stays queued until we start them.
      hub = await startTestHub(backend, { env: { ...EMBEDDED, SEQHUB_WORKERS: '0' } });
      const { user, token } = await hub.newUser();
      const runId = await importRun(hub, user, BCL2FASTR_RUN!);
      const call = (method: string, path: string, body?: unknown) =>
        api(hub.url, token, method, path, body);
      const projectId = (await call('POST', 'projects', { Name: 'doomed' })).body.Response.Id;
      const started = await call('POST', `runs/${runId}/demultiplex`, { ProjectId: projectId });
      const sessionId = started.body.Response.Id as string;
      // What three workers killed in turn leave: the job active, 3 attempts, the lease run out.
      const db = hub.server.hub.db.db;
      await db
        .updateTable('jobs')
        .set({
          state: 'active',
          attempts: 3,
          lease_owner: 'dead-worker',
          lease_until: new Date(Date.now() - 1000).toISOString(),
        })
        .where('singleton_key', '=', `appsession-${sessionId}`)
        .execute();
      await hub.server.hub.startWorkers();
      const { session } = await waitForSession(hub.url, token, sessionId);
      expect(session.Status).toBe('NeedsAttention');
      expect(session.StatusSummary).toBe(
        "Demultiplexing failed: the job's worker stopped 3 times before it finished",
      );
      expect(await listAll(hub.url, token, `projects/${projectId}/samples`)).toEqual([]);
      const job = await db
        .selectFrom('jobs')
        .selectAll()
        .where('singleton_key', '=', `appsession-${sessionId}`)
        .executeTakeFirstOrThrow();
      expect(job.state).toBe('failed');
    });
  },
);
