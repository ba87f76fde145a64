import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, storages } from '../support/backends.js';
import { json } from '../support/files-client.js';
import {
  NA12878,
  QUIET,
  fixture,
  haveTools,
  samtoolsDepth,
  uploadTarget,
} from '../support/genomics.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * Variants and coverage over HTTP (issue 7) against the htslib tools on the same real files:
 * `tabix`/`bcftools view -r` for variant regions, `samtools depth -a` (default filters: no
 * unmapped, secondary, QC-fail or duplicate reads; deletions and skips not counted) for coverage.
 */

/** A hub with a project and an app result to upload into, and helpers for the genomic routes. */
async function genomicsHub(hub: TestHub) {
  const { token, files, project, appResult } = await uploadTarget(hub, 'Genomics', 'calls');
  /** Uploads and waits for indexing to settle; returns the File as GET files/{id} shows it. */
  const upload = async (name: string, bytes: Uint8Array): Promise<any> => {
    const res = await files.upload('appresults', appResult.Id, name, 'genomics', bytes);
    expect(res.status).toBe(200);
    const file = (await json(res)).Response;
    if (!/\.(bam|vcf|vcf\.gz)$/.test(name)) {
      expect(file.IndexStatus).toBeUndefined();
      return file;
    }
    expect(file.IndexStatus).toBe('pending');
    expect(file.HrefVariants).toBeUndefined();
    for (let i = 0; i < 600; i++) {
      const now = (await json(await files.get(`files/${file.Id}`))).Response;
      if (now.IndexStatus !== 'pending') return now;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`file ${name} still indexing after 30 s`);
  };
  const get = async (path: string) => {
    const res = await files.get(path);
    const text = await res.text();
    return { status: res.status, text, body: text.startsWith('{') ? JSON.parse(text) : undefined };
  };
  return { token, files, project, appResult, upload, get };
}

