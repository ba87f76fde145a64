import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, storages } from '../support/backends.js';
import { api, download, listAll, waitForSession } from '../support/demux-http.js';
import { FilesClient, json } from '../support/files-client.js';
import { fixture, NA12878 } from '../support/genomics.js';
import { BIN, cleanEnv, serve } from '../support/processes.js';
import { writeSyntheticRun } from '../support/synthetic-run.js';

/**
 * Issue 10's acceptance: the hub scaled out on one PostgreSQL and one S3 bucket (the real
 * S3-compatible server of CI): two `serve --no-workers` processes behind a round-robin proxy,
 * two `seqhub worker` processes on the pg-boss queue, all from the built CLI. Each process has
 * its own data dir, as if on its own machine.
 */
const POSTGRES = process.env.SEQHUB_TEST_POSTGRES_URL;
const S3 = process.env.SEQHUB_TEST_S3_ENDPOINT;
const PASSWORD = 'scale-out-password-1';
const MISEQ = resolve('test/fixtures/runs/miseq-130417');

interface Child {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

/** `seqhub worker` in its own process; resolves once it says it is ready. */
function worker(env: Record<string, string>): Promise<Child> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [BIN, 'worker'], { env: cleanEnv(env) });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('worker ready')) ok(made);
    });
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const made: Child = { child, out: () => out, exited };
    child.on('exit', (code) => fail(new Error(`worker exited ${code}: ${err}`)));
  });
}

/**
 * A round-robin HTTP load balancer over `targets` (changed in place as processes come and go).
 * A target that refuses connections is taken out and the request answered 503 (it reached no
 * server, so any client may send it again), like a balancer with passive health checks.
 */
function roundRobin(targets: string[]) {
  let next = 0;
  const hits = new Map<string, { all: number; parts: number }>();
  const server: Server = createServer((req, res) => {
    if (targets.length === 0) {
      res.writeHead(503).end();
      return;
    }
    const target = targets[next++ % targets.length]!;
    const count = hits.get(target) ?? { all: 0, parts: 0 };
    count.all++;
    if (/\/parts\/\d+/.test(req.url ?? '')) count.parts++;
    hits.set(target, count);
    const to = new URL(target);
    const up = request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    up.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') {
        const at = targets.indexOf(target);
        if (at >= 0) targets.splice(at, 1);
      }
      if (res.headersSent) res.destroy();
      else res.writeHead(error.code === 'ECONNREFUSED' ? 503 : 502).end();
    });
    req.pipe(up);
  });
  return new Promise<{ url: string; hits: typeof hits; close(): Promise<void> }>((ok) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      ok({
        url: `http://127.0.0.1:${port}`,
        hits,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    }),
  );
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 120_000,
) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const execFileAsync = promisify(execFile);
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

