import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, storages } from '../support/backends.js';
import {
  FilesClient,
  json,
  md5b64,
  md5hex,
  randomData,
  sdkPartEtag,
  sha256hex,
  crc32hex,
} from '../support/files-client.js';
import { startTestHub, type TestHub } from '../support/hub.js';

const sqlite = backends()[0]!;

describe.each(storages())('files on $kind storage', (storage) => {
  let hub: TestHub;
  let files: FilesClient;
  let appResultId: string;
  let sampleId: string;
  let projectId: string;

  const newAppResult = async (client = files, name = 'result') => {
    const res = await fetch(`${hub.url}/v1pre3/projects/${projectId}/appresults`, {
      method: 'POST',
      headers: { 'x-access-token': client.token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ Name: name }),
    });
    return (await json(res)).Response;
  };

  beforeAll(async () => {
    hub = await startTestHub(sqlite, {
      storage,
      env: { SEQHUB_MAX_SINGLE_PART_BYTES: String(4 * 1024 * 1024) },
    });
    const { token } = await hub.newUser();
    files = new FilesClient(hub.url, token);
    const project = await json(
      await fetch(`${hub.url}/v1pre3/projects`, {
        method: 'POST',
        headers: { 'x-access-token': token, 'Content-Type': 'application/json' },
        body: JSON.stringify({ Name: 'Files' }),
      }),
    );
    projectId = project.Response.Id;
    appResultId = (await newAppResult()).Id;
    const sample = await json(
      await fetch(`${hub.url}/v1pre3/projects/${projectId}/samples`, {
        method: 'POST',
        headers: { 'x-access-token': token, 'Content-Type': 'application/json' },
        body: JSON.stringify({ Name: 'S1' }),
      }),
    );
    sampleId = sample.Response.Id;
  });
  afterAll(() => hub?.close());

  it('single-part upload streams any content type; metadata, lists and download agree', async () => {
    const data = randomData(1_500_000);
    const res = await files.upload(
      'appresults',
      appResultId,
      'reads.fastq.gz',
      'data/intensities',
      data,
      'application/gzip',
    );
    expect(res.status).toBe(200);
    const f = (await json(res)).Response;
    expect(f).toMatchObject({
      Name: 'reads.fastq.gz',
      Path: 'data/intensities/reads.fastq.gz',
      Size: data.length,
      ContentType: 'application/gzip',
      UploadStatus: 'complete',
      Href: `v1pre3/files/${f.Id}`,
      HrefContent: `v1pre3/files/${f.Id}/content`,
      ETag: md5hex(data),
      Sha256: sha256hex(data),
      Crc32: crc32hex(data),
    });
    expect(f.DateCreated).toMatch(/\.\d{7}Z$/);
    expect((await json(await files.get(`files/${f.Id}`))).Response).toEqual({
      ...f,
      Properties: {
        Items: [],
        DisplayedCount: 0,
        TotalCount: 0,
        Href: `v1pre3/files/${f.Id}/properties`,
      },
    });

    const { res: dl, body } = await files.bytes(`files/${f.Id}/content`);
    expect(dl.status).toBe(200);
    expect(md5hex(body)).toBe(md5hex(data));
    expect(dl.headers.get('content-length')).toBe(String(data.length));
    expect(dl.headers.get('etag')).toBe(`"${md5hex(data)}"`);
    expect(dl.headers.get('content-disposition')).toContain('filename="reads.fastq.gz"');
    expect(dl.headers.get('accept-ranges')).toBe('bytes');
    expect(
      (await files.get(`files/${f.Id}/content`, { 'If-None-Match': `"${md5hex(data)}"` })).status,
    ).toBe(304);

    // Text as the Python SDK sends it (text/plain), a non-ASCII name, and an empty file.
    const text = new TextEncoder().encode('sample\tQ30\nA\t93.1\n');
    const t = (await json(await files.upload('samples', sampleId, 'métriques é.tsv', '', text)))
      .Response;
    expect(t).toMatchObject({
      Name: 'métriques é.tsv',
      Path: 'métriques é.tsv',
      Size: text.length,
      ContentType: 'text/plain',
    });
    const { body: tb, res: tr } = await files.bytes(`files/${t.Id}/content`);
    expect(new TextDecoder().decode(tb)).toBe('sample\tQ30\nA\t93.1\n');
    expect(tr.headers.get('content-disposition')).toContain(
      "filename*=UTF-8''m%C3%A9triques%20%C3%A9.tsv",
    );
    const empty = (
      await json(await files.upload('samples', sampleId, 'empty.txt', 'x', new Uint8Array(0)))
    ).Response;
    expect(empty).toMatchObject({
      Size: 0,
      UploadStatus: 'complete',
      ETag: md5hex(new Uint8Array(0)),
    });
    expect((await files.bytes(`files/${empty.Id}/content`)).body.length).toBe(0);

    const list = (
      await json(
        await files.get(`appresults/${appResultId}/files?Limit=1024&Offset=0&SortBy=DateCreated`),
      )
    ).Response;
    expect(list.Items.map((i: { Id: string }) => i.Id)).toContain(f.Id);
    const sampleList = (await json(await files.get(`samples/${sampleId}/files?SortBy=Path`)))
      .Response;
    expect(sampleList.Items.map((i: { Path: string }) => i.Path)).toEqual([
      'métriques é.tsv',
      'x/empty.txt',
    ]);
    // The parents' and the project's TotalSize count the bytes.
    const ar = (await json(await files.get(`appresults/${appResultId}`))).Response;
    expect(ar.TotalSize).toBeGreaterThanOrEqual(data.length);
  });

  it('lists filter by Extensions (any case, with or without the dot) and Directory, and page', async () => {
    const ar = (await newAppResult(files, 'listing')).Id;
    for (const [name, dir] of [
      ['a.bam', 'aligned'],
      ['a.bam.bai', 'aligned'],
      ['b.VCF.GZ', 'variants'],
      ['c.vcf.gz', 'variants/deep'],
      ['notes.txt', ''],
    ]) {
      expect((await files.upload('appresults', ar, name!, dir!, randomData(10))).status).toBe(200);
    }
    const names = async (query: string) =>
      (await json(await files.get(`appresults/${ar}/files?${query}`))).Response.Items.map(
        (i: { Name: string }) => i.Name,
      );
    expect(await names('Extensions=.bam')).toEqual(['a.bam']);
    expect(await names('Extensions=vcf.gz,BAI')).toEqual(['a.bam.bai', 'b.VCF.GZ', 'c.vcf.gz']);
    expect(await names('extensions=gz&directory=variants&SortBy=Path&SortDir=Desc')).toEqual([
      'c.vcf.gz',
      'b.VCF.GZ',
    ]);
    expect(await names('Directory=variants/deep/')).toEqual(['c.vcf.gz']);
    const page = (await json(await files.get(`appresults/${ar}/files?Limit=2&Offset=4`))).Response;
    expect(page).toMatchObject({ DisplayedCount: 1, TotalCount: 5, Offset: 4, Limit: 2 });
    expect((await json(await files.get(`appresults/${ar}/files?Limit=1024`))).Response.Limit).toBe(
      1000,
    );
    expect((await files.get(`appresults/${ar}/files?Limit=1025`)).status).toBe(400);
    expect((await files.get(`appresults/${ar}/files?SortBy=Size`)).status).toBe(400);
  });

  it('multipart: parts concurrent, out of order and re-sent (last wins); complete assembles; immutable after', async () => {
    const partSize = 256 * 1024;
    const data = randomData(partSize * 5 + 1234);
    const parts = Array.from({ length: 6 }, (_, i) =>
      data.subarray(i * partSize, Math.min((i + 1) * partSize, data.length)),
    );
    const { res, body } = await files.initMultipart(
      'appresults',
      appResultId,
      'big.bam',
      'aligned',
      'application/octet-stream',
    );
    expect(res.status).toBe(200);
    const f = body.Response;
    expect(f).toMatchObject({
      UploadStatus: 'pending',
      Size: 0,
      Path: 'aligned/big.bam',
      HrefParts: `v1pre3/files/${f.Id}/parts`,
    });
    // Not visible in lists while pending.
    const before = (await json(await files.get(`appresults/${appResultId}/files?Limit=1000`)))
      .Response.Items;
    expect(before.map((i: { Id: string }) => i.Id)).not.toContain(f.Id);

    // Part 4 first sent with wrong bytes, then corrected: the last one wins.
    expect((await files.putPart(f.Id, 4, randomData(1000))).status).toBe(200);
    const order = [6, 2, 5, 4, 1, 3];
    const replies = await Promise.all(order.map((n) => files.putPart(f.Id, n, parts[n - 1]!)));
    for (const [i, r] of replies.entries()) {
      expect(r.status).toBe(200);
      const text = await r.text();
      expect(sdkPartEtag(text)).toBe(md5hex(parts[order[i]! - 1]!));
    }
    const listed = (await json(await files.get(`files/${f.Id}/parts`))).Response.Items;
    expect(listed.map((p: { Number: number }) => p.Number)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(listed[3]).toMatchObject({ ETag: md5hex(parts[3]!), Size: partSize });

    const done = await files.setStatus(f.Id, 'complete');
    expect(done.status).toBe(200);
    expect((await json(done)).Response).toMatchObject({
      UploadStatus: 'complete',
      Size: data.length,
      ETag: md5hex(data),
      Sha256: sha256hex(data),
      Crc32: crc32hex(data),
    });
    // The SDK then re-reads the file.
    expect((await json(await files.get(`files/${f.Id}`))).Response).toMatchObject({
      Size: data.length,
      UploadStatus: 'complete',
    });
    expect(md5hex((await files.bytes(`files/${f.Id}/content`)).body)).toBe(md5hex(data));
    // Completing again is harmless; parts and aborts are refused: a complete file is immutable.
    expect((await files.setStatus(f.Id, 'complete')).status).toBe(200);
    const late = await files.putPart(f.Id, 1, randomData(10));
    expect(late.status).toBe(409);
    expect((await json(late)).ResponseStatus.ErrorCode).toBe('BASESPACE.FILES.NOT_PENDING');
    expect((await files.setStatus(f.Id, 'aborted')).status).toBe(409);
    expect(md5hex((await files.bytes(`files/${f.Id}/content`)).body)).toBe(md5hex(data));
  });

  it('resume: after a dropped connection the client lists the parts held and sends only the rest', async () => {
    const size = 300_000;
    const parts = [randomData(size), randomData(size), randomData(size / 2)];
    const f = (await files.initMultipart('samples', sampleId, 'resume.fastq.gz')).body.Response;
    expect((await files.putPart(f.Id, 1, parts[0]!)).status).toBe(200);
    expect((await files.putPart(f.Id, 3, parts[2]!)).status).toBe(200);
    // Part 2 dies half-way: the body stream errors after some bytes.
    const dropped = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(parts[1]!.subarray(0, 100_000));
        setTimeout(() => controller.error(new Error('connection lost')), 50);
      },
    });
    await expect(
      fetch(`${hub.url}/v1pre3/files/${f.Id}/parts/2`, {
        method: 'PUT',
        headers: { 'x-access-token': files.token },
        body: dropped,
        duplex: 'half',
      } as RequestInit),
    ).rejects.toThrow();
    const held = (await json(await files.get(`files/${f.Id}/parts`))).Response.Items.map(
      (p: { Number: number }) => p.Number,
    );
    expect(held).toEqual([1, 3]);
    const incomplete = await files.setStatus(f.Id, 'complete');
    expect(incomplete.status).toBe(400);
    expect((await json(incomplete)).ResponseStatus).toMatchObject({
      ErrorCode: 'BASESPACE.FILES.UPLOAD_INCOMPLETE',
      Message: expect.stringContaining('missing part(s) 2'),
    });
    for (const n of [1, 2, 3].filter((x) => !held.includes(x)))
      expect((await files.putPart(f.Id, n, parts[n - 1]!)).status).toBe(200);
    const done = (await json(await files.setStatus(f.Id, 'complete'))).Response;
    const whole = new Uint8Array(Buffer.concat(parts));
    expect(done).toMatchObject({
      UploadStatus: 'complete',
      Size: whole.length,
      ETag: md5hex(whole),
    });
  });

  it('a completion cut short (its process died mid-assembly) is taken over; completions at once all answer the one complete file', async () => {
    const partSize = 200_000;
    const data = randomData(partSize * 3 + 17);
    const upload = async (name: string) => {
      const f = (await files.initMultipart('samples', sampleId, name)).body.Response;
      for (let n = 1; n <= 4; n++)
        expect(
          (await files.putPart(f.Id, n, data.subarray((n - 1) * partSize, n * partSize))).status,
        ).toBe(200);
      return f.Id as string;
    };
    const repos = hub.server.hub.repos;
    const sizeOf = async () =>
      (await json(await files.get(`samples/${sampleId}`))).Response.TotalSize as number;

    // What a kill -9 during assembly leaves: the file claimed for assembly, no process on it.
    const stuck = await upload('stuck.fastq.gz');
    expect(
      await repos.files.transition(stuck, 'pending', { uploadStatus: 'assembling' }),
    ).toBeTruthy();
    // Still "pending" on the wire, with its parts listed, so a client resumes it.
    expect((await json(await files.get(`files/${stuck}`))).Response.UploadStatus).toBe('pending');
    expect((await json(await files.get(`files/${stuck}/parts`))).Response.Items).toHaveLength(4);
    // Parts stay closed while it assembles.
    expect((await files.putPart(stuck, 1, randomData(10))).status).toBe(409);
    const before = await sizeOf();
    const taken = await files.setStatus(stuck, 'complete');
    expect(taken.status).toBe(200);
    expect((await json(taken)).Response).toMatchObject({
      UploadStatus: 'complete',
      Size: data.length,
      ETag: md5hex(data),
    });
    expect(md5hex((await files.bytes(`files/${stuck}/content`)).body)).toBe(md5hex(data));
    expect(await sizeOf()).toBe(before + data.length);

    // Several completions of one upload at once (client retries through several processes):
    // every one answers the complete file, and the parent's size counts it once.
    const racing = await upload('racing.fastq.gz');
    const again = await sizeOf();
    const replies = await Promise.all(
      Array.from({ length: 4 }, () => files.setStatus(racing, 'complete')),
    );
    for (const r of replies) {
      expect(r.status).toBe(200);
      expect((await json(r)).Response).toMatchObject({
        UploadStatus: 'complete',
        ETag: md5hex(data),
      });
    }
    expect(md5hex((await files.bytes(`files/${racing}/content`)).body)).toBe(md5hex(data));
    expect(await sizeOf()).toBe(again + data.length);
  });

  it('a wrong Content-MD5 is rejected and the part is not kept; an empty upload cannot complete', async () => {
    const f = (await files.initMultipart('appresults', appResultId, 'md5.bin')).body.Response;
    const part = randomData(1000);
    const bad = await files.putPart(f.Id, 1, part, { md5: md5b64(randomData(5)) });
    expect(bad.status).toBe(400);
    expect((await json(bad)).ResponseStatus.ErrorCode).toBe('BASESPACE.FILES.CHECKSUM_MISMATCH');
    expect((await files.putPart(f.Id, 1, part, { md5: 'not base64 md5' })).status).toBe(400);
    expect((await json(await files.get(`files/${f.Id}/parts`))).Response.Items).toEqual([]);
    const none = await files.setStatus(f.Id, 'complete');
    expect(none.status).toBe(400);
    expect((await json(none)).ResponseStatus.ErrorCode).toBe('BASESPACE.FILES.UPLOAD_INCOMPLETE');
    expect((await files.putPart(f.Id, 0, part)).status).toBe(400);
    expect((await files.putPart(f.Id, 10001, part)).status).toBe(400);
    expect((await files.putPart(f.Id, 1, part, { md5: null })).status).toBe(200);
    // Aborted: invisible, and takes nothing more.
    expect((await files.setStatus(f.Id, 'aborted')).status).toBe(200);
    expect((await files.get(`files/${f.Id}`)).status).toBe(404);
    expect((await files.putPart(f.Id, 2, part)).status).toBe(404);
  });

  it.each([
    ['bytes=0-0', 206, (d: Uint8Array) => d.subarray(0, 1)],
    ['bytes=-1', 206, (d: Uint8Array) => d.subarray(d.length - 1)],
    ['bytes=1000-1999', 206, (d: Uint8Array) => d.subarray(1000, 2000)],
    ['bytes=-500', 206, (d: Uint8Array) => d.subarray(d.length - 500)],
    ['bytes=4000-', 206, (d: Uint8Array) => d.subarray(4000)],
    ['bytes=4000-999999', 206, (d: Uint8Array) => d.subarray(4000)],
    ['bytes=0-1,5-6', 200, (d: Uint8Array) => d],
    ['items=0-1', 200, (d: Uint8Array) => d],
  ])('Range %s -> %i', async (range, status, expected) => {
    const data = randomData(5000);
    const f = (
      await json(await files.upload('appresults', appResultId, `r${Math.random()}.bin`, '', data))
    ).Response;
    const { res, body } = await files.bytes(`files/${f.Id}/content`, { Range: range });
    expect(res.status).toBe(status);
    expect(md5hex(body)).toBe(md5hex(expected(data)));
    if (status === 206) {
      const want = expected(data);
      const start =
        data.length -
        want.length -
        (range === 'bytes=0-0' ? data.length - 1 : range === 'bytes=1000-1999' ? 3000 : 0);
      expect(res.headers.get('content-range')).toBe(
        `bytes ${start}-${start + want.length - 1}/${data.length}`,
      );
      expect(res.headers.get('content-length')).toBe(String(want.length));
    }
  });

  it.each(['bytes=5000-', 'bytes=9999-10000', 'bytes=50-10', 'bytes=abc', 'bytes=-0', 'bytes=-'])(
    'invalid Range %s -> 416',
    async (range) => {
      const data = randomData(5000);
      const f = (
        await json(
          await files.upload('appresults', appResultId, `bad${Math.random()}.bin`, '', data),
        )
      ).Response;
      const res = await files.get(`files/${f.Id}/content`, { Range: range });
      expect(res.status).toBe(416);
      expect((await json(res)).ResponseStatus.ErrorCode).toBe(
        'BASESPACE.FILES.RANGE_NOT_SATISFIABLE',
      );
    },
  );

  it('redirect=meta gives an absolute URL that works with no auth header, with Range; redirect=true is a 302 to it', async () => {
    const data = randomData(70_000);
    const f = (await json(await files.upload('appresults', appResultId, 'signed.vcf', '', data)))
      .Response;
    const meta = await json(await files.get(`files/${f.Id}/content?redirect=meta`));
    expect(meta.ResponseStatus).toEqual({});
    const { HrefContent, Expires, SupportsRange } = meta.Response;
    expect(HrefContent).toMatch(/^https?:\/\//);
    expect(SupportsRange).toBe(true);
    expect(Date.parse(Expires)).toBeGreaterThan(Date.now());
    const plain = await fetch(HrefContent);
    expect(plain.status).toBe(200);
    expect(md5hex(new Uint8Array(await plain.arrayBuffer()))).toBe(md5hex(data));
    const ranged = await fetch(HrefContent, { headers: { Range: 'bytes=0-1' } });
    expect(ranged.status).toBe(206);
    expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(data.subarray(0, 2));
    // Altered: another signature, or the URL pointed at another file.
    const altered = HrefContent.replace(
      /(signature=|Signature=)([A-Za-z0-9_-])/,
      (_m: string, k: string, c: string) => `${k}${c === 'A' ? 'B' : 'A'}`,
    );
    expect(altered).not.toBe(HrefContent);
    expect((await fetch(altered)).status).toBe(403);
    const redirect = await files.get(`files/${f.Id}/content?redirect=true`);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toMatch(/^https?:\/\//);
    expect(
      md5hex(new Uint8Array(await (await fetch(redirect.headers.get('location')!)).arrayBuffer())),
    ).toBe(md5hex(data));
  });

  it('content past the send buffers (several 1 MiB reads): whole, ranges across chunk edges, HEAD, and a client gone mid-download leaves the hub serving', async () => {
    const MiB = 1024 * 1024;
    const data = randomData(3 * MiB + 700_001);
    const f = (await json(await files.upload('appresults', appResultId, 'big.bin', '', data)))
      .Response;
    const { HrefContent } = (await json(await files.get(`files/${f.Id}/content?redirect=meta`)))
      .Response;
    const own = `${hub.url}/v1pre3/files/${f.Id}/content`;
    // The signed URL is the hub's on local storage, the store's own (pre-signed) on S3.
    for (const url of [own, HrefContent as string]) {
      const whole = await fetch(url, { headers: { 'x-access-token': files.token } });
      expect(whole.status).toBe(200);
      expect(whole.headers.get('content-length')).toBe(String(data.length));
      if (url === own) {
        // The hub's own headers (onSend hooks) still come with a streamed body.
        expect(whole.headers.get('x-content-type-options')).toBe('nosniff');
        expect(whole.headers.get('x-request-id')).toBeTruthy();
      }
      expect(md5hex(new Uint8Array(await whole.arrayBuffer()))).toBe(md5hex(data));
      for (const [start, end] of [
        [MiB - 1, 3 * MiB + 1],
        [0, data.length - 1],
        [2 * MiB, 2 * MiB],
        [data.length - 10, data.length - 1],
      ] as const) {
        const part = await fetch(url, {
          headers: { 'x-access-token': files.token, Range: `bytes=${start}-${end}` },
        });
        expect(part.status).toBe(206);
        expect(part.headers.get('content-range')).toBe(`bytes ${start}-${end}/${data.length}`);
        const got = Buffer.from(await part.arrayBuffer());
        expect(got.equals(data.subarray(start, end + 1))).toBe(true);
      }
    }
    const head = await fetch(own, { method: 'HEAD', headers: { 'x-access-token': files.token } });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(data.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    // Gone after the first bytes: the hub stops sending, and the next download is whole.
    const target = new URL(own);
    await new Promise<void>((ok, fail) => {
      const socket = connect(Number(target.port), target.hostname, () =>
        socket.write(
          `GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nx-access-token: ${files.token}\r\n\r\n`,
        ),
      );
      socket.once('data', () => {
        socket.destroy();
        ok();
      });
      socket.once('error', fail);
    });
    const again = await fetch(own, { headers: { 'x-access-token': files.token } });
    expect(md5hex(new Uint8Array(await again.arrayBuffer()))).toBe(md5hex(data));
  });

  it('HEAD of content answers from the record without reading the bytes (whole and ranged)', async () => {
    const data = randomData(2 * 1024 * 1024 + 17);
    const f = (await json(await files.upload('appresults', appResultId, 'head.bin', '', data)))
      .Response;
    const own = `${hub.url}/v1pre3/files/${f.Id}/content`;
    const headers = { 'x-access-token': files.token };
    if (storage.kind === 'local') {
      // Take the stored bytes away: a HEAD that opened them would fail now, one that only
      // reads the record does not.
      const blob = findFiles(hub.dataDir).find((p) => statSync(p).size === data.length);
      expect(blob).toBeDefined();
      unlinkSync(blob!);
    }
    const head = await fetch(own, { method: 'HEAD', headers });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(data.length));
    expect(head.headers.get('accept-ranges')).toBe('bytes');
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const ranged = await fetch(own, {
      method: 'HEAD',
      headers: { ...headers, Range: 'bytes=5-9' },
    });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-length')).toBe('5');
    expect(ranged.headers.get('content-range')).toBe(`bytes 5-9/${data.length}`);
    // The hub keeps serving after both.
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
  });

  it('a single-part upload over the limit is a 413 and leaves nothing visible', async () => {
    const ar = (await newAppResult(files, 'too big')).Id;
    const res = await files.upload(
      'appresults',
      ar,
      'huge.bin',
      '',
      randomData(4 * 1024 * 1024 + 1),
    );
    expect(res.status).toBe(413);
    expect((await json(res)).ResponseStatus.ErrorCode).toBe('PayloadTooLarge');
    expect((await json(await files.get(`appresults/${ar}/files`))).Response.TotalCount).toBe(0);
    expect((await json(await files.get(`appresults/${ar}`))).Response.TotalSize).toBe(0);
  });

  it.each([
    ['../escape.txt', ''],
    ['ok.txt', '../up'],
    ['ok.txt', 'a/../../b'],
    ['ok.txt', '/etc'],
    ['ok.txt', 'a//b'],
    ['a/b.txt', ''],
    ['bad\u0000.txt', ''],
    ['bad\u0007.txt', ''],
    ['ok.txt', 'dir\u001b[31m'],
    ['back\\slash.txt', ''],
    ['.', ''],
    ['', ''],
  ])(
    'name %j in directory %j is refused with 400 and nothing is written',
    async (name, directory) => {
      const ar = (await newAppResult(files, 'paths')).Id;
      const single = await files.upload('appresults', ar, name, directory, randomData(10));
      expect(single.status).toBe(400);
      expect((await json(single)).ResponseStatus.ErrorCode).toBe('BadRequest');
      const multi = await files.initMultipart('appresults', ar, name, directory);
      expect(multi.res.status).toBe(400);
      expect((await json(await files.get(`appresults/${ar}/files`))).Response.TotalCount).toBe(0);
    },
  );

  it("another user's files, parts and parents are invisible (404)", async () => {
    const f = (
      await json(await files.upload('appresults', appResultId, 'private.txt', '', randomData(100)))
    ).Response;
    const pending = (await files.initMultipart('appresults', appResultId, 'private.bam')).body
      .Response;
    const other = new FilesClient(hub.url, (await hub.newUser()).token);
    for (const path of [
      `files/${f.Id}`,
      `files/${f.Id}/content`,
      `files/${f.Id}/content?redirect=meta`,
      `files/${pending.Id}/parts`,
      `appresults/${appResultId}/files`,
      `samples/${sampleId}/files`,
    ]) {
      const res = await other.get(path);
      expect(res.status, path).toBe(404);
      expect(JSON.stringify(await json(res))).not.toContain('private');
    }
    expect((await other.putPart(pending.Id, 1, randomData(10))).status).toBe(404);
    expect((await other.setStatus(pending.Id, 'complete')).status).toBe(404);
    expect(
      (await other.upload('appresults', appResultId, 'intruder.txt', '', randomData(10))).status,
    ).toBe(404);
  });

  it('no uploads into a finished AppSession; scope decides who may download', async () => {
    const r = await newAppResult(files, 'closed');
    await fetch(`${hub.url}/v1pre3/appsessions/${r.AppSession.Id}`, {
      method: 'POST',
      headers: { 'x-access-token': files.token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ status: 'complete' }),
    });
    const res = await files.upload('appresults', r.Id, 'late.txt', '', randomData(10));
    expect(res.status).toBe(409);
    expect((await json(res)).ResponseStatus.ErrorCode).toBe('BASESPACE.APPSESSIONS.NOT_WORKABLE');

    const f = (
      await json(await files.upload('appresults', appResultId, 'scoped.txt', '', randomData(100)))
    ).Response;
    const owner = (await json(await files.get('users/current'))).Response;
    const browseOnly = new FilesClient(
      hub.url,
      await hub.tokenFor({ ...owner, id: owner.Id }, `browse project ${projectId}`),
    );
    expect((await browseOnly.get(`files/${f.Id}`)).status).toBe(200);
    expect((await browseOnly.get(`files/${f.Id}/content`)).status).toBe(403);
    const reader = new FilesClient(
      hub.url,
      await hub.tokenFor({ ...owner, id: owner.Id }, `read project ${projectId}`),
    );
    expect((await reader.get(`files/${f.Id}/content`)).status).toBe(200);
    expect(
      (await reader.upload('appresults', appResultId, 'nope.txt', '', randomData(10))).status,
    ).toBe(403);
  });
});

