import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, storages, type Backend, type Storage } from '../support/backends.js';
import { json, md5hex, sha256hex } from '../support/files-client.js';
import { fixture, uploadTarget } from '../support/genomics.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * GA4GH DRS 1.4 (issue 7): a complete file is a DRS object; its `https` access method gives a
 * signed URL that downloads the very bytes uploaded (sha-256 compared to the fixture), on local
 * storage and on S3. Errors are DRS's `{msg, status_code}`; another user's object is a 404 like
 * an unknown id.
 */

const DRS = '/ga4gh/drs/v1';
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function combos(): { label: string; backend: Backend; storage?: Storage }[] {
  const list: { label: string; backend: Backend; storage?: Storage }[] = backends().map((b) => ({
    label: `${b.kind}, local storage`,
    backend: b,
  }));
  const s3 = storages().find((s) => s.kind === 's3');
  if (s3) list.push({ label: 'sqlite, S3 storage', backend: backends()[0]!, storage: s3 });
  return list;
}

describe.each(combos())('DRS on $label', ({ backend, storage }) => {
  let hub: TestHub;
  let t: Awaited<ReturnType<typeof uploadTarget>>;
  let stranger: { token: string };
  const bytes = readFileSync(fixture('volvox-sorted.bam'));
  let id = '';

  const drs = async (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const token = init.token === undefined ? t.token : init.token;
    const headers: Record<string, string> = {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...((init.headers as Record<string, string>) ?? {}),
    };
    const res = await fetch(`${hub.url}${DRS}${path}`, { ...init, headers });
    const text = await res.text();
    return { res, status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const post = (path: string, body: unknown, token?: string | null) =>
    drs(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      ...(token !== undefined && { token }),
    });

  beforeAll(async () => {
    hub = await startTestHub(backend, storage ? { storage } : {});
    t = await uploadTarget(hub, 'drs', 'r');
    stranger = await hub.newUser();
    const res = await t.files.upload(
      'appresults',
      t.appResult.Id,
      'volvox.bam',
      'aligned',
      bytes,
      'application/octet-stream',
    );
    expect(res.status).toBe(200);
    id = (await json(res)).Response.Id;
    await hub.server.hub.services.indexer.idle();
  }, 60_000);
  afterAll(() => hub?.close());

  it('service-info names DRS 1.4, without a token', async () => {
    const info = await drs('/service-info', { token: null });
    expect(info.status).toBe(200);
    expect(info.body.type).toEqual({ group: 'org.ga4gh', artifact: 'drs', version: '1.4.0' });
    expect(info.body.id).toBe('seqhub.drs');
  });

  it("a file is a DRS object: size, times, mime type, the upload's sha-256 and md5, one https access method", async () => {
    const o = await drs(`/objects/${id}`);
    expect(o.status).toBe(200);
    expect(o.res.headers.get('content-type')).toMatch(/^application\/json/);
    const host = new URL(hub.url).host;
    expect(o.body).toMatchObject({
      id,
      name: 'volvox.bam',
      self_uri: `drs://${host}/${id}`,
      size: bytes.length,
      mime_type: 'application/octet-stream',
      checksums: [
        { type: 'sha-256', checksum: sha256hex(bytes) },
        { type: 'md5', checksum: md5hex(bytes) },
      ],
      access_methods: [{ type: 'https', access_id: 'https' }],
    });
    expect(o.body.created_time).toMatch(RFC3339);
    expect(o.body.updated_time).toMatch(RFC3339);
    expect(Date.parse(o.body.updated_time)).toBeGreaterThanOrEqual(Date.parse(o.body.created_time));
    // The same object as the v1pre3 file.
    const file = (await json(await t.files.get(`files/${id}`))).Response;
    expect(file.Size).toBe(o.body.size);
    // POST (DRS 1.4: passports in the body; `expand` is for bundles) answers the same.
    for (const body of [{}, { expand: true, passports: ['eyJhbGciOiJIUzI1NiJ9.e30.x'] }]) {
      const p = await post(`/objects/${id}`, body);
      expect(p.status).toBe(200);
      expect(p.body).toEqual(o.body);
    }
    const empty = await drs(`/objects/${id}`, { method: 'POST' });
    expect(empty.status).toBe(200);
    expect((await drs(`/objects/${id}?expand=true`)).body).toEqual(o.body);
  });

  it('the access URL downloads the uploaded bytes without a token (sha-256 equal to the fixture), and is audited', async () => {
    for (const via of ['GET', 'POST'] as const) {
      const a =
        via === 'GET'
          ? await drs(`/objects/${id}/access/https`)
          : await post(`/objects/${id}/access/https`, { passports: [] });
      expect(a.status, via).toBe(200);
      expect(a.body.headers).toEqual([]);
      expect(a.body.url).toMatch(/^https?:\/\//);
      if (storage) expect(a.body.url).toContain('X-Amz-Signature');
      const download = await fetch(a.body.url, {
        headers: Object.fromEntries(a.body.headers.map((h: string) => h.split(/:\s*/, 2))),
      });
      expect(download.status).toBe(200);
      const got = Buffer.from(await download.arrayBuffer());
      expect(createHash('sha256').update(got).digest('hex')).toBe(
        createHash('sha256')
          .update(readFileSync(fixture('volvox-sorted.bam')))
          .digest('hex'),
      );
    }
    const log = await json(await t.files.get(`projects/${t.project.Id}/auditlog?Limit=100`));
    const urls = log.Response.Items.filter(
      (e: any) => e.Action === 'file.download.url' && e.Target.Id === id,
    );
    expect(urls.length).toBeGreaterThanOrEqual(2);
  });

  it("unknown, malformed and other users' ids are the same 404 in DRS's error shape", async () => {
    const cases: [string, string | undefined][] = [
      [`/objects/99999999`, undefined],
      [`/objects/abc`, undefined],
      [`/objects/0`, undefined],
      [`/objects/-1`, undefined],
      [`/objects/${'9'.repeat(30)}`, undefined],
      [`/objects/drs%3A%2F%2Fx%2F1`, undefined],
      [`/objects/${id}`, stranger.token],
      [`/objects/99999999/access/https`, undefined],
      [`/objects/${id}/access/https`, stranger.token],
      [`/objects/${id}/access/s3`, undefined],
      [`/objects/${id}/access/${'x'.repeat(300)}`, undefined],
      [`/objects/${id}/nothing`, undefined],
      ['/objects', undefined],
    ];
    for (const [path, token] of cases) {
      const r = await drs(path, token === undefined ? {} : { token });
      expect(r.status, path).toBe(404);
      expect(r.body, path).toEqual({ msg: expect.any(String), status_code: 404 });
      expect(r.body.msg.length).toBeGreaterThan(5);
    }
    // Nothing tells a stranger the object exists: the same words as for an id nobody has.
    const theirs = await drs(`/objects/${id}`, { token: stranger.token });
    const unknown = await drs(`/objects/99999999`);
    expect(theirs.body.msg.replace(id, 'N')).toBe(unknown.body.msg.replace('99999999', 'N'));
  });

  it('a multipart upload in progress is no DRS object, even to its uploader', async () => {
    const init = await t.files.initMultipart('appresults', t.appResult.Id, 'half.bin');
    const pending = init.body.Response.Id as string;
    expect((await t.files.putPart(pending, 1, new Uint8Array([1, 2, 3]))).status).toBe(200);
    // The v1pre3 file route shows it to its uploader (to resume it); DRS does not.
    expect((await t.files.get(`files/${pending}`)).status).toBe(200);
    for (const path of [`/objects/${pending}`, `/objects/${pending}/access/https`]) {
      const r = await drs(path);
      expect(r.status, path).toBe(404);
      expect(r.body.status_code).toBe(404);
    }
    expect((await t.files.setStatus(pending, 'complete')).status).toBe(200);
    const done = await drs(`/objects/${pending}`);
    expect(done.status).toBe(200);
    expect(done.body.checksums[0]).toEqual({
      type: 'sha-256',
      checksum: sha256hex(new Uint8Array([1, 2, 3])),
    });
  });

  it('401 without a valid token, 403 when the scope only browses, 400 for a malformed body: all as DRS errors', async () => {
    for (const token of [null, 'not-a-token']) {
      for (const path of [`/objects/${id}`, `/objects/${id}/access/https`]) {
        const r = await drs(path, { token });
        expect(r.status, path).toBe(401);
        expect(r.body).toEqual({ msg: expect.any(String), status_code: 401 });
        expect(r.res.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
    const browse = await hub.tokenFor(
      (await hub.server.hub.services.auth.findUserByEmail(t.user.email))!,
      'browse global',
    );
    expect((await drs(`/objects/${id}`, { token: browse })).status).toBe(200);
    const denied = await drs(`/objects/${id}/access/https`, { token: browse });
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({ msg: expect.stringContaining('READ'), status_code: 403 });
    for (const body of [{ passports: 'x' }, { expand: 'yes' }, [1]]) {
      const r = await post(`/objects/${id}`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.status_code).toBe(400);
    }
    const bad = await drs(`/objects/${id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{nope',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.status_code).toBe(400);
  });
});
