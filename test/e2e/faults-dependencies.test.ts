import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { call, expectEnvelope, expectFiles, readyz, stop } from '../support/faults.js';
import { FilesClient, md5hex, randomData } from '../support/files-client.js';
import { serve } from '../support/processes.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

/**
 * A dependency goes away under a running `seqhub serve` and comes back (issue 11, faults). The
 * PostgreSQL server and the S3 server are shared by everything on the machine, so neither is
 * stopped: the hub reaches each through a TCP proxy of the test's own (test/support/tcp-proxy.ts),
 * and cutting the proxy is, for this hub, the server going down (connections dropped, new ones
 * refused). While it is down: requests that need it answer 503 `ServiceUnavailable` in the
 * envelope with Retry-After, the rest keep working, /readyz names it, the process stays up.
 * After: /readyz is ready again, every completed file is intact, nothing half-written is visible,
 * and writes and jobs work again.
 */

const PG_URL = process.env.SEQHUB_TEST_POSTGRES_URL;
const S3_ENDPOINT = process.env.SEQHUB_TEST_S3_ENDPOINT;

/** A request body that sends `head` and then waits, as a client still uploading. */
function stalledBody(head: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(head);
    },
  });
}

/**
 * An upload that sends its first 64 KiB and then hangs, as a client still sending when the
 * dependency goes; `drop()` ends it the way a client that gives up does.
 */
