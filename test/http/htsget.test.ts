import { HtsgetFile } from '@gmod/bam';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, storages } from '../support/backends.js';
import { json } from '../support/files-client.js';
import { NA12878, QUIET, fixture, haveTools, uploadTarget } from '../support/genomics.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * GA4GH htsget 1.3 (issue 7): the ticket's URLs, fetched without a token and concatenated, are a
 * valid BAM/VCF that holds exactly the records `samtools view`/`tabix` print for the region
 * (once the client filters to the region, as htsget clients do); @gmod/bam's htsget client and
 * htslib read from the hub.
 */
const execFileAsync = promisify(execFile);

async function fetchTicket(ticket: any): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const u of ticket.htsget.urls) {
    if (u.url.startsWith('data:')) {
      parts.push(Buffer.from(u.url.slice(u.url.indexOf(',') + 1), 'base64'));
    } else {
      const res = await fetch(u.url, { headers: u.headers ?? {} });
      expect([200, 206]).toContain(res.status);
      parts.push(Buffer.from(await res.arrayBuffer()));
    }
  }
  return Buffer.concat(parts);
}

async function htsgetHub(hub: TestHub) {
  const { token, user, files, appResult } = await uploadTarget(hub, 'htsget', 'r');
  const upload = async (name: string, bytes: Uint8Array): Promise<string> => {
    const res = await files.upload('appresults', appResult.Id, name, '', bytes);
    const id = (await json(res)).Response.Id as string;
    await hub.server.hub.services.indexer.idle();
    return id;
  };
  const ticket = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${hub.url}/htsget/${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  return { token, user, upload, ticket };
}

describe.skipIf(!haveTools()).each(backends())('htsget on $kind', (backend) => {
  let hub: TestHub;
  let h: Awaited<ReturnType<typeof htsgetHub>>;
  const dir = mkdtempSync(join(tmpdir(), 'seqhub-htsget-'));
  const ref = (name: string) => join(dir, name);
  let bam = '';
  let paired = '';
  let vcf = '';
  let plainVcf = '';

  beforeAll(async () => {
    hub = await startTestHub(backend);
    h = await htsgetHub(hub);
    for (const name of ['volvox-sorted.bam', 'paired.bam']) {
      copyFileSync(fixture(name), ref(name));
      execFileSync('samtools', ['index', ref(name)]);
    }
    for (const name of [NA12878, 'raw.g.vcf.gz']) {
      copyFileSync(fixture(name), ref(name));
      execFileSync('tabix', ['-p', 'vcf', ref(name)]);
    }
    bam = await h.upload('volvox.bam', readFileSync(fixture('volvox-sorted.bam')));
    paired = await h.upload('paired.bam', readFileSync(fixture('paired.bam')));
    vcf = await h.upload('na12878.vcf.gz', readFileSync(fixture(NA12878)));
    plainVcf = await h.upload('raw.g.vcf', gunzipSync(readFileSync(fixture('raw.g.vcf.gz'))));
  }, 60_000);
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const samView = (path: string, region?: string) =>
    execFileSync('samtools', ['view', path, ...(region ? [region] : [])], {
      maxBuffer: 1 << 28,
    }).toString();

  it('reads: ticket slices concatenated are a BAM holding the region exactly as samtools view prints it', async () => {
    const regions: [string, string, number, number][] = [
      [bam, 'ctgA', 0, 50_001],
      [bam, 'ctgA', 0, 1000],
      [bam, 'ctgA', 12_345, 12_346],
      [bam, 'ctgA', 20_000, 31_000],
      [bam, 'ctgA', 49_000, 50_001],
      [paired, '20', 60_000, 62_000],
      [paired, 'chr20', 70_000, 75_000],
    ];
    let n = 0;
    for (const [id, name, start, end] of regions) {
      const t = await h.ticket(`reads/${id}?referenceName=${name}&start=${start}&end=${end}`);
      expect(t.status).toBe(200);
      expect(t.body.htsget.format).toBe('BAM');
      expect(t.body.htsget.urls[0].class).toBe('header');
      const out = ref(`slice${++n}.bam`);
      writeFileSync(out, await fetchTicket(t.body));
      execFileSync('samtools', ['quickcheck', out]);
      execFileSync('samtools', ['index', out]);
      const source = id === bam ? ref('volvox-sorted.bam') : ref('paired.bam');
      const region = `${name.replace(/^chr/, '')}:${start + 1}-${end}`;
      expect(samView(out, region), region).toBe(samView(source, region));
      // Nothing but what the index's chunks hold: far less than the whole file for small regions.
      if (end - start < 2000) {
        expect(samView(out).split('\n').length).toBeLessThan(samView(source).split('\n').length);
      }
    }
  });

  it('class=header is the header alone; a ticket without referenceName is the whole file', async () => {
    const t = await h.ticket(`reads/${bam}?class=header`);
    const out = ref('header.bam');
    writeFileSync(out, await fetchTicket(t.body));
    expect(execFileSync('samtools', ['view', '--no-PG', '-H', out]).toString()).toBe(
      execFileSync('samtools', ['view', '--no-PG', '-H', ref('volvox-sorted.bam')]).toString(),
    );
    expect(samView(out)).toBe('');
    const whole = await h.ticket(`reads/${bam}`);
    const all = ref('whole.bam');
    writeFileSync(all, await fetchTicket(whole.body));
    expect(samView(all)).toBe(samView(ref('volvox-sorted.bam')));
  });

  it("@gmod/bam's htsget client reads header and records from the hub", async () => {
    const client = new HtsgetFile({ baseUrl: `${hub.url}/htsget/reads`, trackId: bam });
    const auth = { headers: { Authorization: `Bearer ${h.token}` } };
    const header = await client.getHeader(auth as never);
    expect(header.find((l) => l.tag === 'SQ')?.data).toContainEqual({ tag: 'SN', value: 'ctgA' });
    const records = await client.getRecordsForRange('ctgA', 20_000, 21_000, auth as never);
    // bam-js keeps records ending at or after `min`; samtools those overlapping [min+1, max].
    const expected = samView(ref('volvox-sorted.bam'), 'ctgA:20001-21000')
      .trimEnd()
      .split('\n')
      .map((l) => l.split('\t')[0]);
    const names = records.filter((r) => r.end > 20_000).map((r) => r.name);
    expect(names).toEqual(expected);
  });

  it('samtools (htslib) follows the ticket itself', async () => {
    const url = `${hub.url}/htsget/reads/${bam}?referenceName=ctgA&start=1000&end=3000&access_token=${h.token}`;
    // Not execFileSync: the hub answers samtools from this same process, so it must not block.
    const { stdout: out } = await execFileAsync('samtools', ['view', url], {
      maxBuffer: 1 << 26,
      timeout: 60_000,
    });
    const lines = out.trimEnd().split('\n');
    const expected = samView(ref('volvox-sorted.bam'), 'ctgA:1001-3000').trimEnd().split('\n');
    const overlapping = lines.filter((l) => expected.includes(l));
    expect(overlapping).toEqual(expected);
  });

  it('variants: slices of a bgzipped and of a re-compressed VCF hold what tabix prints; POST takes several regions', async () => {
    for (const [id, name, regions] of [
      [
        vcf,
        NA12878,
        [
          ['17', 41_100_000, 41_100_500],
          ['17', 41_200_000, 41_250_000],
        ],
      ],
      [
        plainVcf,
        'raw.g.vcf.gz',
        [
          ['ctgA', 999, 2000],
          ['ctgB', 0, 100_000],
        ],
      ],
    ] as const) {
      for (const [chrom, start, end] of regions) {
        const t = await h.ticket(
          `variants/${id}?referenceName=${chrom}&start=${start}&end=${end}&format=VCF`,
        );
        expect(t.status).toBe(200);
        const out = ref(`slice-${id}-${start}.vcf.gz`);
        writeFileSync(out, await fetchTicket(t.body));
        execFileSync('tabix', ['-f', '-p', 'vcf', out]);
        const region = `${chrom}:${start + 1}-${end}`;
        expect(execFileSync('tabix', [out, region]).toString(), region).toBe(
          execFileSync('tabix', [ref(name), region]).toString(),
        );
      }
      const post = await h.ticket(`variants/${id}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          format: 'VCF',
          regions: regions.map(([referenceName, start, end]) => ({ referenceName, start, end })),
        }),
      });
      expect(post.status).toBe(200);
      const out = ref(`post-${id}.vcf.gz`);
      writeFileSync(out, await fetchTicket(post.body));
      execFileSync('tabix', ['-f', '-p', 'vcf', out]);
      for (const [chrom, start, end] of regions) {
        const region = `${chrom}:${start + 1}-${end}`;
        expect(execFileSync('tabix', [out, region]).toString()).toBe(
          execFileSync('tabix', [ref(name), region]).toString(),
        );
      }
      const header = await h.ticket(`variants/${id}?class=header`);
      const hout = ref(`h-${id}.vcf.gz`);
      writeFileSync(hout, await fetchTicket(header.body));
      expect(
        execFileSync('bcftools', ['view', '--no-version', '-h', hout], { stdio: QUIET }).toString(),
      ).toBe(
        execFileSync('bcftools', ['view', '--no-version', '-h', ref(name)], {
          stdio: QUIET,
        }).toString(),
      );
    }
  });

  it('errors in the htsget shape: unknown reference, bad ranges, formats, kinds, no token, no access', async () => {
    const stranger = await hub.newUser();
    const cases: [string, number, string, Record<string, string>?][] = [
      [`reads/${bam}?referenceName=nope`, 404, 'NotFound'],
      [`reads/${bam}?referenceName=ctgA&start=10&end=5`, 400, 'InvalidRange'],
      [`reads/${bam}?referenceName=ctgA&start=-1`, 400, 'InvalidRange'],
      [`reads/${bam}?referenceName=ctgA&start=abc`, 400, 'InvalidRange'],
      [`reads/${bam}?start=10`, 400, 'InvalidInput'],
      [`reads/${bam}?format=CRAM`, 400, 'UnsupportedFormat'],
      [`reads/${bam}?class=nonsense`, 400, 'InvalidInput'],
      [`variants/${bam}`, 404, 'NotFound'],
      [`reads/${vcf}`, 404, 'NotFound'],
      [`variants/${vcf}?format=BCF`, 400, 'UnsupportedFormat'],
      [`reads/99999999`, 404, 'NotFound'],
      [`reads/${bam}`, 401, 'InvalidAuthentication', { Authorization: 'Bearer nope' }],
      [`reads/${bam}`, 404, 'NotFound', { Authorization: `Bearer ${stranger.token}` }],
    ];
    for (const [path, status, error, headers] of cases) {
      const res = await h.ticket(path, headers ? { headers } : {});
      expect(res.status, path).toBe(status);
      expect(res.body.htsget.error, path).toBe(error);
      expect(res.body.htsget.message.length).toBeGreaterThan(5);
    }
    const info = await fetch(`${hub.url}/htsget/reads/service-info`);
    expect(((await info.json()) as any).htsget).toMatchObject({
      datatype: 'reads',
      formats: ['BAM'],
    });
    // A data URL whose signature was altered.
    const t = await h.ticket(`reads/${bam}?referenceName=ctgA&start=0&end=50000`);
    const http = t.body.htsget.urls.find((u: any) => u.url.startsWith('http'));
    if (http?.url.includes('/htsget/data/')) {
      // HEAD of a data URL: the GET's status and length, no body.
      const got = await fetch(http.url, { headers: http.headers });
      const bytes = (await got.arrayBuffer()).byteLength;
      const head = await fetch(http.url, { method: 'HEAD', headers: http.headers });
      expect(head.status).toBe(got.status);
      expect(head.headers.get('content-length')).toBe(String(bytes));
      expect(head.headers.get('content-range')).toBe(got.headers.get('content-range'));
      expect((await head.arrayBuffer()).byteLength).toBe(0);
      const res = await fetch(
        http.url.replace(
          /signature=[^&]+/,
          'signature=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        ),
        { headers: http.headers },
      );
      expect(res.status).toBe(403);
    }
  });
});

describe.skipIf(!haveTools() || storages().length < 2)('htsget on S3 storage', () => {
  let hub: TestHub;
  let h: Awaited<ReturnType<typeof htsgetHub>>;
  const dir = mkdtempSync(join(tmpdir(), 'seqhub-htsget-s3-'));
  beforeAll(async () => {
    hub = await startTestHub(backends()[0]!, { storage: storages()[1]! });
    h = await htsgetHub(hub);
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tickets point at pre-signed ranges of the bucket object', async () => {
    const id = await h.upload('volvox.bam', readFileSync(fixture('volvox-sorted.bam')));
    const t = await h.ticket(`reads/${id}?referenceName=ctgA&start=20000&end=31000`);
    expect(t.status).toBe(200);
    expect(t.body.htsget.urls.some((u: any) => u.url.includes('X-Amz-Signature'))).toBe(true);
    const out = join(dir, 's3.bam');
    writeFileSync(out, await fetchTicket(t.body));
    const reference = join(dir, 'ref.bam');
    copyFileSync(fixture('volvox-sorted.bam'), reference);
    execFileSync('samtools', ['index', reference]);
    execFileSync('samtools', ['index', out]);
    const view = (p: string) =>
      execFileSync('samtools', ['view', p, 'ctgA:20001-31000']).toString();
    expect(view(out)).toBe(view(reference));
  });
});
