import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
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
import { join, relative } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { BIN, cleanEnv } from '../support/processes.js';
import { HttpTransport } from '../../src/sdk/http.js';
import { ChecksumError, downloadFile } from '../../src/sdk/transfer-node.js';
import { fromFile } from '../../src/sdk/types.js';

/**
 * `seqhub upload`, `download`, `await` and `run demultiplex` as a user runs them: the built CLI in
 * its own process against a real hub on 127.0.0.1.
 */
interface Done {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}
interface Cli {
  child: ChildProcess;
  done: Promise<Done>;
}

function start(args: string[], env: Record<string, string>, uid?: number): Cli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...cleanEnv(), ...env },
    ...(uid !== undefined && { uid, gid: uid }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Done>((r) =>
    child.on('close', (code, signal) => r({ code, signal, stdout, stderr })),
  );
  return { child, done };
}
const run = (args: string[], env: Record<string, string>, uid?: number) =>
  start(args, env, uid).done;

function closedPort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every file under `root` by `/` path, with its MD5. */
function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out[relative(root, full).split('\\').join('/')] = md5(readFileSync(full));
    }
  };
  walk(root);
  return out;
}

/** One line on stderr, nothing on stdout: how every failure must look. */
function expectOneLine(r: Done, code: number, text: RegExp) {
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^seqhub: /);
  expect(lines[0]).toMatch(text);
}

