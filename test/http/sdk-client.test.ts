import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiError,
  NetworkError,
  SeqhubClient,
  collect,
  isAbortError,
} from '../../src/sdk/index.js';
import { md5Hex } from '../../src/sdk/node.js';
import { backends } from '../support/backends.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * The SDK over real HTTP: retries, errors and cancellation against a tiny node:http server on
 * 127.0.0.1 that answers as scripted (a stand-in for a proxy or an overloaded hub, not one of our
 * components), paging and uploads against a real hub.
 */
type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

let server: Server | undefined;
let hits: { method: string; url: string }[] = [];

async function scripted(handler: Handler): Promise<string> {
  hits = [];
  server = createServer((req, res) => {
    hits.push({ method: req.method!, url: req.url! });
    req.resume();
    req.on('end', () => handler(req, res, hits.length));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const envelope = (
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers = {},
) => {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(
    JSON.stringify({ ResponseStatus: { ErrorCode: code, Message: message }, Notifications: [] }),
  );
};
const user = (res: ServerResponse) => {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(
    JSON.stringify({
      Response: { Id: '7', Name: 'Ada', Email: 'ada@lab.example', Href: 'v1pre3/users/7' },
    }),
  );
};
const fast = { retries: 3, baseDelayMs: 5, maxDelayMs: 20 };

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

describe('SDK retries and errors', () => {
  it('retries a GET on 503 and 500 with backoff, then decodes the answer', async () => {
    const url = await scripted((_q, res, n) =>
      n === 1
        ? envelope(res, 503, 'Unavailable', 'busy')
        : n === 2
          ? envelope(res, 500, 'InternalServerError', 'oops')
          : user(res),
    );
    const client = new SeqhubClient({ baseUrl: `${url}/v1pre3/`, accessToken: 't', retry: fast });
    expect(await client.currentUser()).toEqual({
      id: '7',
      name: 'Ada',
      email: 'ada@lab.example',
      href: 'v1pre3/users/7',
    });
    expect(hits.map((h) => `${h.method} ${h.url}`)).toEqual(
      Array(3).fill('GET /v1pre3/users/current'),
    );
  });

  it('honours Retry-After on 429 (seconds)', async () => {
    const url = await scripted((_q, res, n) =>
      n === 1
        ? envelope(res, 429, 'TooManyRequests', 'slow down', { 'Retry-After': '1' })
        : user(res),
    );
    const client = new SeqhubClient({
      baseUrl: url,
      retry: { ...fast, baseDelayMs: 1, maxDelayMs: 1 },
    });
    const started = Date.now();
    await client.currentUser();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(hits).toHaveLength(2);
  });

  it('gives up after the retries with the last answer as a typed error', async () => {
    const url = await scripted((_q, res) =>
      envelope(res, 503, 'ServiceUnavailable', 'down for maintenance'),
    );
    const client = new SeqhubClient({ baseUrl: url, retry: fast });
    const error = await client.currentUser().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 503,
      errorCode: 'ServiceUnavailable',
      message: 'down for maintenance',
    });
    expect(hits).toHaveLength(4);
  });

  it('does not repeat a POST that may have acted (500), but does on 429/503', async () => {
    let url = await scripted((_q, res) => envelope(res, 500, 'InternalServerError', 'oops'));
    let client = new SeqhubClient({ baseUrl: url, retry: fast });
    await expect(client.createRun({ name: 'r' })).rejects.toMatchObject({ status: 500 });
    expect(hits).toHaveLength(1);
    server!.closeAllConnections();
    await new Promise((r) => server!.close(r));
    url = await scripted((_q, res, n) =>
      n === 1
        ? envelope(res, 503, 'Unavailable', 'busy')
        : (res.writeHead(200, { 'Content-Type': 'application/json' }),
          res.end(JSON.stringify({ Response: { Id: '3', Name: 'r', Status: 'Uploading' } }))),
    );
    client = new SeqhubClient({ baseUrl: url, retry: fast });
    expect(await client.createRun({ name: 'r' })).toMatchObject({ id: '3', status: 'Uploading' });
    expect(hits.map((h) => h.method)).toEqual(['POST', 'POST']);
  });

  it('retries a GET after the connection breaks; NetworkError when nothing listens', async () => {
    const url = await scripted((req, res, n) => (n === 1 ? req.socket.destroy() : user(res)));
    expect((await new SeqhubClient({ baseUrl: url, retry: fast }).currentUser()).id).toBe('7');
    expect(hits).toHaveLength(2);
    server!.closeAllConnections();
    await new Promise((r) => server!.close(r));
    server = undefined;
    const error = await new SeqhubClient({ baseUrl: url, retry: fast })
      .currentUser()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toBe(`cannot reach ${url}: ECONNREFUSED`);
  });

  it('an answer that is not an envelope still gives a status and a short message', async () => {
    const url = await scripted((_q, res) => {
      res.writeHead(502, { 'Content-Type': 'text/html' });
      res.end('<html><body>Bad   Gateway</body></html>');
    });
    const error = await new SeqhubClient({ baseUrl: url, retry: { retries: 0 } })
      .currentUser()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 502,
      errorCode: 'HTTP502',
      message: '<html><body>Bad Gateway</body></html>',
    });
  });

  it('AbortSignal cancels a call in flight and a backoff wait, at once', async () => {
    const url = await scripted((_q, res, n) =>
      n === 1 ? undefined : envelope(res, 503, 'Unavailable', 'later', { 'Retry-After': '30' }),
    );
    const client = new SeqhubClient({ baseUrl: url, retry: fast });
    for (const delay of [100, 300]) {
      const started = Date.now();
      const error = await client.currentUser(AbortSignal.timeout(delay)).catch((e: unknown) => e);
      expect(isAbortError(error)).toBe(true);
      expect(Date.now() - started).toBeLessThan(delay + 1500);
    }
    // The first call hung in flight; the second waited on Retry-After when it was cut.
    expect(hits.length).toBe(2);
  });
});