describe('signed URLs expire', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(sqlite, { env: { SEQHUB_SIGNED_URL_TTL: '1' } });
  });
  afterAll(() => hub?.close());

  it('a signed URL stops working after its TTL', async () => {
    const { token } = await hub.newUser();
    const files = new FilesClient(hub.url, token);
    const p = await json(
      await fetch(`${hub.url}/v1pre3/projects`, {
        method: 'POST',
        headers: { 'x-access-token': token, 'content-type': 'application/json' },
        body: '{"Name":"ttl"}',
      }),
    );
    const r = await json(
      await fetch(`${hub.url}/v1pre3/projects/${p.Response.Id}/appresults`, {
        method: 'POST',
        headers: { 'x-access-token': token, 'content-type': 'application/json' },
        body: '{"Name":"ttl"}',
      }),
    );
    const f = (
      await json(await files.upload('appresults', r.Response.Id, 'x.txt', '', randomData(10)))
    ).Response;
    const url = (await json(await files.get(`files/${f.Id}/content?redirect=meta`))).Response
      .HrefContent;
    expect((await fetch(url)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect((await json(expired)).ResponseStatus.ErrorCode).toBe(
      'BASESPACE.FILES.SIGNATURE_INVALID',
    );
  });
});

/** Every regular file under a directory. */
function findFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? findFiles(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}