describe.each(backends())('seqhub upload/download/await on $kind', (backend) => {
  let hub: TestHub;
  let dir: string;
  let env: Record<string, string>;
  let token: string;
  let project: string;

  const api = async (method: string, path: string, body?: unknown, t = token) => {
    const res = await fetch(`${hub.url}/v1pre3/${path}`, {
      method,
      headers: { 'x-access-token': t, 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return (await res.json()) as any;
  };

  beforeAll(async () => {
    hub = await startTestHub(backend);
    dir = mkdtempSync(join(tmpdir(), 'seqhub-transfer-'));
    chmodSync(dir, 0o755);
    token = (await hub.newUser()).token;
    env = {
      SEQHUB_API_SERVER: hub.url,
      SEQHUB_ACCESS_TOKEN: token,
      SEQHUB_CONFIG_DIR: join(dir, 'config'),
    };
    project = (await api('POST', 'projects', { Name: 'Transfers' })).Response.Id;
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads a directory (one file multipart) and files as a new app result; --terse prints its id; a project downloads as DIR/<name>/<path> with equal checksums; a second download skips', async () => {
    const src = join(dir, 'src1');
    mkdirSync(join(src, 'reads', 'lane1'), { recursive: true });
    writeFileSync(join(src, 'reads', 'big.fastq.gz'), randomBytes(3 * 1024 * 1024 + 17));
    writeFileSync(join(src, 'reads', 'lane1', 'a.fastq.gz'), randomBytes(1000));
    writeFileSync(join(src, 'reads', 'skip.tmp'), 'tmp');
    writeFileSync(join(src, 'summary.txt'), 'hello\n');
    const r = await run(
      [
        'upload',
        'appresult',
        '--project',
        project,
        '--name',
        'Result A',
        join(src, 'reads'),
        join(src, 'summary.txt'),
        '--exclude',
        '*.tmp',
        '--part-size',
        '1M',
        '--terse',
      ],
      env,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(/^[1-9]\d*$/);
    const result = (await api('GET', `appresults/${id}`)).Response;
    expect(result.Name).toBe('Result A');
    expect((await api('GET', `appsessions/${result.AppSession.Id}`)).Response.Status).toBe(
      'Complete',
    );
    const files = (await api('GET', `appresults/${id}/files?SortBy=Path`)).Response.Items;
    expect(files.map((f: any) => f.Path)).toEqual([
      'reads/big.fastq.gz',
      'reads/lane1/a.fastq.gz',
      'summary.txt',
    ]);
    // The big file went up in parts: the hub's ETag of a multipart upload is not the file's MD5,
    // so compare its SHA-256.
    const big = readFileSync(join(src, 'reads', 'big.fastq.gz'));
    expect(files[0].Sha256).toBe(createHash('sha256').update(big).digest('hex'));

    const s = await run(
      [
        'upload',
        'sample',
        '--project',
        project,
        '--name',
        'S1',
        join(src, 'summary.txt'),
        '-f',
        'json',
      ],
      env,
    );
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ Name: 'S1', Kind: 'samples', FilesUploaded: 1 });

    const out = join(dir, 'out1');
    // 1 MiB ranges: the big file comes in 4 ranges at once.
    const d = await run(
      ['download', 'project', '--id', project, '-o', out, '--range-size', '1M'],
      env,
    );
    expect(d.stderr).toBe('');
    expect(d.code).toBe(0);
    expect(d.stdout.trim()).toBe('downloaded 4 files (3146757 bytes), 0 already present');
    const want = {
      'Result A/reads/big.fastq.gz': md5(big),
      'Result A/reads/lane1/a.fastq.gz': md5(
        readFileSync(join(src, 'reads', 'lane1', 'a.fastq.gz')),
      ),
      'Result A/summary.txt': md5(Buffer.from('hello\n')),
      'S1/summary.txt': md5(Buffer.from('hello\n')),
    };
    expect(tree(out)).toEqual(want);
    const before = statSync(join(out, 'Result A', 'reads', 'big.fastq.gz')).mtimeMs;
    const again = await run(['download', 'project', '--id', project, '-o', out], env);
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe('downloaded 0 files (0 bytes), 4 already present');
    expect(statSync(join(out, 'Result A', 'reads', 'big.fastq.gz')).mtimeMs).toBe(before);

    // A local copy that differs is fetched again, through .part, and ends equal.
    writeFileSync(join(out, 'S1', 'summary.txt'), 'changed\n');
    const fix = await run(
      ['download', 'sample', '--id', JSON.parse(s.stdout).Id, '-o', join(out, 'S1')],
      env,
    );
    expect(fix.stdout.trim()).toBe('downloaded 1 files (6 bytes), 0 already present');
    expect(tree(out)).toEqual(want);

    const only = join(dir, 'out-ext');
    const e = await run(
      ['download', 'appresult', '--id', id, '-o', only, '--extension', 'txt', '--terse'],
      env,
    );
    expect(e.code).toBe(0);
    expect(e.stdout.trim()).toBe(id);
    expect(Object.keys(tree(only))).toEqual(['summary.txt']);
  });

  it('a ranged download resumes from its .part state (only missing ranges fetched); a kept range no longer matching its CRC is fetched again; a CRC-32 mismatch with the hub fails: exit 5, no file under its name', async () => {
    const src = join(dir, 'src-resume');
    mkdirSync(src);
    const bytes = randomBytes(4 * 1024 * 1024 + 5);
    writeFileSync(join(src, 'r.bin'), bytes);
    const up = await run(
      [
        'upload',
        'appresult',
        '--project',
        project,
        '--name',
        'Resume',
        join(src, 'r.bin'),
        '--terse',
      ],
      env,
    );
    expect(up.code).toBe(0);
    const file = (await api('GET', `appresults/${up.stdout.trim()}/files`)).Response.Items[0];
    // The hub keeps the CRC-32 of what it stored (zlib's, 8 hex digits): what downloads check.
    expect(file.Crc32).toBe(crc32(bytes).toString(16).padStart(8, '0'));
    const MiB = 1024 * 1024;
    /** The `.part.json` state of a download of `file` in 1 MiB ranges, with `done` received. */
    const state = (done: number[], more: Record<string, unknown> = {}) =>
      JSON.stringify({
        version: 1,
        fileId: file.Id,
        size: file.Size,
        md5: file.ETag,
        sha256: file.Sha256,
        rangeSize: MiB,
        done,
        ...more,
      });
    /**
     * A .part as a download killed after ranges `done` (1 MiB each) leaves it, with each range's
     * CRC-32 as received. `corrupt`: byte 10 differs on disk from what was received; `lying`: it
     * was received that way (the state's CRC matches the wrong byte).
     */
    const leftBehind = (out: string, done: number[], damage?: 'corrupt' | 'lying') => {
      mkdirSync(out, { recursive: true });
      const part = Buffer.alloc(bytes.length);
      for (const i of done) bytes.copy(part, i * MiB, i * MiB, (i + 1) * MiB);
      if (damage === 'lying') part[10] = part[10]! ^ 0xff;
      const crcs = Object.fromEntries(
        done.map((i) => [i, crc32(part.subarray(i * MiB, (i + 1) * MiB))]),
      );
      if (damage === 'corrupt') part[10] = part[10]! ^ 0xff;
      writeFileSync(join(out, 'r.bin.part'), part);
      writeFileSync(join(out, 'r.bin.part.json'), state(done, { crc32: file.Crc32, crcs }));
    };
    const args = (out: string) => [
      'download',
      'file',
      '--id',
      file.Id,
      '-o',
      out,
      '--range-size',
      '1M',
    ];

    const out = join(dir, 'resume-out');
    leftBehind(out, [0, 1, 3]);
    const r = await run(args(out), env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Ranges 2 and 4 (the last, 5 bytes) only.
    expect(r.stdout.trim()).toBe(`downloaded 1 files (${MiB + 5} bytes), 0 already present`);
    expect(readdirSync(out)).toEqual(['r.bin']);
    expect(md5(readFileSync(join(out, 'r.bin')))).toBe(md5(bytes));

    // Range 0 changed on disk after it was received: read back, it no longer has its CRC, so it
    // is fetched again with 2, 3 and 4.
    const changed = join(dir, 'changed-out');
    leftBehind(changed, [0, 1], 'corrupt');
    const again = await run(args(changed), env);
    expect(again.stderr).toBe('');
    expect(again.stdout.trim()).toBe(
      `downloaded 1 files (${3 * MiB + 5} bytes), 0 already present`,
    );
    expect(md5(readFileSync(join(changed, 'r.bin')))).toBe(md5(bytes));

    // Range 0 arrived wrong (its CRC in the state is of the wrong bytes): the file's CRC-32,
    // combined from its ranges', is not the hub's.
    const bad = join(dir, 'corrupt-out');
    leftBehind(bad, [0, 1], 'lying');
    expectOneLine(
      await run(args(bad), env),
      5,
      /r\.bin: the downloaded bytes have CRC32 [0-9a-f]{8}, the hub says [0-9a-f]{8}; removed it, try again/,
    );
    expect(readdirSync(bad)).toEqual([]);

    // A state an older SDK wrote (no CRCs) is not trusted for a file with a CRC-32: all of it
    // is fetched again.
    const old = join(dir, 'old-state-out');
    mkdirSync(old);
    writeFileSync(join(old, 'r.bin.part'), bytes);
    writeFileSync(join(old, 'r.bin.part.json'), state([0, 1, 2, 3, 4]));
    const full = await run(args(old), env);
    expect(full.stdout.trim()).toBe(
      `downloaded 1 files (${bytes.length} bytes), 0 already present`,
    );
    expect(readdirSync(old)).toEqual(['r.bin']);
  });

  it('a file without a CRC-32 (stored before the hub kept one) is checked by SHA-256 of the .part read back: whole, resumed, and a wrong kept range fails with no file under its name', async () => {
    const src = join(dir, 'src-sha');
    mkdirSync(src);
    const bytes = randomBytes(3 * 1024 * 1024 + 3);
    writeFileSync(join(src, 's.bin'), bytes);
    const up = await run(
      ['upload', 'appresult', '--project', project, '--name', 'Sha', join(src, 's.bin'), '--terse'],
      env,
    );
    expect(up.code).toBe(0);
    const wire = (await api('GET', `appresults/${up.stdout.trim()}/files`)).Response.Items[0];
    const file = { ...fromFile(wire), crc32: undefined };
    expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
    const http = new HttpTransport({ baseUrl: hub.url, accessToken: token });
    const MiB = 1024 * 1024;

    const whole = join(dir, 'sha-whole');
    mkdirSync(whole);
    const r = await downloadFile(http, file, join(whole, 's.bin'), { rangeSize: MiB });
    expect(r).toEqual({ skipped: false, bytesFetched: bytes.length });
    expect(md5(readFileSync(join(whole, 's.bin')))).toBe(md5(bytes));

    const bad = join(dir, 'sha-bad');
    mkdirSync(bad);
    const part = Buffer.from(bytes);
    part[5] = part[5]! ^ 0xff;
    writeFileSync(join(bad, 's.bin.part'), part);
    writeFileSync(
      join(bad, 's.bin.part.json'),
      JSON.stringify({
        version: 1,
        fileId: file.id,
        size: file.size,
        md5: file.md5,
        sha256: file.sha256,
        rangeSize: MiB,
        done: [0, 2],
      }),
    );
    const failed = await downloadFile(http, file, join(bad, 's.bin'), { rangeSize: MiB }).catch(
      (e: unknown) => e,
    );
    expect(failed).toBeInstanceOf(ChecksumError);
    expect((failed as Error).message).toMatch(/have SHA256 [0-9a-f]{64}, the hub says/);
    expect(readdirSync(bad)).toEqual([]);
  });

  it('an upload interrupted by Ctrl-C and then by kill -9 resumes into the same app result and sends only what is missing', async () => {
    const src = join(dir, 'src2');
    mkdirSync(src);
    const bytes = randomBytes(6 * 1024 * 1024);
    writeFileSync(join(src, 'huge.bin'), bytes);
    writeFileSync(join(src, 'small.txt'), 'small\n');
    const args = [
      'upload',
      'appresult',
      '--project',
      project,
      '--name',
      'Interrupted',
      src,
      '--part-size',
      '256k',
      '--limit-rate',
      '1M',
      '--terse',
    ];
    const uploads = join(dir, 'config', 'uploads');
    /** Waits until the state file names a multipart upload with at least `n` parts on the hub. */
    const untilParts = async (n: number) => {
      for (;;) {
        const states = existsSync(uploads)
          ? readdirSync(uploads).filter((f) => f.endsWith('.json'))
          : [];
        for (const f of states) {
          const state = JSON.parse(readFileSync(join(uploads, f), 'utf8'));
          const mp = state.multipart?.['src2/huge.bin'];
          if (mp) {
            const parts = (await api('GET', `files/${mp.fileId}/parts`)).Response.Items;
            if (parts.length >= n) return state.holderId as string;
          }
        }
        await sleep(50);
      }
    };
    const first = start(args, env);
    const holder = await untilParts(2);
    first.child.kill('SIGINT');
    expectOneLine(await first.done, 130, /interrupted; run the same command again to resume/);

    const second = start(args, env);
    await untilParts(8);
    second.child.kill('SIGKILL');
    expect((await second.done).signal).toBe('SIGKILL');

    const third = await run(args, env);
    expect(third.code).toBe(0);
    expect(third.stdout.trim()).toBe(holder);
    const files = (await api('GET', `appresults/${holder}/files?SortBy=Path`)).Response.Items;
    expect(files.map((f: any) => [f.Path, f.Size])).toEqual([
      ['src2/huge.bin', bytes.length],
      ['src2/small.txt', 6],
    ]);
    expect(files[0].Sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    // One app result named so in the project, not three.
    const all = (await api('GET', `projects/${project}/appresults?Limit=100`)).Response.Items;
    expect(all.filter((a: any) => a.Name === 'Interrupted')).toHaveLength(1);
    expect(readdirSync(uploads).filter((f) => f.startsWith('files-'))).toEqual([]);
  });

  it('await appsession: exit 0 on Complete, 11 on Aborted, 10 on NeedsAttention, 124 on --timeout, 7 on an unknown id', async () => {
    const session = async () =>
      (await api('POST', `projects/${project}/appresults`, { Name: `w${Math.random()}` })).Response
        .AppSession.Id as string;
    for (const [status, code] of [
      ['Complete', 0],
      ['Aborted', 11],
      ['NeedsAttention', 10],
    ] as const) {
      const id = await session();
      const waiting = start(['await', 'appsession', id, '--interval', '0.1', '-f', 'json'], env);
      await sleep(500);
      expect(waiting.child.exitCode).toBeNull();
      await api('POST', `appsessions/${id}`, { Status: status, StatusSummary: 'done here' });
      const r = await waiting.done;
      expect(r.code).toBe(code);
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toMatchObject({ Id: id, Status: status });
    }
    const id = await session();
    expectOneLine(
      await run(['await', 'appsession', id, '--interval', '0.1', '--timeout', '0.5'], env),
      124,
      /not settled after 0.5 s/,
    );
    expectOneLine(await run(['await', 'appsession', '999999'], env), 7, /not found/);
  });

  it('bad input: unknown ids, no hub, an unreadable file, a sample sheet that is not there: one line, non-zero, nothing created or written', async () => {
    const out = join(dir, 'bad-out');
    expectOneLine(
      await run(['download', 'project', '--id', '999999', '-o', out], env),
      7,
      /not found/,
    );
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    expectOneLine(
      await run(['download', 'file', '--id', '999999', '-o', out], env),
      7,
      /not found/,
    );
    expectOneLine(
      await run(
        ['upload', 'files', '--appresult', '999999', join(dir, 'src1', 'summary.txt')],
        env,
      ),
      7,
      /not found/,
    );
    expectOneLine(
      await run(['run', 'demultiplex', '--id', '999999', '--project', project], env),
      7,
      /not found/,
    );
    expectOneLine(
      await run(
        [
          'run',
          'demultiplex',
          '--id',
          '1',
          '--project',
          project,
          '--sample-sheet',
          join(dir, 'nope.csv'),
        ],
        env,
      ),
      2,
      /cannot read .*nope\.csv.*ENOENT/,
    );
    const port = await closedPort();
    expectOneLine(
      await run(['download', 'project', '--id', project, '-o', out], {
        ...env,
        SEQHUB_API_SERVER: `http://127.0.0.1:${port}`,
      }),
      5,
      /cannot reach/,
    );
    expectOneLine(
      await run(
        ['upload', 'appresult', '--project', project, '--name', 'X', join(dir, 'nothing-here')],
        env,
      ),
      2,
      /does not exist/,
    );

    // Unreadable: root reads anything, so the CLI runs as nobody when the tests run as root.
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    writeFileSync(join(locked, 'ok.txt'), 'ok');
    writeFileSync(join(locked, 'secret.txt'), 'secret');
    chmodSync(join(locked, 'secret.txt'), 0o000);
    const nobody = process.getuid?.() === 0 ? 65534 : undefined;
    const cfg = join(dir, 'nobody-config');
    mkdirSync(cfg, { mode: 0o777 });
    chmodSync(cfg, 0o777);
    const before = (await api('GET', `projects/${project}/appresults?Limit=100`)).Response
      .TotalCount;
    const r = await run(
      ['upload', 'appresult', '--project', project, '--name', 'Locked', locked],
      { ...env, SEQHUB_CONFIG_DIR: cfg, HOME: cfg },
      nobody,
    );
    expectOneLine(r, 2, /cannot read .*secret\.txt.*permission denied/);
    // Refused before anything was created on the hub.
    expect((await api('GET', `projects/${project}/appresults?Limit=100`)).Response.TotalCount).toBe(
      before,
    );
  });

  it('a full disk on download: one line, exit 8, no file under its final name', async (ctx) => {
    const small = join(dir, 'tmpfs');
    mkdirSync(small);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small]);
    if (mounted.status !== 0) {
      ctx.skip(`cannot mount a 2 MiB tmpfs (${mounted.stderr.toString().trim()}); needs root`);
      return;
    }
    try {
      const src = join(dir, 'src3');
      mkdirSync(src);
      writeFileSync(join(src, 'fits.txt'), 'fits\n');
      writeFileSync(join(src, 'toolarge.bin'), randomBytes(3 * 1024 * 1024));
      const up = await run(
        ['upload', 'appresult', '--project', project, '--name', 'Disk', src, '--terse'],
        env,
      );
      expect(up.code).toBe(0);
      const r = await run(
        ['download', 'appresult', '--id', up.stdout.trim(), '-o', join(small, 'o')],
        env,
      );
      expectOneLine(r, 8, /no space left on device/);
      const left = existsSync(join(small, 'o', 'src3'))
        ? readdirSync(join(small, 'o', 'src3'))
        : [];
      expect(left).not.toContain('toolarge.bin');
      for (const name of left)
        if (name === 'fits.txt')
          expect(readFileSync(join(small, 'o', 'src3', name), 'utf8')).toBe('fits\n');

      // The same through parallel ranges (their thread writes): the disk's error still reaches
      // the one line, and no file gets the final name.
      const toolarge = (await api('GET', `appresults/${up.stdout.trim()}/files?SortBy=Path`))
        .Response.Items[1];
      expect(toolarge.Name).toBe('toolarge.bin');
      rmSync(join(small, 'o'), { recursive: true, force: true });
      const ranged = await run(
        ['download', 'file', '--id', toolarge.Id, '-o', join(small, 'r'), '--range-size', '512K'],
        env,
      );
      expectOneLine(ranged, 8, /no space left on device/);
      expect(existsSync(join(small, 'r', 'toolarge.bin'))).toBe(false);
    } finally {
      spawnSync('umount', [small]);
    }
  });
});