describe.skipIf(!haveTools()).each(backends())('genomic queries on $kind', (backend) => {
  let hub: TestHub;
  let h: Awaited<ReturnType<typeof genomicsHub>>;
  const dir = mkdtempSync(join(tmpdir(), 'seqhub-genomics-http-'));
  /** Reference copies with htslib's own indexes. */
  const ref = (name: string) => join(dir, name);

  beforeAll(async () => {
    // The embedded queue on both databases: a test reads its `jobs` table.
    hub = await startTestHub(backend, { env: { SEQHUB_QUEUE: 'embedded' } });
    h = await genomicsHub(hub);
    for (const name of [NA12878, 'raw.g.vcf.gz', 'volvox.test.vcf.gz']) {
      copyFileSync(fixture(name), ref(name));
      execFileSync('tabix', ['-p', 'vcf', ref(name)]);
    }
    for (const name of ['volvox-sorted.bam', 'paired.bam']) {
      copyFileSync(fixture(name), ref(name));
      execFileSync('samtools', ['index', ref(name)]);
    }
  }, 60_000);
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tabix = (name: string, region: string) =>
    execFileSync('tabix', [ref(name), region], { maxBuffer: 1 << 28 }).toString();

  it('a bgzipped VCF: ready with HrefVariants; header; every region equals tabix and bcftools view -r', async () => {
    const file = await h.upload(NA12878, readFileSync(fixture(NA12878)));
    expect(file).toMatchObject({
      IndexStatus: 'ready',
      HrefVariants: `v1pre3/variantset/${file.Id}`,
    });
    expect(file.HrefCoverage).toBeUndefined();
    // Indexing ran as a job of the hub's queue (any worker process can take it).
    const job = await hub.server.hub.db.db
      .selectFrom('jobs')
      .selectAll()
      .where('singleton_key', '=', `index-file-${file.Id}`)
      .executeTakeFirstOrThrow();
    expect(job).toMatchObject({ name: 'index-file', state: 'completed' });

    const header = await h.get(`variantset/${file.Id}`);
    expect(header.status).toBe(200);
    expect(header.body.Response.Metadata.fileformat).toMatch(/^VCFv4/);
    expect(header.body.Response.Legends.INFO.length).toBeGreaterThan(0);
    expect(header.body.Response.Legends.INFO[0]).toHaveProperty('ID');
    expect(header.body.Response.Legends.INFO[0]).toHaveProperty('Description');
    const headerText = execFileSync('bcftools', ['view', '-h', ref(NA12878)], {
      stdio: QUIET,
    }).toString();
    const samples = headerText
      .split('\n')
      .find((l) => l.startsWith('#CHROM'))!
      .split('\t')
      .slice(9);
    expect(Object.keys(header.body.Response.Samples)).toEqual(samples);
    const raw = await h.get(`variantset/${file.Id}?Format=vcf`);
    expect(raw.text).toBe(
      gunzipSync(readFileSync(fixture(NA12878)))
        .toString()
        .split(/^(?=[^#])/m)[0],
    );

    // Random regions (a fixed seed) across the calls, plus the edges.
    const regions: [number, number][] = [
      [41_200_000, 41_250_000],
      [1, 41_101_001],
      [41_299_928, 41_299_928],
      [41_100_000, 41_300_000],
    ];
    let seed = 7;
    for (let i = 0; i < 40; i++) {
      seed = (seed * 48271) % 2147483647;
      const s = 41_100_000 + (seed % 200_000);
      regions.push([s, s + (seed % 7) * 2_000 + 1]);
    }
    for (const [s, e] of regions) {
      const expected = tabix(NA12878, `17:${s}-${e}`);
      const bcf = execFileSync('bcftools', ['view', '-H', '-r', `17:${s}-${e}`, ref(NA12878)], {
        stdio: QUIET,
      }).toString();
      expect(bcf).toBe(expected);
      const vcf = await h.get(
        `variantset/${file.Id}/variants/17?StartPos=${s}&EndPos=${e}&Format=vcf&Limit=1000`,
      );
      if (expected === '') {
        expect(vcf.status, `17:${s}-${e}`).toBe(404);
        expect(vcf.body.ResponseStatus.ErrorCode).toBe('BASESPACE.GENOMICS.NOT_FOUND');
        continue;
      }
      expect(vcf.status).toBe(200);
      expect(vcf.text, `17:${s}-${e}`).toBe(expected);
      const page = await h.get(
        `variantset/${file.Id}/variants/chr17?StartPos=${s}&EndPos=${e}&Limit=1000`,
      );
      const lines = expected.trimEnd().split('\n');
      expect(page.body.Response.TotalCount).toBe(lines.length);
      expect(
        page.body.Response.Items.map((v: any) => `${v.CHROM}:${v.POS}:${v.REF}:${v.ALT}`),
      ).toEqual(
        lines.map((l) =>
          l
            .split('\t')
            .slice(0, 5)
            .filter((_, k) => k !== 2)
            .join(':'),
        ),
      );
    }
    // One record in full: values are the file's text.
    const one = await h.get(
      `files/${file.Id}/variants/17?StartPos=41200000&EndPos=41250000&Limit=1`,
    );
    const line = tabix(NA12878, '17:41200000-41250000').split('\n')[0]!.split('\t');
    const v = one.body.Response.Items[0];
    expect(v).toMatchObject({
      CHROM: line[0],
      POS: Number(line[1]),
      REF: line[3],
      ALT: line[4],
      FILTER: line[6],
    });
    expect(v.ID).toEqual(line[2] === '.' ? [] : line[2]!.split(';'));
    const keys = line[8]!.split(':');
    const values = line[9]!.split(':');
    expect(v.SampleFormat[samples[0]!]).toEqual(
      Object.fromEntries(keys.map((k, i) => [k, values[i]])),
    );
    for (const pair of line[7]!.split(';')) {
      const [k, val] = pair.split('=');
      expect(v.INFO[k!]).toEqual(val === undefined ? [] : val.split(','));
    }
  });

  it('a plain-text gVCF is re-compressed and indexed; pages of 1000 add up to bcftools view -r', async () => {
    const text = gunzipSync(readFileSync(fixture('raw.g.vcf.gz')));
    const file = await h.upload('raw.g.vcf', text);
    expect(file.IndexStatus).toBe('ready');
    const expected = tabix('raw.g.vcf.gz', 'ctgA:1000-5000').trimEnd().split('\n');
    expect(expected.length).toBeGreaterThan(1000);
    const seen: string[] = [];
    for (let offset = 0; offset < expected.length; offset += 1000) {
      const page = await h.get(
        `variantset/${file.Id}/variants/ctgA?StartPos=1000&EndPos=5000&Offset=${offset}&Limit=1024`,
      );
      expect(page.body.Response.DisplayedCount).toBe(Math.min(1000, expected.length - offset));
      expect(page.body.Response.TotalCount).toBe(expected.length);
      seen.push(...page.body.Response.Items.map((v: any) => `${v.POS}`));
    }
    expect(seen).toEqual(expected.map((l) => l.split('\t')[1]));
    const desc = await h.get(
      `variantset/${file.Id}/variants/ctgA?StartPos=1000&EndPos=5000&Limit=3&SortDir=Desc`,
    );
    expect(desc.body.Response.Items.map((v: any) => `${v.POS}`)).toEqual(
      expected
        .slice(-3)
        .reverse()
        .map((l) => l.split('\t')[1]),
    );
    // gVCF blocks overlap by their END, as tabix counts them.
    const vcf = await h.get(`variantset/${file.Id}/variants/ctgB?Format=vcf&Limit=1000`);
    expect(vcf.text).toBe(tabix('raw.g.vcf.gz', 'ctgB'));
  });

  it('a BAM: HrefCoverage; bucket means at every zoom equal samtools depth -a; meta; chr prefix', async () => {
    const file = await h.upload('volvox-sorted.bam', readFileSync(fixture('volvox-sorted.bam')));
    expect(file).toMatchObject({
      IndexStatus: 'ready',
      HrefCoverage: `v1pre3/coverage/${file.Id}`,
    });
    expect(file.HrefVariants).toBeUndefined();
    const depth = samtoolsDepth(ref('volvox-sorted.bam'), 'ctgA').get('ctgA')!;
    const length = 50_001;
    expect(depth.length).toBe(length);
    const meta = await h.get(`coverage/${file.Id}/ctgA/meta`);
    expect(meta.body.Response).toMatchObject({
      MaxCoverage: Math.max(...depth),
      CoverageGranularity: 128,
      Length: length,
    });
    const expectedMeans = (start: number, end: number, bucket: number) => {
      const out: number[] = [];
      for (let b = Math.floor((start - 1) / bucket) * bucket; b < end; b += bucket) {
        let sum = 0;
        const stop = Math.min(b + bucket, length);
        for (let p = b; p < stop; p++) sum += depth[p]!;
        out.push(Math.fround(sum / (stop - b)));
      }
      return out;
    };
    for (const [s, e] of [
      [1, 128],
      [1, 50_001],
      [129, 1280],
      [4_000, 4_000],
      [33_333, 44_444],
      [49_900, 50_001],
    ] as const) {
      for (const zoom of [0, 1, 3, 6, 9]) {
        const bucket = 128 * 2 ** zoom;
        const res = await h.get(
          `coverage/${file.Id}/ctgA?StartPos=${s}&EndPos=${e}&zoomLevel=${zoom}`,
        );
        expect(res.status).toBe(200);
        expect(res.body.Response).toMatchObject({
          Chrom: 'ctgA',
          BucketSize: bucket,
          StartPos: Math.floor((s - 1) / bucket) * bucket + 1,
          EndPos: Math.min(Math.ceil(e / bucket) * bucket, length),
        });
        expect(res.body.Response.MeanCoverage, `${s}-${e} zoom ${zoom}`).toEqual(
          expectedMeans(s, e, bucket),
        );
      }
    }
    // BucketSize instead of zoomLevel; the files/{id}/coverage alias; a chr-less name.
    const alias = await h.get(
      `files/${file.Id}/coverage/ctgA?StartPos=1&EndPos=2048&BucketSize=512`,
    );
    expect(alias.body.Response.MeanCoverage).toEqual(expectedMeans(1, 2048, 512));
    // Without a zoom: the finest level answering in at most 1000 buckets.
    const auto = await h.get(`coverage/${file.Id}/ctgA`);
    expect(auto.body.Response.BucketSize).toBe(128);
    expect(auto.body.Response.MeanCoverage).toEqual(expectedMeans(1, length, 128));
  });

  it('paired reads on chromosome 20 (of 86): chr20 and 20 both answer; duplicates are left out as samtools does', async () => {
    const file = await h.upload('paired.bam', readFileSync(fixture('paired.bam')));
    const depth = samtoolsDepth(ref('paired.bam'), '20:59001-76000').get('20')!;
    for (const name of ['20', 'chr20', 'CHR20']) {
      const res = await h.get(
        `coverage/${file.Id}/${name}?StartPos=59137&EndPos=75904&zoomLevel=0`,
      );
      expect(res.status).toBe(200);
      const means = res.body.Response.MeanCoverage as number[];
      means.forEach((m, k) => {
        const from = 59136 + k * 128;
        let sum = 0;
        for (let p = from; p < from + 128; p++) sum += depth[p] ?? 0;
        expect(m, `bucket at ${from + 1}`).toBe(Math.fround(sum / 128));
      });
    }
    const meta = await h.get(`coverage/${file.Id}/1/meta`);
    expect(meta.body.Response.MaxCoverage).toBe(0);
    const empty = await h.get(`coverage/${file.Id}/1?StartPos=1&EndPos=1000`);
    expect(empty.body.Response.MeanCoverage.every((m: number) => m === 0)).toBe(true);
  });

  it('bad regions and wrong kinds: clear 4xx, never a 500', async () => {
    const vcf = await h.upload('volvox.test.vcf.gz', readFileSync(fixture('volvox.test.vcf.gz')));
    const bam = await h.upload('v.bam', readFileSync(fixture('volvox-sorted.bam')));
    const cases: [string, number, string][] = [
      [
        `variantset/${vcf.Id}/variants/contigA?StartPos=0&EndPos=10`,
        400,
        'BASESPACE.GENOMICS.REGION_INVALID',
      ],
      [
        `variantset/${vcf.Id}/variants/contigA?StartPos=500&EndPos=10`,
        400,
        'BASESPACE.GENOMICS.REGION_INVALID',
      ],
      [
        `variantset/${vcf.Id}/variants/contigA?StartPos=abc`,
        400,
        'BASESPACE.GENOMICS.REGION_INVALID',
      ],
      [
        `variantset/${vcf.Id}/variants/contigA?StartPos=-5`,
        400,
        'BASESPACE.GENOMICS.REGION_INVALID',
      ],
      [
        `variantset/${vcf.Id}/variants/contigA?StartPos=99999999999999`,
        400,
        'BASESPACE.GENOMICS.REGION_INVALID',
      ],
      [`variantset/${vcf.Id}/variants/contigZ`, 404, 'BASESPACE.GENOMICS.NOT_FOUND'],
      [
        `variantset/${vcf.Id}/variants/contigA?StartPos=1&EndPos=100`,
        404,
        'BASESPACE.GENOMICS.NOT_FOUND',
      ],
      [`variantset/${vcf.Id}/variants/contigA?Limit=5000`, 400, 'BadRequest'],
      [`variantset/${vcf.Id}/variants/contigA?Format=bcf`, 400, 'BadRequest'],
      [`variantset/${bam.Id}`, 400, 'BadRequest'],
      [`coverage/${vcf.Id}/contigA`, 400, 'BadRequest'],
      [`coverage/${bam.Id}/ctgA?StartPos=60000`, 400, 'BASESPACE.GENOMICS.REGION_INVALID'],
      [`coverage/${bam.Id}/ctgA?StartPos=10&EndPos=9`, 400, 'BASESPACE.GENOMICS.REGION_INVALID'],
      [`coverage/${bam.Id}/ctgA?BucketSize=100`, 400, 'BASESPACE.GENOMICS.REGION_INVALID'],
      [`coverage/${bam.Id}/ctgA?zoomLevel=31`, 400, 'BASESPACE.GENOMICS.REGION_INVALID'],
      [`coverage/${bam.Id}/ctgA?zoomLevel=-1`, 400, 'BadRequest'],
      [`coverage/${bam.Id}/nope/meta`, 404, 'BASESPACE.GENOMICS.NOT_FOUND'],
      [`coverage/999999/ctgA`, 404, 'NotFound'],
    ];
    for (const [path, status, code] of cases) {
      const res = await h.get(path);
      expect(res.status, path).toBe(status);
      expect(res.body.ResponseStatus.ErrorCode, path).toBe(code);
      expect(res.body.ResponseStatus.Message.length).toBeGreaterThan(10);
    }
    // The whole contig at once is fine (it holds 109 records).
    const all = await h.get(`variantset/${vcf.Id}/variants/contigA?Limit=1000&Format=vcf`);
    expect(all.text).toBe(tabix('volvox.test.vcf.gz', 'contigA'));
  });

  it('corrupt, truncated and unsorted files end failed with a message; queries say so (409); the hub keeps serving', async () => {
    const bam = readFileSync(fixture('volvox-sorted.bam'));
    const vcfText = gunzipSync(readFileSync(fixture('volvox.test.vcf.gz'))).toString();
    const lines = vcfText.split('\n');
    const firstRecord = lines.findIndex((l) => !l.startsWith('#'));
    const unsorted = [
      ...lines.slice(0, firstRecord),
      lines[firstRecord + 5],
      ...lines.slice(firstRecord),
    ].join('\n');
    const badPos = vcfText.replace(/\ncontigA\t(\d+)\t/, '\ncontigA\tx$1\t');
    const cases: [string, Uint8Array, RegExp][] = [
      ['truncated.bam', bam.subarray(0, 100_000), /truncated|ends inside/],
      ['random.bam', new Uint8Array(5000).fill(7), /not a BGZF block/],
      ['large_coords.bam', readFileSync(fixture('large_coords.bam')), /2?536870912|BAI\/TBI/],
      ['not-a-vcf.vcf', Buffer.from('hello\tworld\n'), /not a VCF/],
      ['unsorted.vcf', Buffer.from(unsorted), /not sorted.*line \d+/],
      ['bad-pos.vcf', Buffer.from(badPos), /POS 'x\d+' is not a position.*line \d+/],
      [
        'broken.vcf.gz',
        readFileSync(fixture('volvox.test.vcf.gz')).subarray(0, 20_000),
        /truncated|BGZF/,
      ],
      ['empty.vcf', Buffer.alloc(0), /empty/],
    ];
    for (const [name, bytes, message] of cases) {
      const file = await h.upload(name, bytes);
      expect(file.IndexStatus, name).toBe('failed');
      expect(file.IndexMessage, name).toMatch(message);
      expect(file.HrefVariants ?? file.HrefCoverage).toBeUndefined();
      const path = name.includes('.bam') ? `coverage/${file.Id}/ctgA` : `variantset/${file.Id}`;
      const res = await h.get(path);
      expect(res.status, name).toBe(409);
      expect(res.body.ResponseStatus.ErrorCode).toBe('BASESPACE.GENOMICS.NOT_INDEXED');
      expect(res.body.ResponseStatus.Message).toContain('could not be indexed');
    }
    // A BAI uploaded beside a BAM that it does not belong to changes nothing: the hub uses its own.
    await h.upload('good.bam.bai', readFileSync(fixture('volvox-sorted.bam')).subarray(0, 200));
    const good = await h.upload('good.bam', bam);
    expect(good.IndexStatus).toBe('ready');
    const res = await h.get(`coverage/${good.Id}/ctgA/meta`);
    expect(res.status).toBe(200);
    // An empty BAM (header only) is ready with zero coverage.
    const empty = await h.upload('empty.bam', readFileSync(fixture('empty.bam')));
    expect(empty.IndexStatus).toBe('ready');
    expect((await h.get(`coverage/${empty.Id}/chrM/meta`)).body.Response.MaxCoverage).toBe(0);
  });

  it('access verdicts reused between region queries end at once when a share or link is revoked', async () => {
    const bam = await h.upload('shared.bam', readFileSync(fixture('volvox-sorted.bam')));
    const reader = await hub.newUser();
    const owner = (path: string, method: string, body?: unknown) =>
      fetch(`${hub.url}/v1pre3/${path}`, {
        method,
        headers: { 'x-access-token': h.token, 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    const asCaller = async (token: string) =>
      (
        await fetch(`${hub.url}/v1pre3/coverage/${bam.Id}/ctgA?StartPos=1&EndPos=5000`, {
          headers: { 'x-access-token': token },
        })
      ).status;
    const shared = await owner(`projects/${h.project.Id}/collaborators`, 'POST', {
      UserId: reader.user.id,
      Access: 'Read',
    });
    expect(shared.status).toBe(200);
    expect(await asCaller(reader.token)).toBe(200);
    expect(await asCaller(reader.token)).toBe(200);
    const revoked = await owner(
      `projects/${h.project.Id}/collaborators/${reader.user.id}`,
      'DELETE',
    );
    expect(revoked.status).toBe(200);
    expect(await asCaller(reader.token)).toBe(404);
    const link = (await json(await owner(`projects/${h.project.Id}/links`, 'POST', { Label: 'l' })))
      .Response;
    expect(await asCaller(link.Token)).toBe(200);
    expect((await owner(`projects/${h.project.Id}/links/${link.Id}`, 'DELETE')).status).toBe(200);
    expect(await asCaller(link.Token)).toBe(401);
  });
});

describe.skipIf(!haveTools() || storages().length < 2)('genomic queries on S3 storage', () => {
  let hub: TestHub;
  let h: Awaited<ReturnType<typeof genomicsHub>>;
  beforeAll(async () => {
    hub = await startTestHub(backends()[0]!, { storage: storages()[1]! });
    h = await genomicsHub(hub);
  });
  afterAll(() => hub?.close());

  it('indexes a plain VCF and a BAM stored in the bucket and answers from ranged reads', async () => {
    const vcf = await h.upload('calls.vcf', gunzipSync(readFileSync(fixture(NA12878))));
    expect(vcf.IndexStatus).toBe('ready');
    const res = await h.get(
      `variantset/${vcf.Id}/variants/17?StartPos=41200000&EndPos=41250000&Limit=1000`,
    );
    // bcftools view -H -r 17:41200000-41250000 prints 86 (shared/testdata README).
    expect(res.body.Response.TotalCount).toBe(86);
    const bam = await h.upload('reads.bam', readFileSync(fixture('volvox-sorted.bam')));
    const meta = await h.get(`coverage/${bam.Id}/ctgA/meta`);
    expect(meta.status).toBe(200);
    expect(meta.body.Response.MaxCoverage).toBeGreaterThan(0);
  });
});
