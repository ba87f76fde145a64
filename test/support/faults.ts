import type { ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import { md5hex } from './files-client.js';

/** What the fault tests (test/e2e/faults-*.test.ts) need of a hub over HTTP. */
export interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** One call to `url` as `token`; a JSON or raw body; the answer parsed when it is JSON. */
export async function call(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  const raw = body instanceof Uint8Array;
  const res = await fetch(`${url}/${path}`, {
    method,
    headers: {
      'x-access-token': token,
      ...(body !== undefined && {
        'content-type': raw ? 'application/octet-stream' : 'application/json',
      }),
    },
    ...(body !== undefined && { body: raw ? body : JSON.stringify(body) }),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const text = Buffer.from(bytes).toString('utf8');
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed ?? bytes, text };
}

/** The answer is `status` with `code` in the BaseSpace error envelope (and nothing else). */
export function expectEnvelope(answer: Answer, status: number, code: string): void {
  expect({ status: answer.status, body: answer.body }).toMatchObject({
    status,
    body: {
      ResponseStatus: { ErrorCode: code, Message: expect.any(String) },
      Notifications: [{ Type: 'error' }],
    },
  });
  expect(answer.body.Response).toBeUndefined();
}

/** Polls `/readyz` until it answers `status` (200 or 503); returns its last body. */
export async function readyz(url: string, status: number, timeoutMs = 30_000): Promise<any> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    const body = res ? await res.json().catch(() => undefined) : undefined;
    if (res?.status === status) return body;
    if (Date.now() > end)
      throw new Error(`/readyz still ${res?.status}: ${JSON.stringify(body)} (wanted ${status})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Every file of the AppResult, each checked byte for byte against `expected` (name -> bytes):
 * the listing holds exactly those names, all complete, and each download's MD5, the ETag and the
 * size match. What "nothing lost and nothing half-written visible" means for one AppResult.
 */
export async function expectFiles(
  url: string,
  token: string,
  appResultId: string,
  expected: ReadonlyMap<string, Uint8Array>,
): Promise<void> {
  const listed = await call(url, token, 'GET', `v1pre3/appresults/${appResultId}/files?Limit=1000`);
  expect(listed.status, listed.text).toBe(200);
  const items = listed.body.Response.Items as {
    Id: string;
    Name: string;
    Size: number;
    ETag?: string;
    UploadStatus: string;
  }[];
  expect(items.map((f) => f.Name).sort()).toEqual([...expected.keys()].sort());
  for (const f of items) {
    const want = expected.get(f.Name)!;
    expect(f.UploadStatus, f.Name).toBe('complete');
    expect(f.Size, f.Name).toBe(want.length);
    const got = await call(url, token, 'GET', `v1pre3/files/${f.Id}/content`);
    expect(got.status, f.Name).toBe(200);
    const bytes = got.body instanceof Uint8Array ? got.body : new TextEncoder().encode(got.text);
    expect(md5hex(bytes), f.Name).toBe(md5hex(want));
  }
}

/** Resolves once `child` has exited (at once when it already has). */
export function exited(child: ChildProcess): Promise<void> {
  return new Promise((ok) =>
    child.exitCode !== null || child.signalCode !== null ? ok() : child.once('exit', () => ok()),
  );
}

/** Stops `child` (SIGTERM) and waits for it. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await exited(child);
}