function hangingUpload(url: string, token: string, appResultId: string, name: string) {
  const controller = new AbortController();
  const done = fetch(`${url}/v1pre3/appresults/${appResultId}/files?name=${name}&directory=`, {
    method: 'POST',
    headers: {
      'x-access-token': token,
      'content-type': 'application/octet-stream',
      'content-length': '1000000',
    },
    body: stalledBody(randomData(65_536)),
    duplex: 'half',
    signal: controller.signal,
  } as RequestInit).then(
    (res) => res.status,
    () => 'dropped' as const,
  );
  return {
    drop: async () => {
      controller.abort();
      return done;
    },
  };
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describe.skipIf(!PG_URL)('PostgreSQL goes down under a running hub and comes back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seqhub-faults-pg-'));
  const name = `seqhub_t_${randomBytes(6).toString('hex')}`;
  let proxy: TcpProxy | undefined;
  let hub: Awaited<ReturnType<typeof serve>> | undefined;
  afterAll(async () => {
    if (hub) await stop(hub.child);
    await proxy?.close();
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 while it is down, recovers, and loses nothing', async () => {
    await adminQuery(`CREATE DATABASE ${name}`);
    const target = new URL(PG_URL!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const url = new URL(PG_URL!);
    url.host = `${proxy.host}:${proxy.port}`;
    url.pathname = `/${name}`;
    hub = await serve({
      DATABASE_URL: url.toString(),
      SEQHUB_DATA_DIR: join(dir, 'data'),
      SEQHUB_LOG_LEVEL: 'silent',
      SEQHUB_JOB_LEASE_SECONDS: '3',
    });
    const { url: base, token } = { url: hub.url, token: hub.token! };
    const api = (method: string, path: string, body?: unknown) =>
      call(base, token, method, `v1pre3/${path}`, body);

    const project = (await api('POST', 'projects', { Name: 'pg-fault' })).body.Response;
    const result = (await api('POST', `projects/${project.Id}/appresults`, { Name: 'r' })).body
      .Response;
    const files = new Map<string, Uint8Array>();
    for (const n of ['a.bin', 'b.bin']) {
      const bytes = randomData(300_000);
      const up = await api('POST', `appresults/${result.Id}/files?name=${n}`, bytes);
      expect(up.status, up.text).toBe(200);
      files.set(n, bytes);
    }
    const prop = { Type: 'string', Name: 'lab.state', Content: 'before' };
    expect(
      (await api('POST', `projects/${project.Id}/properties`, { Properties: [prop] })).status,
    ).toBe(200);

    // An upload is under way when the database goes.
    const inFlight = hangingUpload(base, token, result.Id, 'inflight.bin');
    await new Promise((r) => setTimeout(r, 300));
    await proxy.cut();

    const down = await readyz(base, 503);
    expect(down.failing).toContain('database');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const reads = await api('GET', `projects/${project.Id}`);
    expectEnvelope(reads, 503, 'ServiceUnavailable');
    expect(reads.headers.get('retry-after')).toBe('5');
    expectEnvelope(
      await api('POST', `projects/${project.Id}/properties`, {
        Properties: [{ ...prop, Content: 'during' }],
      }),
      503,
      'ServiceUnavailable',
    );
    expectEnvelope(
      await api('POST', `appresults/${result.Id}/files?name=c.bin`, randomData(1000)),
      503,
      'ServiceUnavailable',
    );
    expectEnvelope(await api('POST', 'projects', { Name: 'during' }), 503, 'ServiceUnavailable');

    await proxy.restore();
    await readyz(base, 200);
    // The upload that was in flight never completed: its client gives up, and it is nowhere.
    expect(await inFlight.drop()).toBe('dropped');
    await expectFiles(base, token, result.Id, files);
    const props = (await api('GET', `projects/${project.Id}/properties`)).body.Response.Items;
    expect(props.map((p: { Name: string; Content: string }) => [p.Name, p.Content])).toEqual([
      ['lab.state', 'before'],
    ]);
    const projects = (await api('GET', 'users/current/projects?Limit=100')).body.Response.Items;
    expect(projects.map((p: { Name: string }) => p.Name)).toEqual(['pg-fault']);

    // Writes and jobs work again: a VCF uploaded now is indexed by the job queue.
    const vcf = new Uint8Array(
      await import('node:fs').then((fs) =>
        fs.readFileSync('test/fixtures/genomics/volvox.test.vcf.gz'),
      ),
    );
    const up = await api('POST', `appresults/${result.Id}/files?name=v.vcf.gz`, vcf);
    expect(up.status, up.text).toBe(200);
    files.set('v.vcf.gz', vcf);
    const end = Date.now() + 60_000;
    for (;;) {
      const f = (await api('GET', `files/${up.body.Response.Id}`)).body.Response;
      if (f.IndexStatus === 'ready') break;
      if (Date.now() > end) throw new Error(`not indexed: ${JSON.stringify(f)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await expectFiles(base, token, result.Id, files);
    expect(md5hex(vcf)).toBe(up.body.Response.ETag);
  }, 180_000);
});

describe.skipIf(!S3_ENDPOINT)('the S3 server goes away under a running hub and comes back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seqhub-faults-s3-'));
  let proxy: TcpProxy | undefined;
  let hub: Awaited<ReturnType<typeof serve>> | undefined;
  afterAll(async () => {
    if (hub) await stop(hub.child);
    await proxy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 for what needs storage, serves metadata, recovers, and loses nothing', async () => {
    const target = new URL(S3_ENDPOINT!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 80) });
    hub = await serve({
      SEQHUB_DATA_DIR: join(dir, 'data'),
      SEQHUB_LOG_LEVEL: 'silent',
      SEQHUB_STORAGE: 's3',
      SEQHUB_S3_ENDPOINT: `http://${proxy.host}:${proxy.port}`,
      SEQHUB_S3_BUCKET: process.env.SEQHUB_TEST_S3_BUCKET ?? 'seqhub-test',
      SEQHUB_S3_ACCESS_KEY_ID: process.env.SEQHUB_TEST_S3_ACCESS_KEY_ID ?? 'hub:admin',
      SEQHUB_S3_SECRET_ACCESS_KEY:
        process.env.SEQHUB_TEST_S3_SECRET_ACCESS_KEY ?? 'HUBSECRETKEY123',
      SEQHUB_S3_PREFIX: `t-${randomBytes(6).toString('hex')}/`,
    });
    const { url: base, token } = { url: hub.url, token: hub.token! };
    const api = (method: string, path: string, body?: unknown) =>
      call(base, token, method, `v1pre3/${path}`, body);
    const client = new FilesClient(base, token);

    const project = (await api('POST', 'projects', { Name: 's3-fault' })).body.Response;
    const result = (await api('POST', `projects/${project.Id}/appresults`, { Name: 'r' })).body
      .Response;
    const files = new Map<string, Uint8Array>();
    const a = randomData(400_000);
    expect((await api('POST', `appresults/${result.Id}/files?name=a.bin`, a)).status).toBe(200);
    files.set('a.bin', a);
    // A multipart upload with part 1 stored before the outage and part 2 sent during it.
    const parts = [randomData(300_000), randomData(200_000)];
    const multi = (await client.initMultipart('appresults', result.Id, 'm.bin')).body.Response;
    expect((await client.putPart(multi.Id, 1, parts[0]!)).status).toBe(200);
    const fileA = (await api('GET', `appresults/${result.Id}/files`)).body.Response.Items[0];

    const inFlight = hangingUpload(base, token, result.Id, 'inflight.bin');
    await new Promise((r) => setTimeout(r, 300));
    await proxy.cut();

    const down = await readyz(base, 503);
    expect(down.failing).toEqual(['storage']);
    expectEnvelope(
      await api('POST', `appresults/${result.Id}/files?name=b.bin`, randomData(10_000)),
      503,
      'ServiceUnavailable',
    );
    const part2 = await client.putPart(multi.Id, 2, parts[1]!);
    expect(part2.status).toBe(503);
    expect(((await part2.json()) as any).ResponseStatus.ErrorCode).toBe('ServiceUnavailable');
    const content = await api('GET', `files/${fileA.Id}/content`);
    expectEnvelope(content, 503, 'ServiceUnavailable');
    expect(content.headers.get('retry-after')).toBe('5');
    // Metadata does not need storage: lists, gets and property writes keep working.
    expect((await api('GET', `files/${fileA.Id}`)).status).toBe(200);
    expect(
      (
        await api('POST', `appresults/${result.Id}/properties`, {
          Properties: [{ Type: 'string', Name: 'lab.note', Content: 'storage down' }],
        })
      ).status,
    ).toBe(200);

    await proxy.restore();
    await readyz(base, 200);
    expect(await inFlight.drop()).toBe('dropped');
    // The multipart upload resumes where it stood: part 1 held, part 2 sent again.
    const held = (await api('GET', `files/${multi.Id}/parts`)).body.Response.Items;
    expect(held.map((p: { Number: number }) => p.Number)).toEqual([1]);
    expect((await client.putPart(multi.Id, 2, parts[1]!)).status).toBe(200);
    expect((await client.setStatus(multi.Id, 'complete')).status).toBe(200);
    files.set('m.bin', new Uint8Array(Buffer.concat(parts)));
    const b = randomData(50_000);
    expect((await api('POST', `appresults/${result.Id}/files?name=b.bin`, b)).status).toBe(200);
    files.set('b.bin', b);
    await expectFiles(base, token, result.Id, files);
  }, 180_000);
});
