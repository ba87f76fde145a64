import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, storages, type Backend, type Storage } from '../support/backends.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/** The run upload flow over real HTTP: POST runs, upload files, uploadstatus=complete. */
const MISEQ = 'test/fixtures/runs/miseq-130417';
const NOVASEQ = 'test/fixtures/runs/novaseq-190414';

function folderFiles(root: string): { path: string; bytes: Uint8Array }[] {
  const out: { path: string; bytes: Uint8Array }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else
        out.push({
          path: relative(root, full).split('\\').join('/'),
          bytes: new Uint8Array(readFileSync(full)),
        });
    }
  };
  walk(root);
  return out;
}

const matrix: { db: string; store: string; backend: Backend; storage: Storage }[] =
  backends().flatMap((backend) =>
    storages().map((storage) => ({ db: backend.kind, store: storage.kind, backend, storage })),
  );

describe.each(matrix)('runs upload on $db with $store storage', ({ backend, storage }) => {
  let hub: TestHub;
  let token: string;
  let other: string;
  const call = async (method: string, path: string, body?: unknown, t = token) => {
    const res = await fetch(`${hub.url}/v1pre3/${path}`, {
      method,
      headers: {
        'x-access-token': t,
        ...(body !== undefined && { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const upload = async (runId: string, path: string, bytes: Uint8Array, t = token) => {
    const slash = path.lastIndexOf('/');
    const qs = new URLSearchParams({
      name: path.slice(slash + 1),
      directory: slash < 0 ? '' : path.slice(0, slash),
    });
    const res = await fetch(`${hub.url}/v1pre3/runs/${runId}/files?${qs}`, {
      method: 'POST',
      headers: { 'x-access-token': t, 'Content-Type': 'application/octet-stream' },
      body: bytes,
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const newRun = async (name: string) => {
    const created = await call('POST', 'runs', { Name: name });
    expect(created.status).toBe(200);
    expect(created.body.Response.Status).toBe('Uploading');
    return created.body.Response.Id as string;
  };
  const uploadFolder = async (runId: string, files: { path: string; bytes: Uint8Array }[]) => {
    for (const f of files) expect((await upload(runId, f.path, f.bytes)).status).toBe(200);
  };

  beforeAll(async () => {
    hub = await startTestHub(backend, { storage });
    token = (await hub.newUser()).token;
    other = (await hub.newUser()).token;
  });
  afterAll(async () => hub?.close());

  it('uploads the MiSeq run folder and completes it: Run fields from RunInfo/RunParameters, stats from InterOp', async () => {
    const id = await newRun('my miseq run');
    const files = folderFiles(MISEQ);
    await uploadFolder(id, files);
    const done = await call('POST', `runs/${id}?uploadstatus=complete`);
    expect(done.status).toBe(200);
    const run = done.body.Response;
    expect(run).toMatchObject({
      Id: id,
      Name: '130417_M00146_0021_000000000-A2WDF',
      ExperimentName: 'Experiment_1',
      Number: 20,
      Status: 'Complete',
      FlowcellBarcode: '000000000-A2WDF',
      ReagentBarcode: 'MS2009033-300V2',
      InstrumentName: 'M00146',
      InstrumentType: 'MiSeq',
      PlatformName: 'MiSeq',
      NumCyclesRead1: 121,
      NumCyclesRead2: 121,
      ReadStructure: 'Y121,Y121',
      TotalCycles: 242,
      NumLanes: 1,
      NumSurfaces: 2,
      NumSwathsPerLane: 1,
      NumTilesPerSwath: 14,
      RtaVersion: '1.17.28',
      SampleSheetName: 'SampleSheet.csv',
      LibraryCount: 1,
      RunDate: '2013-04-17',
      HrefSequencingStats: `v1pre3/runs/${id}/sequencingstats`,
      TotalSize: files.reduce((a, f) => a + f.bytes.length, 0),
    });
    expect(run.DateUploadCompleted).toBeDefined();
    expect(run.NumCyclesIndex1).toBeUndefined();

    const stats = (await call('GET', `runs/${id}/sequencingstats`)).body.Response;
    expect(stats).toMatchObject({
      Href: `v1pre3/runs/${id}/sequencingstats`,
      IsIndexed: false,
      NumLanes: 1,
      NumReads: 2,
      ReadsTotal: 10_758_890,
      ReadsPfTotal: 10_038_106,
      MaxCycleScored: 242,
      MaxCycleExtracted: 242,
      MaxCycleCalled: 242,
    });
    // runscanner: % > Q30 94.84 %, yields 1.2046 Gbp per read, density 597.2 ± 12.98 K/mm².
    expect(stats.PercentGtQ30).toBeCloseTo(94.84, 2);
    expect(stats.YieldTotal).toBeCloseTo(2 * 1.2045726776, 6);
    expect(Math.round(stats.PercentGtQ30R1)).toBe(96);
    expect(Math.round(stats.PercentGtQ30R2)).toBe(94);
    expect(stats.Lanes[0].ClusterDensity).toBeCloseTo(597.2, 1);
    expect(stats.Lanes[0].ClusterDensityDeviation).toBeCloseTo(12.98, 2);
    expect(stats.PhasingR1).toBeCloseTo(0.146564, 5);
    expect(stats.Reads).toHaveLength(2);
    expect(stats.LanesByRead).toHaveLength(2);
    expect(stats.Cycles).toBeUndefined();
    const detailed = (await call('GET', `runs/${id}/sequencingstats?detail=cycles`)).body.Response;
    expect(detailed.Cycles).toHaveLength(242);
    expect(detailed.Cycles[0]).toMatchObject({ CycleNumber: 1, ReadNumber: 1 });
    expect(detailed.Cycles[0].CalledIntensity.A).toBeCloseTo(206.75, 3);
    expect(detailed.Cycles[121]).toMatchObject({ CycleNumber: 122, ReadNumber: 2 });

    // Listed, searchable by its files, and complete again is a no-op.
    const list = (await call('GET', 'users/current/runs?Statuses=Complete')).body.Response;
    expect(list.Items.map((r: any) => r.Id)).toContain(id);
    expect((await call('POST', `runs/${id}`, { UploadStatus: 'complete' })).status).toBe(200);
    const listed = (await call('GET', `runs/${id}/files?Limit=100`)).body.Response;
    expect(listed.TotalCount).toBe(files.length);
    expect(listed.Items.map((f: any) => f.Path)).toContain('InterOp/QMetricsOut.bin');
  });

  it('a completed run takes no more files (409); another user sees nothing', async () => {
    const id = await newRun('closed');
    await uploadFolder(id, folderFiles(NOVASEQ));
    const done = await call('POST', `runs/${id}?uploadstatus=complete`);
    expect(done.status).toBe(200);
    expect(done.body.Response).toMatchObject({
      Name: '190414_A00111_0296_AHJCWWDSXX',
      FlowcellBarcode: 'HJCWWDSXX',
      ReadStructure: 'Y4,I8,I8,Y4',
      NumCyclesIndex1: 8,
      NumCyclesIndex2: 8,
      NumTiles: 3,
      LibraryCount: 93,
    });
    const late = await upload(id, 'extra.txt', new Uint8Array([1]));
    expect(late.status).toBe(409);
    expect(late.body.ResponseStatus.ErrorCode).toBe('BASESPACE.RUNS.NOT_UPLOADING');
    expect((await call('GET', `runs/${id}`, undefined, other)).status).toBe(404);
    expect((await upload(id, 'x.txt', new Uint8Array([1]), other)).status).toBe(404);
    const stats = (await call('GET', `runs/${id}/sequencingstats`)).body.Response;
    // No InterOp in this folder: the read structure, and no metrics.
    expect(stats).toMatchObject({ IsIndexed: true, NumReads: 4, Lanes: [], LanesByRead: [] });
    expect(stats.Reads.map((r: any) => [r.ReadNumber, r.IsIndexed, r.TotalCycles])).toEqual([
      [1, false, 4],
      [2, true, 8],
      [3, true, 8],
      [4, false, 4],
    ]);
    expect(stats.YieldTotal).toBeUndefined();
  });

  it('bad folders: a clear 400, the run stays Uploading, unchanged, and can be fixed', async () => {
    const id = await newRun('broken');
    const miss = await call('POST', `runs/${id}?uploadstatus=complete`);
    expect(miss.status).toBe(400);
    expect(miss.body.ResponseStatus).toEqual({
      ErrorCode: 'BASESPACE.RUNS.FOLDER_INVALID',
      Message: 'RunInfo.xml is missing: this is not an Illumina run folder',
    });
    const runInfo = readFileSync(join(MISEQ, 'RunInfo.xml'));
    expect((await upload(id, 'RunInfo.xml', new Uint8Array(runInfo.subarray(0, 200)))).status).toBe(
      200,
    );
    const corrupt = await call('POST', `runs/${id}?uploadstatus=complete`);
    expect(corrupt.status).toBe(400);
    expect(corrupt.body.ResponseStatus.Message).toMatch(
      /^RunInfo.xml: is not well-formed XML: .*\(line \d+\)$/,
    );
    const run = (await call('GET', `runs/${id}`)).body.Response;
    expect(run).toMatchObject({ Name: 'broken', Status: 'Uploading' });
    expect(run.FlowcellBarcode).toBeUndefined();

    // The same path again replaces nothing: a second, good RunInfo.xml is a new file of the same path,
    // so use a fresh run for the truncated InterOp and the bad sample sheet.
    const id2 = await newRun('truncated interop');
    await upload(id2, 'RunInfo.xml', new Uint8Array(runInfo));
    const tile = readFileSync(join(MISEQ, 'InterOp/TileMetricsOut.bin'));
    await upload(
      id2,
      'InterOp/TileMetricsOut.bin',
      new Uint8Array(tile.subarray(0, tile.length - 3)),
    );
    const cut = await call('POST', `runs/${id2}?uploadstatus=complete`);
    expect(cut.status).toBe(400);
    expect(cut.body.ResponseStatus.Message).toMatch(
      /^InterOp\/TileMetricsOut.bin: is truncated: 7 byte\(s\) of a 10-byte record at the end \(byte \d+\)$/,
    );

    const id3 = await newRun('bad sheet');
    await upload(id3, 'RunInfo.xml', new Uint8Array(readFileSync(join(NOVASEQ, 'RunInfo.xml'))));
    const sheet =
      '[Data]\nSample_ID,index,index2\nA,ACGTACGT,ACGTACGT\nB,ACGTACGA,ACGTACGT\nC d,TTTTTTTTTT,ACGTACGT\n';
    await upload(id3, 'SampleSheet.csv', new TextEncoder().encode(sheet));
    const bad = await call('POST', `runs/${id3}?uploadstatus=complete`);
    expect(bad.status).toBe(400);
    expect(bad.body.ResponseStatus.Message).toBe(
      "SampleSheet.csv: line 4: samples 'A' (line 3) and 'B' (line 4) have indexes ACGTACGT+ACGTACGT and ACGTACGA+ACGTACGT only 1+0 mismatch(es) apart: with BarcodeMismatchesIndex1=1, BarcodeMismatchesIndex2=1 a read could match both; " +
        "line 5: Sample_ID 'C d' may hold only letters, digits, '-' and '_' (at most 100); " +
        "line 5: index 'TTTTTTTTTT' of sample 'C d' is 10 bases; the run reads 8 i7 cycles",
    );
    expect((await call('GET', `runs/${id3}`)).body.Response.Status).toBe('Uploading');
    // The server keeps serving.
    expect((await call('GET', 'users/current')).status).toBe(200);
  });

  it('bad requests: no Name, a wrong uploadstatus, Detail, scope', async () => {
    expect((await call('POST', 'runs', {})).status).toBe(400);
    const id = await newRun('r');
    const wrong = await call('POST', `runs/${id}?uploadstatus=aborted`);
    expect(wrong.status).toBe(400);
    expect(wrong.body.ResponseStatus.Message).toBe(
      "uploadstatus must be 'complete' (got 'aborted')",
    );
    expect((await call('GET', `runs/${id}/sequencingstats?Detail=tiles`)).status).toBe(400);
    const browse = await hub.tokenFor((await hub.newUser()).user, 'browse global');
    const denied = await call('POST', 'runs', { Name: 'x' }, browse);
    expect(denied.status).toBe(403);
  });
});
