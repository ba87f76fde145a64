import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { call, exited, expectFiles, stop } from '../support/faults.js';
import { FilesClient, randomData } from '../support/files-client.js';
import { BIN, cleanEnv, serve } from '../support/processes.js';
import { FAULT_POINTS } from '../../src/services/fault-points.js';

/**
 * kill -9 at every named crash point (src/services/fault-points.ts; issue 11, faults). For each
 * point a real `seqhub serve` starts with SEQHUB_FAULT_POINT armed, is driven until it SIGKILLs
 * itself there, and is started again on the same data. Then: every file completed so far is
 * intact byte for byte, nothing half-written is visible in lists or gets, the interrupted
 * operation can be finished by retrying it, and jobs cut short run again to completion. At the
 * end, cleanup leaves exactly the completed files' bytes in storage.
 */

/**
 * The points run again on PostgreSQL, where a database's part differs: the pending row of an
 * upload, a transaction cut in the middle, a claim held in a row, pg-boss's job recovery. (Every
 * start there costs a few seconds of pg-boss; all nine points took 2.5 min on this machine.)
 */
const ON_POSTGRES = new Set([
  'upload.stored',
  'properties.written',
  'complete.claimed',
  'job.started',
]);

const VCF = readFileSync('test/fixtures/genomics/volvox.test.vcf.gz');

interface Case {
  point: string;
  /** Runs against the armed hub until it dies (calls may fail: the process is gone). */
  crash(api: Api): Promise<void>;
  /** Against the restarted hub: checks what the crash left, then finishes the operation. */
  recover(api: Api): Promise<void>;
}

interface Api {
  base: string;
  token: string;
  appResultId: string;
  projectId: string;
  files: FilesClient;
  /** name -> bytes of every file that must be there, complete and intact. */
  expected: Map<string, Uint8Array>;
  /** Names of multipart uploads started in `crash`, by case. */
  pending: Map<string, string>;
}

const req = (api: Api, method: string, path: string, body?: unknown) =>
  call(api.base, api.token, method, `v1pre3/${path}`, body);
/** A call the dying process may never answer. */
const attempt = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    () => undefined,
  );

async function upload(api: Api, name: string, bytes: Uint8Array): Promise<string> {
  const up = await req(api, 'POST', `appresults/${api.appResultId}/files?name=${name}`, bytes);
  expect(up.status, up.text).toBe(200);
  api.expected.set(name, bytes);
  return up.body.Response.Id as string;
}

async function fileNamed(api: Api, name: string): Promise<any> {
  const list = await req(api, 'GET', `appresults/${api.appResultId}/files?Limit=1000`);
  return list.body.Response.Items.find((f: { Name: string }) => f.Name === name);
}

