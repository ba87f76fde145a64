/**
 * Security headers (issue 11, docs/security.md "Headers"): HSTS only for requests that came over
 * HTTPS through a trusted proxy; CORS for htsget and DRS (bearer tokens and signed URLs, no
 * cookies) and none for the v1pre3 API or the UI; nosniff everywhere; the UI's CSP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestHub, type TestHub } from '../support/hub.js';

const sqlite = backends().filter((b) => b.kind === 'sqlite');

describe.each(sqlite)('security headers on $kind', (backend) => {
  let direct: TestHub;
  let proxied: TestHub;
  let fileId: string;
  beforeAll(async () => {
    direct = await startTestHub(backend);
    proxied = await startTestHub(backend, { env: { SEQHUB_TRUST_PROXY: '127.0.0.1' } });
    const project = await fetch(`${direct.url}/v1pre3/projects`, {
      method: 'POST',
      headers: { 'x-access-token': direct.adminToken, 'content-type': 'application/json' },
      body: JSON.stringify({ Name: 'Headers' }),
    });
    const projectId = ((await project.json()) as any).Response.Id;
    const result = await fetch(`${direct.url}/v1pre3/projects/${projectId}/appresults`, {
      method: 'POST',
      headers: { 'x-access-token': direct.adminToken, 'content-type': 'application/json' },
      body: JSON.stringify({ Name: 'R' }),
    });
    const resultId = ((await result.json()) as any).Response.Id;
    const file = await fetch(`${direct.url}/v1pre3/appresults/${resultId}/files?name=a.txt`, {
      method: 'POST',
      headers: { 'x-access-token': direct.adminToken, 'content-type': 'text/plain' },
      body: 'abc',
    });
    fileId = ((await file.json()) as any).Response.Id;
  });
  afterAll(async () => {
    await direct?.close();
    await proxied?.close();
  });

  it('HSTS only when a trusted proxy says the request came over HTTPS', async () => {
    const https = { 'x-forwarded-proto': 'https' };
    expect((await fetch(`${direct.url}/healthz`)).headers.get('strict-transport-security')).toBe(
      null,
    );
    // Not trusted: anyone can send the header.
    const spoofed = await fetch(`${direct.url}/healthz`, { headers: https });
    expect(spoofed.headers.get('strict-transport-security')).toBe(null);
    expect((await fetch(`${proxied.url}/healthz`)).headers.get('strict-transport-security')).toBe(
      null,
    );
    for (const path of ['/healthz', '/v1pre3/users/current', '/signin', '/nowhere']) {
      const res = await fetch(`${proxied.url}${path}`, { headers: https });
      expect(res.headers.get('strict-transport-security'), path).toBe('max-age=31536000');
    }
  });

  it('htsget and DRS allow any origin, without credentials; preflights are answered', async () => {
    const origin = { origin: 'https://igv.example' };
    for (const path of [
      '/htsget/reads/service-info',
      `/htsget/variants/${fileId}`,
      `/ga4gh/drs/v1/objects/${fileId}`,
      '/ga4gh/drs/v1/nowhere',
    ]) {
      const res = await fetch(`${direct.url}${path}`, { headers: origin });
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
      expect(res.headers.get('access-control-allow-credentials'), path).toBe(null);
      expect(res.headers.get('access-control-expose-headers')).toMatch(/Content-Range/);
    }
    const preflight = await fetch(`${direct.url}/htsget/reads/${fileId}`, {
      method: 'OPTIONS',
      headers: {
        ...origin,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization, range',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Range/);
    expect(preflight.headers.get('access-control-allow-methods')).toMatch(/GET/);
  });

  it('the v1pre3 API and the UI send no CORS headers, and refuse preflights', async () => {
    const origin = { origin: 'https://evil.example' };
    for (const path of ['/v1pre3/users/current', '/app/', '/signin']) {
      const res = await fetch(`${direct.url}${path}`, {
        headers: { ...origin, 'x-access-token': direct.adminToken },
      });
      expect(res.headers.get('access-control-allow-origin'), path).toBe(null);
    }
    const preflight = await fetch(`${direct.url}/v1pre3/projects`, {
      method: 'OPTIONS',
      headers: { ...origin, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBeGreaterThanOrEqual(400);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(null);
  });

  it('nosniff on API replies, errors included; the UI page has its CSP', async () => {
    for (const path of ['/v1pre3/users/current', '/v1pre3/nowhere', '/healthz']) {
      const res = await fetch(`${direct.url}${path}`);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    const ui = await fetch(`${direct.url}/app/`);
    expect(ui.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(ui.headers.get('x-frame-options')).toBe('DENY');
  });
});
