import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { genomicsKey, type GenomicsManifest } from '../../src/domain/index.js';
import { parseVcfHeader, parseVcfRecord } from '../../src/formats/index.js';
import { variant } from '../../src/http/presenters/genomics.presenter.js';
import { variantAnswers } from '../../src/http/presenters/variant-json.presenter.js';
import { backends } from '../support/backends.js';
import { json } from '../support/files-client.js';
import { NA12878, fixture, haveTools, uploadTarget } from '../support/genomics.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * Variant pages over HTTP, whole answers byte for byte: the JSON equals what the object path
 * (`variant(parseVcfRecord(line))` in okList's envelope, through JSON.stringify) made of the lines
 * `tabix` prints for the same region, page and order; `Format=vcf` equals tabix's text. On the
 * edge-case file (escapes, numbers JavaScript rewrites, reordered and dropped keys, missing
 * columns, a gVCF block, CRLF) and on real multi-sample files.
 */

const EDGE = 'variant-edge-cases.vcf';
const PICARD = 'picard-mini.300.vcf.gz';

describe.skipIf(!haveTools()).each(backends())('variant pages on $kind', (backend) => {
  let hub: TestHub;
  let get: (path: string) => Promise<{ status: number; text: string; type: string | null }>;
  let upload: (name: string, bytes: Buffer) => Promise<string>;
  const ids = new Map<string, string>();
  const samples = new Map<string, string[]>();
  const dir = mkdtempSync(join(tmpdir(), 'seqhub-variant-pages-'));
  const ref = (name: string) => join(dir, name.endsWith('.gz') ? name : `${name}.gz`);

  beforeAll(async () => {
    hub = await startTestHub(backend);
    const { files, appResult } = await uploadTarget(hub, 'Variants', 'calls');
    upload = async (name, bytes) => {
      const file = (await json(await files.upload('appresults', appResult.Id, name, 'v', bytes)))
        .Response;
      for (let i = 0; i < 600; i++) {
        const now = (await json(await files.get(`files/${file.Id}`))).Response;
        if (now.IndexStatus !== 'pending') {
          expect(now.IndexStatus, `${name}: ${now.IndexMessage}`).toBe('ready');
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      return file.Id as string;
    };
    get = async (path) => {
      const res = await files.get(path);
      return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
    };
    for (const name of [EDGE, PICARD, NA12878]) {
      const bytes = readFileSync(fixture(name));
      if (name.endsWith('.gz')) copyFileSync(fixture(name), ref(name));
      else writeFileSync(ref(name), execFileSync('bgzip', ['-c', fixture(name)]));
      execFileSync('tabix', ['-f', '-p', 'vcf', ref(name)]);
      const text = (name.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
      samples.set(name, parseVcfHeader(text.split(/^(?=[^#])/m)[0]!).samples);
      ids.set(name, await upload(name, bytes));
    }
  }, 60_000);
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tabixLines = (name: string, region: string) => {
    const out = execFileSync('tabix', [ref(name), region]).toString('utf8');
    return out === '' ? [] : out.replace(/\n$/, '').split('\n');
  };

  /** The whole JSON answer as the object path wrote it. */
  const expected = (
    name: string,
    all: string[],
    page: { offset: number; limit: number; desc: boolean },
  ) => {
    const ordered = page.desc ? [...all].reverse() : all;
    const items = ordered.slice(page.offset, page.offset + Math.min(page.limit, 1000));
    return JSON.stringify({
      Response: {
        Items: items.map((l) => variant(parseVcfRecord(l, samples.get(name)!))),
        DisplayedCount: items.length,
        TotalCount: all.length,
        Offset: page.offset,
        Limit: Math.min(page.limit, 1000),
        SortDir: page.desc ? 'Desc' : 'Asc',
        SortBy: 'Position',
      },
      ResponseStatus: {},
      Notifications: [],
    });
  };

  const check = async (
    name: string,
    chrom: string,
    s: number,
    e: number,
    page: { offset: number; limit: number; desc: boolean },
    asked = chrom,
  ) => {
    const all = tabixLines(name, `${chrom}:${s}-${e}`);
    expect(all.length, `${name} ${chrom}:${s}-${e}`).toBeGreaterThan(0);
    const query = `StartPos=${s}&EndPos=${e}&Offset=${page.offset}&Limit=${page.limit}${page.desc ? '&SortDir=Desc' : ''}`;
    const res = await get(`variantset/${ids.get(name)}/variants/${asked}?${query}`);
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json; charset=utf-8');
    expect(res.text, `${name} ${chrom}:${s}-${e} ${query}`).toBe(expected(name, all, page));
    const vcf = await get(`variantset/${ids.get(name)}/variants/${asked}?${query}&Format=vcf`);
    expect(vcf.status).toBe(200);
    expect(vcf.type).toBe('text/plain; charset=utf-8');
    const ordered = page.desc ? [...all].reverse() : all;
    expect(vcf.text).toBe(
      ordered
        .slice(page.offset, page.offset + Math.min(page.limit, 1000))
        .map((l) => `${l}\n`)
        .join(''),
    );
  };

  it('the edge cases: every record, pages, reversed pages, a gVCF block reaching into the region', async () => {
    await check(EDGE, 'chrE', 1, 100_000, { offset: 0, limit: 1000, desc: false });
    await check(EDGE, 'chrE', 1, 100_000, { offset: 3, limit: 5, desc: false });
    await check(EDGE, 'chrE', 1, 100_000, { offset: 2, limit: 4, desc: true });
    await check(EDGE, 'chrE', 850, 955, { offset: 0, limit: 1024, desc: false });
    // An offset past the last record: no items, the count still there (JSON and VCF).
    await check(EDGE, 'chrE', 1, 100_000, { offset: 500, limit: 10, desc: false });
    await check(EDGE, 'chrE', 1, 100_000, { offset: 0, limit: 0, desc: true });
  });

  it('real multi-sample files: random regions and pages equal the object path on tabix lines', async () => {
    let seed = 11;
    const rand = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    for (let i = 0; i < 8; i++) {
      const s = 69_000 + rand(400_000);
      const all = tabixLines(PICARD, `1:${s}-${s + 200_000}`);
      if (all.length === 0) continue;
      await check(PICARD, '1', s, s + 200_000, {
        offset: rand(3),
        limit: [1000, 7, 1][rand(3)]!,
        desc: rand(2) === 0,
      });
    }
    await check(PICARD, '1', 1, 249_250_621, { offset: 0, limit: 1000, desc: false });
    await check(NA12878, '17', 41_200_000, 41_250_000, { offset: 0, limit: 1000, desc: false });
    await check(
      NA12878,
      '17',
      41_100_000,
      41_300_000,
      { offset: 10, limit: 100, desc: true },
      'chr17',
    );
  });

  it('many answers in flight at once (pooled buffers): each the same bytes as asked alone, buffers given back', async () => {
    let seed = 5;
    const rand = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    const paths: string[] = [];
    for (let i = 0; i < 24; i++) {
      const s = 69_000 + rand(400_000);
      const query = `StartPos=${s}&EndPos=${s + 100_000 + rand(200_000)}&Offset=${rand(3)}&Limit=${[1000, 50][rand(2)]}${rand(2) ? '&SortDir=Desc' : ''}`;
      paths.push(`variantset/${ids.get(PICARD)}/variants/1?${query}`);
      paths.push(
        `variantset/${ids.get(NA12878)}/variants/17?StartPos=${41_100_000 + rand(100_000)}&EndPos=41300000&Limit=1000`,
      );
    }
    const all = [...paths, ...paths.map((p) => `${p}&Format=vcf`)];
    const alone: { status: number; text: string }[] = [];
    for (const p of all) alone.push(await get(p));
    // Some regions of the sparse PICARD file hold no records: their 404s are compared too.
    expect(alone.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(all.length / 4);
    // An empty pool first: whatever it holds afterwards came back on a response's 'finish'.
    while (variantAnswers.held > 0) variantAnswers.take();
    for (let round = 0; round < 3; round++) {
      const together = await Promise.all(all.map((p) => get(p)));
      together.forEach((res, i) => {
        expect(res.status, all[i]).toBe(alone[i]!.status);
        expect(res.text, all[i]).toBe(alone[i]!.text);
      });
    }
    expect(variantAnswers.held).toBeGreaterThanOrEqual(1);
  });

  it('bad paging and regions on the new path: 4xx in the envelope, never a 500', async () => {
    const id = ids.get(EDGE)!;
    for (const [query, status, code] of [
      ['Offset=-1', 400, 'BadRequest'],
      ['Offset=abc', 400, 'BadRequest'],
      ['Limit=-3', 400, 'BadRequest'],
      ['Format=vcf&StartPos=90000&EndPos=95000', 404, 'BASESPACE.GENOMICS.NOT_FOUND'],
      ['StartPos=5&EndPos=1', 400, 'BASESPACE.GENOMICS.REGION_INVALID'],
    ] as const) {
      const res = await get(`variantset/${id}/variants/chrE?${query}`);
      expect(res.status, query).toBe(status);
      expect(JSON.parse(res.text).ResponseStatus.ErrorCode, query).toBe(code);
    }
  });
  it('stored data corrupt or cut after indexing: a 409 saying so at query time, never a 500; the hub keeps serving', async () => {
    const blobs = hub.server.hub.blobs;
    const spoilers: [string, (b: Buffer) => Buffer][] = [
      [
        'flipped',
        (b) => {
          const out = Buffer.from(b);
          for (let i = 0; i < 400; i++) out[100 + i * 7] = out[100 + i * 7]! ^ 0x5a;
          return out;
        },
      ],
      ['cut', (b) => b.subarray(0, Math.floor(b.length / 2))],
    ];
    for (const [how, spoil] of spoilers) {
      const id = await upload(`spoilt-${how}.vcf.gz`, readFileSync(fixture(NA12878)));
      const manifest = JSON.parse(
        (
          await blobs.readRange(genomicsKey(id, 'manifest.json'), { start: 0, end: 1 << 20 })
        ).toString('utf8'),
      ) as GenomicsManifest;
      const good = await blobs.readRange(manifest.dataKey, {
        start: 0,
        end: manifest.dataSize - 1,
      });
      await blobs.write(manifest.dataKey, Readable.from([spoil(good)]));
      for (const format of ['', '&Format=vcf']) {
        const res = await get(`variantset/${id}/variants/17?StartPos=1&EndPos=81195210${format}`);
        expect(res.status, `${how}${format}: ${res.text}`).toBe(409);
        const body = JSON.parse(res.text);
        expect(body.ResponseStatus.ErrorCode).toBe('BASESPACE.GENOMICS.NOT_INDEXED');
        expect(body.ResponseStatus.Message).toMatch(/corrupt data: .*(BGZF|truncated|inflate)/);
      }
    }
    await check(NA12878, '17', 41_200_000, 41_250_000, { offset: 0, limit: 1000, desc: false });
  });
});