describe.skipIf(!POSTGRES || !S3)(
  'scale-out on PostgreSQL + S3: 2 serve --no-workers, 2 workers, a round-robin proxy (skipped without SEQHUB_TEST_POSTGRES_URL and SEQHUB_TEST_S3_ENDPOINT)',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'seqhub-scale-out-'));
    const children: ChildProcess[] = [];
    let drop: (() => Promise<void>) | undefined;
    let env: Record<string, string>;
    let databaseUrl: string;
    let token: string;
    const apis: { child: ChildProcess; url: string }[] = [];
    const workers: Child[] = [];
    const targets: string[] = [];
    let proxy: Awaited<ReturnType<typeof roundRobin>>;
    let runId: string;
    let n = 0;

    const startApi = async () => {
      const started = await serve({ ...env, SEQHUB_DATA_DIR: join(dir, `api-${n++}`) }, [
        '--no-workers',
      ]);
      children.push(started.child);
      apis.push(started);
      targets.push(started.url);
      return started;
    };
    const startWorker = async () => {
      const started = await worker({ ...env, SEQHUB_DATA_DIR: join(dir, `worker-${n++}`) });
      children.push(started.child);
      workers.push(started);
      return started;
    };
    const call = (method: string, path: string, body?: unknown) =>
      api(proxy.url, token, method, path, body);

    beforeAll(async () => {
      const database = await backends()
        .find((b) => b.kind === 'postgres')!
        .create();
      drop = database.drop;
      databaseUrl = database.env.DATABASE_URL!;
      env = {
        ...database.env,
        ...storages()
          .find((s) => s.kind === 's3')!
          .env(),
        SEQHUB_LOG_LEVEL: 'silent',
        // A dead worker's job is picked up seconds later (the default is a minute); 3 s was too
        // short on this shared 2-vCPU machine (load 25): a busy worker's heartbeat came late, and
        // 10 s too (a gap of 11 s seen: the job ran out of attempts on the live worker).
        SEQHUB_JOB_LEASE_SECONDS: '30',
        // Workers must sandbox apps (docs/apps.md): they refuse to start if bubblewrap fails.
        SEQHUB_APP_ISOLATION: 'bwrap',
      };
      // The first start creates the admin (and pg-boss's schema); the rest start together.
      const first = await startApi();
      token = first.token!;
      await Promise.all([startApi(), startWorker(), startWorker()]);
      proxy = await roundRobin(targets);
    }, 120_000);

    afterAll(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await proxy?.close();
      await new Promise((r) => setTimeout(r, 500));
      await drop?.();
      rmSync(dir, { recursive: true, force: true });
    });

    // A completion that was assembling on the killed process is taken over by the live one when the
    // client retries (file.service.ts complete()); before that the resume met 409 NOT_PENDING.
    it('uploads a run through both API processes; one is killed with -9 mid multipart upload and the client finishes through the other', async () => {
      const userEnv = { SEQHUB_API_SERVER: proxy.url, SEQHUB_ACCESS_TOKEN: token };
      // 16 kB parts: the InterOp files (up to 1.2 MB) go up as multipart uploads.
      const args = ['run', 'upload', MISEQ, '--quiet', '--part-size', '16k'];
      const upload = (extra: string[] = []) => {
        const child = spawn(process.execPath, [BIN, ...args, ...extra], {
          env: cleanEnv({ ...userEnv, SEQHUB_CONFIG_DIR: join(dir, 'cli') }),
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        return new Promise<{ code: number | null; stdout: string; stderr: string }>((r) =>
          child.on('close', (code) => r({ code, stdout, stderr })),
        );
      };
      const victim = apis[1]!;
      const running = upload(['--limit-rate', '256k']);
      await until('parts sent through both API processes', () =>
        [...proxy.hits.values()].filter((h) => h.parts >= 10).length === 2 ? true : undefined,
      );
      victim.child.kill('SIGKILL');
      const first = await running;
      // The SDK retries what reached no server; a call cut in the middle may stop the command,
      // which is resumable: run again, it sends what is missing, through the live process.
      const done = first.code === 0 ? first : await upload();
      expect(done.code, done.stderr).toBe(0);
      const runId = done.stdout.trim().split('\n').pop()!;
      expect(runId).toMatch(/^\d+$/);
      expect(targets).toEqual([apis[0]!.url]);

      const files = await listAll(proxy.url, token, `runs/${runId}/files`);
      const local = readdirSync(MISEQ, { recursive: true, withFileTypes: true }).filter((e) =>
        e.isFile(),
      );
      const paths = new Set(files.map((f) => f.Path as string));
      expect(paths.size).toBe(files.length);
      for (const e of local.filter((e) => e.name.endsWith('.bin') || e.name === 'RunInfo.xml'))
        expect(paths).toContain(join(relative(MISEQ, e.parentPath ?? e.path), e.name));
      for (const f of files) {
        expect(f.UploadStatus).toBe('complete');
        const bytes = await download(proxy.url, token, f.Id);
        expect(md5(bytes), f.Path).toBe(md5(readFileSync(join(MISEQ, f.Path))));
      }
      // Back to two API processes for what follows.
      await startApi();
    }, 300_000);

    it('a demultiplexing job whose worker is killed with -9 mid-run finishes on the other worker: same FASTQ as an uninterrupted run, no duplicate samples', async () => {
      const demux = async (name: string) => {
        const project = (await call('POST', 'projects', { Name: name })).body.Response.Id as string;
        const started = await call('POST', `runs/${runId}/demultiplex`, { ProjectId: project });
        expect(started.status, JSON.stringify(started.body)).toBe(200);
        return { project, session: started.body.Response.Id as string };
      };
      const folder = join(dir, 'synthetic-run');
      writeSyntheticRun(folder, { tiles: 8, clusters: 30_000, readLength: 51, samples: 8 });
      // Not spawnSync: a blocked event loop misses the proxy closing idle keep-alive sockets, and
      // the next request goes out on a dead one (ECONNRESET).
      const imported = await execFileAsync(
        process.execPath,
        [BIN, 'admin', 'run', 'import', folder, '--owner', 'admin@localhost'],
        { env: cleanEnv({ ...env, SEQHUB_DATA_DIR: join(dir, 'admin') }), timeout: 300_000 },
      ).then(
        (r) => ({ status: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code?: number; stdout?: string; stderr?: string }) => ({
          status: e.code ?? 1,
          stdout: e.stdout ?? '',
          stderr: e.stderr ?? String(e),
        }),
      );
      expect(imported.status, imported.stderr).toBe(0);
      runId = imported.stdout.trim().split('\n').pop()!;
      const killed = await demux('killed-worker');
      const holder = await until('a worker to take the job', () =>
        workers.find((w) => /job demux \S+ started \(attempt 1/.test(w.out())),
      );
      const jobId = /job demux (\S+) started \(attempt 1/.exec(holder.out())![1]!;
      await until('the job to be half way', async () => {
        const s = (await call('GET', `appsessions/${killed.session}`)).body.Response;
        expect(s.Status).toBe('Running');
        return /^Demultiplexing: [1-7] of 8 tiles$/.test(s.StatusSummary) ? true : undefined;
      });
      holder.child.kill('SIGKILL');
      await holder.exited;
      const other = workers.find((w) => w !== holder)!;
      expect(await listAll(proxy.url, token, `projects/${killed.project}/samples`)).toEqual([]);
      const { session } = await waitForSession(proxy.url, token, killed.session, 240_000);
      expect(session.Status, session.StatusSummary).toBe('Complete');
      expect(other.out()).toContain(`job demux ${jobId} started (attempt 2`);

      const db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      try {
        const { rows } = await db.query(
          `SELECT state, retry_count FROM pgboss.job WHERE id = $1
           UNION ALL SELECT state, retry_count FROM pgboss.archive WHERE id = $1`,
          [jobId],
        );
        expect(rows).toEqual([{ state: 'completed', retry_count: 1 }]);
      } finally {
        await db.end();
      }

      // The reference: the same run demultiplexed without interruption.
      const clean = await demux('reference');
      const reference = await waitForSession(proxy.url, token, clean.session, 240_000);
      expect(reference.session.Status).toBe('Complete');
      const fastqs = async (project: string) => {
        const samples = await listAll(proxy.url, token, `projects/${project}/samples`);
        const sums = new Map<string, string>();
        for (const s of samples)
          for (const f of await listAll(proxy.url, token, `samples/${s.Id}/files`))
            sums.set(f.Name, md5(gunzipSync(await download(proxy.url, token, f.Id))));
        return { ids: samples.map((s) => s.SampleId as string).sort(), sums };
      };
      const got = await fastqs(killed.project);
      const want = await fastqs(clean.project);
      expect(got.ids).toEqual(['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8']);
      expect(got.sums.size).toBe(16);
      expect(got.sums).toEqual(want.sums);
      expect(
        await listAll(proxy.url, token, `appsessions/${killed.session}/appresults`),
      ).toHaveLength(1);
      // Back to two workers.
      await startWorker();
    }, 900_000);

    it('an indexing job runs on a worker: the VCF uploaded through the proxy becomes ready', async () => {
      const post = async (path: string, body: unknown) =>
        (await call('POST', path, body)).body.Response;
      const project = await post('projects', { Name: 'genomics' });
      const appResult = await post(`projects/${project.Id}/appresults`, { Name: 'vcf' });
      const files = new FilesClient(proxy.url, token);
      const res = await files.upload(
        'appresults',
        appResult.Id,
        NA12878,
        'genomics',
        readFileSync(fixture(NA12878)),
      );
      expect(res.status).toBe(200);
      const file = (await json(res)).Response;
      const ready = await until('the index', async () => {
        const now = (await json(await files.get(`files/${file.Id}`))).Response;
        return now.IndexStatus === 'pending' ? undefined : now;
      });
      expect(ready).toMatchObject({
        IndexStatus: 'ready',
        HrefVariants: `v1pre3/variantset/${file.Id}`,
      });
      expect(workers.some((w) => w.out().includes('job index-file '))).toBe(true);
      const variants = await call(
        'GET',
        `variantset/${file.Id}/variants/chr17?StartPos=41100000&EndPos=41300000&Limit=5`,
      );
      expect(variants.status, JSON.stringify(variants.body)).toBe(200);
    }, 300_000);

    it('an app runs on a scale-out worker, sandboxed: fastq-qc launched through the proxy ends Complete', async () => {
      const post = async (path: string, body: unknown) =>
        (await call('POST', path, body)).body.Response;
      const project = await post('projects', { Name: 'apps on workers' });
      const sample = await post(`projects/${project.Id}/samples`, { Name: 'Q1', SampleId: 'Q1' });
      const files = new FilesClient(proxy.url, token);
      for (const read of ['R1', 'R2']) {
        const res = await files.upload(
          'samples',
          sample.Id,
          `Q1_S1_L001_${read}_001.fastq.gz`,
          '',
          readFileSync(resolve('test/fixtures/apps', `reads_${read}.fastq.gz`)),
          'application/gzip',
        );
        expect(res.status).toBe(200);
      }
      const launched = await call('POST', 'applications/fastq-qc/appsessions', {
        Properties: [
          { Name: 'Input.project-id', Type: 'project', Content: `v1pre3/projects/${project.Id}` },
          { Name: 'Input.sample-id', Type: 'sample[]', Items: [`v1pre3/samples/${sample.Id}`] },
        ],
      });
      expect(launched.status, JSON.stringify(launched.body)).toBe(200);
      const { session } = await waitForSession(
        proxy.url,
        token,
        launched.body.Response.Id,
        240_000,
      );
      expect(session.Status, session.StatusSummary).toBe('Complete');
      // Run by a `seqhub worker` process (the API processes run no jobs), in its sandbox.
      expect(workers.some((w) => w.out().includes('job app-run '))).toBe(true);
      const [result] = await listAll(proxy.url, token, `appsessions/${session.Id}/appresults`);
      const names = (await listAll(proxy.url, token, `appresults/${result.Id}/files`)).map(
        (f: any) => f.Name,
      );
      expect(names).toEqual(['Q1.fastp.html', 'Q1.fastp.json']);
    }, 300_000);

    it('signed URLs, CSRF tokens and web sessions made by one API process are valid in the other', async () => {
      const [a, b] = apis.filter((x) => x.child.exitCode === null && x.child.signalCode === null);
      // A 0-byte file: its content URL is signed by the hub, not presigned by S3.
      const project = (await call('POST', 'projects', { Name: 'signed' })).body.Response;
      const appResult = (await call('POST', `projects/${project.Id}/appresults`, { Name: 'empty' }))
        .body.Response;
      const up = await new FilesClient(a!.url, token).upload(
        'appresults',
        appResult.Id,
        'empty.txt',
        '',
        new Uint8Array(0),
      );
      const fileId = (await json(up)).Response.Id as string;
      const meta = await api(a!.url, token, 'GET', `files/${fileId}/content?redirect=meta`);
      const signed = new URL(meta.body.Response.HrefContent as string);
      expect(signed.searchParams.get('signature')).toBeTruthy();
      const other = await fetch(`${b!.url}${signed.pathname}${signed.search}`);
      expect(other.status).toBe(200);

      // CSRF: a form from one process posted to the other is not refused (403) but checked.
      const setPassword = spawnSync(
        process.execPath,
        [BIN, 'admin', 'user', 'password', '--email', 'admin@localhost'],
        {
          env: cleanEnv({ ...env, SEQHUB_DATA_DIR: join(dir, 'admin') }),
          input: `${PASSWORD}\n`,
          encoding: 'utf8',
        },
      );
      expect(setPassword.status, setPassword.stderr).toBe(0);
      const form = await fetch(`${a!.url}/signin`);
      const cookie = form.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
      const signIn = (password: string) =>
        fetch(`${b!.url}/signin`, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ _csrf: csrf, email: 'admin@localhost', password }),
        });
      expect((await signIn('wrong-password')).status).toBe(401);
      const signedIn = await signIn(PASSWORD);
      expect(signedIn.status).toBe(303);
      const session = signedIn.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      // The session made by b is known to a.
      const done = await fetch(`${a!.url}/signin/done`, {
        redirect: 'manual',
        headers: { cookie: `${cookie}; ${session}` },
      });
      expect(done.status).toBe(200);
    }, 120_000);

    it('SIGTERM: a worker stops taking jobs and exits 0', async () => {
      const w = workers.find((x) => x.child.exitCode === null && x.child.signalCode === null)!;
      w.child.kill('SIGTERM');
      expect(await w.exited).toBe(0);
      expect(w.out()).toContain('worker stopped');
    }, 60_000);
  },
);
