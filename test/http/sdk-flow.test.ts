import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { PythonSdkClient, sdkResponse } from '../support/basespace-client.js';
import { startTestHub, type TestHub } from '../support/hub.js';

const DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/;

/** No `null` anywhere: the SDK crashes on null ints and dates (client-contract.md). */
function expectNoNulls(value: unknown, path = '$'): void {
  if (value === null) throw new Error(`null at ${path}`);
  if (Array.isArray(value)) value.forEach((v, i) => expectNoNulls(v, `${path}[${i}]`));
  else if (typeof value === 'object')
    for (const [k, v] of Object.entries(value as object)) expectNoNulls(v, `${path}.${k}`);
}

describe.each(backends())('BaseSpace Python SDK flow on $kind', (backend) => {
  let hub: TestHub;
  let sdk: PythonSdkClient;
  beforeAll(async () => {
    hub = await startTestHub(backend);
    sdk = new PythonSdkClient(hub.url, (await hub.newUser({ name: 'Lab Scientist' })).token);
  });
  afterAll(() => hub?.close());

  it('createProject posts to projects/ and an existing name returns the same project', async () => {
    const first = sdkResponse(await sdk.post('projects/', { Name: 'Exome 2026' }));
    expect(first).toMatchObject({
      Name: 'Exome 2026',
      Href: `v1pre3/projects/${first.Id}`,
      HrefSamples: `v1pre3/projects/${first.Id}/samples`,
      HrefAppResults: `v1pre3/projects/${first.Id}/appresults`,
      UserOwnedBy: { Name: 'Lab Scientist' },
    });
    expect(typeof first.Id).toBe('string');
    expect(first.HrefBaseSpaceUI).toBe(`${hub.url}/project/${first.Id}/Exome-2026`);
    expect(first.DateCreated).toMatch(DATE);
    expectNoNulls(first);
    const again = sdkResponse(await sdk.post('projects/', { Name: 'Exome 2026' }));
    expect(again.Id).toBe(first.Id);
    expect(sdkResponse(await sdk.get(`projects/${first.Id}`))).toMatchObject({
      Id: first.Id,
      Name: 'Exome 2026',
    });
  });

  it('concurrent creates of one name make one project', async () => {
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => sdk.post('projects/', { Name: 'Race' })),
    );
    const ids = new Set(replies.map((r) => sdkResponse(r).Id));
    expect(ids.size).toBe(1);
    expect(await sdk.listAll('users/current/projects', { Name: 'Race' })).toHaveLength(1);
  });

  it('getUserProjectByName: Name is an exact match, and lists page with Offset += DisplayedCount', async () => {
    for (const name of ['alpha', 'alpha2', 'Alpha', 'beta'])
      await sdk.post('projects/', { Name: name });
    const exact = await sdk.listAll('users/current/projects', { Name: 'alpha' });
    expect(exact.map((p) => p.Name)).toEqual(['alpha']);
    const all = await sdk.listAll('users/current/projects');
    expect(all.map((p) => p.Name)).toEqual(
      expect.arrayContaining(['alpha', 'alpha2', 'Alpha', 'beta', 'Exome 2026']),
    );
    // Walk the same list in pages of 2, as the SDK would with a smaller server page.
    const seen: string[] = [];
    for (let offset = 0; ;) {
      const page = sdkResponse(
        await sdk.get('users/current/projects', { Limit: 2, Offset: offset, SortBy: 'Name' }),
      );
      expect(page.DisplayedCount).toBe(page.Items.length);
      expect(page).toMatchObject({ Offset: offset, Limit: 2, SortBy: 'Name', SortDir: 'Asc' });
      seen.push(...page.Items.map((p: { Name: string }) => p.Name));
      offset += page.DisplayedCount;
      if (offset >= page.TotalCount) break;
    }
    expect(seen).toEqual([...seen].sort());
    expect(seen).toHaveLength(all.length);
  });

  it('createAppResult without an AppSession makes a Running one; with appsessionid joins it', async () => {
    const project = sdkResponse(await sdk.post('projects/', { Name: 'Results' }));
    const r1 = sdkResponse(
      await sdk.post(`projects/${project.Id}/appresults`, { Name: 'first', Description: 'desc' }),
    );
    expect(r1).toMatchObject({
      Name: 'first',
      Description: 'desc',
      Status: 'Running',
      StatusSummary: '',
      HrefFiles: `v1pre3/appresults/${r1.Id}/files`,
      TotalSize: 0,
      References: [],
      UserOwnedBy: { Name: 'Lab Scientist' },
      AppSession: { Status: 'Running', Href: `v1pre3/appsessions/${r1.AppSession.Id}` },
    });
    expect(r1.AppSession.Application).toMatchObject({
      Id: expect.any(String),
      Name: expect.any(String),
    });
    expect(r1.AppSession.DateCreated).toMatch(DATE);
    expectNoNulls(r1);

    // The SDK first reads the session and checks it is Running, then posts with appsessionid.
    const sessionId = r1.AppSession.Id;
    expect(sdkResponse(await sdk.get(`appsessions/${sessionId}`)).Status).toBe('Running');
    const r2 = sdkResponse(
      await sdk.post(`projects/${project.Id}/appresults?appsessionid=${sessionId}`, {
        Name: 'second',
      }),
    );
    expect(r2.AppSession.Id).toBe(sessionId);
    // `appsessionid=` (empty) means "make a new one" (spec 4.4).
    const r3 = sdkResponse(
      await sdk.post(`projects/${project.Id}/appresults?appsessionid=`, { Name: 'third' }),
    );
    expect(r3.AppSession.Id).not.toBe(sessionId);

    const got = sdkResponse(await sdk.get(`appresults/${r2.Id}`));
    expect(got).toMatchObject({ Id: r2.Id, Name: 'second', AppSession: { Id: sessionId } });
    const listed = await sdk.listAll(`projects/${project.Id}/appresults`);
    expect(listed.map((r) => r.Name).sort()).toEqual(['first', 'second', 'third']);
    const bySession = await sdk.listAll(`appsessions/${sessionId}/appresults`);
    expect(bySession.map((r) => r.Id).sort()).toEqual([r1.Id, r2.Id].sort());
  });

  it('createAppResult with References to a sample: HrefContent ends in the sample id', async () => {
    const project = sdkResponse(await sdk.post('projects/', { Name: 'Refs' }));
    const sample = sdkResponse(
      await sdk.post(`projects/${project.Id}/samples`, { Name: 'NA12878', SampleId: 'NA12878' }),
    );
    const result = sdkResponse(
      await sdk.post(`projects/${project.Id}/appresults`, {
        Name: 'aligned',
        Description: '',
        References: [{ Rel: 'using', Type: 'Sample', HrefContent: `v1pre3/samples/${sample.Id}` }],
      }),
    );
    const got = sdkResponse(await sdk.get(`appresults/${result.Id}`));
    expect(got.References).toHaveLength(1);
    expect(got.References[0]).toMatchObject({
      Rel: 'using',
      Type: 'Sample',
      HrefContent: `v1pre3/samples/${sample.Id}`,
    });
    expect(got.References[0].HrefContent.split('/').pop()).toBe(sample.Id);
    expect(got.References[0].Content).toMatchObject({ Id: sample.Id, Name: 'NA12878' });
  });

  it('createSample with every metadata field, inside an existing AppSession', async () => {
    const project = sdkResponse(await sdk.post('projects/', { Name: 'Samples' }));
    const seed = sdkResponse(
      await sdk.post(`projects/${project.Id}/appresults`, { Name: 'demux' }),
    );
    const sessionId = seed.AppSession.Id;
    const body = {
      Name: 'Sample_A',
      ExperimentName: 'Run 42',
      SampleNumber: 3,
      SampleId: 'S-A',
      NumReadsRaw: 123456789012,
      NumReadsPF: 120000000000,
      Read1: 151,
      IsPairedEnd: true,
      Read2: 151,
      HrefGenome: 'v1pre3/genomes/4',
    };
    const s = sdkResponse(
      await sdk.post(`projects/${project.Id}/samples?appsessionid=${sessionId}`, body),
    );
    expect(s).toMatchObject({
      ...body,
      Status: 'Running',
      HrefFiles: `v1pre3/samples/${s.Id}/files`,
      AppSession: { Id: sessionId },
      TotalSize: 0,
      References: [],
      Projects: [{ Id: project.Id }],
    });
    expectNoNulls(s);
    for (const field of [
      'SampleNumber',
      'Read1',
      'Read2',
      'NumReadsRaw',
      'NumReadsPF',
      'TotalSize',
    ]) {
      expect(Number.isInteger(s[field])).toBe(true);
    }
    expect(sdkResponse(await sdk.get(`samples/${s.Id}`))).toMatchObject({ ...body, Id: s.Id });
    const listed = await sdk.listAll(`projects/${project.Id}/samples`);
    expect(listed).toEqual([
      expect.objectContaining({ Id: s.Id, Name: 'Sample_A', SampleId: 'S-A', Status: 'Running' }),
    ]);

    // A sample with only a Name: the optional numbers are omitted, never null.
    const bare = sdkResponse(await sdk.post(`projects/${project.Id}/samples`, { Name: 'bare' }));
    expect(bare.SampleId).toBe('bare');
    expect('Read2' in bare).toBe(false);
    expect('HrefGenome' in bare).toBe(false);
  });

  it('setAppSessionState: lower-case keys and value; Samples and AppResults follow the status', async () => {
    const project = sdkResponse(await sdk.post('projects/', { Name: 'Status' }));
    const result = sdkResponse(await sdk.post(`projects/${project.Id}/appresults`, { Name: 'r' }));
    const sessionId = result.AppSession.Id;
    const sample = sdkResponse(
      await sdk.post(`projects/${project.Id}/samples?appsessionid=${sessionId}`, { Name: 's' }),
    );

    const attention = sdkResponse(
      await sdk.post(`appsessions/${sessionId}`, {
        status: 'needsattention',
        statussummary: 'low Q30',
      }),
    );
    expect(attention).toMatchObject({ Status: 'NeedsAttention', StatusSummary: 'low Q30' });
    // Still workable: new results may join.
    sdkResponse(
      await sdk.post(`projects/${project.Id}/appresults?appsessionid=${sessionId}`, {
        Name: 'retry',
      }),
    );

    const done = sdkResponse(
      await sdk.post(`appsessions/${sessionId}`, { status: 'complete', statussummary: 'all good' }),
    );
    expect(done).toMatchObject({ Status: 'Complete', StatusSummary: 'all good' });
    expect(done.DateCompleted).toMatch(DATE);
    expect(sdkResponse(await sdk.get(`samples/${sample.Id}`))).toMatchObject({
      Status: 'Complete',
      StatusSummary: 'all good',
    });
    expect(sdkResponse(await sdk.get(`appresults/${result.Id}`))).toMatchObject({
      Status: 'Complete',
    });
    const complete = await sdk.listAll(`projects/${project.Id}/appresults`, {
      Statuses: 'complete',
    });
    expect(complete).toHaveLength(2);
    expect(
      await sdk.listAll(`projects/${project.Id}/appresults`, {
        Statuses: 'Running,NeedsAttention',
      }),
    ).toHaveLength(0);

    // Final: nothing new may join, and the status cannot change.
    const late = await sdk.post(`projects/${project.Id}/appresults?appsessionid=${sessionId}`, {
      Name: 'late',
    });
    expect(late.status).toBe(409);
    expect(late.body.ResponseStatus.ErrorCode).toBe('BASESPACE.APPSESSIONS.NOT_WORKABLE');
    const reopen = await sdk.post(`appsessions/${sessionId}`, { status: 'running' });
    expect(reopen.status).toBe(409);
    expect(
      (await sdk.listAll(`projects/${project.Id}/appresults`)).map((r) => r.Name),
    ).not.toContain('late');
  });

  it('AppSession status accepts C# PascalCase JSON and Java/R form bodies', async () => {
    const project = sdkResponse(await sdk.post('projects/', { Name: 'Bodies' }));
    const sessionOf = async () =>
      sdkResponse(await sdk.post(`projects/${project.Id}/appresults`, { Name: 'x' })).AppSession.Id;
    const a = await sessionOf();
    expect(
      sdkResponse(await sdk.post(`appsessions/${a}`, { Status: 'TimedOut', StatusSummary: 'slow' }))
        .Status,
    ).toBe('TimedOut');
    const b = await sessionOf();
    const res = await fetch(`${hub.url}/v1pre3/appsessions/${b}`, {
      method: 'POST',
      headers: { 'x-access-token': sdk.token, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'status=Aborted&statussummary=user+stopped',
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).Response).toMatchObject({
      Status: 'Aborted',
      StatusSummary: 'user stopped',
    });
  });

  it('getAllAppSessions lists the caller’s sessions, filtered by Statuses', async () => {
    const all = await sdk.listAll('users/current/appsessions');
    expect(all.length).toBeGreaterThan(3);
    for (const s of all) {
      expect(s.Status).toMatch(/^(Running|Complete|NeedsAttention|TimedOut|Aborted)$/);
      expectNoNulls(s);
    }
    const complete = await sdk.listAll('users/current/appsessions', { Statuses: 'Complete' });
    expect(complete.length).toBeGreaterThan(0);
    expect(complete.every((s) => s.Status === 'Complete')).toBe(true);
  });

  it('getAccessibleRunsByUser: empty list, then the runs the user owns with their fields', async () => {
    const fresh = new PythonSdkClient(hub.url, (await hub.newUser()).token);
    const empty = sdkResponse(
      await fresh.get('users/current/runs', { Limit: 1024, Offset: 0, SortBy: 'DateCreated' }),
    );
    expect(empty).toMatchObject({ Items: [], DisplayedCount: 0, TotalCount: 0 });

    const { user, token } = await hub.newUser();
    const runs = new PythonSdkClient(hub.url, token);
    const r1 = await hub.createRun(user, {
      name: '260101_M00001_0001_000000000-A1B2C',
      experimentName: 'PhiX QC',
      status: 'Complete',
    });
    await hub.createRun(user, {
      name: '260102_M00001_0002',
      experimentName: 'Exome',
      status: 'Failed',
      flowcellBarcode: undefined,
    });
    const listed = await runs.listAll('users/current/runs');
    expect(listed).toHaveLength(2);
    const run = sdkResponse(await runs.get(`runs/${r1.id}`));
    expect(run).toMatchObject({
      Id: r1.id,
      Href: `v1pre3/runs/${r1.id}`,
      Name: '260101_M00001_0001_000000000-A1B2C',
      ExperimentName: 'PhiX QC',
      Status: 'Complete',
      HrefFiles: `v1pre3/runs/${r1.id}/files`,
      HrefSamples: `v1pre3/runs/${r1.id}/samples`,
      PlatformName: 'MiSeq',
      NumCyclesRead1: 151,
    });
    expect(run.DateCreated).toMatch(DATE);
    expectNoNulls(run);
    expect(
      (await runs.listAll('users/current/runs', { Statuses: 'failed' })).map(
        (r) => r.ExperimentName,
      ),
    ).toEqual(['Exome']);
    expect(
      (await runs.listAll('users/current/runs', { FlowcellBarcode: '' })).map(
        (r) => r.ExperimentName,
      ),
    ).toEqual(['Exome']);
    // Another user's run is invisible.
    const other = await fresh.get(`runs/${r1.id}`);
    expect(other.status).toBe(404);
  });

  it('genomes: the catalog has the builds labs use, sortable, and single genomes by id', async () => {
    const list = await sdk.listAll('genomes', {}, null);
    const builds = list.map((g) => `${g.SpeciesName}/${g.Build}`);
    for (const expected of [
      'Homo sapiens/hg19',
      'Homo sapiens/hg38',
      'Homo sapiens/GRCh37',
      'Homo sapiens/GRCh38',
      'Mus musculus/mm10',
      'Mus musculus/GRCm39',
      'PhiX/RTA',
    ]) {
      expect(builds).toContain(expected);
    }
    for (const species of [
      'Rattus norvegicus',
      'Danio rerio',
      'Drosophila melanogaster',
      'Caenorhabditis elegans',
      'Saccharomyces cerevisiae',
      'Arabidopsis thaliana',
    ]) {
      expect(list.some((g) => g.SpeciesName === species)).toBe(true);
    }
    expect(list.some((g) => /^Escherichia coli/.test(g.SpeciesName))).toBe(true);
    const hg19 = sdkResponse(await sdk.get('genomes/4'));
    expect(hg19).toMatchObject({
      Id: '4',
      Href: 'v1pre3/genomes/4',
      SpeciesName: 'Homo sapiens',
      Source: 'UCSC',
      Build: 'hg19',
    });
    expect(hg19.DisplayName).toContain('hg19');
    const bySpecies = sdkResponse(
      await sdk.get('genomes', { SortBy: 'SpeciesName', SortDir: 'Desc', Limit: 3 }),
    );
    const names = bySpecies.Items.map((g: { SpeciesName: string }) => g.SpeciesName);
    expect(names).toEqual([...names].sort().reverse());
    const missing = await sdk.get('genomes/110');
    expect(missing.status).toBe(404);
    expect(missing.body.ResponseStatus).toEqual({
      ErrorCode: 'NotFound',
      Message: "Genome id '110' doesn't exist",
    });
  });

  it('query parameter names and enum values are case-insensitive', async () => {
    const a = sdkResponse(
      await sdk.get('users/current/projects', {
        limit: 1,
        sortby: 'name',
        sortdir: 'desc',
        offset: 0,
      }),
    );
    expect(a).toMatchObject({ Limit: 1, SortBy: 'Name', SortDir: 'Desc', DisplayedCount: 1 });
    const b = sdkResponse(await sdk.get('users/current/projects', { LIMIT: 0 }));
    expect(b.Items).toEqual([]);
    expect(b.TotalCount).toBeGreaterThan(0);
  });
});
