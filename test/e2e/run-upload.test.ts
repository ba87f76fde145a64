import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, storages, type Backend, type Storage } from '../support/backends.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { BIN, cleanEnv } from '../support/processes.js';

/** `seqhub run upload` as a user runs it: the built CLI in its own process, a real hub on 127.0.0.1. */
const MISEQ = resolve('test/fixtures/runs/miseq-130417');

interface Cli {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
}

/** Starts the CLI without blocking: the hub runs in this very process and must keep answering. */
function start(args: string[], env: Record<string, string>): Cli {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...cleanEnv(), ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{
    code: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
  }>((r) => child.on('close', (code, signal) => r({ code, signal, stdout, stderr })));
  return { child, done };
}

/** A port nothing listens on (just released by the OS). */
function closedPort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

const run = (args: string[], env: Record<string, string>) => start(args, env).done;

/** Any program, without blocking (`script` gives the CLI a terminal). */
function run0(file: string, args: string[], env: Record<string, string>) {
  const child = spawn(file, args, { env: { ...cleanEnv(), ...env } });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stdout += d));
  return new Promise<{ code: number | null; stdout: string }>((r) =>
    child.on('close', (code) => r({ code, stdout })),
  );
}

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

function localFiles(root: string): Map<string, { size: number; md5: string }> {
  const out = new Map<string, { size: number; md5: string }>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else {
        const bytes = readFileSync(full);
        out.set(relative(root, full).split('\\').join('/'), {
          size: bytes.length,
          md5: md5(bytes),
        });
      }
    }
  };
  walk(root);
  return out;
}

const matrix: { db: string; store: string; backend: Backend; storage: Storage }[] =
  backends().flatMap((backend) =>
    storages().map((storage) => ({ db: backend.kind, store: storage.kind, backend, storage })),
  );

