import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OAuthClient, User } from '../../src/domain/index.js';
import { backends } from '../support/backends.js';
import { Browser, type Page } from '../support/browser.js';
import { startTestHub, type TestHub } from '../support/hub.js';

const REDIRECT = 'https://app.example/callback';
const PASSWORD = 'correct horse battery';

async function postForm(
  hub: TestHub,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${hub.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

async function postJson(hub: TestHub, path: string, body: unknown, headers = {}) {
  const res = await fetch(`${hub.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

async function api(hub: TestHub, path: string, token: string, init: RequestInit = {}) {
  const res = await fetch(`${hub.url}/v1pre3/${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

/** A user who can sign in, and a registered client. */
async function actors(hub: TestHub, name = 'Analysis <App> & "Co"') {
  const services = hub.server.hub.services;
  const { user } = await hub.newUser();
  await services.web.setPasswordOf(user, PASSWORD);
  const { client, secret } = await services.oauth.createClient({
    name,
    redirectUris: [REDIRECT, 'http://localhost:8080/cb'],
  });
  return { user, client, secret };
}

const authorizePath = (client: OAuthClient, params: Record<string, string> = {}) =>
  `/oauth/authorize?${new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: REDIRECT,
    scope: 'browse global',
    state: 'st-123',
    ...params,
  }).toString()}`;

/** The browser's side of the authorization-code flow up to the consent page. */
async function consentPage(hub: TestHub, b: Browser, user: User, path: string): Promise<Page> {
  const first = await b.get(path);
  expect(first.status).toBe(303);
  expect(first.location).toMatch(/^\/signin\?next=/);
  const signInForm = await b.get(first.location!);
  expect(signInForm.status).toBe(200);
  const signedIn = await b.submit(signInForm, 0, { email: user.email, password: PASSWORD });
  expect(signedIn.status).toBe(303);
  expect(signedIn.location).toBe(path);
  const setCookie = signedIn.headers.getSetCookie().find((c) => c.startsWith('seqhub_session='));
  expect(setCookie).toMatch(/HttpOnly/i);
  expect(setCookie).toMatch(/SameSite=Lax/i);
  expect(setCookie).not.toMatch(/Secure/i); // served over plain http here
  const consent = await b.get(signedIn.location!);
  expect(consent.status).toBe(200);
  return consent;
}

async function obtainCode(hub: TestHub, user: User, client: OAuthClient, scope = 'browse global') {
  const b = new Browser(hub.url);
  const consent = await consentPage(hub, b, user, authorizePath(client, { scope }));
  const back = await b.submit(consent, 0, { decision: 'approve' });
  expect(back.status).toBe(303);
  return new URL(back.location!).searchParams.get('code')!;
}

describe.each(backends())('OAuth2 on $kind', (backend) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(backend);
  });
  afterAll(() => hub?.close());

  it('authorization-code flow end to end, playing the browser', async () => {
    const { user, client, secret } = await actors(hub);
    const b = new Browser(hub.url);
    const path = authorizePath(client, { scope: 'browse global, read project 12' });
    const consent = await consentPage(hub, b, user, path);
    // The consent page names the app (escaped) and lists the scopes in words.
    expect(consent.body).toContain('Analysis &lt;App&gt; &amp; &quot;Co&quot;');
    expect(consent.body).not.toContain('<App>');
    expect(consent.listItems()).toEqual([
      'see the names and details (no file contents) of all your projects, runs, samples and app results',
      'see and download project 12',
    ]);
    expect(consent.headers.get('x-frame-options')).toBe('DENY');
    expect(consent.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");

    const back = await b.submit(consent, 0, { decision: 'approve' });
    expect(back.status).toBe(303);
    const to = new URL(back.location!);
    expect(`${to.origin}${to.pathname}`).toBe(REDIRECT);
    expect(to.searchParams.get('state')).toBe('st-123');
    const code = to.searchParams.get('code')!;
    expect(code).toMatch(/^[0-9a-f]{32}$/);

    const token = await postForm(hub, '/v1pre3/oauthv2/token', {
      grant_type: 'authorization_code',
      client_id: client.clientId,
      client_secret: secret,
      code,
      redirect_uri: REDIRECT,
    });
    expect(token.status).toBe(200);
    expect(token.headers.get('cache-control')).toBe('no-store');
    expect(token.body).toEqual({
      access_token: expect.stringMatching(/^[0-9a-f]{32}$/),
      token_type: 'Bearer',
      expires_in: 90 * 24 * 3600,
      scope: 'browse global, read project 12',
    });
    const accessToken = token.body.access_token as string;
    // The token acts for the user, within its scopes: browsing works, creating does not.
    expect((await api(hub, 'users/current', accessToken)).body.Response.Id).toBe(user.id);
    expect((await api(hub, 'users/current/projects', accessToken)).status).toBe(200);
    const create = await api(hub, 'projects', accessToken, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Name: 'not allowed' }),
    });
    expect(create.status).toBe(403);

    // token/current, as the Python SDK calls it: access_token in the query, no header.
    const res = await fetch(`${hub.url}/v1pre3/oauthv2/token/current?access_token=${accessToken}`);
    const details = ((await res.json()) as any).Response;
    expect(details).toMatchObject({
      AccessToken: accessToken,
      Application: { Id: client.id, Name: client.name },
      UserResourceOwner: { Id: user.id, Email: user.email },
      Status: 'Active',
      Scopes: ['browse global', 'read project 12'],
    });
    expect(Number(client.id)).toBeGreaterThan(1000);

    // Codes are single-use.
    const again = await postForm(hub, '/v1pre3/oauthv2/token', {
      grant_type: 'authorization_code',
      client_id: client.clientId,
      client_secret: secret,
      code,
      redirect_uri: REDIRECT,
    });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
  });

  it('the token endpoint takes JSON bodies (C#) and client credentials by HTTP Basic', async () => {
    const { user, client, secret } = await actors(hub);
    const json = await postJson(hub, '/v1pre3/oauthv2/token', {
      grant_type: 'authorization_code',
      client_id: client.clientId,
      client_secret: secret,
      code: await obtainCode(hub, user, client),
      redirect_uri: REDIRECT,
    });
    expect(json.status).toBe(200);
    const basic = Buffer.from(`${client.clientId}:${secret}`).toString('base64');
    const viaBasic = await postForm(
      hub,
      '/v1pre3/oauthv2/token',
      {
        GRANT_TYPE: 'authorization_code',
        code: await obtainCode(hub, user, client),
        redirect_uri: REDIRECT,
      },
      { Authorization: `Basic ${basic}` },
    );
    expect(viaBasic.status).toBe(200);
    expect(viaBasic.body.access_token).toMatch(/^[0-9a-f]{32}$/);
  });

  it('denying sends the browser back with error=access_denied and the state', async () => {
    const { user, client } = await actors(hub);
    const b = new Browser(hub.url);
    const consent = await consentPage(hub, b, user, authorizePath(client));
    const back = await b.submit(consent, 0, { decision: 'deny' });
    expect(back.status).toBe(303);
    const to = new URL(back.location!);
    expect(to.searchParams.get('error')).toBe('access_denied');
    expect(to.searchParams.get('state')).toBe('st-123');
    expect(to.searchParams.get('code')).toBeNull();
  });

  it('authorize: unknown client or unregistered redirect is a page, never a redirect', async () => {
    const { user, client } = await actors(hub);
    const b = new Browser(hub.url);
    await b.signIn(user.email, PASSWORD);
    for (const path of [
      authorizePath({ ...client, clientId: 'f'.repeat(32) }),
      authorizePath(client, { redirect_uri: 'https://evil.example/cb' }),
      authorizePath(client, { redirect_uri: '' }),
    ]) {
      const page = await b.get(path);
      expect(page.status).toBe(400);
      expect(page.location).toBeUndefined();
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    }
    // Other errors go back to the (trusted) redirect URI, with the state.
    const badScope = await b.get(authorizePath(client, { scope: 'destroy everything' }));
    expect(badScope.status).toBe(303);
    expect(new URL(badScope.location!).searchParams.get('error')).toBe('invalid_scope');
    expect(new URL(badScope.location!).searchParams.get('state')).toBe('st-123');
    const implicit = await b.get(authorizePath(client, { response_type: 'token' }));
    expect(new URL(implicit.location!).searchParams.get('error')).toBe('unsupported_response_type');
    // localhost: scheme and port may differ from the registered URI (spec 1.3.1).
    const local = await b.get(authorizePath(client, { redirect_uri: 'http://localhost:51234/cb' }));
    expect(local.status).toBe(200);
    expect(local.body).toContain('http://localhost:51234/cb');
  });

  it('every form needs a CSRF token bound to the session', async () => {
    const { user, client } = await actors(hub);
    // Sign-in without a token, and with a token from another browser.
    const other = new Browser(hub.url);
    const otherForm = await other.get('/signin');
    const stolen = otherForm.forms()[0]!.fields._csrf!;
    const b = new Browser(hub.url);
    await b.get('/signin');
    expect((await b.post('/signin', { email: user.email, password: PASSWORD })).status).toBe(403);
    expect(
      (await b.post('/signin', { email: user.email, password: PASSWORD, _csrf: stolen })).status,
    ).toBe(403);
    // Signed in, the consent form: a token made before sign-in no longer counts.
    const consent = await consentPage(hub, b, user, authorizePath(client));
    const fields = consent.forms()[0]!.fields;
    const preSignIn = (await new Browser(hub.url).get('/signin')).forms()[0]!.fields._csrf!;
    const { _csrf: _ignored, ...withoutToken } = fields;
    expect(
      (await b.post('/oauth/authorize', { ...withoutToken, decision: 'approve' })).status,
    ).toBe(403);
    expect(
      (await b.post('/oauth/authorize', { ...withoutToken, _csrf: preSignIn, decision: 'approve' }))
        .status,
    ).toBe(403);
    // Another signed-in user's token does not work in this session.
    const { user: mallory } = await actors(hub, 'Mallory app');
    const m = new Browser(hub.url);
    const mConsent = await consentPage(hub, m, mallory, authorizePath(client));
    const mToken = mConsent.forms()[0]!.fields._csrf!;
    expect(
      (await b.post('/oauth/authorize', { ...withoutToken, _csrf: mToken, decision: 'approve' }))
        .status,
    ).toBe(403);
    // The genuine one works.
    expect((await b.submit(consent, 0, { decision: 'approve' })).status).toBe(303);
  });

  it('sign-out ends the session; the consent page then asks to sign in again', async () => {
    const { user, client } = await actors(hub);
    const b = new Browser(hub.url);
    const consent = await consentPage(hub, b, user, authorizePath(client));
    const signOut = consent.forms()[1]!;
    expect(signOut.action).toBe('/signout');
    const session = b.cookies.get('seqhub_session')!;
    const out = await b.post('/signout', signOut.fields);
    expect(out.status).toBe(303);
    expect((await b.get(authorizePath(client))).location).toMatch(/^\/signin/);
    // The old cookie is dead on the server, not only in this browser.
    const replay = new Browser(hub.url);
    replay.cookies.set('seqhub_session', session);
    expect((await replay.get(authorizePath(client))).location).toMatch(/^\/signin/);
    expect((await b.signIn(user.email, 'wrong password!')).status).toBe(401);
  });

  it('device flow end to end: the CLI polls while the user approves in the browser', async () => {
    const { user, client, secret } = await actors(hub, 'seqhub CLI');
    // The CLI starts (form-encoded, as Python, Java and R send it).
    const start = await postForm(hub, '/v1pre3/oauthv2/deviceauthorization', {
      client_id: client.clientId,
      scope: 'read global, create projects',
      response_type: 'device_code',
    });
    expect(start.status).toBe(200);
    expect(start.body).toEqual({
      device_code: expect.stringMatching(/^[0-9a-f]{32}$/),
      user_code: expect.stringMatching(/^[B-Z]{4}-[B-Z]{4}$/),
      verification_uri: `${hub.url}/oauth/device`,
      verification_with_code_uri: `${hub.url}/oauth/device?code=${start.body.user_code}`,
      verification_uri_complete: `${hub.url}/oauth/device?code=${start.body.user_code}`,
      expires_in: 1800,
      interval: 1,
    });
    const poll = () =>
      postForm(hub, '/v1pre3/oauthv2/token', {
        client_id: client.clientId,
        client_secret: secret,
        code: start.body.device_code,
        grant_type: 'device',
      });
    const pending = await poll();
    expect(pending.status).toBe(400);
    expect(pending.body).toEqual({
      error: 'authorization_pending',
      error_description: 'User has not yet approved the access request',
    });
    // Polling faster than `interval`: slow_down.
    const fast = await poll();
    expect(fast.status).toBe(400);
    expect(fast.body.error).toBe('slow_down');

    // The user opens verification_with_code_uri, signs in, confirms the code, sees the scopes.
    const b = new Browser(hub.url);
    const first = await b.get(start.body.verification_with_code_uri);
    expect(first.status).toBe(303);
    const signedIn = await b.submit(await b.get(first.location!), 0, {
      email: user.email,
      password: PASSWORD,
    });
    const entry = await b.get(signedIn.location!);
    expect(entry.forms()[0]!.fields.user_code).toBe(start.body.user_code);
    const consent = await b.submit(entry, 0, {});
    expect(consent.status).toBe(200);
    expect(consent.body).toContain('seqhub CLI');
    expect(consent.listItems()).toEqual([
      'see and download all your projects, runs, samples and app results',
      'create new projects',
    ]);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await poll()).body.error).toBe('authorization_pending');
    const approved = await b.submit(consent, 0, { decision: 'approve' });
    expect(approved.status).toBe(200);
    expect(approved.body).toContain('Device connected');

    await new Promise((r) => setTimeout(r, 1000));
    const granted = await poll();
    expect(granted.status).toBe(200);
    expect(granted.body.scope).toBe('read global, create projects');
    const me = await api(hub, 'users/current', granted.body.access_token);
    expect(me.body.Response.Id).toBe(user.id);
    const created = await api(hub, 'projects', granted.body.access_token, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Name: 'From the CLI' }),
    });
    expect(created.status).toBe(200);

    // Exchanged once only.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await poll()).body.error).toBe('invalid_grant');
  });

  it('device flow: a denied request answers access_denied; a wrong user code is refused', async () => {
    const { user, client, secret } = await actors(hub);
    const start = await postJson(hub, '/v1pre3/oauthv2/deviceauthorization', {
      client_id: client.clientId,
      scope: 'browse global',
    });
    const b = new Browser(hub.url);
    await b.signIn(user.email, PASSWORD);
    const entry = await b.get('/oauth/device');
    const wrong = await b.submit(entry, 0, { user_code: 'BBBB-BBBB' });
    expect(wrong.status).toBe(404);
    expect(wrong.body).toContain('not valid');
    // Typed in lower case without the dash: still the same code.
    const consent = await b.submit(entry, 0, {
      user_code: (start.body.user_code as string).replace('-', '').toLowerCase(),
    });
    expect(consent.status).toBe(200);
    expect((await b.submit(consent, 0, { decision: 'deny' })).body).toContain('denied');
    const denied = await postJson(hub, '/v1pre3/oauthv2/token', {
      client_id: client.clientId,
      client_secret: secret,
      device_code: start.body.device_code,
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    });
    expect(denied.status).toBe(400);
    expect(denied.body).toEqual({
      error: 'access_denied',
      error_description: 'User has denied the access request',
    });
    // A decided code cannot be approved afterwards.
    expect((await b.submit(consent, 0, { decision: 'approve' })).status).toBe(404);
  });

  it('token endpoint: every error answer', async () => {
    const { user, client, secret } = await actors(hub);
    const other = await actors(hub, 'Other app');
    const T = '/v1pre3/oauthv2/token';
    const code = await obtainCode(hub, user, client);
    const base = {
      grant_type: 'authorization_code',
      client_id: client.clientId,
      client_secret: secret,
      redirect_uri: REDIRECT,
    };
    const cases: [Record<string, string>, number, string][] = [
      [{}, 400, 'invalid_request'],
      [{ ...base, grant_type: 'password' }, 400, 'unsupported_grant_type'],
      [{ ...base }, 400, 'invalid_request'], // no code
      [{ ...base, code, client_secret: 'f'.repeat(32) }, 401, 'invalid_client'],
      [{ ...base, code, client_secret: '' }, 401, 'invalid_client'],
      [{ ...base, code, client_id: 'nope' }, 401, 'invalid_client'],
      [{ ...base, code: 'a'.repeat(32) }, 400, 'invalid_grant'],
    ];
    for (const [fields, status, error] of cases) {
      const res = await postForm(hub, T, fields);
      expect([fields, res.status, res.body.error]).toEqual([fields, status, error]);
      expect(typeof res.body.error_description).toBe('string');
      expect(res.body.ResponseStatus).toBeUndefined();
    }
    // The bad-secret attempts above did not use up the code: it still works once.
    // A code used by another client is burnt, and the right client cannot use it afterwards.
    const stolen = await obtainCode(hub, user, client);
    const byOther = await postForm(hub, T, {
      ...base,
      client_id: other.client.clientId,
      client_secret: other.secret,
      code: stolen,
    });
    expect(byOther.body.error).toBe('invalid_grant');
    expect((await postForm(hub, T, { ...base, code: stolen })).body.error).toBe('invalid_grant');
    // redirect_uri must be the one the code was issued for.
    const wrongRedirect = await postForm(hub, T, {
      ...base,
      code: await obtainCode(hub, user, client),
      redirect_uri: 'http://localhost:8080/cb',
    });
    expect(wrongRedirect.body.error).toBe('invalid_grant');
    // HTTP Basic with a wrong secret: 401 with a challenge.
    const basic = await postForm(
      hub,
      T,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT },
      { Authorization: `Basic ${Buffer.from(`${client.clientId}:wrong`).toString('base64')}` },
    );
    expect(basic.status).toBe(401);
    expect(basic.headers.get('www-authenticate')).toMatch(/^Basic/);
    // Malformed bodies are invalid_request, in the OAuth shape.
    const malformed = await postJson(hub, T, '{"grant_type":');
    expect([malformed.status, malformed.body.error]).toEqual([400, 'invalid_request']);
    const wrongType = await postJson(hub, T, { ...base, code: 12345 });
    expect([wrongType.status, wrongType.body.error]).toEqual([400, 'invalid_request']);
    // The code still works for its client (none of the failures above consumed it).
    expect((await postForm(hub, T, { ...base, code })).status).toBe(200);
    // Device authorization errors.
    const D = '/v1pre3/oauthv2/deviceauthorization';
    expect((await postForm(hub, D, { client_id: 'nope' })).body.error).toBe('invalid_client');
    expect((await postForm(hub, D, { client_id: 'nope' })).status).toBe(401);
    expect((await postForm(hub, D, {})).body.error).toBe('invalid_request');
    expect(
      (await postForm(hub, D, { client_id: client.clientId, scope: 'fly global' })).body.error,
    ).toBe('invalid_scope');
    expect(
      (await postForm(hub, D, { client_id: client.clientId, response_type: 'code' })).body.error,
    ).toBe('invalid_request');
    // Device polls with an unknown device code, or another client's.
    const start = await postForm(hub, D, { client_id: client.clientId });
    const poll = (id: string, s: string, c: string) =>
      postForm(hub, T, { grant_type: 'device', client_id: id, client_secret: s, code: c });
    expect((await poll(client.clientId, secret, 'b'.repeat(32))).body.error).toBe('invalid_grant');
    expect(
      (await poll(other.client.clientId, other.secret, start.body.device_code)).body.error,
    ).toBe('invalid_grant');
  });

  it('revoking through the API takes effect at once, despite the principal cache', async () => {
    const { user, client, secret } = await actors(hub);
    const token = (
      await postForm(hub, '/v1pre3/oauthv2/token', {
        grant_type: 'authorization_code',
        client_id: client.clientId,
        client_secret: secret,
        code: await obtainCode(hub, user, client),
        redirect_uri: REDIRECT,
      })
    ).body.access_token as string;
    // Cached now.
    expect((await api(hub, 'users/current', token)).status).toBe(200);
    const revoked = await api(hub, 'oauthv2/token/current', token, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    expect(revoked.body.Response.Status).toBe('Revoked');
    const after = await api(hub, 'users/current', token);
    expect(after.status).toBe(401);
    expect(after.body.ResponseStatus.ErrorCode).toBe('Unauthorized');
    // Other tokens of the user are untouched.
    const other = await hub.tokenFor(user);
    expect((await api(hub, 'users/current', other)).status).toBe(200);
  });

  it('deleting a client revokes its tokens', async () => {
    const { user, client, secret } = await actors(hub);
    const token = (
      await postForm(hub, '/v1pre3/oauthv2/token', {
        grant_type: 'authorization_code',
        client_id: client.clientId,
        client_secret: secret,
        code: await obtainCode(hub, user, client),
        redirect_uri: REDIRECT,
      })
    ).body.access_token as string;
    expect((await api(hub, 'users/current', token)).status).toBe(200);
    await hub.server.hub.services.oauth.deleteClient(client.clientId);
    expect((await api(hub, 'users/current', token)).status).toBe(401);
  });
});

