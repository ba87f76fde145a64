import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/app/server.js';
import { loadConfig } from '../../src/config/index.js';
import { backends, storages, type Backend, type Storage } from '../support/backends.js';
import { json } from '../support/files-client.js';
import { fixture, NA12878, uploadTarget } from '../support/genomics.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * Operability (issue 10): `/healthz`, `/readyz` naming what is down, Prometheus `/metrics` by
 * route pattern, status class, job outcome and body bytes, and request ids in replies and logs.
 */

/** The value of one Prometheus sample (`name{labels} value`), or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inner = line.slice(name.length + 1, line.lastIndexOf('}'));
    const got = Object.fromEntries(
      [...inner.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => got[k] === v))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

const metricsOf = async (hub: { url: string }) => (await fetch(`${hub.url}/metrics`)).text();

describe.each(storages())('health and readiness on $kind storage', (storage: Storage) => {
  describe.each(backends())('on $kind', (backend: Backend) => {
    let hub: TestHub;
    beforeAll(async () => {
      hub = await startTestHub(backend, { storage });
    });
    afterAll(() => hub?.close());

    it('/healthz and /readyz answer 200 without a token, naming each dependency checked', async () => {
      const health = await fetch(`${hub.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${hub.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(ready.headers.get('cache-control')).toBe('no-store');
      expect(await ready.json()).toEqual({
        status: 'ok',
        checks: { database: { status: 'ok' }, storage: { status: 'ok' }, queue: { status: 'ok' } },
      });
    });
  });
});

describe.each(backends())('readiness failures on $kind', (backend: Backend) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(backend);
  });
  afterAll(() => hub?.close());

  it('/readyz is 503 naming storage when the blob store cannot be written, and recovers', async () => {
    // Writes go through blobs/tmp: a plain file there makes every write fail.
    const tmp = join(hub.dataDir, 'blobs', 'tmp');
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(join(hub.dataDir, 'blobs'), { recursive: true });
    writeFileSync(tmp, 'in the way');
    try {
      const res = await fetch(`${hub.url}/readyz`);
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body).toEqual({
        status: 'unavailable',
        failing: ['storage'],
        checks: {
          database: { status: 'ok' },
          storage: { status: 'error', error: 'EEXIST' },
          queue: { status: 'ok' },
        },
      });
      // Liveness does not depend on anything: a load balancer must not restart a process for it.
      expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
    } finally {
      rmSync(tmp, { force: true });
    }
    expect((await fetch(`${hub.url}/readyz`)).status).toBe(200);
  });

  it.runIf(backend.kind === 'postgres')(
    '/readyz is 503 naming database and queue while PostgreSQL refuses connections, and recovers',
    async () => {
      const url = new URL(
        hub.server.hub.config.db.kind === 'postgres' ? hub.server.hub.config.db.url : '',
      );
      const name = url.pathname.slice(1);
      const admin = new pg.Client({ connectionString: process.env.SEQHUB_TEST_POSTGRES_URL });
      await admin.connect();
      try {
        await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
        await admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1',
          [name],
        );
        const res = await fetch(`${hub.url}/readyz`);
        expect(res.status).toBe(503);
        const body = (await res.json()) as any;
        expect(body.failing).toEqual(['database', 'queue']);
        expect(body.checks.storage).toEqual({ status: 'ok' });
        expect(body.checks.database.status).toBe('error');
        // The reason is a code, never the server's address or the user name.
        expect(JSON.stringify(body)).not.toContain('127.0.0.1');
        expect(JSON.stringify(body)).not.toContain('postgres');
      } finally {
        await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
        await admin.end();
      }
      let status = 0;
      for (let i = 0; i < 20 && status !== 200; i++) {
        status = (await fetch(`${hub.url}/readyz`)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
    },
  );
});

describe.each(backends())('metrics on $kind', (backend: Backend) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(backend);
  });
  afterAll(() => hub?.close());

  it('counts requests by route pattern and status class, and body bytes in and out', async () => {
    const { token, files, project, appResult } = await uploadTarget(hub, 'Metrics', 'result');
    const headers = { 'x-access-token': token };
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${hub.url}/v1pre3/projects/${project.Id}`, { headers });
      expect(res.status).toBe(200);
    }
    expect((await fetch(`${hub.url}/v1pre3/projects/999999999`, { headers })).status).toBe(404);
    const bytes = randomBytes(300_000);
    const up = await files.upload('appresults', appResult.Id, 'data.bin', '', bytes);
    expect(up.status).toBe(200);
    const file = (await json(up)).Response;
    const down = await fetch(`${hub.url}/v1pre3/files/${file.Id}/content`, { headers });
    expect(Buffer.from(await down.arrayBuffer()).equals(bytes)).toBe(true);
    const bytesOut = (t: string) =>
      sample(t, 'seqhub_http_body_bytes_total', {
        direction: 'out',
        method: 'GET',
        route: '/v1pre3/files/:id/content',
      });
    // A download's bytes are counted when the hub's file stream closes, which can come a moment
    // after the client has the last byte (the file handle closes on the thread pool): the test
    // once scraped first under CI load. Wait for it, briefly.
    let text = await metricsOf(hub);
    for (let i = 0; i < 50 && bytesOut(text) === undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
      text = await metricsOf(hub);
    }
    const count = (route: string, status: string, method = 'GET') =>
      sample(text, 'seqhub_http_request_duration_seconds_count', {
        method,
        route,
        status_class: status,
      });
    expect(count('/v1pre3/projects/:id', '2xx')).toBe(3);
    expect(count('/v1pre3/projects/:id', '4xx')).toBe(1);
    // Route patterns only: a raw URL (with an id) would make one series per object.
    expect(text).not.toContain(`/v1pre3/projects/${project.Id}"`);
    expect(text).not.toContain('999999999');
    expect(
      sample(text, 'seqhub_http_body_bytes_total', {
        direction: 'in',
        method: 'POST',
        route: '/v1pre3/appresults/:id/files',
      }),
    ).toBe(bytes.length);
    expect(bytesOut(text)).toBe(bytes.length);
    // Process metrics come along (memory, CPU, event loop lag).
    expect(text).toMatch(/^seqhub_process_cpu_seconds_total /m);
  });

  it('counts job runs by job name and outcome', async () => {
    const { files, appResult } = await uploadTarget(hub, 'Jobs', 'calls');
    const res = await files.upload(
      'appresults',
      appResult.Id,
      NA12878,
      'genomics',
      readFileSync(fixture(NA12878)),
    );
    expect(res.status).toBe(200);
    const id = (await json(res)).Response.Id;
    let status = 'pending';
    for (let i = 0; i < 600 && status === 'pending'; i++) {
      status = (await json(await files.get(`files/${id}`))).Response.IndexStatus;
      if (status === 'pending') await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('ready');
    const text = await metricsOf(hub);
    expect(
      sample(text, 'seqhub_job_duration_seconds_count', {
        name: 'index-file',
        outcome: 'completed',
      }),
    ).toBe(1);
    expect(
      sample(text, 'seqhub_job_duration_seconds_count', { name: 'index-file', outcome: 'failed' }),
    ).toBeUndefined();
  });
});

describe('metrics behind a bearer token, request ids and JSON logs', () => {
  let dir: string;
  let server: RunningServer;
  const lines: string[] = [];
  const token = randomBytes(24).toString('hex');
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seqhub-ops-'));
    const config = loadConfig({
      env: {
        SEQHUB_LOG_LEVEL: 'info',
        SEQHUB_METRICS_TOKEN: token,
        SEQHUB_TRUST_PROXY: '127.0.0.1',
      },
      flags: { host: '127.0.0.1', port: '0', dataDir: dir },
      cwd: dir,
    });
    server = await startServer(config, {
      logStream: { write: (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)) },
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('/metrics asks for the configured bearer token', async () => {
    const none = await fetch(`${server.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.text()).not.toContain('seqhub_');
    const wrong = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${token.replace(/.$/, 'x')}` },
    });
    expect(wrong.status).toBe(401);
    const good = await fetch(`${server.url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(good.status).toBe(200);
    expect(good.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await good.text()).toContain('seqhub_http_request_duration_seconds');
    // Health probes stay open.
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('keeps an incoming X-Request-Id, returns it, and logs it (and the proxied client) on every line', async () => {
    const id = `lb-${randomBytes(8).toString('hex')}`;
    const res = await fetch(`${server.url}/v1pre3/users/current`, {
      headers: {
        'x-request-id': id,
        'x-access-token': server.adminToken!,
        'x-forwarded-for': '203.0.113.7',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe(id);
    await new Promise((r) => setTimeout(r, 50));
    const logged = lines.map((l) => JSON.parse(l) as Record<string, any>);
    const mine = logged.filter((l) => l.reqId === id);
    expect(mine.map((l) => l.msg)).toEqual(['incoming request', 'request completed']);
    expect(mine[0]).toMatchObject({
      level: 30,
      req: { method: 'GET', url: '/v1pre3/users/current' },
    });
    expect(mine[1]).toMatchObject({ res: { statusCode: 200 } });
    // Behind a trusted proxy (SEQHUB_TRUST_PROXY) the client is the one it names.
    expect(mine[0]!.req.remoteAddress).toBe('203.0.113.7');
    expect(typeof mine[1]!.responseTime).toBe('number');
  });

  it('makes up a UUID when there is none or it is not a plausible id, errors included', async () => {
    const plain = await fetch(`${server.url}/v1pre3/users/current`);
    expect(plain.status).toBe(401);
    expect(plain.headers.get('x-request-id')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    for (const bad of ['has space', 'x'.repeat(129), 'quote"d']) {
      const res = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': bad } });
      const got = res.headers.get('x-request-id')!;
      expect(got).not.toBe(bad);
      expect(got).toMatch(/^[0-9a-f-]{36}$/);
    }
    const a = (await fetch(`${server.url}/healthz`)).headers.get('x-request-id');
    const b = (await fetch(`${server.url}/healthz`)).headers.get('x-request-id');
    expect(a).not.toBe(b);
  });
});
