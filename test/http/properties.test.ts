import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { PythonSdkClient, sdkResponse } from '../support/basespace-client.js';
import { FilesClient, json, randomData } from '../support/files-client.js';
import { startTestHub, type TestHub } from '../support/hub.js';

describe.each(backends())('properties on $kind', (backend) => {
  let hub: TestHub;
  let sdk: PythonSdkClient;
  let ids: Record<
    'project' | 'project2' | 'sample' | 'sample2' | 'appresult' | 'appsession' | 'run' | 'file',
    string
  >;
  let owner: Awaited<ReturnType<TestHub['newUser']>>;

  beforeAll(async () => {
    hub = await startTestHub(backend);
    owner = await hub.newUser({ name: 'Prop Owner' });
    sdk = new PythonSdkClient(hub.url, owner.token);
    const project = sdkResponse(await sdk.post('projects/', { Name: 'Props' }));
    const project2 = sdkResponse(await sdk.post('projects/', { Name: 'Props 2' }));
    const result = sdkResponse(await sdk.post(`projects/${project.Id}/appresults`, { Name: 'r' }));
    const sample = sdkResponse(
      await sdk.post(`projects/${project.Id}/samples`, { Name: 'NA12878' }),
    );
    const sample2 = sdkResponse(
      await sdk.post(`projects/${project2.Id}/samples`, { Name: 'Secret sample' }),
    );
    const run = await hub.createRun(owner.user, { experimentName: 'Run props' });
    const file = await json(
      await new FilesClient(hub.url, owner.token).upload(
        'appresults',
        result.Id,
        'a.txt',
        '',
        randomData(10),
      ),
    );
    ids = {
      project: project.Id,
      project2: project2.Id,
      sample: sample.Id,
      sample2: sample2.Id,
      appresult: result.Id,
      appsession: result.AppSession.Id,
      run: run.id,
      file: file.Response.Id,
    };
  });
  afterAll(() => hub?.close());

  const collections = [
    'projects',
    'runs',
    'samples',
    'appresults',
    'appsessions',
    'files',
  ] as const;
  const idOf = (c: (typeof collections)[number]) =>
    ({
      projects: ids.project,
      runs: ids.run,
      samples: ids.sample,
      appresults: ids.appresult,
      appsessions: ids.appsession,
      files: ids.file,
    })[c];

  it.each(collections)(
    'setResourceProperties on %s: the SDK posts "String", reads lower-case types back, and sees them in the resource',
    async (c) => {
      const id = idOf(c);
      const posted = await sdk.post(`${c}/${id}/properties`, {
        Properties: [
          { Type: 'String', Name: 'mytool.metrics.q30', Description: '', Content: '93.1' },
          { Type: 'String', Name: 'mytool.flag', Description: 'a flag', Content: 'True' },
        ],
      });
      expect(posted.status).toBe(200);
      expect(sdkResponse(posted)).toMatchObject({ DisplayedCount: 2, TotalCount: 2 });
      const list = sdkResponse(await sdk.get(`${c}/${id}/properties`));
      const byName = Object.fromEntries(list.Items.map((p: { Name: string }) => [p.Name, p]));
      expect(byName['mytool.metrics.q30']).toEqual({
        Type: 'string',
        Href: `v1pre3/${c}/${id}/properties/mytool.metrics.q30`,
        Name: 'mytool.metrics.q30',
        Description: '',
        Content: '93.1',
      });
      expect(byName['mytool.flag']).toMatchObject({
        Type: 'string',
        Description: 'a flag',
        Content: 'True',
      });
      const one = sdkResponse(await sdk.get(`${c}/${id}/properties/mytool.metrics.q30`));
      expect(one).toMatchObject({ Type: 'string', Content: '93.1' });
      expect(one.DateModified).toMatch(/\.\d{7}Z$/);
      const resource = sdkResponse(await sdk.get(`${c}/${id}`));
      expect(resource.Properties).toMatchObject({
        Href: `v1pre3/${c}/${id}/properties`,
        TotalCount: 2,
        DisplayedCount: 2,
      });
      expect(resource.Properties.Items.map((p: { Name: string }) => p.Name)).toEqual([
        'mytool.flag',
        'mytool.metrics.q30',
      ]);
    },
  );

  it('every type round-trips; references come back as the objects they name', async () => {
    const id = ids.appsession;
    const refs = {
      project: `v1pre3/projects/${ids.project}`,
      run: `v1pre3/runs/${ids.run}`,
      sample: `samples/${ids.sample}`,
      appresult: `v1pre3/appresults/${ids.appresult}`,
      appsession: `v1pre3/appsessions/${ids.appsession}`,
      file: `v1pre3/files/${ids.file}`,
    };
    const props = [
      { Type: 'string', Name: 't.string', Content: 'line1\nline2\t{"json":true}<x/>' },
      { Type: 'string[]', Name: 't.strings', Items: ['dup', 'dup', 'x'] },
      { Type: 'map', Name: 't.map', ContentMap: [{ Key: 'label.x-axis', Values: ['a', 'b'] }] },
      {
        Type: 'map[]',
        Name: 't.maps',
        ItemsMap: [[{ Key: 'a1', Values: ['r1'] }], [{ Key: 'b1', Values: [] }]],
      },
      ...Object.entries(refs).flatMap(([kind, href]) => [
        { Type: kind, Name: `t.${kind}`, Content: href },
        { Type: `${kind}[]`, Name: `t.${kind}s`, Items: [href, href] },
      ]),
    ];
    const written = sdkResponse(
      await sdk.post(`appsessions/${id}/properties`, { Properties: props }),
    );
    expect(written.TotalCount).toBe(props.length);
    const get = async (name: string) =>
      sdkResponse(await sdk.get(`appsessions/${id}/properties/${name}`));
    expect(await get('t.string')).toMatchObject({
      Type: 'string',
      Content: 'line1\nline2\t{"json":true}<x/>',
    });
    expect(await get('t.strings')).toMatchObject({
      Type: 'string[]',
      Items: ['dup', 'dup', 'x'],
      ItemsTotalCount: 3,
    });
    expect(await get('t.map')).toMatchObject({
      Type: 'map',
      Content: [{ Key: 'label.x-axis', Values: ['a', 'b'] }],
    });
    expect(await get('t.maps')).toMatchObject({
      Type: 'map[]',
      Items: [[{ Key: 'a1', Values: ['r1'] }], [{ Key: 'b1', Values: [] }]],
    });
    expect((await get('t.project')).Content).toMatchObject({
      Id: ids.project,
      Name: 'Props',
      Href: `v1pre3/projects/${ids.project}`,
    });
    expect((await get('t.run')).Content).toMatchObject({
      Id: ids.run,
      ExperimentName: 'Run props',
    });
    expect((await get('t.sample')).Content).toMatchObject({ Id: ids.sample, Name: 'NA12878' });
    expect((await get('t.appresult')).Content).toMatchObject({ Id: ids.appresult, Name: 'r' });
    expect((await get('t.appsession')).Content).toMatchObject({
      Id: ids.appsession,
      Status: 'Running',
    });
    expect((await get('t.file')).Content).toMatchObject({ Id: ids.file, Name: 'a.txt' });
    // Duplicate references collapse to one (spec 5.2).
    const samples = await get('t.samples');
    expect(samples).toMatchObject({
      Type: 'sample[]',
      ItemsTotalCount: 1,
      HrefItems: `v1pre3/appsessions/${id}/properties/t.samples/items`,
    });
    expect(samples.Items[0]).toMatchObject({ Id: ids.sample, Name: 'NA12878' });
    const items = sdkResponse(await sdk.get(`appsessions/${id}/properties/t.samples/items`));
    expect(items).toMatchObject({ Type: 'sample[]', TotalCount: 1, DisplayedCount: 1 });
    expect(items.Items[0]).toMatchObject({ Id: '1', Content: { Id: ids.sample } });
  });

  it('posting an existing name replaces its whole value and leaves the others alone', async () => {
    const id = ids.sample;
    await sdk.post(`samples/${id}/properties`, {
      Properties: [
        { Type: 'string[]', Name: 'unittest.multiitem.rainbow', Items: ['red', 'orange'] },
        { Type: 'string', Name: 'unittest.other', Content: 'keep' },
      ],
    });
    await sdk.post(`samples/${id}/properties`, {
      Properties: [
        {
          Type: 'string[]',
          Name: 'unittest.multiitem.rainbow',
          Items: ['red', 'orange', 'yellow'],
        },
      ],
    });
    expect(
      sdkResponse(await sdk.get(`samples/${id}/properties/unittest.multiitem.rainbow`)).Items,
    ).toEqual(['red', 'orange', 'yellow']);
    expect(sdkResponse(await sdk.get(`samples/${id}/properties/unittest.other`)).Content).toBe(
      'keep',
    );
    await sdk.post(`samples/${id}/properties`, {
      Properties: [{ Type: 'string', Name: 'unittest.multiitem.rainbow', Content: 'now single' }],
    });
    expect(
      sdkResponse(await sdk.get(`samples/${id}/properties/unittest.multiitem.rainbow`)),
    ).toMatchObject({ Type: 'string', Content: 'now single' });
  });

  it('items page (Offset/Limit/SortDir); lists default to 50; 65 posted at once answer 65, unpaged', async () => {
    const id = ids.project;
    const hundred = Array.from({ length: 100 }, (_, i) => String(i + 1));
    await sdk.post(`projects/${id}/properties`, {
      Properties: [{ Type: 'string[]', Name: 'big.list', Items: hundred }],
    });
    const page = sdkResponse(
      await sdk.get(`projects/${id}/properties/big.list/items`, { Offset: 75, Limit: 3 }),
    );
    expect(page).toMatchObject({
      Type: 'string[]',
      TotalCount: 100,
      DisplayedCount: 3,
      Offset: 75,
      Limit: 3,
      SortBy: 'DateCreated',
    });
    expect(page.Items).toEqual([
      { Id: '76', Content: '76' },
      { Id: '77', Content: '77' },
      { Id: '78', Content: '78' },
    ]);
    const last = sdkResponse(
      await sdk.get(`projects/${id}/properties/big.list/items`, { SortDir: 'Desc', Limit: 1 }),
    );
    expect(last.Items).toEqual([{ Id: '100', Content: '100' }]);
    const embedded = sdkResponse(await sdk.get(`projects/${id}/properties/big.list`));
    expect(embedded).toMatchObject({ ItemsDisplayedCount: 10, ItemsTotalCount: 100 });
    expect((await sdk.get(`projects/${id}/properties/mytool.flag/items`)).status).toBe(400);

    const many = Array.from({ length: 65 }, (_, i) => ({
      Type: 'string',
      Name: `bulk.p${String(i).padStart(2, '0')}`,
      Content: `${i}`,
    }));
    const written = sdkResponse(await sdk.post(`runs/${ids.run}/properties`, { Properties: many }));
    expect(written).toMatchObject({ DisplayedCount: 65, TotalCount: 65 });
    const listed = sdkResponse(await sdk.get(`runs/${ids.run}/properties`));
    expect(listed.DisplayedCount).toBe(50);
    expect(listed.TotalCount).toBe(67);
    const all = await sdk.listAll(`runs/${ids.run}/properties`, {}, null);
    expect(all).toHaveLength(67);
  });

  it('delete answers a string; a second delete and a read are 404 BASESPACE.PROPERTIES.NOT_FOUND', async () => {
    await sdk.post(`appresults/${ids.appresult}/properties`, {
      Properties: [{ Type: 'string', Name: 'to.delete', Content: 'x' }],
    });
    const res = await fetch(`${hub.url}/v1pre3/appresults/${ids.appresult}/properties/to.delete`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${owner.token}`, 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(typeof (await json(res)).Response).toBe('string');
    for (const method of ['GET', 'DELETE']) {
      const again = await fetch(
        `${hub.url}/v1pre3/appresults/${ids.appresult}/properties/to.delete`,
        { method, headers: { 'x-access-token': owner.token } },
      );
      expect(again.status).toBe(404);
      expect((await json(again)).ResponseStatus.ErrorCode).toBe('BASESPACE.PROPERTIES.NOT_FOUND');
    }
  });

  it.each([
    [{ Type: 'string', Name: '', Content: 'x' }, 400, 'BASESPACE.PROPERTIES.NAME_LENGTH'],
    [{ Type: 'string', Name: 'a', Content: 'x' }, 400, 'BASESPACE.PROPERTIES.NAME_LENGTH'],
    [
      { Type: 'string', Name: `x.${'y'.repeat(65)}`, Content: 'x' },
      400,
      'BASESPACE.PROPERTIES.NAME_LENGTH',
    ],
    [
      { Type: 'string', Name: 'no-namespace', Content: 'x' },
      400,
      'BASESPACE.PROPERTIES.NAME_INVALID',
    ],
    [{ Type: 'string', Name: 'bad.na$me', Content: 'x' }, 400, 'BASESPACE.PROPERTIES.NAME_INVALID'],
    [{ Name: 'x.refs', Items: [] }, 400, 'BASESPACE.PROPERTIES.TYPE_INVALID'],
    [{ Type: 'number', Name: 'x.y', Content: '1' }, 400, 'BASESPACE.PROPERTIES.TYPE_INVALID'],
    [
      { Type: 'project', Name: 'x.y', Content: 'somethinginvalid/1234' },
      400,
      'BASESPACE.PROPERTIES.CONTENT_REFERENCE_INVALID',
    ],
    [
      { Type: 'project', Name: 'x.y', Content: 'projects/notexistingproject' },
      409,
      'BASESPACE.PROPERTIES.CONTENT_REFERENCE_NOT_RESOLVED',
    ],
    [
      { Type: 'sample[]', Name: 'x.y', Items: ['samples/999999'] },
      409,
      'BASESPACE.PROPERTIES.CONTENT_REFERENCE_NOT_RESOLVED',
    ],
    [
      { Type: 'map', Name: 'x.y', ContentMap: [{ Key: 'bad key', Values: [] }] },
      400,
      'BASESPACE.PROPERTIES.CONTENT_MAP_KEY_INVALID',
    ],
    [
      {
        Type: 'map',
        Name: 'x.y',
        ContentMap: [
          { Key: 'k', Values: [] },
          { Key: 'k', Values: [] },
        ],
      },
      400,
      'BASESPACE.PROPERTIES.CONTENT_MAP_DUPES',
    ],
    [
      { Type: 'string[]', Name: 'x.y', Items: Array(10_001).fill('i') },
      400,
      'BASESPACE.PROPERTIES.ITEMS_LIMIT',
    ],
    [
      { Type: 'string', Name: 'x.y', Content: 'z'.repeat(70_000) },
      400,
      'BASESPACE.PROPERTIES.CONTENT_LENGTH',
    ],
  ])('%j is refused (%i %s) and nothing in the batch is written', async (bad, status, code) => {
    const before = sdkResponse(await sdk.get(`projects/${ids.project2}/properties`)).TotalCount;
    const res = await sdk.post(`projects/${ids.project2}/properties`, {
      Properties: [{ Type: 'string', Name: 'fine.one', Content: 'ok' }, bad],
    });
    expect(res.status).toBe(status);
    expect(res.body.ResponseStatus.ErrorCode).toBe(code);
    expect(sdkResponse(await sdk.get(`projects/${ids.project2}/properties`)).TotalCount).toBe(
      before,
    );
  });

  it('duplicate names in one POST are refused', async () => {
    const res = await sdk.post(`projects/${ids.project2}/properties`, {
      Properties: [
        { Type: 'string', Name: 'same.name', Content: '1' },
        { Type: 'string', Name: 'same.name', Content: '2' },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.ResponseStatus.ErrorCode).toBe('BASESPACE.PROPERTIES.DUPLICATE_NAMES');
  });

  it("references to another user's objects are refused; what a reader may not see is shown as not accessible", async () => {
    const other = await hub.newUser({ name: 'Other Lab' });
    const otherSdk = new PythonSdkClient(hub.url, other.token);
    const theirs = sdkResponse(await otherSdk.post('projects/', { Name: 'Their project' }));
    const res = await sdk.post(`projects/${ids.project}/properties`, {
      Properties: [{ Type: 'project', Name: 'x.theirs', Content: `v1pre3/projects/${theirs.Id}` }],
    });
    expect(res.status).toBe(409);
    // Nor can they read or write properties of ours.
    expect((await otherSdk.get(`projects/${ids.project}/properties`)).status).toBe(404);
    expect(
      (
        await otherSdk.post(`projects/${ids.project}/properties`, {
          Properties: [{ Type: 'string', Name: 'x.y', Content: '1' }],
        })
      ).status,
    ).toBe(404);

    // The owner refers from project 1 to a sample in project 2; a token for project 1 only sees a bare link.
    await sdk.post(`projects/${ids.project}/properties`, {
      Properties: [
        {
          Type: 'sample[]',
          Name: 'x.cross',
          Items: [`v1pre3/samples/${ids.sample}`, `v1pre3/samples/${ids.sample2}`],
        },
      ],
    });
    const narrow = new PythonSdkClient(
      hub.url,
      await hub.tokenFor(owner.user, `read project ${ids.project}`),
    );
    const seen = sdkResponse(await narrow.get(`projects/${ids.project}/properties/x.cross`));
    expect(seen.Items[0]).toMatchObject({ Id: ids.sample, Name: 'NA12878' });
    expect(seen.Items[1]).toEqual({
      Id: ids.sample2,
      Href: `v1pre3/samples/${ids.sample2}`,
      IsAccessible: false,
    });
    expect(JSON.stringify(seen)).not.toContain('Secret sample');
    // And it may not write properties (read is not write), or touch project 2.
    expect(
      (
        await narrow.post(`projects/${ids.project}/properties`, {
          Properties: [{ Type: 'string', Name: 'x.y', Content: '1' }],
        })
      ).status,
    ).toBe(403);
    expect((await narrow.get(`projects/${ids.project2}/properties`)).status).toBe(403);
  });

  it('AppSession Input.* and Output.* properties, the way an app records launch inputs and outputs', async () => {
    const s = ids.appsession;
    sdkResponse(
      await sdk.post(`appsessions/${s}/properties`, {
        Properties: [
          { Name: 'Input.project-id', Type: 'project', Content: `v1pre3/projects/${ids.project}` },
          { Name: 'Input.sample-id', Type: 'sample[]', items: [`v1pre3/samples/${ids.sample}`] },
          { Name: 'Input.genome-id', Type: 'string', Content: 'Human' },
          {
            Name: 'Input.sample-id.attributes',
            Type: 'map[]',
            items: [
              [
                { Key: 'FieldId', Values: ['sample-id'] },
                { Key: 'ResourceType', Values: ['sample'] },
                { Key: 'ResourceId', Values: [ids.sample] },
              ],
            ],
          },
          {
            Name: 'Output.AppResults',
            Type: 'appresult[]',
            Items: [`v1pre3/appresults/${ids.appresult}`],
          },
        ],
      }),
    );
    // getAppResultFromAppSessionId reads Output.AppResults through /items.
    const out = sdkResponse(await sdk.get(`appsessions/${s}/properties/Output.AppResults/items`));
    expect(out.Items[0].Content).toMatchObject({
      Id: ids.appresult,
      Href: `v1pre3/appresults/${ids.appresult}`,
    });
    const session = sdkResponse(await sdk.get(`appsessions/${s}`));
    const names = session.Properties.Items.map((p: { Name: string }) => p.Name);
    expect(names).toEqual(
      expect.arrayContaining([
        'Input.project-id',
        'Input.sample-id',
        'Input.genome-id',
        'Output.AppResults',
      ]),
    );
  });
});
