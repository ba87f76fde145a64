import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type Backend } from '../support/backends.js';
import { BIN, cleanEnv } from '../support/processes.js';

/** `seqhub admin migrate` and `seqhub admin check` as an operator runs them (issue 10). */

function seqhub(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: cleanEnv(env),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.each(backends())('admin migrate and check on $kind', (backend: Backend) => {
  let dir: string;
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seqhub-admin-ops-'));
    const db = await backend.create();
    drop = db.drop;
    env = { ...db.env, SEQHUB_DATA_DIR: join(dir, 'data') };
  });
  afterAll(async () => {
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('check reports pending migrations without applying them; migrate applies them once', () => {
    const before = seqhub(['admin', 'check'], env);
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toMatch(/^ok +schema +\d+ migration\(s\) to apply \(0001-core, /m);

    const first = seqhub(['admin', 'migrate'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/: applied 0001-core, 0002-genome-catalog, .*0013-genomics/);
    const again = seqhub(['admin', 'migrate'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/: up to date$/m);

    const after = seqhub(['admin', 'check'], env);
    expect(after.code, after.stderr).toBe(0);
    const lines = after.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'ok config',
      'ok database',
      'ok schema',
      'ok queue',
      'ok storage',
    ]);
    expect(after.stdout).toMatch(/^ok +schema +up to date \(\d+ migrations\)$/m);
  });
});

describe('admin check when a dependency is unreachable', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'seqhub-admin-check-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 1 naming the database (and the queue in it), never printing the password', () => {
    const r = seqhub(['admin', 'check'], {
      SEQHUB_DATA_DIR: dir,
      // Port 1: nothing listens there.
      DATABASE_URL: 'postgres://hub:S3cretPassw0rd@127.0.0.1:1/hub',
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL +database +.*ECONNREFUSED/m);
    expect(r.stdout).toMatch(/^FAIL +queue/m);
    expect(r.stdout).toMatch(/^ok +storage/m);
    expect(r.stderr).toContain('seqhub: unreachable: database, queue');
    expect(r.stdout + r.stderr).not.toContain('S3cretPassw0rd');
    expect(r.stdout).toContain('postgres://hub:***@127.0.0.1:1/hub');
  });

  it('exits 1 naming storage when the S3 endpoint does not answer', () => {
    const r = seqhub(['admin', 'check'], {
      SEQHUB_DATA_DIR: dir,
      SEQHUB_STORAGE: 's3',
      SEQHUB_S3_BUCKET: 'nowhere',
      SEQHUB_S3_ENDPOINT: 'http://127.0.0.1:1',
      SEQHUB_S3_ACCESS_KEY_ID: 'k',
      SEQHUB_S3_SECRET_ACCESS_KEY: 'TopSecretS3Key',
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ok +database/m);
    expect(r.stdout).toMatch(/^FAIL +storage +\S/m);
    expect(r.stderr).toContain('seqhub: unreachable: storage');
    expect(r.stdout + r.stderr).not.toContain('TopSecretS3Key');
  });

  it('exits 2 on a configuration error, before connecting to anything', () => {
    const r = seqhub(['admin', 'check'], { SEQHUB_DATA_DIR: dir, SEQHUB_STORAGE: 'ftp' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("invalid SEQHUB_STORAGE 'ftp'");
  });
});