describe.each(backends())('SDK against a real hub on $kind', (backend) => {
  let hub: TestHub;
  let token: string;
  let owner: Awaited<ReturnType<TestHub['newUser']>>['user'];
  const counted: string[] = [];
  const countingFetch: typeof fetch = (input, init) => {
    counted.push(
      `${init?.method ?? 'GET'} ${new URL(String(input)).pathname}${new URL(String(input)).search}`,
    );
    return fetch(input, init);
  };

  beforeAll(async () => {
    hub = await startTestHub(backend);
    ({ user: owner, token } = await hub.newUser());
  });
  afterAll(async () => hub?.close());

  it('the paging iterator walks Offset/Limit until TotalCount', async () => {
    for (let i = 0; i < 23; i++) await hub.createRun(owner, { name: `RUN-${i}` });
    counted.length = 0;
    const client = new SeqhubClient({ baseUrl: hub.url, accessToken: token, fetch: countingFetch });
    const runs = await collect(client.listRuns({ pageSize: 10, sortBy: 'Id' }));
    expect(runs).toHaveLength(23);
    expect(new Set(runs.map((r) => r.id)).size).toBe(23);
    expect(runs.map((r) => r.name)).toEqual(Array.from({ length: 23 }, (_, i) => `RUN-${i}`));
    expect(counted).toEqual(
      [0, 10, 20].map((o) => `GET /v1pre3/users/current/runs?Offset=${o}&Limit=10&SortBy=Id`),
    );
    // Stopping early fetches no more pages.
    counted.length = 0;
    for await (const run of client.listRuns({ pageSize: 5 })) if (run) break;
    expect(counted).toHaveLength(1);
  });

  it('uploads single-part and multipart files with progress; resumes a multipart upload at its parts', async () => {
    const client = new SeqhubClient({ baseUrl: hub.url, accessToken: token, fetch: countingFetch });
    const run = await client.createRun({ name: 'upload-me' });
    expect(run.status).toBe('Uploading');
    const small = new Uint8Array(randomBytes(1000));
    const progress: number[] = [];
    const one = await client.uploadRunFile(run.id, new Blob([small]), {
      name: 'RunInfo.xml',
      onProgress: (d, t) => {
        expect(t).toBe(1000);
        progress.push(d);
      },
    });
    expect(one).toMatchObject({
      path: 'RunInfo.xml',
      size: 1000,
      md5: md5Hex(small),
      uploadStatus: 'complete',
    });
    expect(progress).toEqual([0, 1000]);

    // 5 parts of 64 KiB (the last short); parts 1 and 2 already sent, part 2 with other bytes.
    const big = new Uint8Array(randomBytes(4 * 65536 + 1234));
    const init = await fetch(
      `${hub.url}/v1pre3/runs/${run.id}/files?name=big.bin&directory=Data&multipart=true`,
      {
        method: 'POST',
        headers: { 'x-access-token': token },
      },
    );
    const fileId = ((await init.json()) as any).Response.Id as string;
    const put = (n: number, bytes: Uint8Array) =>
      fetch(`${hub.url}/v1pre3/files/${fileId}/parts/${n}`, {
        method: 'PUT',
        headers: { 'x-access-token': token },
        body: bytes,
      });
    expect((await put(1, big.subarray(0, 65536))).status).toBe(200);
    expect((await put(2, new Uint8Array(65536))).status).toBe(200);

    counted.length = 0;
    const done: number[] = [];
    const file = await client.uploadRunFile(run.id, new Blob([big]), {
      name: 'big.bin',
      directory: 'Data',
      partSize: 65536,
      resumeFileId: fileId,
      md5: md5Hex,
      onProgress: (d) => done.push(d),
    });
    expect(file).toMatchObject({
      id: fileId,
      path: 'Data/big.bin',
      size: big.length,
      uploadStatus: 'complete',
    });
    expect(file.md5).toBe(createHash('md5').update(big).digest('hex'));
    // Part 1 was kept; part 2 (wrong MD5) and 3-5 were sent.
    expect(counted.filter((c) => c.startsWith('PUT')).sort()).toEqual(
      [2, 3, 4, 5].map((n) => `PUT /v1pre3/files/${fileId}/parts/${n}`),
    );
    expect(done.at(-1)).toBe(big.length);
    expect([...done].sort((a, b) => a - b)).toEqual(done);

    // A fresh multipart upload with concurrent parts.
    counted.length = 0;
    const fresh = await client.uploadRunFile(run.id, new Blob([big]), {
      name: 'again.bin',
      partSize: 65536,
      md5: md5Hex,
    });
    expect(fresh.md5).toBe(file.md5);
    expect(counted.filter((c) => c.startsWith('PUT'))).toHaveLength(5);

    const paths = (await collect(client.listRunFiles(run.id, { pageSize: 2 })))
      .map((f) => f.path)
      .sort();
    expect(paths).toEqual(['Data/big.bin', 'RunInfo.xml', 'again.bin']);
  });

  it('the hub’s errors arrive as ApiError with the envelope’s code', async () => {
    const client = new SeqhubClient({ baseUrl: hub.url, accessToken: token });
    await expect(client.getRun('999999')).rejects.toMatchObject({
      status: 404,
      errorCode: 'NotFound',
    });
    const bad = new SeqhubClient({ baseUrl: hub.url, accessToken: 'nope' });
    await expect(bad.currentUser()).rejects.toMatchObject({
      status: 401,
      errorCode: 'Unauthorized',
    });
  });
});
