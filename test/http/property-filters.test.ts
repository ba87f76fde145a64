import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { PythonSdkClient, sdkResponse } from '../support/basespace-client.js';
import { FilesClient, json, randomData } from '../support/files-client.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * Exact-match property filters on resource lists (issue 5; docs/api-choices.md "Property
 * filters"): `PropertyName` + `PropertyValue`, over real HTTP, on both databases.
 */
describe.each(backends())('property filters on $kind', (backend) => {
  let hub: TestHub;
  let alice: PythonSdkClient;
  let bob: PythonSdkClient;
  const ids: Record<string, string> = {};

  const setProps = async (
    client: PythonSdkClient,
    path: string,
    props: { Type: string; Name: string; Content?: unknown; Items?: unknown }[],
  ) => {
    const reply = await client.post(`${path}/properties`, { Properties: props });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  };
  const list = async (
    client: PythonSdkClient,
    path: string,
    query: Record<string, string | number>,
  ) => {
    const reply = await client.get(path, query);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return sdkResponse(reply);
  };
  const names = (r: any) => r.Items.map((i: any) => i.Name);

  beforeAll(async () => {
    hub = await startTestHub(backend);
    const a = await hub.newUser({ name: 'Alice' });
    const b = await hub.newUser({ name: 'Bob' });
    alice = new PythonSdkClient(hub.url, a.token);
    bob = new PythonSdkClient(hub.url, b.token);

    const project = sdkResponse(await alice.post('projects/', { Name: 'Cohort' }));
    const other = sdkResponse(await alice.post('projects/', { Name: 'Other' }));
    ids.project = project.Id;
    ids.other = other.Id;
    const run = await hub.createRun(a.user, { name: 'RUN-1' });
    ids.run = run.id;
    for (const [name, library] of [
      ['S1', 'LIB-A'],
      ['S2', 'LIB-B'],
      ['S3', 'LIB-A'],
      ['S4', 'LIB-A'],
      ['S5', 'lib-a'],
    ] as const) {
      const s = sdkResponse(await alice.post(`projects/${project.Id}/samples`, { Name: name }));
      ids[name] = s.Id;
      await setProps(alice, `samples/${s.Id}`, [
        { Type: 'string', Name: 'Input.Library', Content: library },
      ]);
    }
    // A sample in another project with the same value: not in this project's list.
    const elsewhere = sdkResponse(
      await alice.post(`projects/${other.Id}/samples`, { Name: 'S-elsewhere' }),
    );
    await setProps(alice, `samples/${elsewhere.Id}`, [
      { Type: 'string', Name: 'Input.Library', Content: 'LIB-A' },
    ]);
    await setProps(alice, `samples/${ids.S2}`, [
      { Type: 'string[]', Name: 'Input.Tags', Items: ['tumour', 'batch-7'] },
      { Type: 'run', Name: 'Input.Run', Content: `v1pre3/runs/${run.id}` },
    ]);
    await setProps(alice, `projects/${project.Id}`, [
      { Type: 'string', Name: 'Lab.Study', Content: 'STUDY-9' },
    ]);
    await setProps(alice, `runs/${run.id}`, [
      { Type: 'string', Name: 'Lab.Operator', Content: 'ann' },
    ]);
    const result = sdkResponse(
      await alice.post(`projects/${project.Id}/appresults`, { Name: 'calls' }),
    );
    const result2 = sdkResponse(
      await alice.post(`projects/${project.Id}/appresults`, { Name: 'calls 2' }),
    );
    ids.result = result.Id;
    ids.session = result.AppSession.Id;
    await setProps(alice, `appresults/${result.Id}`, [
      { Type: 'sample[]', Name: 'Input.Samples', Items: [`v1pre3/samples/${ids.S1}`] },
    ]);
    await setProps(alice, `appresults/${result2.Id}`, [
      { Type: 'string', Name: 'Output.Kind', Content: 'vcf' },
    ]);
    await setProps(alice, `appsessions/${result.AppSession.Id}`, [
      { Type: 'project', Name: 'Input.project-id', Content: `v1pre3/projects/${project.Id}` },
    ]);
    const files = new FilesClient(hub.url, a.token);
    for (const name of ['a.vcf', 'b.vcf']) {
      const file = await json(await files.upload('appresults', result.Id, name, '', randomData(4)));
      ids[name] = file.Response.Id;
    }
    await setProps(alice, `files/${ids['b.vcf']}`, [
      { Type: 'string', Name: 'Output.Kind', Content: 'vcf' },
    ]);

    // Bob's look-alikes never show for Alice.
    const bobProject = sdkResponse(await bob.post('projects/', { Name: 'Bob cohort' }));
    ids.bobProject = bobProject.Id;
    await setProps(bob, `projects/${bobProject.Id}`, [
      { Type: 'string', Name: 'Lab.Study', Content: 'STUDY-9' },
    ]);
    const bobSample = sdkResponse(
      await bob.post(`projects/${bobProject.Id}/samples`, { Name: 'B1' }),
    );
    await setProps(bob, `samples/${bobSample.Id}`, [
      { Type: 'string', Name: 'Input.Library', Content: 'LIB-A' },
    ]);
  });
  afterAll(() => hub?.close());

  const byLibrary = (value: string, extra: Record<string, string | number> = {}) =>
    list(alice, `projects/${ids.project}/samples`, {
      PropertyName: 'Input.Library',
      PropertyValue: value,
      ...extra,
    });

  it('samples of a project whose Input.Library is X: exact, case-sensitive value', async () => {
    const r = await byLibrary('LIB-A');
    expect(r).toMatchObject({ TotalCount: 3, DisplayedCount: 3 });
    expect(names(r)).toEqual(['S1', 'S3', 'S4']);
    expect(names(await byLibrary('LIB-B'))).toEqual(['S2']);
    expect(names(await byLibrary('lib-a'))).toEqual(['S5']);
    expect(await byLibrary('LIB-')).toMatchObject({ TotalCount: 0, Items: [] });
    // Without the filter: all five.
    expect((await list(alice, `projects/${ids.project}/samples`, {})).TotalCount).toBe(5);
  });

  it('combines with Offset, Limit and SortBy; TotalCount counts the filtered set', async () => {
    const p1 = await byLibrary('LIB-A', { SortBy: 'Name', SortDir: 'Desc', Limit: 2 });
    expect(p1).toMatchObject({ TotalCount: 3, DisplayedCount: 2, SortBy: 'Name' });
    expect(names(p1)).toEqual(['S4', 'S3']);
    const p2 = await byLibrary('LIB-A', { SortBy: 'Name', SortDir: 'Desc', Limit: 2, Offset: 2 });
    expect(p2).toMatchObject({ TotalCount: 3, DisplayedCount: 1 });
    expect(names(p2)).toEqual(['S1']);
    expect(await byLibrary('LIB-A', { Limit: 0 })).toMatchObject({ TotalCount: 3, Items: [] });
    expect(await byLibrary('LIB-A', { Offset: 50 })).toMatchObject({ TotalCount: 3, Items: [] });
  });

  it('string[] items match any item; references match the referenced id', async () => {
    const tags = (v: string) =>
      list(alice, `projects/${ids.project}/samples`, {
        PropertyName: 'Input.Tags',
        PropertyValue: v,
      });
    expect(names(await tags('batch-7'))).toEqual(['S2']);
    expect(names(await tags('tumour'))).toEqual(['S2']);
    expect((await tags('tumour batch-7')).TotalCount).toBe(0);
    const byRun = await list(alice, `projects/${ids.project}/samples`, {
      PropertyName: 'Input.Run',
      PropertyValue: ids.run!,
    });
    expect(names(byRun)).toEqual(['S2']);
    const results = await list(alice, `projects/${ids.project}/appresults`, {
      PropertyName: 'Input.Samples',
      PropertyValue: ids.S1!,
    });
    expect(names(results)).toEqual(['calls']);
  });

  it('every list of a resource with properties takes the filter', async () => {
    const projects = await list(alice, 'users/current/projects', {
      PropertyName: 'Lab.Study',
      PropertyValue: 'STUDY-9',
    });
    expect(names(projects)).toEqual(['Cohort']); // not Bob's project with the same value
    const runs = await list(alice, 'users/current/runs', {
      PropertyName: 'Lab.Operator',
      PropertyValue: 'ann',
    });
    expect(names(runs)).toEqual(['RUN-1']);
    expect(
      (
        await list(alice, 'users/current/runs', {
          PropertyName: 'Lab.Operator',
          PropertyValue: 'x',
        })
      ).TotalCount,
    ).toBe(0);
    const results = await list(alice, `projects/${ids.project}/appresults`, {
      PropertyName: 'Output.Kind',
      PropertyValue: 'vcf',
      Statuses: 'Running',
    });
    expect(names(results)).toEqual(['calls 2']);
    const files = await list(alice, `appresults/${ids.result}/files`, {
      PropertyName: 'Output.Kind',
      PropertyValue: 'vcf',
    });
    expect(files).toMatchObject({ TotalCount: 1 });
    expect(names(files)).toEqual(['b.vcf']);
    const sessions = await list(alice, 'users/current/appsessions', {
      PropertyName: 'Input.project-id',
      PropertyValue: ids.project!,
    });
    expect(sessions.Items.map((s: any) => s.Id)).toEqual([ids.session]);
    expect(
      (
        await list(alice, 'users/current/appsessions', {
          PropertyName: 'Input.project-id',
          PropertyValue: ids.other!,
        })
      ).TotalCount,
    ).toBe(0);
    // Parameter names are case-insensitive like every list parameter.
    const lower = await list(alice, `projects/${ids.project}/samples`, {
      propertyname: 'Input.Library',
      PROPERTYVALUE: 'LIB-B',
    });
    expect(names(lower)).toEqual(['S2']);
  });

  it("another user's resources are never returned", async () => {
    const bobs = await list(bob, 'users/current/projects', {
      PropertyName: 'Lab.Study',
      PropertyValue: 'STUDY-9',
    });
    expect(names(bobs)).toEqual(['Bob cohort']);
    const bobSamples = await list(bob, `projects/${ids.bobProject}/samples`, {
      PropertyName: 'Input.Library',
      PropertyValue: 'LIB-A',
    });
    expect(names(bobSamples)).toEqual(['B1']);
    // Alice's project is not Bob's to list, filter or not.
    const reply = await bob.get(`projects/${ids.project}/samples`, {
      PropertyName: 'Input.Library',
      PropertyValue: 'LIB-A',
    });
    expect(reply.status).toBe(404);
  });

  it('unknown property names match nothing; bad names and half pairs are 400', async () => {
    expect(await byLibrary('LIB-A', { PropertyName: 'No.Such' })).toMatchObject({
      TotalCount: 0,
      Items: [],
    });
    for (const [name, code] of <[string, string][]>[
      ['Input Library', 'BASESPACE.PROPERTIES.NAME_INVALID'],
      ['nodot', 'BASESPACE.PROPERTIES.NAME_INVALID'],
      ['.x.y', 'BASESPACE.PROPERTIES.NAME_INVALID'],
      ['a', 'BASESPACE.PROPERTIES.NAME_LENGTH'],
      [`a.${'b'.repeat(70)}`, 'BASESPACE.PROPERTIES.NAME_LENGTH'],
    ]) {
      const reply = await alice.get(`projects/${ids.project}/samples`, {
        PropertyName: name,
        PropertyValue: 'x',
      });
      expect(reply.status, name).toBe(400);
      expect(reply.body.ResponseStatus.ErrorCode, name).toBe(code);
    }
    for (const path of [
      `projects/${ids.project}/samples`,
      `projects/${ids.project}/appresults`,
      'users/current/projects',
      'users/current/runs',
      'users/current/appsessions',
      `appresults/${ids.result}/files`,
    ]) {
      const halves: Record<string, string>[] = [
        { PropertyName: 'Input.Library' },
        { PropertyValue: 'LIB-A' },
      ];
      for (const half of halves) {
        const reply = await alice.get(path, half);
        expect(reply.status, path).toBe(400);
        expect(reply.body.ResponseStatus.ErrorCode).toBe('BadRequest');
      }
    }
  });

  it('follows property changes: replace and delete', async () => {
    await setProps(alice, `samples/${ids.S4}`, [
      { Type: 'string', Name: 'Input.Library', Content: 'LIB-C' },
    ]);
    expect(names(await byLibrary('LIB-A'))).toEqual(['S1', 'S3']);
    expect(names(await byLibrary('LIB-C'))).toEqual(['S4']);
    const del = await fetch(`${hub.url}/v1pre3/samples/${ids.S4}/properties/Input.Library`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${alice.token}` },
    });
    expect(del.status).toBe(200);
    expect((await byLibrary('LIB-C')).TotalCount).toBe(0);
  });
});
