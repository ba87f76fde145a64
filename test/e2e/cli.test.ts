import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHub } from '../../src/app/hub.js';
import { loadConfig } from '../../src/config/index.js';
import { backends, type Backend } from '../support/backends.js';
import { BIN, cleanEnv } from '../support/processes.js';

/** The operator commands, run as a user runs them: the built `dist/app/main.js`, real processes. */

function seqhub(args: string[], env: Record<string, string>, cwd: string, input?: string) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...cleanEnv(), ...env },
    encoding: 'utf8',
    timeout: 90_000,
    input,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The test process's env without the settings the commands read, so each test sets its own. */

/** Starts `seqhub serve` and resolves with its stdout lines once it says it is listening. */
function serve(
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ child: ChildProcess; lines: string[] }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', ...args], {
      cwd,
      env: { ...cleanEnv(), ...env },
    });
    const lines: string[] = [];
    let buffer = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      buffer += d;
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      lines.push(...parts);
      if (parts.some((l) => l.startsWith('listening on '))) resolvePromise({ child, lines });
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.removeAllListeners('exit');
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGTERM');
  return exited;
}

async function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => r(port));
    });
  });
}

describe.each(backends())('seqhub operator commands on $kind', (backend: Backend) => {
  let dir: string;
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seqhub-cli-'));
    const db = await backend.create();
    env = { ...db.env, SEQHUB_DATA_DIR: join(dir, 'data') };
    drop = db.drop;
  });
  afterAll(async () => {
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serve: first start prints the admin token, then exactly `listening on http://H:P`; the token works', async () => {
    const port = await freePort();
    const { child, lines } = await serve(['--host', '127.0.0.1', '--port', String(port)], env, dir);
    try {
      expect(lines.at(-1)).toBe(`listening on http://127.0.0.1:${port}`);
      const tokenLine = lines.find((l) => l.startsWith('admin access token: '));
      expect(tokenLine).toBeDefined();
      const token = tokenLine!.slice('admin access token: '.length);
      expect(token).toMatch(/^[0-9a-f]{32}$/);
      const res = await fetch(`http://127.0.0.1:${port}/v1pre3/users/current`, {
        headers: { 'x-access-token': token },
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).Response.Email).toBe('admin@localhost');
    } finally {
      expect(await stop(child)).toBe(0);
    }
    // Second start: same data, no new admin.
    const again = await serve(['--port', String(port)], env, dir);
    try {
      expect(again.lines).toEqual([`listening on http://127.0.0.1:${port}`]);
    } finally {
      await stop(again.child);
    }
  });

  it('admin user create prints the id; admin token create prints only the token; both use the same data', async () => {
    const created = seqhub(
      ['admin', 'user', 'create', '--email', 'Grace@Lab.example', '--name', 'Grace Hopper'],
      env,
      dir,
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^[1-9]\d*\n$/);
    const id = created.stdout.trim();

    const issued = seqhub(['admin', 'token', 'create', '--email', 'grace@lab.example'], env, dir);
    expect(issued.code).toBe(0);
    expect(issued.stdout).toMatch(/^[0-9a-f]{32}\n$/);
    const scoped = seqhub(
      ['admin', 'token', 'create', '--email', 'grace@lab.example', '--scope', 'browse global'],
      env,
      dir,
    );
    expect(scoped.stdout).toMatch(/^[0-9a-f]{32}\n$/);

    const port = await freePort();
    const { child } = await serve(['--port', String(port)], env, dir);
    try {
      const me = await fetch(`http://127.0.0.1:${port}/v1pre3/users/current`, {
        headers: { 'x-access-token': issued.stdout.trim() },
      });
      expect(((await me.json()) as any).Response).toMatchObject({
        Id: id,
        Name: 'Grace Hopper',
        Email: 'grace@lab.example',
      });
      const readOnly = await fetch(`http://127.0.0.1:${port}/v1pre3/projects`, {
        method: 'POST',
        headers: { 'x-access-token': scoped.stdout.trim(), 'content-type': 'application/json' },
        body: JSON.stringify({ Name: 'nope' }),
      });
      expect(readOnly.status).toBe(403);
      const full = await fetch(`http://127.0.0.1:${port}/v1pre3/projects`, {
        method: 'POST',
        headers: { 'x-access-token': issued.stdout.trim(), 'content-type': 'application/json' },
        body: JSON.stringify({ Name: 'yes' }),
      });
      expect(full.status).toBe(200);
    } finally {
      await stop(child);
    }
  });

  it('admin token revoke stops the token; create and revoke are in the audit log, the token is not', async () => {
    seqhub(['admin', 'user', 'create', '--email', 'ada@lab.example', '--name', 'Ada'], env, dir);
    const token = seqhub(
      ['admin', 'token', 'create', '--email', 'ada@lab.example'],
      env,
      dir,
    ).stdout.trim();
    const revoked = seqhub(['admin', 'token', 'revoke', '--token-stdin'], env, dir, token);
    expect(revoked).toMatchObject({ code: 0, stdout: 'revoked\n' });
    const again = seqhub(['admin', 'token', 'revoke', '--token-stdin'], env, dir, token);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('no such live token');

    const port = await freePort();
    const { child } = await serve(['--port', String(port)], env, dir);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v1pre3/users/current`, {
        headers: { 'x-access-token': token },
      });
      expect(res.status).toBe(401);
    } finally {
      await stop(child);
    }
    const hub = await openHub(loadConfig({ env, flags: {}, cwd: dir }));
    try {
      const rows = await hub.db.db
        .selectFrom('audit_events')
        .selectAll()
        .where('action', 'like', 'token.%')
        .orderBy('id', 'desc')
        .limit(2)
        .execute();
      expect(rows.map((r) => [r.action, r.actor_kind])).toEqual([
        ['token.revoke', 'system'],
        ['token.create', 'system'],
      ]);
      expect(JSON.stringify(rows)).not.toContain(token);
    } finally {
      await hub.close();
    }
  });

  it('admin commands fail clearly: duplicate user, unknown email, bad scope, missing options', () => {
    const dup = seqhub(
      ['admin', 'user', 'create', '--email', 'grace@lab.example', '--name', 'Again'],
      env,
      dir,
    );
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toMatch(/already exists/);
    expect(dup.stdout).toBe('');
    const unknown = seqhub(['admin', 'token', 'create', '--email', 'nobody@lab.example'], env, dir);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/no user with email/);
    const badScope = seqhub(
      ['admin', 'token', 'create', '--email', 'grace@lab.example', '--scope', 'fly global'],
      env,
      dir,
    );
    expect(badScope.code).not.toBe(0);
    expect(badScope.stderr).toMatch(/Invalid scope clause 'fly global'/);
    const missing = seqhub(['admin', 'user', 'create', '--email', 'x@y.z'], env, dir);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/--name/);
  });
});

describe('seqhub serve refuses bad configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seqhub-cli-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [['--port', 'eighty'], {}, /invalid port 'eighty'/],
    [['--port', '70000'], {}, /invalid port '70000'/],
    [[], { SEQHUB_PORT: '-1' }, /invalid port '-1'/],
    [[], { DATABASE_URL: 'mysql://localhost/db' }, /only postgres:\/\/ or postgresql:\/\/ URLs/],
    [[], { SEQHUB_LOG_LEVEL: 'loud' }, /invalid SEQHUB_LOG_LEVEL/],
    [['--host', '192.0.2.254', '--port', '0'], {}, /cannot listen on 192\.0\.2\.254/],
  ])('%j %j', (args, extraEnv, message) => {
    const r = seqhub(['serve', ...args], { SEQHUB_DATA_DIR: join(dir, 'data'), ...extraEnv }, dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).not.toMatch(/listening on/);
  });

  it('an unreachable PostgreSQL is a clear error, not a hang or a stack trace', () => {
    const r = seqhub(
      ['serve', '--port', '0'],
      { DATABASE_URL: 'postgres://nobody:x@127.0.0.1:1/none' },
      dir,
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /^seqhub: cannot start \(PostgreSQL at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none\)/,
    );
  });

  it('a port in use exits non-zero and says so', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = seqhub(
        ['serve', '--port', String(port)],
        { SEQHUB_DATA_DIR: join(dir, 'data2') },
        dir,
      );
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim()).toBe(`seqhub: port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('defaults: data under ./seqhub-data of the working directory', async () => {
    const port = await freePort();
    const { child } = await serve(['--port', String(port)], {}, dir);
    await stop(child);
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(dir, 'seqhub-data', 'seqhub.db'))).toBe(true);
  });
});