/** Completes multipart upload `id`, retrying while a dead process's claim has not lapsed. */
async function completeWithRetry(api: Api, id: string): Promise<any> {
  const end = Date.now() + 20_000;
  for (;;) {
    const res = await api.files.setStatus(id, 'complete');
    const body = (await res.json()) as any;
    if (res.status === 200) return body.Response;
    expect(res.status, JSON.stringify(body)).toBe(409);
    if (Date.now() > end) throw new Error(`still ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function waitIndexed(api: Api, name: string): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    const f = await fileNamed(api, name);
    if (f?.UploadStatus === 'complete') {
      const got = (await req(api, 'GET', `files/${f.Id}`)).body.Response;
      if (got.IndexStatus === 'ready') return;
      expect(got.IndexStatus).toBe('pending');
    }
    if (Date.now() > end) throw new Error(`${name} not indexed: ${JSON.stringify(f)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A multipart upload crashed somewhere in `uploadstatus=complete`. */
function completion(point: string, name: string): Case {
  const parts = [randomData(200_000), randomData(150_000)];
  return {
    point,
    async crash(api) {
      const init = (await api.files.initMultipart('appresults', api.appResultId, name)).body;
      api.pending.set(name, init.Response.Id);
      for (const [i, p] of parts.entries())
        expect((await api.files.putPart(init.Response.Id, i + 1, p)).status).toBe(200);
      await attempt(api.files.setStatus(init.Response.Id, 'complete'));
    },
    async recover(api) {
      const id = api.pending.get(name)!;
      const before = (await req(api, 'GET', `files/${id}`)).body.Response;
      // Visible only as the multipart upload it was (never listed until complete), or complete.
      if (point !== 'complete.committed') expect(before.UploadStatus).not.toBe('complete');
      const done = await completeWithRetry(api, id);
      const whole = new Uint8Array(Buffer.concat(parts));
      expect(done).toMatchObject({ UploadStatus: 'complete', Size: whole.length });
      api.expected.set(name, whole);
    },
  };
}

function cases(): Case[] {
  const single = (point: string, name: string, committed: boolean): Case => {
    const bytes = randomData(500_000);
    return {
      point,
      crash: (api) =>
        attempt(req(api, 'POST', `appresults/${api.appResultId}/files?name=${name}`, bytes)),
      async recover(api) {
        if (committed) {
          // Committed before the crash: there, whole, though its client never heard.
          api.expected.set(name, bytes);
        } else {
          expect(await fileNamed(api, name)).toBeUndefined();
          await upload(api, name, bytes);
        }
      },
    };
  };
  const job = (point: string, name: string): Case => ({
    point,
    async crash(api) {
      // The upload commits, then its indexing job starts and the process dies in it.
      await attempt(req(api, 'POST', `appresults/${api.appResultId}/files?name=${name}`, VCF));
    },
    async recover(api) {
      api.expected.set(name, new Uint8Array(VCF));
      await waitIndexed(api, name);
    },
  });
  const partBytes = randomData(100_000);
  const props = [
    { Type: 'string', Name: 'lab.a', Content: 'one' },
    { Type: 'string', Name: 'lab.b', Content: 'two' },
  ];
  // The order matters: each restarted process is already armed for the next point, so one
  // start serves the recovery of a case and the crash of the next (starts dominate the test's
  // time). A case's recovery therefore never passes the next case's point: uploads are followed
  // by properties, completions by jobs, and so on.
  return [
    single('upload.stored', 'single-stored.bin', false),
    {
      point: 'properties.written',
      crash: (api) =>
        attempt(req(api, 'POST', `projects/${api.projectId}/properties`, { Properties: props })),
      async recover(api) {
        const path = `projects/${api.projectId}/properties`;
        // All or nothing: the transaction never committed.
        expect((await req(api, 'GET', path)).body.Response.Items).toEqual([]);
        expect((await req(api, 'POST', path, { Properties: props })).status).toBe(200);
        const items = (await req(api, 'GET', path)).body.Response.Items;
        expect(items.map((p: { Name: string }) => p.Name)).toEqual(['lab.a', 'lab.b']);
      },
    },
    {
      point: 'part.stored',
      async crash(api) {
        const init = (await api.files.initMultipart('appresults', api.appResultId, 'part.bin'))
          .body;
        api.pending.set('part.bin', init.Response.Id);
        await attempt(api.files.putPart(init.Response.Id, 1, partBytes));
      },
      async recover(api) {
        const id = api.pending.get('part.bin')!;
        expect((await req(api, 'GET', `files/${id}/parts`)).body.Response.Items).toEqual([]);
        expect((await api.files.putPart(id, 1, partBytes)).status).toBe(200);
        await completeWithRetry(api, id);
        api.expected.set('part.bin', partBytes);
      },
    },
    single('upload.committed', 'single-committed.bin', true),
    completion('complete.claimed', 'claimed.bin'),
    job('job.started', 'started.vcf.gz'),
    completion('complete.assembled', 'assembled.bin'),
    job('job.finished', 'finished.vcf.gz'),
    completion('complete.committed', 'committed.bin'),
  ];
}

function walk(dir: string): string[] {
  let out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    out = entry.isDirectory() ? [...out, ...walk(full)] : [...out, full];
  }
  return out;
}

describe.each(backends())('kill -9 at every crash point, $kind', (backend) => {
  const dir = mkdtempSync(join(tmpdir(), 'seqhub-faults-crash-'));
  const children: ChildProcess[] = [];
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    for (const c of children) await stop(c);
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('restarts on the same data with every completed file intact and nothing half-written visible', async () => {
    const database = await backend.create();
    drop = database.drop;
    const env = {
      ...database.env,
      SEQHUB_DATA_DIR: join(dir, 'data'),
      SEQHUB_LOG_LEVEL: 'silent',
      // A dead process's jobs are taken over within a second or two (an assembly claim at once).
      SEQHUB_JOB_LEASE_SECONDS: '2',
    };
    const start = async (point?: string) => {
      const hub = await serve(point ? { ...env, SEQHUB_FAULT_POINT: point } : env);
      children.push(hub.child);
      return hub;
    };
    const first = await start();
    const token = first.token!;
    const setup = (path: string, body: unknown) => call(first.url, token, 'POST', path, body);
    const projectId = (await setup('v1pre3/projects', { Name: 'crash' })).body.Response.Id;
    const appResultId = (await setup(`v1pre3/projects/${projectId}/appresults`, { Name: 'crash' }))
      .body.Response.Id;
    const api = (base: string): Api => ({
      base,
      token,
      appResultId,
      projectId,
      files: new FilesClient(base, token),
      expected,
      pending,
    });
    const expected = new Map<string, Uint8Array>();
    const pending = new Map<string, string>();
    await upload(api(first.url), 'before.bin', randomData(300_000));
    await stop(first.child);

    const injected: string[] = [];
    const list = cases().filter((c) => backend.kind === 'sqlite' || ON_POSTGRES.has(c.point));
    let armed = await start(list[0]!.point);
    for (const [i, c] of list.entries()) {
      await c.crash(api(armed.url));
      await exited(armed.child);
      expect(armed.child.signalCode, `${c.point} was not reached`).toBe('SIGKILL');
      injected.push(c.point);

      // Restarted on the same data (armed for the next point, or not at all after the last).
      const after = await start(list[i + 1]?.point);
      await c.recover(api(after.url));
      await expectFiles(after.url, token, appResultId, expected);
      armed = after;
    }
    // The last process is unarmed and idle: stop it before cleaning up under it.
    await stop(armed.child);

    // Cleanup (admin gc, no grace) leaves exactly the completed files' bytes, nothing else.
    const gc = spawnSync(process.execPath, [BIN, 'admin', 'gc', '--grace', '0'], {
      env: cleanEnv(env),
      encoding: 'utf8',
    });
    expect(gc.status, gc.stderr).toBe(0);
    const blobs = join(dir, 'data', 'blobs');
    const left = walk(blobs).map((f) => relative(blobs, f));
    // One object per complete file, plus the VCFs' indexes (genomics/<file id>/...).
    expect(left.filter((f) => f.startsWith('files/'))).toHaveLength(expected.size);
    expect(
      left.filter((f) => !f.startsWith('files/')).every((f) => f.startsWith('genomics/')),
      left.join(', '),
    ).toBe(true);
    const last = await start();
    await expectFiles(last.url, token, appResultId, expected);
    expect(injected.sort()).toEqual(
      backend.kind === 'sqlite' ? [...FAULT_POINTS].sort() : [...ON_POSTGRES].sort(),
    );
  }, 300_000);
});
