import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  truncateSync,
  writeFileSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/domain/index.js';
import { applyEamss } from '../../src/domain/eamss.js';
import { parseFastq, type FastqRecord } from '../../src/formats/index.js';
import { backends, storages, type Backend, type Storage } from '../support/backends.js';
import { BCL2FASTR_RUN, PICARD_ILLUMINA } from '../support/demux.js';
import {
  api,
  download,
  importRun,
  listAll,
  projectFastqs,
  waitForSession,
} from '../support/demux-http.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * `POST runs/{id}/demultiplex` end to end over real HTTP: the run is imported into the hub's
 * storage, the job reads it back from the blob store, and the created Samples' FASTQ files are
 * downloaded and compared with bcl2fastq's own output for the same run.
 */
/** Records keyed by lane:tile:x:y (fields 4-7 of both Picard's and our read names). */
function byClusterKey(
  records: FastqRecord[],
  eamss: boolean,
): Map<string, { seq: string; qual: string; filtered: boolean }> {
  const out = new Map<string, { seq: string; qual: string; filtered: boolean }>();
  for (const r of records) {
    const [id, comment = ''] = r.name.split(' ');
    let qual = r.qual;
    if (eamss) {
      // Picard masks qualities (EAMSS) by default; bcl2fastq and BCL Convert, and so we, do not.
      const q = Buffer.from(r.qual, 'latin1');
      applyEamss(Buffer.from(r.seq, 'latin1'), q);
      qual = q.toString('latin1');
    }
    out.set(id!.split(':').slice(3, 7).join(':'), {
      seq: r.seq,
      qual,
      filtered: comment.split(':')[1] === 'Y',
    });
  }
  return out;
}

const picardRunInfo = `<?xml version="1.0"?>
<RunInfo Version="2">
  <Run Id="110101_machine1_0001_abcdeACXX" Number="1">
    <Flowcell>abcdeACXX</Flowcell>
    <Instrument>machine1</Instrument>
    <Date>110101</Date>
    <Reads>
      <Read Number="1" NumCycles="25" IsIndexedRead="N" />
      <Read Number="2" NumCycles="8" IsIndexedRead="Y" />
      <Read Number="3" NumCycles="25" IsIndexedRead="N" />
    </Reads>
    <FlowcellLayout LaneCount="1" SurfaceCount="2" SwathCount="1" TileCount="1">
      <TileSet TileNamingConvention="FourDigit">
        <Tiles>
          <Tile>1_1101</Tile>
          <Tile>1_1201</Tile>
          <Tile>1_2101</Tile>
        </Tiles>
      </TileSet>
    </FlowcellLayout>
  </Run>
</RunInfo>
`;

const local = storages()[0]!;
const s3 = storages().find((s) => s.kind === 's3');
const matrix: { db: string; store: string; backend: Backend; storage: Storage }[] = [
  ...backends().map((backend) => ({ db: backend.kind, store: 'local', backend, storage: local })),
  ...(s3 ? [{ db: 'sqlite', store: 's3', backend: backends()[0]!, storage: s3 }] : []),
];

