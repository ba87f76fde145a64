import { execFileSync, execSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, storages, type Backend, type Storage } from '../support/backends.js';
import { api, download, listAll, waitForSession } from '../support/demux-http.js';
import { FilesClient } from '../support/files-client.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * Issue 12 end to end, over HTTP on real reads: a genome registered with its FASTA, a paired
 * FASTQ Sample uploaded, `fastq-qc` and `resequencing` launched through the API and awaited;
 * the BAM and VCF they publish checked with samtools/bcftools against the same tools run by
 * hand on the same reads. Fixtures: test/fixtures/apps (365 read pairs of chr20, README).
 */
const FIX = (name: string) => fileURLToPath(new URL(`../fixtures/apps/${name}`, import.meta.url));
const R1 = FIX('reads_R1.fastq.gz');
const R2 = FIX('reads_R2.fastq.gz');
const FASTA = FIX('chr20.fa');

/** What the tools give by hand: the reference the hub's results are held to. */
interface HandRun {
  total: number;
  properlyPaired: number;
  duplicates: number;
  variants: number;
  fastpReads: number;
}

function runByHand(dir: string): HandRun {
  const sh = (cmd: string) =>
    execSync(cmd, { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  sh(`cp ${FASTA} ref.fa && samtools faidx ref.fa`);
  sh(
    `minimap2 -t 2 -a -x sr ref.fa ${R1} ${R2} | samtools fixmate -m - fm.bam && samtools sort -o s.bam fm.bam && samtools markdup s.bam md.bam`,
  );
  const flag = JSON.parse(sh('samtools flagstat -O json md.bam'))['QC-passed reads'];
  sh('bcftools mpileup -q 0 -Q 13 -f ref.fa md.bam | bcftools call -mv -Oz -o v.vcf.gz');
  const variants = Number(sh('bcftools view -H v.vcf.gz | wc -l').trim());
  sh(`fastp -i ${R1} -I ${R2} -w 2 --dont_eval_duplication -j fp.json -h fp.html`);
  const fp = JSON.parse(readFileSync(join(dir, 'fp.json'), 'utf8'));
  return {
    total: flag.total,
    properlyPaired: flag['properly paired'],
    duplicates: flag.duplicates,
    variants,
    fastpReads: fp.summary.before_filtering.total_reads,
  };
}

const cases = (): [Backend, Storage][] => {
  const b = backends();
  const s = storages();
  // SQLite on local files always; PostgreSQL on S3 when CI has both (the scale-out shape).
  return [[b[0]!, s[0]!], ...(b[1] ? [[b[1], s[1] ?? s[0]!] as [Backend, Storage]] : [])];
};

describe.each(cases())('apps on %s', (backend, storage) => {
  let hub: TestHub;
  let token: string;
  let projectId: string;
  let sampleId: string;
  let genomeId: string;
  let hand: HandRun;
  const work = mkdtempSync(join(tmpdir(), 'seqhub-apps-hand-'));
  const call = (method: string, path: string, body?: unknown) =>
    api(hub.url, token, method, path, body);

  const launch = (app: string, properties: unknown[], name?: string) =>
    call('POST', `applications/${app}/appsessions`, {
      ...(name && { Name: name }),
      StatusSummary: 'AutoLaunch',
      AutoStart: true,
      Properties: properties,
    });
  const projectProp = () => ({
    Name: 'Input.project-id',
    Type: 'project',
    Content: `v1pre3/projects/${projectId}`,
  });
  const samplesProp = (ids = [sampleId]) => ({
    Name: 'Input.sample-id',
    Type: 'sample[]',
    items: ids.map((id) => `v1pre3/samples/${id}`),
  });
  const genomeProp = (id = genomeId) => ({ Name: 'Input.genome-id', Type: 'string', Content: id });

  const propsOf = async (kind: string, id: string) =>
    Object.fromEntries(
      (await listAll(hub.url, token, `${kind}/${id}/properties`)).map((p: any) => [p.Name, p]),
    );

  beforeAll(async () => {
    hand = runByHand(work);
    hub = await startTestHub(backend, { storage, env: { SEQHUB_APP_ISOLATION: 'bwrap' } });
    ({ token } = await hub.newUser());
    // What `seqhub admin genome add --fasta chr20.fa ...` does (its CLI test is in test/e2e).
    const genome = await hub.server.hub.services.genomes.addWithSequence(
      {
        displayName: 'Homo sapiens chr20 slice (hs37d5)',
        speciesName: 'Homo sapiens',
        source: 'Custom',
        build: 'hs37d5-chr20-1-76000',
      },
      createReadStream(FASTA),
    );
    genomeId = genome.id;
    projectId = (await call('POST', 'projects', { Name: 'apps e2e' })).body.Response.Id;
    const sample = await call('POST', `projects/${projectId}/samples`, {
      Name: 'SRR062634 slice',
      SampleId: 'S1',
      SampleNumber: 1,
      ExperimentName: 'paired.bam',
      IsPairedEnd: true,
      Read1: 100,
      Read2: 100,
      NumReadsRaw: 365,
      NumReadsPF: 365,
    });
    expect(sample.status).toBe(200);
    sampleId = sample.body.Response.Id;
    const files = new FilesClient(hub.url, token);
    for (const [name, path] of [
      ['S1_S1_L001_R1_001.fastq.gz', R1],
      ['S1_S1_L001_R2_001.fastq.gz', R2],
    ] as const) {
      const res = await files.upload(
        'samples',
        sampleId,
        name,
        '',
        readFileSync(path),
        'application/gzip',
      );
      expect(res.status).toBe(200);
    }
    const until = Date.now() + 60_000;
    for (;;) {
      const g = (await call('GET', `genomes/${genomeId}`)).body.Response;
      if (g.HasSequence) break;
      expect(g.SequenceStatus).toBe('indexing');
      if (Date.now() > until) throw new Error('the genome was not indexed');
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 180_000);

  afterAll(async () => {
    await hub?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('lists the built-in applications in the spec shape, by id and by slug', async () => {
    const list = await call('GET', 'applications');
    expect(list.status).toBe(200);
    const slugs = list.body.Response.Items.map((a: any) => a.AppFamilySlug);
    expect(slugs).toEqual(['api-client', 'bcl-convert', 'fastq-qc', 'resequencing']);
    const byId = await call('GET', 'applications/4');
    const bySlug = await call('GET', 'applications/resequencing');
    expect(bySlug.body).toEqual(byId.body);
    const app = byId.body.Response;
    expect(app).toMatchObject({
      Id: '4',
      Href: 'v1pre3/applications/4',
      Name: 'Resequencing',
      VersionNumber: '1.0.0',
      PublishStatus: 'Published',
      Category: 'Analytic',
      LockStatus: 'Unlocked',
      Launchable: true,
    });
    expect(app.InputForm.map((f: any) => `${f.Id}:${f.Type}`)).toEqual([
      'project-id:project',
      'sample-id:sample[]',
      'genome-id:genome',
      'mark-duplicates:boolean',
      'min-mapq:number',
      'min-baseq:number',
    ]);
    expect((await call('GET', 'applications/99')).status).toBe(404);
  });

  it('genomes say whether their sequence is present', async () => {
    const catalog = (await call('GET', 'genomes/4')).body.Response;
    expect(catalog.HasSequence).toBe(false);
    expect(catalog.SequenceStatus).toBeUndefined();
    const added = (await call('GET', `genomes/${genomeId}`)).body.Response;
    expect(added).toMatchObject({
      HasSequence: true,
      SequenceStatus: 'ready',
      SpeciesName: 'Homo sapiens',
    });
  });

  it('fastq-qc: Complete, fastp numbers as properties, HTML report, Input/Output, log', async () => {
    const started = await launch('fastq-qc', [projectProp(), samplesProp()], 'QC of S1');
    expect(started.status).toBe(200);
    const s = started.body.Response;
    expect(s).toMatchObject({ Name: 'QC of S1', Status: 'Running', Application: { Id: '3' } });
    const items = s.Properties.Items.map((p: any) => p.Name);
    expect(items).toEqual(expect.arrayContaining(['Input.project-id', 'Input.sample-id']));

    const { session } = await waitForSession(hub.url, token, s.Id, 120_000);
    expect(session.Status, session.StatusSummary).toBe('Complete');
    const props = await propsOf('appsessions', s.Id);
    expect(props['Input.qualified-quality'].Content).toBe('15');
    expect(props['Input.adapter-detection'].Content).toBe('true');
    expect(props['Input.sample-id'].Items.map((i: any) => i.Id)).toEqual([sampleId]);
    const resultIds = props['Output.AppResults'].Items.map((i: any) => i.Id);
    expect(resultIds).toHaveLength(1);
    // getAppResultFromAppSessionId reads the same through /items.
    const viaItems = await call('GET', `appsessions/${s.Id}/properties/Output.AppResults/items`);
    expect(viaItems.body.Response.Items.map((i: any) => i.Id)).toEqual(resultIds);

    const result = (await call('GET', `appresults/${resultIds[0]}`)).body.Response;
    expect(result.Status).toBe('Complete');
    expect(result.References[0]).toMatchObject({
      Type: 'Sample',
      HrefContent: `v1pre3/samples/${sampleId}`,
    });
    const rp = await propsOf('appresults', resultIds[0]);
    expect(Number(rp['FastqQc.TotalReads'].Content)).toBe(hand.fastpReads);
    expect(Number(rp['FastqQc.TotalReads'].Content)).toBe(728); // 364 pairs
    for (const name of [
      'Q30Rate',
      'GcContent',
      'DuplicationRate',
      'Read1MeanLength',
      'AdapterTrimmedReads',
    ])
      expect(rp[`FastqQc.${name}`], name).toBeDefined();
    const files = await listAll(hub.url, token, `appresults/${resultIds[0]}/files`);
    expect(files.map((f: any) => f.Name).sort()).toEqual([
      'SRR062634_slice.fastp.html',
      'SRR062634_slice.fastp.json',
    ]);
    const html = (
      await download(hub.url, token, files.find((f: any) => f.Name.endsWith('.html')).Id)
    ).toString();
    expect(html).toContain('<html');

    const log = await fetch(`${hub.url}/v1pre3/appsessions/${s.Id}/logs`, {
      headers: { 'x-access-token': token },
    });
    expect(log.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await log.text();
    expect(text).toContain('[SRR062634 slice] fastp');
    expect(text).toContain('Read1 before filtering');
    expect(text).toContain('seqhub: published 1 AppResult(s), 2 file(s)');
  }, 180_000);

  it('resequencing: BAM and VCF match the tools run by hand; coverage and variants work', async () => {
    const started = await launch('resequencing', [projectProp(), samplesProp(), genomeProp()]);
    expect(started.status).toBe(200);
    const id = started.body.Response.Id;
    expect(started.body.Response.Name).toBe('Resequencing: SRR062634 slice');
    const { session, summaries } = await waitForSession(hub.url, token, id, 180_000);
    expect(session.Status, session.StatusSummary).toBe('Complete');
    // Progress: the step lines reach the log (StatusSummary shows them while they are current,
    // which a fast machine can finish between two polls).
    const steps = await (
      await fetch(`${hub.url}/v1pre3/appsessions/${id}/logs`, {
        headers: { 'x-access-token': token },
      })
    ).text();
    expect(steps).toContain('aligning with minimap2');
    expect(summaries.length).toBeGreaterThan(0);

    const props = await propsOf('appsessions', id);
    expect(props['Input.genome-id'].Content).toBe(`v1pre3/genomes/${genomeId}`);
    expect(props['Input.min-mapq'].Content).toBe('0');
    expect(props['Input.mark-duplicates'].Content).toBe('true');
    expect(props['Output.Projects'].Items.map((i: any) => i.Id)).toEqual([projectId]);
    const [resultId] = props['Output.AppResults'].Items.map((i: any) => i.Id);
    const result = (await call('GET', `appresults/${resultId}`)).body.Response;
    expect(result.HrefGenome).toBe(`v1pre3/genomes/${genomeId}`);
    const files = await listAll(hub.url, token, `appresults/${resultId}/files`);
    const byName = new Map(files.map((f: any) => [f.Name, f]));
    expect([...byName.keys()].sort()).toEqual([
      'SRR062634_slice.bam',
      'SRR062634_slice.bam.bai',
      'SRR062634_slice.flagstat.json',
      'SRR062634_slice.variants.json',
      'SRR062634_slice.vcf.gz',
      'SRR062634_slice.vcf.gz.tbi',
    ]);

    // The published BAM and VCF, read back with samtools/bcftools.
    const bam = join(work, 'hub.bam');
    const vcf = join(work, 'hub.vcf.gz');
    writeFileSync(
      bam,
      await download(hub.url, token, (byName.get('SRR062634_slice.bam') as any).Id),
    );
    writeFileSync(
      vcf,
      await download(hub.url, token, (byName.get('SRR062634_slice.vcf.gz') as any).Id),
    );
    const flag = JSON.parse(execFileSync('samtools', ['flagstat', '-O', 'json', bam]).toString())[
      'QC-passed reads'
    ];
    // Same reads, same tools: identical counts (tolerance 0 reads; the fraction to 0.001).
    expect(flag.total).toBe(hand.total);
    expect(flag.total).toBe(728); // the 364 complete pairs of paired.bam (make-fixture.py)
    expect(flag['properly paired'] / flag.total).toBeCloseTo(hand.properlyPaired / hand.total, 3);
    expect(flag['properly paired'] / flag.total).toBeGreaterThan(0.95);
    expect(flag.duplicates).toBe(hand.duplicates);
    const header = execFileSync('samtools', ['view', '-H', bam]).toString();
    expect(header).toMatch(/@SQ\tSN:20\tLN:76000/);
    expect(header).toMatch(/@RG\tID:SRR062634_slice\tSM:SRR062634_slice/);
    const variants = Number(execSync(`bcftools view -H ${vcf} | wc -l`).toString().trim());
    // Tolerance: +-10% of the hand count (bcftools is deterministic here; the margin allows a
    // different Debian bcftools build in CI). The hand run finds 15 on this slice.
    expect(Math.abs(variants - hand.variants)).toBeLessThanOrEqual(Math.ceil(hand.variants * 0.1));
    expect(variants).toBeGreaterThan(0);
    const rp = await propsOf('appresults', resultId);
    expect(Number(rp['Resequencing.TotalReads'].Content)).toBe(flag.total);
    expect(Number(rp['Resequencing.Variants'].Content)).toBe(variants);

    // The hub indexes the published BAM/VCF: coverage and variants endpoints answer.
    await hub.server.hub.services.indexer.idle();
    const bamId = (byName.get('SRR062634_slice.bam') as any).Id;
    const vcfId = (byName.get('SRR062634_slice.vcf.gz') as any).Id;
    const bamFile = (await call('GET', `files/${bamId}`)).body.Response;
    expect(bamFile.HrefCoverage).toBe(`v1pre3/coverage/${bamId}`);
    const cov = await call('GET', `coverage/${bamId}/20?StartPos=60001&EndPos=75000`);
    expect(cov.status).toBe(200);
    expect(Math.max(...cov.body.Response.MeanCoverage)).toBeGreaterThan(0);
    const v = await call(
      'GET',
      `variantset/${vcfId}/variants/20?StartPos=1&EndPos=76000&Limit=1000`,
    );
    expect(v.status).toBe(200);
    expect(v.body.Response.Items).toHaveLength(variants);

    const log = await (
      await fetch(`${hub.url}/v1pre3/appsessions/${id}/logs`, {
        headers: { 'x-access-token': token },
      })
    ).text();
    expect(log).toContain('[SRR062634 slice] calling variants with bcftools');
    expect(log).toContain(`[SRR062634 slice] ${variants} variants`);
    // The log from an offset: the last line only.
    const lines = log.trimEnd().split('\n');
    const tail = await (
      await fetch(`${hub.url}/v1pre3/appsessions/${id}/logs?Offset=${lines.length - 1}`, {
        headers: { 'x-access-token': token },
      })
    ).text();
    expect(tail).toBe(`${lines[lines.length - 1]}\n`);
  }, 240_000);

  it('an app that fails ends NeedsAttention with its log kept and no AppResult visible', async () => {
    const bad = (
      await call('POST', `projects/${projectId}/samples`, { Name: 'broken', SampleId: 'B1' })
    ).body.Response.Id;
    const files = new FilesClient(hub.url, token);
    // Quality shorter than the sequence: no FASTQ reader accepts it.
    const garbage = execSync("printf '@r1\\nACGTACGTACGTACGTACGTAAAA\\n+\\nII\\n' | gzip -c");
    await files.upload(
      'samples',
      bad,
      'B1_S2_L001_R1_001.fastq.gz',
      '',
      garbage,
      'application/gzip',
    );
    const before = await listAll(hub.url, token, `projects/${projectId}/appresults`);
    const started = await launch('resequencing', [projectProp(), samplesProp([bad]), genomeProp()]);
    expect(started.status).toBe(200);
    const { session } = await waitForSession(hub.url, token, started.body.Response.Id, 120_000);
    expect(session.Status).toBe('NeedsAttention');
    expect(session.StatusSummary).toMatch(
      /^Resequencing failed: resequencing ended with exit code 1: \[broken\] no reads/,
    );
    const log = await (
      await fetch(`${hub.url}/v1pre3/appsessions/${session.Id}/logs`, {
        headers: { 'x-access-token': token },
      })
    ).text();
    expect(log).toContain('failed to parse the first FASTA/FASTQ record');
    expect(log).toContain('seqhub: failed:');
    expect(await listAll(hub.url, token, `appsessions/${session.Id}/appresults`)).toEqual([]);
    expect(await listAll(hub.url, token, `projects/${projectId}/appresults`)).toEqual(before);
  }, 180_000);
});