describe.each(backends())('web sign-in behind https on $kind', (backend) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(backend, { env: { SEQHUB_PUBLIC_URL: 'https://hub.example' } });
  });
  afterAll(() => hub?.close());

  it('the session cookie is Secure, and signing in again replaces the session', async () => {
    const { user } = await actors(hub);
    const b = new Browser(hub.url);
    const first = await b.signIn(user.email, PASSWORD);
    const cookie = first.headers.getSetCookie().find((c) => c.startsWith('seqhub_session='));
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/HttpOnly/i);
    const old = b.cookies.get('seqhub_session')!;
    await b.signIn(user.email, PASSWORD);
    expect(b.cookies.get('seqhub_session')).not.toBe(old);
    const replay = new Browser(hub.url);
    replay.cookies.set('seqhub_session', old);
    expect((await replay.get('/signin/done')).status).toBe(303);
    expect((await b.get('/signin/done')).status).toBe(200);
  });
});

describe.each(backends())('OAuth2 lifetimes on $kind', (backend) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(backend, {
      env: {
        SEQHUB_OAUTH_TOKEN_TTL: '2',
        SEQHUB_OAUTH_CODE_TTL: '1',
        SEQHUB_OAUTH_DEVICE_CODE_TTL: '1',
      },
    });
  });
  afterAll(() => hub?.close());

  it('expired tokens answer 401 like unknown ones; expired codes and device codes are refused', async () => {
    const { user, client, secret } = await actors(hub);
    const exchange = (code: string) =>
      postForm(hub, '/v1pre3/oauthv2/token', {
        grant_type: 'authorization_code',
        client_id: client.clientId,
        client_secret: secret,
        code,
        redirect_uri: REDIRECT,
      });
    const late = await obtainCode(hub, user, client);
    const start = await postForm(hub, '/v1pre3/oauthv2/deviceauthorization', {
      client_id: client.clientId,
    });
    expect(start.body.expires_in).toBe(1);
    const granted = await exchange(await obtainCode(hub, user, client));
    expect(granted.body.expires_in).toBe(2);
    const token = granted.body.access_token as string;
    expect((await api(hub, 'users/current', token)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await api(hub, 'users/current', token);
    const unknown = await api(hub, 'users/current', 'e'.repeat(32));
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual(unknown.body);
    expect((await exchange(late)).body.error).toBe('invalid_grant');
    const poll = await postForm(hub, '/v1pre3/oauthv2/token', {
      grant_type: 'device',
      client_id: client.clientId,
      client_secret: secret,
      code: start.body.device_code,
    });
    expect(poll.body).toEqual({
      error: 'expired_token',
      error_description: 'The device code has expired; start again',
    });
  });
});
