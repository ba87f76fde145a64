import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, storages, type Backend, type Storage } from '../support/backends.js';
import { json } from '../support/files-client.js';
import { haveTools, samtoolsDepth, uploadTarget } from '../support/genomics.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { COVERAGE_PAGE_BUCKETS } from '../../src/services/genomics/coverage-pages.js';

/**
 * Coverage answers served from the hub's in-memory pages (issue 7), on a generated BAM whose
 * chromosome spans more than one page at zoom 0 (65,536 buckets of 128 bases = 8,388,608 bases):
 * bucket means across the page boundary equal `samtools depth -a` (default filters), first read
 * and again from memory, and the JSON text is what the schema describes.
 */
const LENGTH = 9_000_000;
const BOUNDARY = COVERAGE_PAGE_BUCKETS * 128;

function makeBam(dir: string): string {
  let rng = 7;
  const rand = () => (rng = (rng * 48271) % 2147483647) / 2147483647;
  const seq = 'ACGT'.repeat(25);
  const qual = 'I'.repeat(100);
  const starts = Array.from({ length: 4000 }, (_, i) =>
    i < 3000
      ? BOUNDARY - 20_000 + Math.floor(rand() * 40_000)
      : 1 + Math.floor(rand() * (LENGTH - 100)),
  ).sort((a, b) => a - b);
  const lines = starts.map((s, i) => {
    const cigar = i % 9 === 0 ? '40M5D60M' : i % 5 === 0 ? '30M2I68M' : '100M';
    return `r${i}\t${i % 40 === 0 ? 1024 : 0}\tchrL\t${s}\t60\t${cigar}\t*\t0\t0\t${seq}\t${qual}`;
  });
  const sam = join(dir, 'long.sam');
  writeFileSync(
    sam,
    `@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chrL\tLN:${LENGTH}\n${lines.join('\n')}\n`,
  );
  const bam = join(dir, 'long.bam');
  execFileSync('samtools', ['view', '-b', '-o', bam, sam]);
  return bam;
}

const setups: { name: string; backend: Backend; storage?: Storage }[] = [
  ...backends().map((backend) => ({ name: backend.kind, backend })),
  ...storages()
    .slice(1)
    .map((storage) => ({ name: `sqlite, ${storage.kind}`, backend: backends()[0]!, storage })),
];

describe.skipIf(!haveTools()).each(setups)('coverage across cached pages on $name', (setup) => {
  let hub: TestHub;
  let get: (path: string) => Promise<{ status: number; text: string; body: any }>;
  let fileId: string;
  let depth: number[];
  const dir = mkdtempSync(join(tmpdir(), 'seqhub-coverage-http-'));

  beforeAll(async () => {
    const bam = makeBam(dir);
    execFileSync('samtools', ['index', bam]);
    const from = BOUNDARY - 300_000;
    const to = BOUNDARY + 300_000;
    depth = samtoolsDepth(bam, `chrL:${from + 1}-${to}`).get('chrL')!;
    hub = await startTestHub(setup.backend, setup.storage ? { storage: setup.storage } : {});
    const { files, appResult } = await uploadTarget(hub, 'Coverage', 'long');
    const up = await files.upload(
      'appresults',
      appResult.Id,
      'long.bam',
      'genomics',
      readFileSync(bam),
    );
    fileId = (await json(up)).Response.Id;
    get = async (path: string) => {
      const res = await files.get(path);
      const text = await res.text();
      return { status: res.status, text, body: JSON.parse(text) };
    };
    for (let i = 0; i < 600; i++) {
      const now = (await get(`files/${fileId}`)).body.Response;
      if (now.IndexStatus === 'ready') return;
      expect(now.IndexStatus).toBe('pending');
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('not indexed after 30 s');
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Float32 bucket means over 1-based [start, end], from samtools depth (0 where it printed none). */
  const expected = (start: number, end: number, bucket: number) => {
    const out: number[] = [];
    for (let b = Math.floor((start - 1) / bucket) * bucket; b < end; b += bucket) {
      let sum = 0;
      const stop = Math.min(b + bucket, LENGTH);
      for (let p = b; p < stop; p++) sum += depth[p] ?? 0;
      out.push(Math.fround(sum / (stop - b)));
    }
    return out;
  };

  it('bucket means across the page boundary equal samtools depth -a, read and then from memory', async () => {
    const regions = [
      [BOUNDARY - 128 * 40 + 1, BOUNDARY + 128 * 40],
      [BOUNDARY - 127, BOUNDARY + 1],
      [BOUNDARY + 1, BOUNDARY + 128 * 100],
      [BOUNDARY - 250_000, BOUNDARY + 250_000],
    ] as const;
    for (let round = 0; round < 2; round++) {
      for (const [s, e] of regions) {
        for (const zoom of [0, 1, 4]) {
          const bucket = 128 * 2 ** zoom;
          const res = await get(
            `coverage/${fileId}/chrL?StartPos=${s}&EndPos=${e}&zoomLevel=${zoom}`,
          );
          expect(res.status).toBe(200);
          const want = expected(s, e, bucket);
          expect(want.some((m) => m > 0)).toBe(true);
          expect(res.body.Response.MeanCoverage, `${s}-${e} zoom ${zoom}`).toEqual(want);
          expect(res.body.Response).toMatchObject({
            Chrom: 'chrL',
            BucketSize: bucket,
            ZoomLevel: zoom,
            StartPos: Math.floor((s - 1) / bucket) * bucket + 1,
            EndPos: Math.ceil(e / bucket) * bucket,
          });
        }
      }
    }
  });

  it('the answer is the schema envelope, numbers as JSON.stringify prints them', async () => {
    const res = await get(`files/${fileId}/coverage/chr_none?StartPos=1&EndPos=10`);
    expect(res.status).toBe(404);
    const ok = await get(
      `coverage/${fileId}/L?StartPos=${BOUNDARY - 255}&EndPos=${BOUNDARY + 256}&BucketSize=128`,
    );
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.body)).toEqual(['Response', 'ResponseStatus', 'Notifications']);
    expect(Object.keys(ok.body.Response)).toEqual([
      'Id',
      'Chrom',
      'StartPos',
      'EndPos',
      'BucketSize',
      'ZoomLevel',
      'MeanCoverage',
    ]);
    expect(ok.text).toBe(JSON.stringify(ok.body));
    expect(ok.body.Response.Id).toBe(fileId);
    expect(ok.body.Response.MeanCoverage).toEqual(expected(BOUNDARY - 255, BOUNDARY + 256, 128));
  });
});