describe.skipIf(!BCL2FASTR_RUN).each(matrix)(
  'demultiplexing over HTTP on $db with $store storage',
  ({ backend, storage }) => {
    let hub: TestHub;
    let user: User;
    let token: string;
    let runId: string;
    const call = (method: string, path: string, body?: unknown, t = token) =>
      api(hub.url, t, method, path, body);
    const newProject = async (name: string) =>
      (await call('POST', 'projects', { Name: name })).body.Response.Id as string;

    beforeAll(async () => {
      // The embedded queue on both databases: a test reads its `jobs` table.
      hub = await startTestHub(backend, { storage, env: { SEQHUB_QUEUE: 'embedded' } });
      ({ user, token } = await hub.newUser());
      runId = await importRun(hub, user, BCL2FASTR_RUN!);
    });
    afterAll(async () => hub?.close());

    it('creates one Sample per Sample_ID whose FASTQs equal bcl2fastq, reports in an AppResult, properties, Complete', async () => {
      const projectId = await newProject('bcl2fastr');
      const started = await call('POST', `runs/${runId}/demultiplex`, { ProjectId: projectId });
      expect(started.status).toBe(200);
      expect(started.body.Response.Status).toBe('Running');
      expect(started.body.Response.Application.Name).toBe('seqhub Demultiplexing');
      const { session, summaries } = await waitForSession(hub.url, token, started.body.Response.Id);
      expect(session.Status, session.StatusSummary).toBe('Complete');
      expect(session.StatusSummary).toBe(
        'Demultiplexed 245 PF clusters of 300 into 93 samples (23 undetermined)',
      );
      expect(summaries.length).toBeGreaterThan(0);

      const lines = readFileSync(join(BCL2FASTR_RUN!, 'SampleSheet.csv'), 'utf8').split(/\r?\n/);
      const sheet = lines
        .slice(lines.findIndex((l) => l.startsWith('Sample_ID,')) + 1)
        .filter((l) => l.trim())
        .map((l) => l.split(',')[0]!);
      const { samples, records } = await projectFastqs(hub.url, token, projectId);
      expect(samples.map((s) => s.SampleId).sort()).toEqual([...sheet].sort());
      expect(new Set(samples.map((s) => s.Id)).size).toBe(93);

      const expectedDir = join(BCL2FASTR_RUN!, 'fastqs');
      let compared = 0;
      for (const file of readdirSync(expectedDir).filter((f) => f.endsWith('.fastq.gz'))) {
        const [, sample, read] = /^(.+)_L001_(R[12])_001\.fastq\.gz$/.exec(file)!;
        const want = parseFastq(
          gunzipSync(readFileSync(join(expectedDir, file))).toString('latin1'),
        );
        const ours = records.get(
          `${sample}_S${sheet.indexOf(sample!) + 1}_L001_${read}_001.fastq.gz`,
        );
        expect(ours, file).toEqual(want);
        compared += want.length;
      }
      expect(compared).toBe(444);
      // Every sample has its R1 and R2 (empty ones too), and nothing else.
      expect(records.size).toBe(93 * 2);

      const top = samples.find((s) => s.SampleId === '8034211776')!;
      const full = (await call('GET', `samples/${top.Id}`)).body.Response;
      expect(full).toMatchObject({
        Name: '8034211776',
        SampleId: '8034211776',
        NumReadsRaw: 10,
        NumReadsPF: 10,
        Read1: 4,
        Read2: 4,
        IsPairedEnd: true,
        Status: 'Complete',
      });
      expect(full.References[0].HrefContent).toBe(`v1pre3/runs/${runId}`);
      expect(full.AppSession.Id).toBe(session.Id);

      const results = await listAll(hub.url, token, `appsessions/${session.Id}/appresults`);
      expect(results).toHaveLength(1);
      const files = await listAll(hub.url, token, `appresults/${results[0].Id}/files`);
      expect(files.map((f) => f.Path).sort()).toEqual([
        'Reports/Demultiplex_Stats.csv',
        'Reports/Top_Unknown_Barcodes.csv',
        'Undetermined_S0_L001_R1_001.fastq.gz',
        'Undetermined_S0_L001_R2_001.fastq.gz',
      ]);
      const statsFile = files.find((f) => f.Name === 'Demultiplex_Stats.csv')!;
      const statsBytes = await download(hub.url, token, statsFile.Id);
      // Outputs carry the CRC-32 of their bytes (what `seqhub download` checks, issue 8).
      expect(statsFile.Crc32).toBe(crc32(statsBytes).toString(16).padStart(8, '0'));
      const stats = statsBytes.toString('utf8').trim().split('\n');
      expect(stats).toHaveLength(1 + 93 + 1);
      expect(stats[stats.length - 1]).toBe('1,Undetermined,,,23,0,0,0,0.0939,0.0000,0.0000,0.0000');

      const props = (await call('GET', `appsessions/${session.Id}/properties?Limit=100`)).body
        .Response.Items as any[];
      const byName = new Map(props.map((p) => [p.Name, p]));
      expect(byName.get('Input.Runs').Items[0].Id).toBe(runId);
      expect(byName.get('Input.Project').Content.Id).toBe(projectId);
      expect(byName.get('Input.WithFailedReads').Content).toBe('false');
      expect(byName.get('Input.BarcodeMismatchesIndex1').Content).toBe('1');
      expect(byName.get('Output.Samples').ItemsTotalCount).toBe(93);
      expect(byName.get('Output.AppResults').Items[0].Id).toBe(results[0].Id);

      // The job's last saved progress: every tile.
      const job = await hub.server.hub.db.db
        .selectFrom('jobs')
        .selectAll()
        .where('singleton_key', '=', `appsession-${session.Id}`)
        .executeTakeFirstOrThrow();
      expect(job.state).toBe('completed');
      expect(Number(job.attempts)).toBe(1);
      expect(JSON.parse(job.progress!)).toMatchObject({ tilesDone: 3, tilesTotal: 3 });
      // The staging area is gone.
      expect(readdirSync(join(hub.dataDir, 'staging'))).toEqual([]);
    });

    it("applies the sheet's adapter settings (Reports/Adapter_Metrics.csv beside the reports); a bad adapter is a 400", async () => {
      const own = readFileSync(join(BCL2FASTR_RUN!, 'SampleSheet.csv'), 'utf8');
      const withAdapter = (adapter: string) =>
        `[Settings]\nAdapterRead1,${adapter}\nMinimumTrimmedReadLength,1\nMaskShortReads,1\n${own}`;
      const projectId = await newProject('adapters');
      const bad = await call('POST', `runs/${runId}/demultiplex`, {
        ProjectId: projectId,
        SampleSheet: withAdapter('ACXT'),
      });
      expect(bad.status).toBe(400);
      expect(bad.body.ResponseStatus.ErrorCode).toBe('BASESPACE.RUNS.SAMPLESHEET_INVALID');
      expect(bad.body.ResponseStatus.Message).toMatch(/AdapterRead1 'ACXT'/);
      const started = await call('POST', `runs/${runId}/demultiplex`, {
        ProjectId: projectId,
        SampleSheet: withAdapter('AGAT'),
      });
      expect(started.status, JSON.stringify(started.body)).toBe(200);
      const { session } = await waitForSession(hub.url, token, started.body.Response.Id);
      expect(session.Status, session.StatusSummary).toBe('Complete');
      const results = await listAll(hub.url, token, `appsessions/${session.Id}/appresults`);
      const files = await listAll(hub.url, token, `appresults/${results[0].Id}/files`);
      const metrics = files.find((f) => f.Path === 'Reports/Adapter_Metrics.csv');
      expect(metrics, files.map((f) => f.Path).join()).toBeDefined();
      const rows = (await download(hub.url, token, metrics!.Id))
        .toString('utf8')
        .trim()
        .split('\n');
      expect(rows[0]).toMatch(/^Lane,Sample_ID,/);
      expect(rows.length).toBeGreaterThan(1);
    });

    it.skipIf(!PICARD_ILLUMINA)(
      "Picard's 25T8B25T (.bcl, .filter, .clocs), its single-index barcodes, WithFailedReads, the sheet in the request: every read in the sample Picard put it in, same bases, PF flags and (after Picard's EAMSS) qualities",
      async () => {
        const source = join(PICARD_ILLUMINA!, '25T8B25T');
        const folder = mkdtempSync(join(tmpdir(), 'seqhub-picard-run-'));
        // Picard's list holds barcodes with no-calls ('.'), which a sample sheet cannot: their
        // reads are expected among ours in Undetermined.
        const barcodes = readFileSync(join(source, 'fastq/mp_barcode.params'), 'utf8')
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => l.split('\t')[0]!)
          .filter((b) => !/^N+$/.test(b));
        const kept = barcodes.filter((b) => /^[ACGT]{8}$/.test(b));
        // No SampleSheet.csv in the folder: the request brings it.
        const sheet = [
          '[Header]',
          'IEMFileVersion,4',
          '',
          '[Data]',
          'Sample_ID,Sample_Name,index',
          ...kept.map((b) => `${b},${b},${b}`),
          '',
        ].join('\n');
        let picardRun: string;
        try {
          cpSync(join(source, 'Data'), join(folder, 'Data'), { recursive: true });
          writeFileSync(join(folder, 'RunInfo.xml'), picardRunInfo);
          picardRun = await importRun(hub, user, folder);
        } finally {
          rmSync(folder, { recursive: true, force: true });
        }
        const projectId = await newProject('picard');
        const noSheet = await call('POST', `runs/${picardRun}/demultiplex`, {
          ProjectId: projectId,
        });
        expect(noSheet.status).toBe(400);
        expect(noSheet.body.ResponseStatus).toMatchObject({
          ErrorCode: 'BASESPACE.RUNS.SAMPLESHEET_INVALID',
          Message: 'the run has no SampleSheet.csv: send one as SampleSheet in the request body',
        });
        const started = await call('POST', `runs/${picardRun}/demultiplex`, {
          ProjectId: projectId,
          SampleSheet: sheet,
          WithFailedReads: true,
          BarcodeMismatchesIndex1: 0,
        });
        expect(started.status, JSON.stringify(started.body)).toBe(200);
        const { session } = await waitForSession(hub.url, token, started.body.Response.Id);
        expect(session.Status, session.StatusSummary).toBe('Complete');
        const { samples, records } = await projectFastqs(hub.url, token, projectId);
        expect(samples).toHaveLength(kept.length);
        const results = await listAll(hub.url, token, `appsessions/${session.Id}/appresults`);
        for (const f of await listAll(hub.url, token, `appresults/${results[0].Id}/files`))
          if (f.Name.startsWith('Undetermined_'))
            records.set(
              f.Name,
              parseFastq(gunzipSync(await download(hub.url, token, f.Id)).toString('latin1')),
            );
        let compared = 0;
        for (const [read, ext] of [
          ['R1', '1'],
          ['R2', '2'],
        ] as const) {
          const picard = (files: string[]) =>
            byClusterKey(
              files.flatMap((f) => {
                const path = join(source, `fastq/${f}.${ext}.fastq`);
                return existsSync(path) ? parseFastq(readFileSync(path, 'latin1')) : [];
              }),
              false,
            );
          kept.forEach((b, i) => {
            const want = picard([b]);
            expect(
              byClusterKey(records.get(`${b}_S${i + 1}_L001_${read}_001.fastq.gz`)!, true),
              b,
            ).toEqual(want);
            compared += want.size;
          });
          const want = picard([...barcodes.filter((b) => !kept.includes(b)), 'N']);
          expect(
            byClusterKey(records.get(`Undetermined_S0_L001_${read}_001.fastq.gz`)!, true),
          ).toEqual(want);
          compared += want.size;
        }
        expect(compared).toBe(360);
      },
    );

    /** A copy of the bcl2fastr run (without its expected FASTQs) with some files changed. */
    const brokenRun = async (change: (folder: string) => void): Promise<string> => {
      const folder = mkdtempSync(join(tmpdir(), 'seqhub-broken-run-'));
      try {
        cpSync(BCL2FASTR_RUN!, folder, {
          recursive: true,
          filter: (src) => !src.includes(`${BCL2FASTR_RUN!}/fastqs`),
        });
        change(folder);
        return await importRun(hub, user, folder);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    };
    const halve = (path: string) => truncateSync(path, Math.floor(statSync(path).size / 2));
    const L001 = 'Data/Intensities/BaseCalls/L001';

    it.each([
      [
        'a truncated CBCL',
        (f: string) => halve(join(f, L001, 'C5.1/L001_1.cbcl')),
        `${L001}/C5.1/L001_1.cbcl`,
      ],
      [
        'a truncated filter',
        (f: string) => halve(join(f, L001, 's_1_1102.filter')),
        `${L001}/s_1_1102.filter`,
      ],
      [
        'a truncated s.locs',
        (f: string) => halve(join(f, 'Data/Intensities/s.locs')),
        'Data/Intensities/s.locs',
      ],
      [
        'a RunInfo listing a tile the folder does not have',
        (f: string) => {
          const info = join(f, 'RunInfo.xml');
          writeFileSync(
            info,
            readFileSync(info, 'utf8').replace(
              '<Tile>1_1103</Tile>',
              '<Tile>1_1103</Tile>\n<Tile>1_1104</Tile>',
            ),
          );
        },
        'tile 1104',
      ],
      [
        'a RunInfo with more cycles than the folder has',
        (f: string) => {
          const info = join(f, 'RunInfo.xml');
          writeFileSync(
            info,
            readFileSync(info, 'utf8').replace(
              '<Read IsIndexedRead="N" NumCycles="4" Number="4" />',
              '<Read IsIndexedRead="N" NumCycles="5" Number="4" />',
            ),
          );
        },
        `${L001}/C25.1`,
      ],
    ])(
      '%s: NeedsAttention naming the file, no Sample, nothing staged, the server keeps serving',
      async (_, change, named) => {
        const broken = await brokenRun(change);
        const projectId = await newProject(`broken ${named}`);
        const started = await call('POST', `runs/${broken}/demultiplex`, { ProjectId: projectId });
        expect(started.status).toBe(200);
        const { session } = await waitForSession(hub.url, token, started.body.Response.Id);
        expect(session.Status).toBe('NeedsAttention');
        expect(session.StatusSummary).toContain('Demultiplexing failed: ');
        expect(session.StatusSummary).toContain(named);
        expect(await listAll(hub.url, token, `projects/${projectId}/samples`)).toEqual([]);
        expect(await listAll(hub.url, token, `projects/${projectId}/appresults`)).toEqual([]);
        expect(await listAll(hub.url, token, `appsessions/${session.Id}/appresults`)).toEqual([]);
        expect(readdirSync(join(hub.dataDir, 'staging'))).toEqual([]);
        const far = new Date(Date.now() + 86_400_000);
        expect(await hub.server.hub.blobs.listOlderThan(`demux/${session.Id}/`, far)).toEqual([]);
        expect((await call('GET', 'users/current')).status).toBe(200);
      },
    );

    const v1Sheet = (rows: string[], extra = '') =>
      [
        '[Header]',
        'IEMFileVersion,4',
        '',
        '[Settings]',
        extra,
        '',
        '[Data]',
        'Sample_ID,Sample_Name,Sample_Project,index,index2',
        ...rows,
        '',
      ].join('\n');

    it.each([
      [
        'a sheet that does not parse',
        '[Header]\nIEMFileVersion,4\n',
        /SampleSheet \(request body\): .*Data/i,
      ],
      [
        'a duplicate sample',
        v1Sheet(['A,A,P,ACGTACGT,ACGTACGT', 'A,A,P,ACGTACGT,ACGTACGT']),
        /listed twice/,
      ],
      [
        'indexes colliding within the allowed mismatches (the pair named)',
        v1Sheet(['A,A,P,ACGTACGT,ACGTACGT', 'B,B,P,ACGTACGA,ACGTACGA']),
        /samples 'A' \(line \d+\) and 'B' \(line \d+\) have indexes/,
      ],
      [
        'an index longer than the index cycles',
        v1Sheet(['A,A,P,ACGTACGTAC,ACGTACGT']),
        /index 'ACGTACGTAC' of sample 'A' is 10 bases; the run reads 8 i7 cycles/,
      ],
      [
        'bad characters in an index',
        v1Sheet(['A,A,P,ACGTXCGT,ACGTACGT']),
        /may hold only A, C, G, T, N/,
      ],
      ['bad characters in a Sample_ID', v1Sheet(['A B,A,P,ACGTACGT,ACGTACGT']), /Sample_ID 'A B'/],
      [
        'OverrideCycles that do not fit RunInfo',
        v1Sheet(['A,A,P,ACGTACGT,ACGTACGT'], 'OverrideCycles,Y4;I8;I8;Y5'),
        /OverrideCycles/,
      ],
    ])('%s is a 400 at once, naming the sheet, and writes nothing', async (_, sheet, message) => {
      const projectId = await newProject(`sheet ${String(message).slice(1, 20)}`);
      const before = await listAll(hub.url, token, 'users/current/appsessions');
      const res = await call('POST', `runs/${runId}/demultiplex`, {
        ProjectId: projectId,
        SampleSheet: sheet,
      });
      expect(res.status).toBe(400);
      expect(res.body.ResponseStatus.ErrorCode).toBe('BASESPACE.RUNS.SAMPLESHEET_INVALID');
      expect(res.body.ResponseStatus.Message).toContain('SampleSheet (request body): ');
      expect(res.body.ResponseStatus.Message).toMatch(message);
      expect(await listAll(hub.url, token, 'users/current/appsessions')).toHaveLength(
        before.length,
      );
    });

    it('a collision allowed by BarcodeMismatchesIndex1/2 = 0 is accepted; out-of-range options and bad bodies are 400s', async () => {
      const projectId = await newProject('options');
      const close = v1Sheet(['A,A,P,CTGTATGC,AGCCGTAA', 'B,B,P,CTGTATGA,AGCCGTAT']);
      const refused = await call('POST', `runs/${runId}/demultiplex`, {
        ProjectId: projectId,
        SampleSheet: close,
      });
      expect(refused.status).toBe(400);
      const ok = await call('POST', `runs/${runId}/demultiplex`, {
        ProjectId: projectId,
        SampleSheet: close,
        BarcodeMismatchesIndex1: 0,
        BarcodeMismatchesIndex2: 0,
        WithFailedReads: true,
      });
      expect(ok.status).toBe(200);
      const { session } = await waitForSession(hub.url, token, ok.body.Response.Id);
      expect(session.Status, session.StatusSummary).toBe('Complete');
      // WithFailedReads: every one of the 300 clusters is written (55 flagged Y).
      const { samples, records } = await projectFastqs(hub.url, token, projectId);
      expect(samples.map((s) => s.SampleId).sort()).toEqual(['A', 'B']);
      const results = await listAll(hub.url, token, `appsessions/${session.Id}/appresults`);
      const undetermined = (
        await listAll(hub.url, token, `appresults/${results[0].Id}/files`)
      ).find((f) => f.Name === 'Undetermined_S0_L001_R1_001.fastq.gz');
      const und = parseFastq(
        gunzipSync(await download(hub.url, token, undetermined.Id)).toString('latin1'),
      );
      const r1 = [...records].filter(([n]) => n.includes('_R1_')).flatMap(([, r]) => r);
      expect(r1.length + und.length).toBe(300);
      expect([...r1, ...und].filter((r) => / 1:Y:0:/.test(r.name))).toHaveLength(55);
      const props = (await call('GET', `appsessions/${session.Id}/properties?Limit=100`)).body
        .Response.Items as any[];
      expect(props.find((p) => p.Name === 'Input.WithFailedReads').Content).toBe('true');
      expect(props.find((p) => p.Name === 'Input.BarcodeMismatchesIndex2').Content).toBe('0');

      for (const body of [
        { ProjectId: projectId, BarcodeMismatchesIndex1: 3 },
        { ProjectId: projectId, BarcodeMismatchesIndex2: -1 },
        { ProjectId: projectId, WithFailedReads: 'yes' },
        { ProjectId: projectId, SampleSheet: 42 },
        {},
      ]) {
        const res = await call('POST', `runs/${runId}/demultiplex`, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.ResponseStatus.ErrorCode).toBe('BadRequest');
      }
    });

    it('takes read on the run and write on the project; an Uploading run is a 409', async () => {
      const projectId = await newProject('access');
      const other = await hub.newUser();
      // Someone else's run: 404; someone else's project: 404.
      const theirProject = (await api(hub.url, other.token, 'POST', 'projects', { Name: 'theirs' }))
        .body.Response.Id;
      expect(
        (await call('POST', `runs/${runId}/demultiplex`, { ProjectId: projectId }, other.token))
          .status,
      ).toBe(404);
      expect(
        (await call('POST', `runs/${runId}/demultiplex`, { ProjectId: theirProject })).status,
      ).toBe(404);
      // A token that may only read: 403.
      const reader = await hub.tokenFor(user, `read project ${projectId}, read run ${runId}`);
      const denied = await call(
        'POST',
        `runs/${runId}/demultiplex`,
        { ProjectId: projectId },
        reader,
      );
      expect(denied.status).toBe(403);
      const uploading = (await call('POST', 'runs', { Name: 'still uploading' })).body.Response.Id;
      const conflict = await call('POST', `runs/${uploading}/demultiplex`, {
        ProjectId: projectId,
      });
      expect(conflict.status).toBe(409);
      expect(conflict.body.ResponseStatus.ErrorCode).toBe('BASESPACE.RUNS.NOT_COMPLETE');
    });
  },
  // S3-compatible servers answer each of a job's few hundred requests in tens of ms.
  180_000,
);
