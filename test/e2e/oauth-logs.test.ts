import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type Backend } from '../support/backends.js';
import { Browser } from '../support/browser.js';
import { BIN, cleanEnv } from '../support/processes.js';

/**
 * No secret reaches the logs: the built `seqhub serve` runs at SEQHUB_LOG_LEVEL=trace, every
 * flow that handles a password, client secret, code, device code, user code, session or token is
 * driven through it (operator commands included), and the captured log is searched for each.
 */

function seqhub(args: string[], env: Record<string, string>, cwd: string, input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...cleanEnv(), ...env },
    encoding: 'utf8',
    timeout: 30_000,
    input: input ?? '',
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

describe.each(backends())('secrets never reach the log, on $kind', (backend: Backend) => {
  let dir: string;
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seqhub-logs-'));
    const db = await backend.create();
    env = { ...db.env, SEQHUB_DATA_DIR: join(dir, 'data') };
    drop = db.drop;
  });
  afterAll(async () => {
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drives every flow at trace level and finds none of the secrets in the output', async () => {
    const secrets: Record<string, string> = {};
    const password = 'Tr0ub4dor&3-horse';
    const wrongPassword = 'n0t-the-Password!';
    secrets.password = password;
    secrets.wrongPassword = wrongPassword;

    // Operator commands: a user with a password, a client (id and secret printed once).
    const userOut = seqhub(
      [
        'admin',
        'user',
        'create',
        '--email',
        'ada@lab.example',
        '--name',
        'Ada',
        '--password-stdin',
      ],
      env,
      dir,
      `${wrongPassword}\n`,
    );
    expect(userOut.code).toBe(0);
    const changed = seqhub(
      ['admin', 'user', 'password', '--email', 'ada@lab.example'],
      env,
      dir,
      `${password}\n`,
    );
    expect([changed.code, changed.stdout]).toEqual([0, 'password set\n']);
    const made = seqhub(
      [
        'admin',
        'client',
        'create',
        '--name',
        'Log test app',
        '--redirect-uri',
        'https://app.example/cb',
        '--redirect-uri',
        'http://localhost:9999/cb',
      ],
      env,
      dir,
    );
    expect(made.code).toBe(0);
    const [idLine, secretLine] = made.stdout.trim().split('\n');
    const clientId = idLine!.replace('client_id ', '');
    const clientSecret = secretLine!.replace('client_secret ', '');
    expect(clientSecret).toMatch(/^[0-9a-f]{32}$/);
    secrets.clientSecret = clientSecret;
    const listed = seqhub(['admin', 'client', 'list'], env, dir);
    expect(listed.stdout).toBe(
      `${clientId}\tLog test app\thttps://app.example/cb http://localhost:9999/cb\n`,
    );
    expect(listed.stdout).not.toContain(clientSecret);

    const port = await freePort();
    const child: ChildProcess = spawn(
      process.execPath,
      [BIN, 'serve', '--host', '127.0.0.1', '--port', String(port)],
      { cwd: dir, env: { ...cleanEnv(), ...env, SEQHUB_LOG_LEVEL: 'trace' } },
    );
    let log = '';
    let stdout = '';
    child.stderr!.on('data', (d) => (log += d));
    await new Promise<void>((ok, fail) => {
      child.stdout!.on('data', (d) => {
        stdout += d;
        if (stdout.includes('listening on ')) ok();
      });
      child.on('exit', (code) => fail(new Error(`serve exited ${code}: ${log}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      // The database had users before the first serve, so no admin token: an operator-made one.
      secrets.adminToken = seqhub(
        ['admin', 'token', 'create', '--email', 'ada@lab.example'],
        env,
        dir,
      ).stdout.trim();
      const form = (path: string, fields: Record<string, string>) =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(fields).toString(),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

      // Authorization-code flow, with a failed sign-in first.
      const b = new Browser(base);
      expect((await b.signIn('ada@lab.example', wrongPassword)).status).toBe(401);
      const authorize = `/oauth/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: 'https://app.example/cb',
        scope: 'browse global',
        state: 'opaque-state-value',
      }).toString()}`;
      const toSignIn = await b.get(authorize);
      const signInForm = await b.get(toSignIn.location!);
      secrets.csrfAnonymous = signInForm.forms()[0]!.fields._csrf!;
      const signedIn = await b.submit(signInForm, 0, { email: 'ada@lab.example', password });
      expect(signedIn.status).toBe(303);
      secrets.session = b.cookies.get('seqhub_session')!;
      secrets.csrfSecret = b.cookies.get('seqhub_csrf')!;
      const consent = await b.get(signedIn.location!);
      secrets.csrfSession = consent.forms()[0]!.fields._csrf!;
      const back = await b.submit(consent, 0, { decision: 'approve' });
      const code = new URL(back.location!).searchParams.get('code')!;
      secrets.code = code;
      const granted = await form('/v1pre3/oauthv2/token', {
        grant_type: 'authorization_code',
        client_id: clientId,
        client_secret: clientSecret,
        code,
        redirect_uri: 'https://app.example/cb',
      });
      expect(granted.status).toBe(200);
      secrets.codeToken = granted.body.access_token;
      // Token in the query string, as scripts and the Python SDK's token/current send it.
      const current = await fetch(
        `${base}/v1pre3/oauthv2/token/current?access_token=${secrets.codeToken}`,
      );
      expect(current.status).toBe(200);
      const tokenId = ((await current.json()) as any).Response.Id as string;
      await fetch(`${base}/v1pre3/users/current`, {
        headers: { Authorization: `Bearer ${secrets.adminToken}` },
      });
      // A replayed code and an unknown token, both failures that get logged.
      expect(
        (
          await form('/v1pre3/oauthv2/token', {
            grant_type: 'authorization_code',
            client_id: clientId,
            client_secret: clientSecret,
            code,
            redirect_uri: 'https://app.example/cb',
          })
        ).status,
      ).toBe(400);
      secrets.badToken = 'abcdef0123456789abcdef0123456789';
      expect(
        (await fetch(`${base}/v1pre3/users/current?access_token=${secrets.badToken}`)).status,
      ).toBe(401);

      // Device flow.
      const start = await form('/v1pre3/oauthv2/deviceauthorization', {
        client_id: clientId,
        scope: 'read global',
      });
      secrets.deviceCode = start.body.device_code;
      secrets.userCode = start.body.user_code;
      secrets.userCodeBare = (start.body.user_code as string).replace('-', '');
      const poll = () =>
        form('/v1pre3/oauthv2/token', {
          grant_type: 'device',
          client_id: clientId,
          client_secret: clientSecret,
          code: secrets.deviceCode!,
        });
      expect((await poll()).body.error).toBe('authorization_pending');
      const d = new Browser(base);
      const toSignIn2 = await d.get(start.body.verification_with_code_uri);
      const entry = await d.get(
        (
          await d.submit(await d.get(toSignIn2.location!), 0, {
            email: 'ada@lab.example',
            password,
          })
        ).location!,
      );
      const deviceConsent = await d.submit(entry, 0, {});
      expect((await d.submit(deviceConsent, 0, { decision: 'approve' })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1100));
      const deviceGrant = await poll();
      expect(deviceGrant.status).toBe(200);
      secrets.deviceToken = deviceGrant.body.access_token;

      // Revocation: through the API, and by the operator (by token on stdin, and by id).
      const del = await fetch(`${base}/v1pre3/oauthv2/token/current`, {
        method: 'DELETE',
        headers: { 'x-access-token': secrets.deviceToken! },
      });
      expect(del.status).toBe(200);
      const spare = seqhub(['admin', 'token', 'create', '--email', 'ada@lab.example'], env, dir);
      secrets.spareToken = spare.stdout.trim();
      const byStdin = seqhub(
        ['admin', 'token', 'revoke', '--token-stdin'],
        env,
        dir,
        secrets.spareToken,
      );
      expect([byStdin.code, byStdin.stdout]).toEqual([0, 'revoked\n']);
      const byId = seqhub(['admin', 'token', 'revoke', '--id', tokenId], env, dir);
      expect([byId.code, byId.stdout]).toEqual([0, 'revoked\n']);
      expect(seqhub(['admin', 'token', 'revoke', '--id', tokenId], env, dir).code).not.toBe(0);
      // Revoked by another process: refused within the 5 s principal cache.
      await new Promise((r) => setTimeout(r, 5100));
      for (const t of [secrets.codeToken!, secrets.spareToken!]) {
        const r = await fetch(`${base}/v1pre3/users/current`, { headers: { 'x-access-token': t } });
        expect(r.status).toBe(401);
      }
      const signOut = await b.get('/signin/done');
      await b.submit(signOut, 0, {});
      expect(seqhub(['admin', 'client', 'delete', clientId], env, dir).stdout).toBe('deleted\n');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
    }

    // None of the secrets, in clear or URL-encoded.
    for (const [name, value] of Object.entries(secrets)) {
      expect(value, name).toBeTruthy();
      expect(log.includes(value) ? name : undefined, `${name} appears in the log`).toBeUndefined();
      expect(log.includes(encodeURIComponent(value)) ? name : undefined).toBeUndefined();
    }
    // And the log is real: requests were logged, with their URLs redacted.
    expect(log).toContain('incoming request');
    expect(log).toContain('/oauth/authorize?');
    expect(log).toContain('access_token=[redacted]');
  }, 180_000);
});
