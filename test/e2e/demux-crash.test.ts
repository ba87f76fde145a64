import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/db/index.js';
import { backends } from '../support/backends.js';
import { api, listAll, waitForSession } from '../support/demux-http.js';
import { writeSyntheticRun } from '../support/synthetic-run.js';
import { BIN, cleanEnv, serve } from '../support/processes.js';

/**
 * kill -9 in the middle of a demultiplexing job: a real `seqhub serve` is killed while its
 * in-process worker is half way through the tiles, then started again on the same data. The
 * job's lease (2 s here) runs out, the new process claims it, runs it again from scratch, and
 * the project ends with exactly one set of Samples.
 */

const exited = (child: ChildProcess) =>
  new Promise<void>((ok) =>
    child.exitCode !== null || child.signalCode !== null ? ok() : child.once('exit', () => ok()),
  );

describe.each(backends())('kill -9 during a demultiplexing job, $kind', (backend) => {
  const dir = mkdtempSync(join(tmpdir(), 'seqhub-demux-crash-'));
  const children: ChildProcess[] = [];
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the job again from scratch after a restart and commits exactly one set of samples', async () => {
    const folder = join(dir, 'run');
    writeSyntheticRun(folder, { tiles: 8, clusters: 30_000, readLength: 51, samples: 8 });
    const database = await backend.create();
    drop = database.drop;
    const env = {
      ...database.env,
      SEQHUB_DATA_DIR: join(dir, 'data'),
      SEQHUB_LOG_LEVEL: 'silent',
      SEQHUB_JOB_LEASE_SECONDS: '2',
      // The embedded queue's crash recovery (test/e2e/scale-out.test.ts does pg-boss's).
      SEQHUB_QUEUE: 'embedded',
    };
    const first = await serve(env);
    children.push(first.child);
    const token = first.token!;
    const imported = spawnSync(
      process.execPath,
      [BIN, 'admin', 'run', 'import', folder, '--owner', 'admin@localhost'],
      { env: cleanEnv(env), encoding: 'utf8', timeout: 120_000 },
    );
    expect(imported.status, imported.stderr).toBe(0);
    const runId = imported.stdout.trim().split('\n').pop()!;

    const call = (url: string, method: string, path: string, body?: unknown) =>
      api(url, token, method, path, body);
    const projectId = (await call(first.url, 'POST', 'projects', { Name: 'crash' })).body.Response
      .Id as string;
    const started = await call(first.url, 'POST', `runs/${runId}/demultiplex`, {
      ProjectId: projectId,
    });
    expect(started.status).toBe(200);
    const sessionId = started.body.Response.Id as string;
    const end = Date.now() + 60_000;
    for (;;) {
      const s = (await call(first.url, 'GET', `appsessions/${sessionId}`)).body.Response;
      expect(s.Status).toBe('Running');
      if (/^Demultiplexing: [1-7] of 8 tiles$/.test(s.StatusSummary)) break;
      if (Date.now() > end) throw new Error(`no progress: ${s.StatusSummary}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    first.child.kill('SIGKILL');
    await exited(first.child);
    // Killed half way: outputs were staged, nothing was committed.
    expect(existsSync(join(dir, 'data', 'staging', `demux-${sessionId}`))).toBe(true);

    const second = await serve(env);
    children.push(second.child);
    expect((await call(second.url, 'GET', 'users/current')).status).toBe(200);
    expect(await listAll(second.url, token, `projects/${projectId}/samples`)).toEqual([]);
    const { session } = await waitForSession(second.url, token, sessionId, 120_000);
    expect(session.Status, session.StatusSummary).toBe('Complete');

    const samples = await listAll(second.url, token, `projects/${projectId}/samples`);
    expect(samples.map((s) => s.SampleId).sort()).toEqual(
      ['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8'].sort(),
    );
    for (const s of samples) {
      const files = await listAll(second.url, token, `samples/${s.Id}/files`);
      expect(files.map((f) => f.Name).sort()).toEqual([
        `${s.SampleId}_S${s.SampleId.slice(1)}_L001_R1_001.fastq.gz`,
        `${s.SampleId}_S${s.SampleId.slice(1)}_L001_R2_001.fastq.gz`,
      ]);
    }
    expect(await listAll(second.url, token, `appsessions/${sessionId}/appresults`)).toHaveLength(1);
    expect(readdirSync(join(dir, 'data', 'staging'))).toEqual([]);

    second.child.kill('SIGTERM');
    await exited(second.child);
    const db = openDatabase(
      database.env.DATABASE_URL
        ? { kind: 'postgres', url: database.env.DATABASE_URL }
        : { kind: 'sqlite', path: join(dir, 'data', 'seqhub.db') },
    );
    try {
      const jobs = await db.db.selectFrom('jobs').selectAll().execute();
      expect(jobs).toHaveLength(1);
      expect(jobs[0]!.state).toBe('completed');
      expect(Number(jobs[0]!.attempts)).toBe(2);
    } finally {
      await db.close();
    }
  }, 300_000);
});
