import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { backends, storages } from '../support/backends.js';

/**
 * How `seqhub serve` serves the web UI (issue 9) and how the UI gets API access: a stand-in
 * build (index.html + one hashed asset) so this runs without Vite; test/ui drives the real one.
 */
describe.each(backends())('web UI serving and its session token on $kind', (backend) => {
  let hub: TestHub;
  const uiDir = mkdtempSync(join(tmpdir(), 'seqhub-ui-'));
  const INDEX =
    '<!doctype html><html><head><title>seqhub</title><script type="module" src="/app/assets/index-AbC123.js"></script></head><body></body></html>';
  const ASSET = `console.log(${JSON.stringify('x'.repeat(5000))});`;
  let user: { email: string; id: string };

  beforeAll(async () => {
    mkdirSync(join(uiDir, 'assets'));
    writeFileSync(join(uiDir, 'index.html'), INDEX);
    writeFileSync(join(uiDir, 'assets', 'index-AbC123.js'), ASSET);
    hub = await startTestHub(backend, { env: { SEQHUB_UI_DIR: uiDir } });
    const created = await hub.newUser();
    await hub.server.hub.services.web.setPasswordOf(created.user, 'correct horse battery');
    user = { email: created.user.email, id: created.user.id };
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(uiDir, { recursive: true, force: true });
  });

  it('serves index.html for every app path (SPA fallback), never cached, with a strict CSP', async () => {
    for (const path of ['/app/', '/app/projects/123/sharing', '/app/runs?x=1']) {
      const res = await fetch(`${hub.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toBe(INDEX);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
    const root = await fetch(`${hub.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/app/');
  });

  it('hashed assets: cached for a year, gzipped when asked; unknown names and traversal are 404', async () => {
    const res = await fetch(`${hub.url}/app/assets/index-AbC123.js`, {
      headers: { 'accept-encoding': 'identity' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await res.text()).toBe(ASSET);
    // Node's fetch inflates on its own; ask with a raw request to see the encoding.
    const { request } = await import('node:http');
    const gz = await new Promise<{ enc: string | undefined; body: Buffer }>((resolve, reject) => {
      request(
        `${hub.url}/app/assets/index-AbC123.js`,
        { headers: { 'accept-encoding': 'gzip' } },
        (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () =>
            resolve({ enc: r.headers['content-encoding'], body: Buffer.concat(chunks) }),
          );
        },
      )
        .on('error', reject)
        .end();
    });
    expect(gz.enc).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(ASSET);
    expect(gz.body.length).toBeLessThan(ASSET.length / 10);
    for (const bad of ['nope.js', '..%2Findex.html', '%2e%2e%2f%2e%2e%2fpackage.json', '.hidden']) {
      const r = await fetch(`${hub.url}/app/assets/${bad}`);
      expect(r.status, bad).toBe(404);
    }
  });

  it('POST /app/session: a signed-in browser gets a short-lived token; others get 401/403', async () => {
    const b = new Browser(hub.url);
    const signedIn = await b.signIn(user.email, 'correct horse battery');
    expect(signedIn.status).toBe(303);
    expect(signedIn.location).toBe('/app/');
    const cookie = [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const post = (headers: Record<string, string>) =>
      fetch(`${hub.url}/app/session`, { method: 'POST', headers: { cookie, ...headers } });

    // Without the UI's header (what a cross-site form post would be): refused.
    const noHeader = await post({});
    expect(noHeader.status).toBe(403);
    expect(((await noHeader.json()) as any).ResponseStatus.ErrorCode).toBe('Forbidden');
    // From another origin: refused even with the header.
    const cross = await post({ 'x-seqhub-ui': '1', origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
    // Not signed in: 401 in the envelope.
    const anonymous = await fetch(`${hub.url}/app/session`, {
      method: 'POST',
      headers: { 'x-seqhub-ui': '1' },
    });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as any).ResponseStatus.ErrorCode).toBe('Unauthorized');

    const ok = await post({ 'x-seqhub-ui': '1', origin: hub.url });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const session = ((await ok.json()) as any).Response;
    expect(session.User).toEqual({ Id: user.id, Name: expect.any(String), Email: user.email });
    const ttl = Date.parse(session.ExpiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);
    const me = await fetch(`${hub.url}/v1pre3/users/current`, {
      headers: { 'x-access-token': session.AccessToken },
    });
    expect(me.status).toBe(200);
    expect(((await me.json()) as any).Response.Id).toBe(user.id);

    // After sign-out the cookie opens no more sessions, and the token it gave is revoked.
    const signOutForm = await b.get('/signin/done');
    await b.submit(signOutForm, 0, {});
    expect((await post({ 'x-seqhub-ui': '1' })).status).toBe(401);
    const after = await fetch(`${hub.url}/v1pre3/users/current`, {
      headers: { 'x-access-token': session.AccessToken },
    });
    expect(after.status).toBe(401);
    expect(((await after.json()) as any).ResponseStatus.ErrorCode).toBe('Unauthorized');
  });

  it("a signed-in browser's copy of the page carries its session (never stored); a signed-out one's does not", async () => {
    // A name that would end the element if it went in as it is.
    const odd = await hub.newUser({ name: "</script><script>alert(1)</script> $' $&" });
    await hub.server.hub.services.web.setPasswordOf(odd.user, 'correct horse battery');
    const b = new Browser(hub.url);
    await b.signIn(odd.user.email, 'correct horse battery');
    const cookie = [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(`${hub.url}/app/projects/1`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('vary')).toMatch(/\bCookie\b/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    const blocks = [
      ...html.matchAll(/<script type="application\/json" id="seqhub-session">(.*?)<\/script>/g),
    ];
    expect(blocks).toHaveLength(1);
    expect(html).not.toContain('<script>alert(1)');
    // In the head, the page otherwise as built.
    expect(html.replace(blocks[0]![0], '')).toBe(INDEX);
    expect(html.indexOf(blocks[0]![0])).toBeLessThan(html.indexOf('</head>'));
    const session = JSON.parse(blocks[0]![1]!);
    expect(session.User).toEqual({ Id: odd.user.id, Name: odd.user.name, Email: odd.user.email });
    expect(session.UploadPartSize).toBe(16 * 1024 * 1024);
    const ttl = Date.parse(session.ExpiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);
    const me = await fetch(`${hub.url}/v1pre3/users/current`, {
      headers: { 'x-access-token': session.AccessToken },
    });
    expect(((await me.json()) as any).Response.Id).toBe(odd.user.id);

    // Each copy its own token; signed out, the copy is the plain page and the tokens are dead.
    const again = await (await fetch(`${hub.url}/app/`, { headers: { cookie } })).text();
    expect(again).not.toContain(session.AccessToken);
    await b.submit(await b.get('/signin/done'), 0, {});
    const out = await fetch(`${hub.url}/app/`, { headers: { cookie } });
    expect(out.headers.get('cache-control')).toBe('no-cache');
    expect(await out.text()).toBe(INDEX);
    const after = await fetch(`${hub.url}/v1pre3/users/current`, {
      headers: { 'x-access-token': session.AccessToken },
    });
    expect(after.status).toBe(401);
  });

  it('sign-out revokes every UI token of the user, and only those; other browsers get new ones', async () => {
    const signedIn = async () => {
      const b = new Browser(hub.url);
      await b.signIn(user.email, 'correct horse battery');
      return b;
    };
    const openSession = async (b: Browser) => {
      const res = await fetch(`${hub.url}/app/session`, {
        method: 'POST',
        headers: {
          cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
          'x-seqhub-ui': '1',
        },
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as any).Response.AccessToken as string;
    };
    const status = async (token: string) =>
      (await fetch(`${hub.url}/v1pre3/users/current`, { headers: { 'x-access-token': token } }))
        .status;
    const laptop = await signedIn();
    const labPc = await signedIn();
    const laptopTokens = [await openSession(laptop), await openSession(laptop)];
    const labPcToken = await openSession(labPc);
    // An API token of the same user (CLI, OAuth app) is not the UI's: sign-out leaves it alone.
    const cliToken = await hub.tokenFor(
      (await hub.server.hub.services.auth.findUserByEmail(user.email))!,
    );
    for (const t of [...laptopTokens, labPcToken, cliToken]) expect(await status(t)).toBe(200);

    await laptop.submit(await laptop.get('/signin/done'), 0, {});
    for (const t of [...laptopTokens, labPcToken]) expect(await status(t)).toBe(401);
    expect(await status(cliToken)).toBe(200);
    // The other browser is still signed in: its page gets a new token on the 401.
    expect(await status(await openSession(labPc))).toBe(200);
  });
});

/**
 * The UI's Content-Security-Policy names the storage that signed URLs point at (an S3 endpoint),
 * so the viewer may fetch file bytes there; on local storage signed URLs are the hub's own and
 * `connect-src` stays this origin only.
 */
describe.each(storages())('UI Content-Security-Policy with $kind storage', (storage) => {
  let hub: TestHub;
  const uiDir = mkdtempSync(join(tmpdir(), 'seqhub-ui-'));

  beforeAll(async () => {
    writeFileSync(join(uiDir, 'index.html'), '<!doctype html><title>seqhub</title>');
    hub = await startTestHub(backends()[0]!, { storage, env: { SEQHUB_UI_DIR: uiDir } });
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(uiDir, { recursive: true, force: true });
  });

  const directives = async (path: string) => {
    const res = await fetch(`${hub.url}${path}`);
    expect(res.status).toBe(200);
    return new Map(
      res.headers
        .get('content-security-policy')!
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name!, values] as const),
    );
  };

  it('connect-src: the hub, plus the S3 endpoint when storage is S3, and nothing else changes', async () => {
    const endpoint = process.env.SEQHUB_TEST_S3_ENDPOINT;
    const expected = ["'self'", 'data:', 'blob:'];
    if (storage.kind === 's3') expected.push(new URL(endpoint!).origin);
    for (const path of ['/app/', '/app/files/1']) {
      const csp = await directives(path);
      expect(csp.get('connect-src'), path).toEqual(expected);
      // The storage origin is in connect-src only.
      for (const [name, values] of csp)
        if (name !== 'connect-src')
          expect(
            values.some((v) => v.includes('127.0.0.1') || v.startsWith('http')),
            name,
          ).toBe(false);
      expect(csp.get('script-src')).toEqual(["'self'"]);
      expect(csp.get('default-src')).toEqual(["'self'"]);
    }
    if (storage.kind === 's3') {
      // The origin is where the hub's signed URLs really point.
      const { user, token } = await hub.newUser();
      void user;
      const project = await (
        await fetch(`${hub.url}/v1pre3/projects`, {
          method: 'POST',
          headers: { 'x-access-token': token, 'content-type': 'application/json' },
          body: JSON.stringify({ Name: 'CSP' }),
        })
      ).json();
      const result = await (
        await fetch(`${hub.url}/v1pre3/projects/${(project as any).Response.Id}/appresults`, {
          method: 'POST',
          headers: { 'x-access-token': token, 'content-type': 'application/json' },
          body: JSON.stringify({ Name: 'R' }),
        })
      ).json();
      const file = await (
        await fetch(
          `${hub.url}/v1pre3/appresults/${(result as any).Response.Id}/files?name=a.txt`,
          {
            method: 'POST',
            headers: { 'x-access-token': token, 'content-type': 'text/plain' },
            body: 'hello',
          },
        )
      ).json();
      const meta = await (
        await fetch(`${hub.url}/v1pre3/files/${(file as any).Response.Id}/content?redirect=meta`, {
          headers: { 'x-access-token': token },
        })
      ).json();
      expect(new URL((meta as any).Response.HrefContent).origin).toBe(expected[3]);
    }
  });
});