describe.each(matrix)(
  'seqhub run upload on $db with $store storage',
  ({ db, store, backend, storage }) => {
    // Checks that do not depend on where the hub keeps things run once, on the first pair.
    const once = db === matrix[0]!.db && store === matrix[0]!.store;
    let hub: TestHub;
    let dir: string;
    let env: Record<string, string>;
    let token: string;

    const get = async (path: string, t = token) => {
      const res = await fetch(`${hub.url}/v1pre3/${path}`, { headers: { 'x-access-token': t } });
      return (await res.json()) as any;
    };
    const runFiles = async (id: string): Promise<any[]> =>
      (await get(`runs/${id}/files?Limit=1000&SortBy=Path`)).Response.Items;

    beforeAll(async () => {
      hub = await startTestHub(backend, { storage });
      dir = mkdtempSync(join(tmpdir(), 'seqhub-run-upload-'));
      token = (await hub.newUser()).token;
      env = {
        SEQHUB_API_SERVER: hub.url,
        SEQHUB_ACCESS_TOKEN: token,
        SEQHUB_CONFIG_DIR: join(dir, 'config'),
      };
    });
    afterAll(async () => {
      await hub?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it(
      'uploads a MiSeq run folder (small files single-part, a large one in parts): Run fields and every MD5 as local; the id last',
      { timeout: 120_000 },
      async () => {
        const r = await run(['run', 'upload', MISEQ, '--part-size', '256k'], env);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const lines = r.stdout.trim().split('\n');
        const id = lines.at(-1)!;
        expect(id).toMatch(/^[1-9]\d*$/);
        expect(lines.at(-2)).toBe(
          'uploaded 12 files (2305488 bytes), 0 already on the hub; run complete',
        );
        expect((await get(`runs/${id}`)).Response).toMatchObject({
          Id: id,
          Name: '130417_M00146_0021_000000000-A2WDF',
          ExperimentName: 'Experiment_1',
          Status: 'Complete',
          FlowcellBarcode: '000000000-A2WDF',
          InstrumentType: 'MiSeq',
          TotalSize: 2_305_488,
        });
        const local = localFiles(MISEQ);
        const files = await runFiles(id);
        expect(files.map((f) => f.Path).sort()).toEqual([...local.keys()].sort());
        for (const f of files) {
          expect({ path: f.Path, size: f.Size, md5: f.ETag }).toEqual({
            path: f.Path,
            ...local.get(f.Path),
          });
        }
        const stats = (await get(`runs/${id}/sequencingstats`)).Response;
        expect(stats.ReadsTotal).toBe(10_758_890);
        // Done: no state is kept, so the same folder uploads as a new run next time.
        expect(readdirSync(join(dir, 'config', 'uploads'))).toEqual([]);
      },
    );

    it(
      'interrupted (Ctrl-C, then kill -9) and run again: resumes the same run, sends only the missing files, exactly one run',
      { timeout: 180_000 },
      async () => {
        const user = await hub.newUser();
        const userEnv = { ...env, SEQHUB_ACCESS_TOKEN: user.token };
        const folder = join(dir, 'big-run');
        cpSync(MISEQ, folder, { recursive: true });
        for (let c = 1; c <= 40; c++) {
          const sub = join(folder, 'Data', 'Intensities', 'BaseCalls', 'L001', `C${c}.1`);
          mkdirSync(sub, { recursive: true });
          writeFileSync(join(sub, 's_1_1101.bcl'), randomBytes(64 * 1024));
        }
        // First in walk order, and 32 parts at the paced rate: in flight at both interruptions.
        writeFileSync(join(folder, 'A.big.bin'), randomBytes(4 * 1024 * 1024));
        const local = localFiles(folder);
        const totalBytes = [...local.values()].reduce((s, f) => s + f.size, 0);
        const args = ['run', 'upload', folder, '--part-size', '128k', '--limit-rate', '512k'];

        /** Waits until the user's one Uploading run holds at least `n` complete files. */
        const untilFiles = async (n: number): Promise<string> => {
          for (;;) {
            const runs = (await get('users/current/runs?Statuses=Uploading', user.token)).Response;
            const id = runs.Items[0]?.Id as string | undefined;
            if (id) {
              const count = (await get(`runs/${id}/files?Limit=1`, user.token)).Response.TotalCount;
              if (count >= n) return id;
            }
            await new Promise((r) => setTimeout(r, 50));
          }
        };

        const first = start(args, userEnv);
        const runId = await untilFiles(4);
        first.child.kill('SIGINT');
        const interrupted = await first.done;
        expect(interrupted.code).toBe(130);
        expect(interrupted.stderr.trim().split('\n')).toEqual([
          'seqhub: interrupted; the run stays Uploading: run the same command again to resume',
        ]);

        const second = start(args, userEnv);
        await untilFiles(14);
        second.child.kill('SIGKILL');
        expect((await second.done).signal).toBe('SIGKILL');
        // Let the hub finish what it had fully received before the kill.
        await new Promise((r) => setTimeout(r, 500));

        const before = await runFilesAs(runId, user.token);
        // The large file was under way: its pending multipart upload and the parts the hub holds.
        const [stateName] = readdirSync(join(dir, 'config', 'uploads'));
        const state = JSON.parse(readFileSync(join(dir, 'config', 'uploads', stateName!), 'utf8'));
        expect(state.runId).toBe(runId);
        const pending = state.multipart['A.big.bin'].fileId as string;
        const held = (await get(`files/${pending}/parts`, user.token)).Response.Items as any[];
        expect(held.length).toBeGreaterThan(0);
        expect(held.length).toBeLessThan(32);
        const heldBytes = held.reduce((s, p) => s + p.Size, 0);
        expect(before.length).toBeGreaterThanOrEqual(14);
        expect(before.length).toBeLessThan(local.size);

        const third = await run(['run', 'upload', folder], userEnv);
        expect(third.stderr).toBe('');
        expect(third.code).toBe(0);
        const lines = third.stdout.trim().split('\n');
        expect(lines[0]).toBe(
          `resuming run ${runId}: ${before.length} of ${local.size} files already on the hub`,
        );
        expect(lines.at(-1)).toBe(runId);

        const after = await runFilesAs(runId, user.token);
        // The files the hub held were not sent again: same ids; only the rest are new.
        const kept = new Map(before.map((f) => [f.Id, f.Path]));
        const fresh = after.filter((f) => !kept.has(f.Id));
        expect(
          after
            .filter((f) => kept.has(f.Id))
            .map((f) => f.Path)
            .sort(),
        ).toEqual([...kept.values()].sort());
        expect(fresh).toHaveLength(local.size - before.length);
        // The large file is the same upload, resumed: its held parts were not sent again.
        expect(after.find((f) => f.Path === 'A.big.bin').Id).toBe(pending);
        const sentAgain = fresh.reduce((s, f) => s + f.Size, 0) - heldBytes;
        expect(sentAgain).toBeLessThan(totalBytes - heldBytes);
        expect(lines.at(-2)).toBe(
          `uploaded ${fresh.length} files (${sentAgain} bytes), ${before.length} already on the hub; run complete`,
        );
        // Every path once, every MD5 as local.
        expect(after.map((f) => f.Path).sort()).toEqual([...local.keys()].sort());
        for (const f of after)
          expect([f.Path, f.Size, f.ETag]).toEqual([
            f.Path,
            local.get(f.Path)!.size,
            local.get(f.Path)!.md5,
          ]);

        const runs = (await get('users/current/runs', user.token)).Response;
        expect(runs.TotalCount).toBe(1);
        expect(runs.Items[0]).toMatchObject({
          Id: runId,
          Status: 'Complete',
          TotalSize: totalBytes,
        });
      },
    );

    it.runIf(once && spawnSync('script', ['--version']).status === 0)(
      'on a terminal: a progress bar with rate and ETA on stderr; none with --quiet',
      { timeout: 120_000 },
      async () => {
        const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
        const inTty = async (extra: string[]) => {
          const cmd = [
            process.execPath,
            BIN,
            'run',
            'upload',
            MISEQ,
            '--limit-rate',
            '1M',
            ...extra,
          ]
            .map(quote)
            .join(' ');
          const r = await run0('script', ['-qefc', cmd, '/dev/null'], env);
          expect(r.code).toBe(0);
          return r.stdout;
        };
        const shown = await inTty([]);
        expect(shown).toMatch(
          /\r\[[=> ]{24}\] +\d+% [\d.]+ (B|KiB|MiB)\/2\.2 MiB {2}[\d.]+ (B|KiB|MiB)\/s {2}ETA \d+:\d\d {2}files \d+\/12/,
        );
        expect(shown).toMatch(/files 12\/12/);
        expect(shown.trim().split(/\r?\n/).at(-1)).toMatch(/^[1-9]\d*$/);
        const quiet = await inTty(['--quiet']);
        expect(quiet).not.toContain('ETA');
        expect(quiet.trim()).toMatch(/^[1-9]\d*$/);
      },
    );

    it(
      'a local file changed after it went up: exit 6 naming it, nothing replaced, the run stays Uploading',
      { timeout: 120_000 },
      async () => {
        const user = await hub.newUser();
        const userEnv = { ...env, SEQHUB_ACCESS_TOKEN: user.token };
        const folder = join(dir, 'changing-run');
        cpSync(MISEQ, folder, { recursive: true });
        const first = start(['run', 'upload', folder, '--limit-rate', '256k'], userEnv);
        let files: any[] = [];
        let runId = '';
        while (files.length < 2) {
          const runs = (await get('users/current/runs', user.token)).Response.Items;
          if (runs[0]) {
            runId = runs[0].Id;
            files = await runFilesAs(runId, user.token);
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        first.child.kill('SIGINT');
        expect((await first.done).code).toBe(130);
        await new Promise((r) => setTimeout(r, 300));
        files = await runFilesAs(runId, user.token);
        const changed = files[0].Path as string;
        writeFileSync(
          join(folder, changed),
          Buffer.concat([readFileSync(join(folder, changed)), Buffer.from('x')]),
        );

        const r = await run(['run', 'upload', folder], userEnv);
        expect(r.code).toBe(6);
        expect(r.stdout).toBe('');
        expect(r.stderr.trim().split('\n')).toEqual([
          `seqhub: ${changed} on the hub (run ${runId}) differs from the local file; a run's uploaded files cannot be replaced`,
        ]);
        expect(await runFilesAs(runId, user.token)).toEqual(files);
        expect((await get(`runs/${runId}`, user.token)).Response.Status).toBe('Uploading');
      },
    );

    async function runFilesAs(id: string, t: string): Promise<any[]> {
      return (await get(`runs/${id}/files?Limit=1000&SortBy=Path`, t)).Response.Items;
    }

    it.runIf(once)(
      'a bad token, a folder that is not a run, no hub: one clear line, documented exit codes, no run',
      async () => {
        const user = await hub.newUser();
        const userEnv = { ...env, SEQHUB_ACCESS_TOKEN: user.token };
        const closed = await closedPort();
        const notRun = join(dir, 'not-a-run');
        mkdirSync(notRun, { recursive: true });
        writeFileSync(join(notRun, 'SampleSheet.csv'), '[Data]\nSample_ID\nA\n');
        const cases: [string[], Record<string, string>, number, RegExp][] = [
          [
            ['run', 'upload', MISEQ],
            { ...userEnv, SEQHUB_ACCESS_TOKEN: 'not-a-token' },
            3,
            /^seqhub: the hub refused the access token: .*\(HTTP 401 Unauthorized\)$/,
          ],
          [
            ['run', 'upload', notRun],
            userEnv,
            2,
            /^seqhub: RunInfo.xml is missing: this is not an Illumina run folder$/,
          ],
          [
            ['run', 'upload', join(dir, 'nothing-here')],
            userEnv,
            2,
            /^seqhub: run folder '.*nothing-here' does not exist$/,
          ],
          [
            ['run', 'upload', MISEQ],
            { ...userEnv, SEQHUB_API_SERVER: '' },
            2,
            /^seqhub: no hub given: use --api-server URL or SEQHUB_API_SERVER, or sign in with seqhub auth$/,
          ],
          [
            ['run', 'upload', MISEQ, '--api-server', `http://127.0.0.1:${closed}`],
            userEnv,
            5,
            new RegExp(`^seqhub: cannot reach http://127\\.0\\.0\\.1:${closed}: ECONNREFUSED$`),
          ],
        ];
        for (const [args, e, code, message] of cases) {
          const r = await run(args, e);
          expect(r.code, args.join(' ')).toBe(code);
          expect(r.stdout).toBe('');
          const lines = r.stderr.trim().split('\n');
          expect(lines).toHaveLength(1);
          expect(lines[0]).toMatch(message);
        }
        expect((await get('users/current/runs', user.token)).Response.TotalCount).toBe(0);
      },
    );
  },
);
