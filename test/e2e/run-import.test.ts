import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, storages, type Backend, type Storage } from '../support/backends.js';
import { BIN, cleanEnv } from '../support/processes.js';

/** `seqhub admin run import` as an operator runs it: the built CLI, then `serve` over the same data. */
const FIX = resolve('test/fixtures/runs');

function seqhub(args: string[], env: Record<string, string>, cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...cleanEnv(), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

function serve(port: number, env: Record<string, string>, cwd: string): Promise<ChildProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], {
      cwd,
      env: { ...cleanEnv(), ...env },
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('listening on ')) resolvePromise(child);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  child.removeAllListeners('exit');
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function countFiles(dir: string): number {
  let n = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else n++;
    }
  };
  try {
    walk(dir);
  } catch {
    return 0;
  }
  return n;
}

const matrix: { db: string; store: string; backend: Backend; storage: Storage }[] =
  backends().flatMap((backend) =>
    storages().map((storage) => ({ db: backend.kind, store: storage.kind, backend, storage })),
  );

describe.each(matrix)('admin run import on $db with $store storage', ({ backend, storage }) => {
  let dir: string;
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  let token: string;
  const email = 'operator@lab.example';
  const imported: string[] = [];

  // Each CLI call starts node, opens the database and migrates: seconds on a shared 2-vCPU box.
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seqhub-import-'));
    const db = await backend.create();
    env = { ...db.env, ...storage.env(), SEQHUB_DATA_DIR: join(dir, 'data') };
    drop = db.drop;
    expect(
      seqhub(['admin', 'user', 'create', '--email', email, '--name', 'Operator'], env, dir).code,
    ).toBe(0);
    token = seqhub(['admin', 'token', 'create', '--email', email], env, dir).stdout.trim();
  }, 120_000);
  afterAll(async () => {
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'imports the MiSeq, NextSeq and NovaSeq folders; prints the run id last; serve shows them',
    { timeout: 180_000 },
    async () => {
      for (const folder of ['miseq-130417', 'nextseq-170609', 'novaseq-190414']) {
        const r = seqhub(['admin', 'run', 'import', join(FIX, folder), '--owner', email], env, dir);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const lines = r.stdout.trim().split('\n');
        expect(lines.at(-1)).toMatch(/^[1-9]\d*$/);
        imported.push(lines.at(-1)!);
      }
      const port = await freePort();
      const child = await serve(port, env, dir);
      const get = async (path: string) =>
        (await (
          await fetch(`http://127.0.0.1:${port}/v1pre3/${path}`, {
            headers: { 'x-access-token': token },
          })
        ).json()) as any;
      try {
        const [miseq, nextseq, novaseq] = imported;
        expect((await get(`runs/${miseq}`)).Response).toMatchObject({
          Name: '130417_M00146_0021_000000000-A2WDF',
          ExperimentName: 'Experiment_1',
          Status: 'Complete',
          FlowcellBarcode: '000000000-A2WDF',
          InstrumentType: 'MiSeq',
          TotalSize: 2_305_488,
        });
        const files = (await get(`runs/${miseq}/files?Limit=100&SortBy=Path`)).Response;
        expect(files.Items.map((f: any) => f.Path).sort()).toEqual([
          'Config/Effective.cfg',
          'Config/MiSeqOverride.cfg',
          'Config/RTAStart.bat',
          'InterOp/ControlMetricsOut.bin',
          'InterOp/CorrectedIntMetricsOut.bin',
          'InterOp/ExtractionMetricsOut.bin',
          'InterOp/QMetricsOut.bin',
          'InterOp/TileMetricsOut.bin',
          'RunInfo.xml',
          'SampleSheet.csv',
          'reference.json',
          'runParameters.xml',
        ]);
        const stats = (await get(`runs/${miseq}/sequencingstats`)).Response;
        expect(stats.PercentGtQ30).toBeCloseTo(94.84, 2);
        expect(stats.ReadsTotal).toBe(10_758_890);

        const ns = (await get(`runs/${nextseq}/sequencingstats`)).Response;
        expect(ns.Lanes.map((l: any) => l.ReadsTotal)).toEqual([
          123675993, 123164182, 123585877, 124442124,
        ]);
        expect(ns.Lanes.map((l: any) => l.ReadsPfTotal)).toEqual([
          116615810, 115943133, 116283632, 117197637,
        ]);
        expect(ns.Indexes).toHaveLength(32);
        expect((await get(`runs/${nextseq}`)).Response).toMatchObject({
          InstrumentType: 'NextSeq',
          ReadStructure: 'Y75,I8,Y75',
          NumLanes: 4,
          NumTiles: 864,
          Chemistry: 'NextSeq High',
          I5Orientation: 'B',
        });
        expect((await get(`runs/${novaseq}`)).Response).toMatchObject({
          Name: '190414_A00111_0296_AHJCWWDSXX',
          ReadStructure: 'Y4,I8,I8,Y4',
          LibraryCount: 93,
        });
        const content = await fetch(
          `http://127.0.0.1:${port}/v1pre3/files/${
            (await get(`runs/${novaseq}/files?Extensions=.cbcl&Limit=1&SortBy=Path`)).Response
              .Items[0].Id
          }/content`,
          { headers: { 'x-access-token': token } },
        );
        expect(content.status).toBe(200);
        expect((await content.arrayBuffer()).byteLength).toBeGreaterThan(0);
      } finally {
        await stop(child);
      }
    },
  );

  it(
    'bad folders: one clear error line, a non-zero exit, and nothing visible or stored',
    { timeout: 180_000 },
    async () => {
      const blobsBefore = countFiles(join(dir, 'data', 'blobs', 'files'));
      const bad = join(dir, 'bad');
      const make = (name: string, files: Record<string, string | Buffer>) => {
        const root = join(bad, name);
        for (const [path, body] of Object.entries(files)) {
          mkdirSync(join(root, path, '..'), { recursive: true });
          writeFileSync(join(root, path), body);
        }
        return root;
      };
      const truncated = join(bad, 'truncated');
      cpSync(join(FIX, 'miseq-130417'), truncated, { recursive: true });
      truncateSync(join(truncated, 'InterOp', 'QMetricsOut.bin'), 2 + 206 * 100 + 50);
      const cases: [string, RegExp][] = [
        [join(bad, 'nothing-here'), /^seqhub: run folder '.*nothing-here' does not exist$/],
        [
          make('no-runinfo', { 'SampleSheet.csv': '[Data]\nSample_ID\nA\n' }),
          /^seqhub: RunInfo.xml is missing: this is not an Illumina run folder$/,
        ],
        [
          make('corrupt', { 'RunInfo.xml': '<RunInfo>\n<Run>\n<Reads>\n' }),
          /^seqhub: RunInfo.xml: is not well-formed XML: .* \(line \d+\)$/,
        ],
        [
          truncated,
          /^seqhub: InterOp\/QMetricsOut.bin: is truncated: 50 byte\(s\) of a 206-byte record at the end \(byte 20602\)$/,
        ],
        [
          make('bad-sheet', {
            'RunInfo.xml': readFixture('novaseq-190414/RunInfo.xml'),
            'SampleSheet.csv':
              '[Data]\nLane,Sample_ID,index,index2\n1,S1,AAAAAAAA,CCCCCCCC\n1,S1,AAAAAAAA,CCCCCCCC\n',
          }),
          /^seqhub: SampleSheet.csv: line 4: sample 'S1' is listed twice in lane 1 \(lines 3 and 4\)$/,
        ],
      ];
      for (const [folder, message] of cases) {
        const r = seqhub(['admin', 'run', 'import', folder, '--owner', email], env, dir);
        expect(r.code, folder).not.toBe(0);
        expect(r.stdout).toBe('');
        const lines = r.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(message);
      }
      const unknown = seqhub(
        ['admin', 'run', 'import', join(FIX, 'miseq-130417'), '--owner', 'who@lab.example'],
        env,
        dir,
      );
      expect(unknown.stderr.trim()).toBe("seqhub: no user with email 'who@lab.example'");
      expect(countFiles(join(dir, 'data', 'blobs', 'files'))).toBe(blobsBefore);

      const port = await freePort();
      const child = await serve(port, env, dir);
      try {
        const list = (await (
          await fetch(`http://127.0.0.1:${port}/v1pre3/users/current/runs`, {
            headers: { 'x-access-token': token },
          })
        ).json()) as any;
        expect(list.Response.TotalCount).toBe(imported.length);
      } finally {
        await stop(child);
      }
    },
  );
});

function readFixture(path: string): Buffer {
  return readFileSync(join(FIX, path));
}
