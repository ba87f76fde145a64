import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, SeqhubClient, collect } from '../../src/sdk/index.js';
import { backends } from '../support/backends.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/** The SDK's resource calls (issue 8) against a real hub: what the CLI e2e tests do not reach. */
describe.each(backends())('SDK resource calls on $kind', (backend) => {
  let hub: TestHub;
  let owner: SeqhubClient;
  let other: SeqhubClient;
  let otherEmail: string;

  beforeAll(async () => {
    hub = await startTestHub(backend);
    owner = new SeqhubClient({ baseUrl: hub.url, accessToken: (await hub.newUser()).token });
    const o = await hub.newUser({ name: 'Other' });
    otherEmail = o.user.email;
    other = new SeqhubClient({ baseUrl: `${hub.url}/v1pre3/`, accessToken: o.token });
  });
  afterAll(() => hub?.close());

  it('projects, samples, app results and sessions: create, get, list with paging; camelCase views', async () => {
    const project = await owner.createProject({ name: 'Cohort A', description: 'first' });
    expect(project).toMatchObject({ name: 'Cohort A', description: 'first', totalSize: 0 });
    expect(project.hrefSamples).toBe(`v1pre3/projects/${project.id}/samples`);
    expect((await owner.createProject({ name: 'Cohort A' })).id).toBe(project.id);
    for (let i = 1; i <= 5; i++) await owner.createSample(project.id, { name: `S${i}` });
    const page = await owner.listSamplesPage(project.id, 2, 2, { sortBy: 'Name' });
    expect(page).toMatchObject({ offset: 2, limit: 2, totalCount: 5 });
    expect(page.items.map((s) => s.name)).toEqual(['S3', 'S4']);
    const all = await collect(owner.listSamples(project.id, { pageSize: 2, sortBy: 'Name' }));
    expect(all.map((s) => s.name)).toEqual(['S1', 'S2', 'S3', 'S4', 'S5']);
    expect((await owner.getSample(all[0]!.id)).sampleId).toBe('S1');

    const result = await owner.createAppResult(project.id, { name: 'Calls' });
    expect((await owner.getAppResult(result.id)).appSession?.id).toBe(result.appSession?.id);
    const session = await owner.setAppSessionStatus(result.appSession!.id, {
      status: 'Complete',
      statusSummary: 'done',
    });
    expect(session).toMatchObject({ status: 'Complete', statusSummary: 'done' });
    expect((await collect(owner.listAppSessionAppResults(session.id))).map((r) => r.id)).toEqual([
      result.id,
    ]);
    expect(
      (await collect(owner.listAppSessions({ statuses: ['Complete'] }))).map((s) => s.id),
    ).toEqual([session.id]);
    expect(
      (await collect(owner.listAppResults(project.id, { statuses: ['Complete'] }))).length,
    ).toBeLessThanOrEqual(1);
    const projects = await collect(owner.listProjects({ name: 'Cohort A' }));
    expect(projects.map((p) => p.id)).toEqual([project.id]);
  });

  it('properties: set, get, items, list, filter by property, delete', async () => {
    const project = await owner.createProject({ name: 'Props' });
    const ref = { kind: 'projects', id: project.id } as const;
    const items = Array.from({ length: 25 }, (_, i) => `v${i}`);
    const [a, b] = await owner.setProperties(ref, [
      { name: 'lab.tissue', content: 'liver' },
      { name: 'lab.tags', items },
    ]);
    expect(a).toMatchObject({ name: 'lab.tissue', type: 'string', content: 'liver' });
    expect(b).toMatchObject({ name: 'lab.tags', type: 'string[]', itemsTotalCount: 25 });
    const paged = await collect(owner.listPropertyItems(ref, 'lab.tags', { pageSize: 10 }));
    expect(paged.map((i) => i.content)).toEqual(items);
    expect((await collect(owner.listProperties(ref))).map((p) => p.name).sort()).toEqual([
      'lab.tags',
      'lab.tissue',
    ]);
    const found = await collect(
      owner.listProjects({ propertyName: 'lab.tissue', propertyValue: 'liver' }),
    );
    expect(found.map((p) => p.id)).toEqual([project.id]);
    await owner.deleteProperty(ref, 'lab.tissue');
    const gone = await owner.getProperty(ref, 'lab.tissue').catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(ApiError);
    expect((gone as ApiError).status).toBe(404);
  });

  it('sharing: share by email, collaborators, links, audit log, unshare; search', async () => {
    const project = await owner.createProject({ name: 'Zebrafish atlas' });
    const ref = { kind: 'projects', id: project.id } as const;
    const share = await owner.share(ref, { email: otherEmail, access: 'Read' });
    expect(share).toMatchObject({ access: 'Read', user: { email: otherEmail } });
    expect((await other.getProject(project.id)).name).toBe('Zebrafish atlas');
    expect((await collect(owner.listCollaborators(ref))).map((c) => c.user.id)).toEqual([
      share.user.id,
    ]);
    const link = await owner.createShareLink(project.id, { label: 'reviewers' });
    expect(link).toMatchObject({ label: 'reviewers', isActive: true });
    expect(link.token).toBeTruthy();
    expect((await collect(owner.listShareLinks(project.id)))[0]?.token).toBeUndefined();
    await owner.deactivateShareLink(project.id, link.id);
    expect((await collect(owner.listShareLinks(project.id)))[0]?.isActive).toBe(false);
    const events = await collect(owner.listAuditLog(ref));
    expect(events.length).toBeGreaterThan(0);
    await owner.unshare(ref, share.user.id);
    const hidden = await other.getProject(project.id).catch((e: unknown) => e);
    expect((hidden as ApiError).status).toBe(404);

    const hits = await collect(owner.search('zebrafish', { scope: ['projects'] }));
    expect(hits[0]).toMatchObject({ type: 'Project', item: { id: project.id } });
    expect((await owner.searchPage('zebrafish', 0, 1)).totalCount).toBeGreaterThanOrEqual(1);
  });

  it('getFileText: a small file as text through its signed URL, whole or its first bytes', async () => {
    const project = await owner.createProject({ name: 'Reports' });
    const result = await owner.createAppResult(project.id, { name: 'Demux reports' });
    const text = 'Lane,SampleID,# Reads\n1,S1,120\n1,Undetermined,7\n';
    const file = await owner.uploadFile(
      { kind: 'appresults', id: result.id },
      new Blob([text], { type: 'text/csv' }),
      { name: 'Demultiplex_Stats.csv', directory: 'Reports' },
    );
    expect(await owner.getFileText(file.id)).toBe(text);
    expect(await owner.getFileText(file.id, { maxBytes: 4 })).toBe('Lane');
    const refused = await other.getFileText(file.id).catch((e: unknown) => e);
    expect((refused as ApiError).status).toBe(404);
  });

  it('genomes, a revoked token, an aborted call', async () => {
    const page = await owner.listGenomesPage(0, 5);
    for (const g of page.items) expect((await owner.getGenome(g.id)).id).toBe(g.id);
    const { token } = await hub.newUser();
    const doomed = new SeqhubClient({ baseUrl: hub.url, accessToken: token });
    await doomed.revokeToken();
    const refused = await doomed.currentUser().catch((e: unknown) => e);
    expect((refused as ApiError).status).toBe(401);
    const controller = new AbortController();
    controller.abort();
    await expect(owner.listProjectsPage(0, 10, { signal: controller.signal })).rejects.toThrow(
      /abort/i,
    );
  });
});
