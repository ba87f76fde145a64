import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_RULES } from '../../src/services/index.js';
import { backends } from '../support/backends.js';
import { Browser } from '../support/browser.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * Brute force: wrong passwords (per account, per address) and bad tokens (per address) run into
 * 429s with Retry-After. Each test has its own hub: the limits are per process.
 */
describe.each(backends())('abuse limits on $kind', (backend) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(backend);
  });
  afterAll(() => hub?.close());

  it('wrong passwords for one account: locked after the limit, even with the right password', async () => {
    const { user } = await hub.newUser();
    await hub.server.hub.services.web.setPasswordOf(user, 'the right password');
    const b = new Browser(hub.url);
    for (let i = 0; i < FAILURE_RULES['password-account'].max; i += 1) {
      expect((await b.signIn(user.email, `wrong password ${i}`)).status).toBe(401);
    }
    const locked = await b.signIn(user.email, 'the right password');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(15 * 60);
    expect(locked.headers.get('content-type')).toMatch(/^text\/html/);
    expect(b.cookies.has('seqhub_session')).toBe(false);
    // Another account is not locked by it.
    const { user: other } = await hub.newUser();
    await hub.server.hub.services.web.setPasswordOf(other, 'another password');
    expect((await new Browser(hub.url).signIn(other.email, 'another password')).status).toBe(303);
  });

  it('wrong passwords from one address, spread over accounts: the address is refused', async () => {
    const b = new Browser(hub.url);
    let attempts = 0;
    let page;
    // Unknown accounts count too (and cost the same time as known ones).
    do {
      attempts += 1;
      page = await b.signIn(`nobody${attempts}@lab.example`, 'guess guess');
    } while (page.status === 401 && attempts < 100);
    expect(page.status).toBe(429);
    // The previous test spent 5 of this address's failures (all tests share 127.0.0.1).
    expect(attempts + FAILURE_RULES['password-account'].max).toBe(
      FAILURE_RULES['password-ip'].max + 1,
    );
    expect(page.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('bad tokens from one address: 429 in the BaseSpace envelope, then even good tokens wait', async () => {
    const { token } = await hub.newUser();
    for (let i = 0; i < FAILURE_RULES['token-ip'].max; i += 1) {
      const res = await fetch(`${hub.url}/v1pre3/users/current`, {
        headers: { 'x-access-token': i.toString(16).padStart(32, '0') },
      });
      expect(res.status).toBe(401);
    }
    const blocked = await fetch(`${hub.url}/v1pre3/users/current`, {
      headers: { 'x-access-token': 'f'.repeat(32) },
    });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await blocked.json()) as any;
    expect(body.ResponseStatus.ErrorCode).toBe('TooManyRequests');
    expect(body.Notifications[0].Type).toBe('error');
    expect(body.Response).toBeUndefined();
    const good = await fetch(`${hub.url}/v1pre3/users/current`, {
      headers: { 'x-access-token': token },
    });
    expect(good.status).toBe(429);
    // The token endpoint shares the address's budget: a 429 readable by OAuth and v1 clients.
    const res = await fetch(`${hub.url}/v1pre3/oauthv2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=authorization_code&client_id=x&client_secret=y&code=z&redirect_uri=r',
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    const oauth = (await res.json()) as any;
    expect(oauth.error).toBe('slow_down');
    expect(oauth.ResponseStatus.ErrorCode).toBe('TooManyRequests');
  });
});

describe.each(backends())('bad client secrets on $kind', (backend) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(backend);
  });
  afterAll(() => hub?.close());

  it('guessing client secrets at the token endpoint runs into 429', async () => {
    const { client } = await hub.server.hub.services.oauth.createClient({
      name: 'Target',
      redirectUris: ['https://app.example/cb'],
    });
    let status = 0;
    let attempts = 0;
    do {
      attempts += 1;
      const res = await fetch(`${hub.url}/v1pre3/oauthv2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: client.clientId,
          client_secret: attempts.toString(16).padStart(32, '0'),
          code: 'c'.repeat(32),
          redirect_uri: 'https://app.example/cb',
        }).toString(),
      });
      status = res.status;
    } while (status === 401 && attempts < 100);
    expect(status).toBe(429);
    expect(attempts).toBe(FAILURE_RULES['token-ip'].max + 1);
  });
});
