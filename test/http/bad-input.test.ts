/**
 * Bad input on every v1pre3 endpoint, on every database: unknown and malformed ids, other users'
 * ids, bad list parameters, malformed and oversized bodies, wrong types, long, control-character
 * and non-ASCII names, closed AppSessions, unresolvable references, wrong Content-Types and
 * narrow scopes. Each must get a clear 4xx in the BaseSpace error envelope, never a 5xx, and a
 * rejected write must leave nothing behind (checked through the API's own list counts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import type { User } from '../../src/domain/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';

interface Reply {
  status: number;
  body: any;
  text: string;
  contentType: string;
}

/** A request body: JSON to serialize, or raw bytes/text with a Content-Type (null = none sent). */
type Payload = { json: unknown } | { raw: string | Uint8Array; type?: string | null };

const DEFAULT_CODE: Record<number, string> = {
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
};

/** The BaseSpace error envelope (spec 1.7), with the status and code asked for; never a 5xx. */
function expectError(
  reply: Reply,
  status: number,
  code: string | undefined = DEFAULT_CODE[status],
  message?: RegExp,
): void {
  expect(reply.status, reply.text.slice(0, 400)).toBe(status);
  expect(reply.status).toBeGreaterThanOrEqual(400);
  expect(reply.status).toBeLessThan(500);
  expect(reply.contentType).toMatch(/^application\/json/);
  expect(reply.body, reply.text.slice(0, 400)).toBeTypeOf('object');
  expect(reply.body).not.toHaveProperty('Response');
  const rs = reply.body.ResponseStatus;
  expect(typeof rs?.ErrorCode).toBe('string');
  expect(typeof rs?.Message).toBe('string');
  expect(rs.Message.length).toBeGreaterThan(0);
  expect(reply.body.Notifications).toEqual([{ Type: 'error', Item: rs.Message }]);
  if (code !== undefined) expect(rs.ErrorCode).toBe(code);
  if (message) expect(rs.Message).toMatch(message);
}

function expectOk(reply: Reply): any {
  expect(reply.status, reply.text.slice(0, 400)).toBe(200);
  expect(reply.body.ResponseStatus).toEqual({});
  return reply.body.Response;
}

const MB10 = 10 * 1024 * 1024;
const UNICODE_NAME = 'Échantillon-αβγ-样本-🧬';

/** Unknown and malformed path ids: all name nothing, so all are 404 NotFound (spec 1.7). */
const BAD_IDS: [string, string][] = [
  ['unknown', '999999999'],
  ['negative', '-1'],
  ['zero', '0'],
  ['letters', 'abc'],
  ['symbols &*%$', '%26*%25%24'],
  ['beyond int64 (23 digits)', '99999999999999999999999'],
  ['int64 max, unused', '9223372036854775807'],
  ['int64 max + 1', '9223372036854775808'],
  ['decimal', '1.5'],
  ['exponent', '1e3'],
  ['hex', '0x1F'],
  ['NUL', '%00'],
  ['non-ASCII', '%C3%A9'],
  ['100 characters', 'a'.repeat(100)],
  ['600 digits (beyond the router limit)', '9'.repeat(600)],
  ['undecodable %-escape', '%E0%A4%A'],
  ['bare %', '%'],
  ['invalid UTF-8 escape', '%FF'],
];

describe.each(backends())('bad input on $kind', (backend) => {
  let hub: TestHub;

  // Alice: the caller. Bob: another user whose objects Alice must not see.
  let alice: { id: string; token: string; user: User };
  let bob: { id: string; token: string; email: string };
  let P: string; // Alice's main project
  let Q: string; // Alice's other project (scope tests)
  let S: string; // sample in P, in its implicit AppSession SS
  let SS: string;
  let R: string; // appresult in P referencing S, in its implicit AppSession RS
  let RS: string;
  let COMPLETE: string; // a Complete AppSession of Alice's, with one appresult in P
  let ABORTED: string; // an Aborted one
  let TARGET: string; // a Running AppSession that the rejected POST appsessions/{id} bodies aim at
  let SQ: string; // sample in Q
  let RQ: string; // appresult in Q, in AppSession RQS
  let RQS: string;
  let RUN: string;
  const names = {
    Q: 'Alice Hidden Project Q',
    SQ: 'Alice Hidden Sample SQ',
    RQ: 'Alice Hidden Result RQ',
  };
  let BP: string;
  let BS: string;
  let BR: string;
  let BSS: string;
  let BRUN: string;
  const bobSecrets = [
    'BOB-SECRET-PROJECT',
    'BOB-SECRET-SAMPLE',
    'BOB-SECRET-RESULT',
    'BOB-SECRET-RUN',
    'BOB-SECRET-EXPERIMENT',
    'BOBFLOWCELL',
    'Bob Secretname',
  ];

  async function call(
    method: string,
    path: string,
    token: string,
    payload?: Payload,
  ): Promise<Reply> {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    let body: string | Uint8Array | undefined;
    if (payload && 'json' in payload) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(payload.json);
    } else if (payload) {
      if (payload.type !== null) headers['Content-Type'] = payload.type ?? 'application/json';
      body = payload.raw;
    }
    const res = await fetch(`${hub.url}/v1pre3/${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return {
      status: res.status,
      body: parsed,
      text,
      contentType: res.headers.get('content-type') ?? '',
    };
  }
  const get = (path: string, token = alice.token) => call('GET', path, token);
  const post = (path: string, payload: Payload, token = alice.token) =>
    call('POST', path, token, payload);

  const total = async (path: string, token: string) =>
    expectOk(await get(`${path}${path.includes('?') ? '&' : '?'}Limit=0`, token))
      .TotalCount as number;

  /** Everything a rejected write could have created, as the API counts it. */
  async function snapshot() {
    const [aliceSessions, ...counts] = await Promise.all([
      get('users/current/appsessions?Limit=1024', alice.token).then(
        (r) => expectOk(r).Items as any[],
      ),
      total('users/current/projects', alice.token),
      total(`projects/${P}/samples`, alice.token),
      total(`projects/${P}/appresults`, alice.token),
      total(`projects/${Q}/samples`, alice.token),
      total(`projects/${Q}/appresults`, alice.token),
      total(`appsessions/${COMPLETE}/appresults`, alice.token),
      total('users/current/projects', bob.token),
      total('users/current/appsessions', bob.token),
      total(`projects/${BP}/samples`, bob.token),
      total(`projects/${BP}/appresults`, bob.token),
      get(`appsessions/${BSS}`, bob.token).then(
        (r) => `${expectOk(r).Status}:${expectOk(r).StatusSummary}`,
      ),
    ]);
    const [
      aliceProjects,
      pSamples,
      pResults,
      qSamples,
      qResults,
      completeResults,
      bobProjects,
      bobSessions,
      bpSamples,
      bpResults,
      bobSession,
    ] = counts;
    return {
      aliceSessions: aliceSessions
        .map((s) => `${s.Id}:${s.Status}:${s.StatusSummary}:${s.ModifiedOn}`)
        .sort(),
      ...{ aliceProjects, pSamples, pResults, qSamples, qResults, completeResults },
      ...{ bobProjects, bobSessions, bpSamples, bpResults, bobSession },
    };
  }

  /** Runs a rejected write and checks that no project, sample, appresult or AppSession changed. */
  async function rejectedWrite(write: () => Promise<Reply>): Promise<Reply> {
    const before = await snapshot();
    const reply = await write();
    expect(await snapshot()).toEqual(before);
    return reply;
  }

  function expectNoLeak(reply: Reply): void {
    for (const secret of [...bobSecrets, bob.email]) expect(reply.text).not.toContain(secret);
  }

  beforeAll(async () => {
    hub = await startTestHub(backend);
    const a = await hub.newUser({ name: 'Alice Example' });
    alice = { id: a.user.id, token: a.token, user: a.user };
    const b = await hub.newUser({ name: 'Bob Secretname' });
    bob = { id: b.user.id, token: b.token, email: b.user.email };

    P = expectOk(await post('projects', { json: { Name: 'Alice Project P' } })).Id;
    Q = expectOk(await post('projects', { json: { Name: names.Q } })).Id;
    const sample = expectOk(
      await post(`projects/${P}/samples`, { json: { Name: 'Alice Sample S' } }),
    );
    S = sample.Id;
    SS = sample.AppSession.Id;
    const result = expectOk(
      await post(`projects/${P}/appresults`, {
        json: {
          Name: 'Alice Result R',
          References: [{ Rel: 'using', Type: 'Sample', HrefContent: `v1pre3/samples/${S}` }],
        },
      }),
    );
    R = result.Id;
    RS = result.AppSession.Id;
    COMPLETE = expectOk(
      await post(`projects/${P}/appresults`, { json: { Name: 'Finished result' } }),
    ).AppSession.Id;
    expect(
      expectOk(
        await post(`appsessions/${COMPLETE}`, {
          json: { status: 'complete', statussummary: 'done' },
        }),
      ).Status,
    ).toBe('Complete');
    ABORTED = expectOk(await post(`projects/${P}/samples`, { json: { Name: 'Aborted sample' } }))
      .AppSession.Id;
    expect(
      expectOk(await post(`appsessions/${ABORTED}`, { json: { status: 'aborted' } })).Status,
    ).toBe('Aborted');
    TARGET = expectOk(await post(`projects/${P}/appresults`, { json: { Name: 'Target result' } }))
      .AppSession.Id;
    SQ = expectOk(await post(`projects/${Q}/samples`, { json: { Name: names.SQ } })).Id;
    const rq = expectOk(await post(`projects/${Q}/appresults`, { json: { Name: names.RQ } }));
    RQ = rq.Id;
    RQS = rq.AppSession.Id;
    RUN = (await hub.createRun(a.user, { name: 'Alice Run', experimentName: 'Alice Experiment' }))
      .id;

    BP = expectOk(await post('projects', { json: { Name: 'BOB-SECRET-PROJECT' } }, bob.token)).Id;
    const bs = expectOk(
      await post(`projects/${BP}/samples`, { json: { Name: 'BOB-SECRET-SAMPLE' } }, bob.token),
    );
    BS = bs.Id;
    BSS = bs.AppSession.Id;
    BR = expectOk(
      await post(
        `projects/${BP}/appresults?appsessionid=${BSS}`,
        { json: { Name: 'BOB-SECRET-RESULT' } },
        bob.token,
      ),
    ).Id;
    BRUN = (
      await hub.createRun(b.user, {
        name: 'BOB-SECRET-RUN',
        experimentName: 'BOB-SECRET-EXPERIMENT',
        flowcellBarcode: 'BOBFLOWCELL',
      })
    ).id;
  });
  afterAll(() => hub?.close());

  // ---------------------------------------------------------------------------------------------
  describe('unknown and malformed ids', () => {
    const GET_BY_ID = [
      'projects/{id}',
      'projects/{id}/samples',
      'projects/{id}/appresults',
      'appresults/{id}',
      'samples/{id}',
      'appsessions/{id}',
      'appsessions/{id}/appresults',
      'runs/{id}',
      'genomes/{id}',
    ];
    const cases = GET_BY_ID.flatMap((path) => BAD_IDS.map(([label, id]) => ({ path, label, id })));

    it.each(cases)('GET $path with $label id -> 404 NotFound', async ({ path, id }) => {
      expectError(await get(path.replace('{id}', id)), 404, 'NotFound');
    });

    const POST_BY_ID: [string, Payload][] = [
      ['projects/{id}/samples', { json: { Name: 'Must not exist' } }],
      ['projects/{id}/appresults', { json: { Name: 'Must not exist' } }],
      ['appsessions/{id}', { json: { status: 'aborted', statussummary: 'must not change' } }],
    ];
    const postCases = POST_BY_ID.flatMap(([path, payload]) =>
      BAD_IDS.map(([label, id]) => ({ path, payload, label, id })),
    );

    it.each(postCases)(
      'POST $path with $label id -> 404, nothing written',
      async ({ path, payload, id }) => {
        expectError(
          await rejectedWrite(() => post(path.replace('{id}', id), payload)),
          404,
          'NotFound',
        );
      },
    );

    it.each([
      ['unknown', '999999999'],
      ['negative', '-1'],
      ['zero', '0'],
      ['letters', 'abc'],
      ['symbols', '%26*%25%24'],
      ['beyond int64', '99999999999999999999999'],
    ])('users/{id} and its lists with a %s id -> 400 USER_ID_NOT_VALID', async (_label, id) => {
      for (const path of [
        `users/${id}`,
        `users/${id}/projects`,
        `users/${id}/runs`,
        `users/${id}/appsessions`,
      ]) {
        expectError(await get(path), 400, 'BASESPACE.USERS.USER_ID_NOT_VALID');
      }
    });

    it('users/{id} with a 100-character id is a 400', async () => {
      expectError(await get(`users/${'a'.repeat(100)}`), 400, undefined);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe("another user's objects are invisible", () => {
    it.each([
      ['project', () => `projects/${BP}`],
      ["project's samples", () => `projects/${BP}/samples`],
      ["project's appresults", () => `projects/${BP}/appresults`],
      ['sample', () => `samples/${BS}`],
      ['appresult', () => `appresults/${BR}`],
      ['appsession', () => `appsessions/${BSS}`],
      ["appsession's appresults", () => `appsessions/${BSS}/appresults`],
      ['run', () => `runs/${BRUN}`],
    ])("GET Bob's %s -> 404, nothing of Bob's in the body", async (_label, path) => {
      const reply = await get(path());
      expectError(reply, 404, 'NotFound');
      expectNoLeak(reply);
      // The same ids through the access_token and x-access-token ways are no different.
      const viaQuery = await fetch(`${hub.url}/v1pre3/${path()}?access_token=${alice.token}`);
      expect(viaQuery.status).toBe(404);
      const viaHeader = await fetch(`${hub.url}/v1pre3/${path()}`, {
        headers: { 'x-access-token': alice.token },
      });
      expect(viaHeader.status).toBe(404);
    });

    it.each([
      ['users/{bob}', () => `users/${bob.id}`],
      ['users/{bob}/projects', () => `users/${bob.id}/projects`],
      ['users/{bob}/runs', () => `users/${bob.id}/runs`],
      ['users/{bob}/appsessions', () => `users/${bob.id}/appsessions`],
    ])('%s -> 400 USER_ID_NOT_VALID, nothing of Bob leaks', async (_label, path) => {
      const reply = await get(path());
      expectError(reply, 400, 'BASESPACE.USERS.USER_ID_NOT_VALID');
      expectNoLeak(reply);
    });

    it("Alice's lists never show Bob's objects, even when filtered by their names", async () => {
      for (const path of [
        'users/current/projects?Limit=1024',
        'users/current/projects?Name=BOB-SECRET-PROJECT',
        'users/current/runs?Limit=1024',
        'users/current/runs?FlowcellBarcode=BOBFLOWCELL',
        'users/current/appsessions?Limit=1024',
        `users/${alice.id}/projects?Limit=1024`,
      ]) {
        const reply = await get(path);
        expectOk(reply);
        expectNoLeak(reply);
      }
      expect(expectOk(await get('users/current/projects?Name=BOB-SECRET-PROJECT')).TotalCount).toBe(
        0,
      );
      expect(expectOk(await get('users/current/runs?FlowcellBarcode=BOBFLOWCELL')).TotalCount).toBe(
        0,
      );
    });

    it.each<[string, () => string, () => Payload, number, string]>([
      [
        "sample into Bob's project",
        () => `projects/${BP}/samples`,
        () => ({ json: { Name: 'Intruder' } }),
        404,
        'NotFound',
      ],
      [
        "appresult into Bob's project",
        () => `projects/${BP}/appresults`,
        () => ({ json: { Name: 'Intruder' } }),
        404,
        'NotFound',
      ],
      [
        "appresult into Bob's project in Bob's session",
        () => `projects/${BP}/appresults?appsessionid=${BSS}`,
        () => ({ json: { Name: 'Intruder' } }),
        404,
        'NotFound',
      ],
      [
        "status of Bob's AppSession",
        () => `appsessions/${BSS}`,
        () => ({ json: { status: 'aborted' } }),
        404,
        'NotFound',
      ],
      [
        "summary of Bob's AppSession",
        () => `appsessions/${BSS}`,
        () => ({ json: { statussummary: 'pwned' } }),
        404,
        'NotFound',
      ],
      [
        "sample in Bob's AppSession (appsessionid)",
        () => `projects/${P}/samples?appsessionid=${BSS}`,
        () => ({ json: { Name: 'Intruder' } }),
        404,
        'NotFound',
      ],
      [
        "appresult in Bob's AppSession (appsessionid)",
        () => `projects/${P}/appresults?appsessionid=${BSS}`,
        () => ({ json: { Name: 'Intruder' } }),
        404,
        'NotFound',
      ],
      [
        "appresult in Bob's AppSession (HrefAppSession)",
        () => `projects/${P}/appresults`,
        () => ({ json: { Name: 'Intruder', HrefAppSession: `v1pre3/appsessions/${BSS}` } }),
        404,
        'NotFound',
      ],
      [
        "sample in Bob's AppSession (HrefAppSession)",
        () => `projects/${P}/samples`,
        () => ({ json: { Name: 'Intruder', HrefAppSession: `v1pre3/appsessions/${BSS}` } }),
        404,
        'NotFound',
      ],
      ...(['samples', 'appresults', 'projects', 'runs'] as const).flatMap(
        (kind): [string, () => string, () => Payload, number, string][] => [
          [
            `appresult referencing Bob's ${kind}`,
            () => `projects/${P}/appresults`,
            () => ({
              json: {
                Name: 'Intruder',
                References: [{ Rel: 'using', HrefContent: `v1pre3/${kind}/${bobIdOf(kind)}` }],
              },
            }),
            409,
            'BASESPACE.REFERENCES.NOT_RESOLVED',
          ],
          [
            `sample referencing Bob's ${kind}`,
            () => `projects/${P}/samples`,
            () => ({
              json: {
                Name: 'Intruder',
                References: [{ HrefContent: `v1pre3/${kind}/${bobIdOf(kind)}` }],
              },
            }),
            409,
            'BASESPACE.REFERENCES.NOT_RESOLVED',
          ],
        ],
      ),
    ])(
      'POST %s -> 404/409, nothing written, nothing leaked',
      async (_label, path, payload, status, code) => {
        const reply = await rejectedWrite(() => post(path(), payload()));
        expectError(reply, status, code);
        expectNoLeak(reply);
      },
    );

    function bobIdOf(kind: 'samples' | 'appresults' | 'projects' | 'runs'): string {
      return { samples: BS, appresults: BR, projects: BP, runs: BRUN }[kind];
    }

    it("a token scoped to Bob's project gives Alice nothing of it", async () => {
      const token = await hub.tokenFor(alice.user, `browse project ${BP}`);
      const reply = await get(`projects/${BP}`, token);
      expectError(reply, 404, 'NotFound');
      expectNoLeak(reply);
      expect(expectOk(await get('users/current/projects', token)).TotalCount).toBe(0);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('list parameters', () => {
    const LISTS: { label: string; path: () => string; sorts: readonly string[] }[] = [
      {
        label: 'users/current/projects',
        path: () => 'users/current/projects',
        sorts: ['Id', 'Name', 'DateCreated'],
      },
      {
        label: 'users/current/appsessions',
        path: () => 'users/current/appsessions',
        sorts: ['Id', 'Name', 'DateCreated'],
      },
      {
        label: 'users/current/runs',
        path: () => 'users/current/runs',
        sorts: ['Id', 'DateCreated', 'DateModified', 'ExperimentName', 'Status', 'TotalSize'],
      },
      {
        label: 'projects/{id}/samples',
        path: () => `projects/${P}/samples`,
        sorts: ['Id', 'Name', 'DateCreated'],
      },
      {
        label: 'projects/{id}/appresults',
        path: () => `projects/${P}/appresults`,
        sorts: ['Id', 'Name', 'DateCreated'],
      },
      {
        label: 'appsessions/{id}/appresults',
        path: () => `appsessions/${COMPLETE}/appresults`,
        sorts: ['Id', 'Name', 'DateCreated'],
      },
      { label: 'genomes', path: () => 'genomes', sorts: ['Id', 'SpeciesName', 'Build'] },
    ];
    const label = (l: (typeof LISTS)[number]) => l.label;
    const BAD_PARAMS: [string, string][] = [
      ['Offset=-1', 'Offset'],
      ['Offset=abc', 'Offset'],
      ['Offset=1.5', 'Offset'],
      ['Offset=', 'Offset'],
      ['Offset=1&Offset=2', 'Offset'],
      ['Offset=99999999999999999999', 'Offset'],
      ['Offset=9223372036854775807', 'Offset'],
      ['Limit=5000', 'Limit'],
      ['Limit=1025', 'Limit'],
      ['Limit=-1', 'Limit'],
      ['Limit=abc', 'Limit'],
      ['Limit=2.5', 'Limit'],
      ['Limit=', 'Limit'],
      ['SortBy=Bogus', 'SortBy'],
      ['SortBy=', 'SortBy'],
      ['SortBy=Id%3B%20DROP%20TABLE%20projects', 'SortBy'],
      ['SortBy=owner_id', 'SortBy'],
      ['SortDir=sideways', 'SortDir'],
      ['SortDir=', 'SortDir'],
      ['SortDir=Asc%00', 'SortDir'],
    ];
    const cases = LISTS.flatMap((list) =>
      BAD_PARAMS.map(([query, param]) => ({ list, name: `${label(list)}?${query}`, query, param })),
    );

    it.each(cases)('$name -> 400 naming $param', async ({ list, query, param }) => {
      expectError(
        await get(`${list.path()}?${query}`),
        400,
        'BadRequest',
        new RegExp(`\\b${param}\\b`),
      );
    });

    it.each([
      ['users/current/runs', 'SortBy=Name', 'SortBy'],
      ['genomes', 'SortBy=Name', 'SortBy'],
      ['genomes', 'SortBy=DateModified', 'SortBy'],
      ['users/current/projects', 'SortBy=TotalSize', 'SortBy'],
      ['users/current/runs', 'Statuses=Bogus', 'Statuses'],
      ['users/current/runs', 'Statuses=Complete,,Failed', 'Statuses'],
      ['users/current/runs', 'IncludeLocked=maybe', 'IncludeLocked'],
      ['users/current/appsessions', 'Statuses=Bogus', 'Statuses'],
      ['users/current/appsessions', 'Statuses=%00', 'Statuses'],
      ['projects/{P}/appresults', 'Statuses=Bogus', 'Statuses'],
      ['projects/{P}/appresults', 'Statuses=Running%3BComplete', 'Statuses'],
      // Text filters with control characters match nothing and must not reach the database raw.
      ['users/current/projects', 'Name=%00', 'Name'],
      ['users/current/projects', 'Name=a%00b', 'Name'],
      ['users/current/projects', 'Name=%1B%5B31m', 'Name'],
      ['users/current/runs', 'InstrumentType=%00', 'InstrumentType'],
      ['users/current/runs', 'FlowcellBarcode=A%00', 'FlowcellBarcode'],
      ['users/current/runs', 'ReagentBarcode=%00', 'ReagentBarcode'],
      ['users/current/projects', `Name=${'x'.repeat(2000)}`, 'Name'],
    ])('%s?%s -> 400 naming %s', async (path, query, param) => {
      const reply = await get(`${path.replace('{P}', P)}?${query}`);
      expectError(reply, 400, 'BadRequest', new RegExp(`\\b${param}\\b`));
    });

    // The edges of the valid ranges work, so the 400s above are about the values, not the lists.
    const goodCases = LISTS.flatMap((list) => [
      ...list.sorts.flatMap((sortBy) =>
        ['Asc', 'Desc'].map((dir) => ({
          list,
          name: `${label(list)}?SortBy=${sortBy}&SortDir=${dir}`,
          query: `SortBy=${sortBy}&SortDir=${dir}`,
        })),
      ),
      { list, name: `${label(list)}?Limit=0`, query: 'Limit=0' },
      { list, name: `${label(list)}?Limit=1024`, query: 'Limit=1024' },
      { list, name: `${label(list)}?Offset=2^53-1`, query: 'Offset=9007199254740991' },
      {
        list,
        name: `${label(list)} with lower-case keys and values`,
        query: `sortby=${list.sorts[1]!.toLowerCase()}&sortdir=desc&limit=3&offset=0`,
      },
    ]);
    it.each(goodCases)('$name -> 200', async ({ list, query }) => {
      const page = expectOk(await get(`${list.path()}?${query}`));
      expect(page.DisplayedCount).toBe(page.Items.length);
      expect(typeof page.TotalCount).toBe('number');
      if (query.startsWith('Limit=0') || query.startsWith('Offset='))
        expect(page.Items).toEqual([]);
      if (query.startsWith('sortby=')) {
        expect(page.SortBy).toBe(list.sorts[1]);
        expect(page.SortDir).toBe('Desc');
      }
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('request bodies', () => {
    const CREATES: { name: string; path: () => string }[] = [
      { name: 'POST projects', path: () => 'projects' },
      { name: 'POST projects/', path: () => 'projects/' },
      { name: 'POST projects/{id}/samples', path: () => `projects/${P}/samples` },
      { name: 'POST projects/{id}/appresults', path: () => `projects/${P}/appresults` },
      {
        name: 'POST projects/{id}/samples?appsessionid',
        path: () => `projects/${P}/samples?appsessionid=${SS}`,
      },
      {
        name: 'POST projects/{id}/appresults?appsessionid',
        path: () => `projects/${P}/appresults?appsessionid=${RS}`,
      },
    ];
    const ALL_POSTS = [
      ...CREATES,
      { name: 'POST appsessions/{id}', path: () => `appsessions/${TARGET}` },
    ];

    const MALFORMED: [string, Payload][] = [
      ['truncated JSON', { raw: '{"Name": ' }],
      ['unquoted keys', { raw: '{Name: "x"}' }],
      ['single quotes', { raw: "{'Name': 'x'}" }],
      ['trailing comma', { raw: '{"Name": "x",}' }],
      ['trailing garbage', { raw: '{"Name": "x"} {"Name": "y"}' }],
      ['bare word', { raw: 'undefined' }],
      ['NaN', { raw: '{"Name": "x", "SampleNumber": NaN}' }],
      ['JSON array', { raw: '[]' }],
      ['JSON array of an object', { raw: '[{"Name": "x", "status": "complete"}]' }],
      ['JSON string', { raw: '"x"' }],
      ['JSON number', { raw: '42' }],
      ['JSON true', { raw: 'true' }],
      ['JSON null', { raw: 'null' }],
      [
        '__proto__ key',
        { raw: '{"Name": "x", "status": "complete", "__proto__": {"isAdmin": true}}' },
      ],
      [
        'constructor.prototype key',
        {
          raw: '{"Name": "x", "status": "complete", "constructor": {"prototype": {"isAdmin": true}}}',
        },
      ],
      [
        'deeply nested',
        {
          raw: `{"Name": ${'['.repeat(100_000)}${']'.repeat(100_000)}, "status": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
        },
      ],
      [
        'invalid UTF-8 bytes',
        {
          raw: Uint8Array.from([
            ...Buffer.from('{"Name": "x'),
            0xff,
            0xfe,
            ...Buffer.from('", "status": "complete"}'),
          ]),
        },
      ],
      [
        'overlong UTF-8 encoding',
        {
          raw: Uint8Array.from([
            ...Buffer.from('{"Name": "x'),
            0xc0,
            0xaf,
            ...Buffer.from('", "status": "complete"}'),
          ]),
        },
      ],
    ];
    const malformedCases = ALL_POSTS.flatMap((target) =>
      MALFORMED.map(([label, payload]) => ({ target, label, payload })),
    );

    it.each(malformedCases)(
      '$target.name with $label -> 400, nothing written',
      async ({ target, payload }) => {
        expectError(await rejectedWrite(() => post(target.path(), payload)), 400, 'BadRequest');
      },
    );

    const TOO_LARGE: [string, () => Payload][] = [
      ['a 10 MB JSON body', () => ({ json: { Name: 'x'.repeat(MB10), status: 'complete' } })],
      [
        'a 10 MB JSON body of padding',
        () => ({ raw: `{"Name": "x", "status": "complete", "Pad": "${' '.repeat(MB10)}"}` }),
      ],
      [
        'a 10 MB form body',
        () => ({
          raw: `name=${'x'.repeat(MB10)}&status=complete`,
          type: 'application/x-www-form-urlencoded',
        }),
      ],
      ['a 10 MB text/plain body', () => ({ raw: 'x'.repeat(MB10), type: 'text/plain' })],
      [
        'a body just over 1 MiB',
        () => ({ json: { Name: 'x', status: 'complete', Description: 'y'.repeat(1024 * 1024) } }),
      ],
    ];
    const largeCases = ALL_POSTS.flatMap((target) =>
      TOO_LARGE.map(([label, payload]) => ({ target, label, payload })),
    );

    it.each(largeCases)(
      '$target.name with $label -> 413 PayloadTooLarge, nothing written',
      async ({ target, payload }) => {
        expectError(
          await rejectedWrite(() => post(target.path(), payload())),
          413,
          'PayloadTooLarge',
        );
        expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
      },
    );

    const WRONG_TYPE: [string, Payload][] = [
      ['text/plain JSON', { raw: '{"Name": "x", "status": "complete"}', type: 'text/plain' }],
      [
        'text/plain; charset=utf-8',
        { raw: '{"Name": "x", "status": "complete"}', type: 'text/plain; charset=utf-8' },
      ],
      ['text/plain form', { raw: 'name=x&status=complete', type: 'text/plain' }],
      ['application/xml', { raw: '<Project><Name>x</Name></Project>', type: 'application/xml' }],
      ['text/csv', { raw: 'Name\nx\n', type: 'text/csv' }],
      [
        'multipart/form-data',
        {
          raw: '--b\r\nContent-Disposition: form-data; name="Name"\r\n\r\nx\r\n--b--\r\n',
          type: 'multipart/form-data; boundary=b',
        },
      ],
      [
        'application/octet-stream',
        {
          raw: Uint8Array.from(Buffer.from('{"Name":"x","status":"complete"}')),
          type: 'application/octet-stream',
        },
      ],
      [
        'no Content-Type at all',
        { raw: Uint8Array.from(Buffer.from('{"Name":"x","status":"complete"}')), type: null },
      ],
    ];
    const typeCases = ALL_POSTS.flatMap((target) =>
      WRONG_TYPE.map(([label, payload]) => ({ target, label, payload })),
    );

    it.each(typeCases)(
      '$target.name with $label -> 415, nothing written',
      async ({ target, payload }) => {
        expectError(
          await rejectedWrite(() => post(target.path(), payload)),
          415,
          'UnsupportedMediaType',
        );
      },
    );

    /** Name values that are never a valid name. */
    const BAD_NAMES: [string, unknown][] = [
      ['missing', undefined],
      ['null', null],
      ['a number', 123],
      ['a boolean', true],
      ['an array', ['x']],
      ['an object', { Name: 'x' }],
      ['empty', ''],
      ['blank', '   '],
      ['256 characters', 'n'.repeat(256)],
      ['256 non-ASCII characters', '🧬'.repeat(256)],
      ['10,000 characters', 'n'.repeat(10_000)],
      ['NUL', 'a\u0000b'],
      ['newline', 'a\nb'],
      ['carriage return', 'a\rb'],
      ['tab', 'a\tb'],
      ['escape sequence', 'a\u001b[31mred'],
      ['DEL', 'a\u007fb'],
      ['C1 NEL', 'a\u0085b'],
      ['C1 CSI', 'a\u009b31mb'],
      ['lone high surrogate', 'a\ud800b'],
      ['lone low surrogate', 'a\udfffb'],
      ['reversed surrogate pair', 'a\udc00\ud800b'],
    ];
    const NAME_TARGETS = CREATES;
    const nameCases = NAME_TARGETS.flatMap((target) =>
      BAD_NAMES.map(([label, value]) => ({ target, label, value })),
    );

    it.each(nameCases)(
      '$target.name with Name $label -> 400, nothing written',
      async ({ target, value }) => {
        const body = value === undefined ? { Description: 'no name' } : { Name: value };
        expectError(
          await rejectedWrite(() => post(target.path(), { json: body })),
          400,
          'BadRequest',
          /Name/,
        );
      },
    );

    it.each(NAME_TARGETS)(
      '$name with an empty body -> 400 naming Name, nothing written',
      async (target) => {
        expectError(
          await rejectedWrite(() => post(target.path(), { raw: '' })),
          400,
          'BadRequest',
          /Name/,
        );
        expectError(
          await rejectedWrite(() => post(target.path(), { raw: '{}' })),
          400,
          'BadRequest',
          /Name/,
        );
      },
    );

    it.each(NAME_TARGETS)(
      '$name with a form body repeating name -> 400, nothing written',
      async (target) => {
        const reply = await rejectedWrite(() =>
          post(target.path(), { raw: 'name=a&name=b', type: 'application/x-www-form-urlencoded' }),
        );
        expectError(reply, 400, 'BadRequest', /Name/);
      },
    );

    // Fields other than Name, per endpoint, with the field the message must name.
    type Fields = Record<string, unknown> | (() => Record<string, unknown>);
    const FIELD_CASES: {
      target: string;
      path: () => string;
      label: string;
      body: () => Record<string, unknown>;
      status: number;
      code: string;
      field: RegExp;
    }[] = [];
    const add = (
      target: string,
      path: () => string,
      label: string,
      fields: Fields,
      field: RegExp,
      status = 400,
      code = DEFAULT_CODE[status]!,
    ) =>
      FIELD_CASES.push({
        target,
        path,
        label,
        body: () => ({
          Name: 'Should not exist',
          ...(typeof fields === 'function' ? fields() : fields),
        }),
        status,
        code,
        field,
      });

    const projectPath = () => 'projects';
    add('projects', projectPath, 'Description a number', { Description: 5 }, /Description/);
    add(
      'projects',
      projectPath,
      'Description 5,000 characters',
      { Description: 'd'.repeat(5000) },
      /Description/,
    );
    add(
      'projects',
      projectPath,
      'Description with NUL',
      { Description: 'a\u0000b' },
      /Description/,
    );
    add(
      'projects',
      projectPath,
      'Description with a lone surrogate',
      { Description: 'a\ud800b' },
      /Description/,
    );

    for (const [target, path] of [
      ['samples', () => `projects/${P}/samples`],
      ['appresults', () => `projects/${P}/appresults`],
    ] as const) {
      add(target, path, 'Description a number', { Description: 5 }, /Description/);
      add(target, path, 'Description an object', { Description: {} }, /Description/);
      add(target, path, 'Description with NUL', { Description: 'a\u0000b' }, /Description/);
      add(
        target,
        path,
        'Description 20,000 characters',
        { Description: 'd'.repeat(20_000) },
        /Description/,
      );
      add(target, path, 'HrefGenome a number', { HrefGenome: 4 }, /HrefGenome/);
      add(
        target,
        path,
        'HrefGenome not an href',
        { HrefGenome: 'Homo sapiens hg19' },
        /HrefGenome/,
      );
      add(
        target,
        path,
        'HrefGenome a project href',
        () => ({ HrefGenome: `v1pre3/projects/${P}` }),
        /HrefGenome/,
      );
      add(
        target,
        path,
        'HrefGenome an absolute URL',
        { HrefGenome: 'https://evil.example/x/y/z' },
        /HrefGenome/,
      );
      add(
        target,
        path,
        'HrefGenome 1,000 characters',
        { HrefGenome: `v1pre3/genomes/${'4'.repeat(1000)}` },
        /HrefGenome/,
      );
      add(
        target,
        path,
        'HrefGenome unknown',
        { HrefGenome: 'v1pre3/genomes/999999' },
        /genomes\/999999/,
        409,
        'BASESPACE.REFERENCES.NOT_RESOLVED',
      );
      add(
        target,
        path,
        'HrefGenome id 0',
        { HrefGenome: 'v1pre3/genomes/0' },
        /genomes\/0/,
        409,
        'BASESPACE.REFERENCES.NOT_RESOLVED',
      );
      add(
        target,
        path,
        'HrefGenome beyond int64',
        { HrefGenome: 'v1pre3/genomes/99999999999999999999' },
        /genomes/,
        409,
        'BASESPACE.REFERENCES.NOT_RESOLVED',
      );
      add(target, path, 'HrefAppSession a number', { HrefAppSession: 5 }, /HrefAppSession/);
      add(
        target,
        path,
        'HrefAppSession a project href',
        () => ({ HrefAppSession: `v1pre3/projects/${P}` }),
        /HrefAppSession/,
      );
      add(
        target,
        path,
        'HrefAppSession unknown',
        { HrefAppSession: 'v1pre3/appsessions/999999999' },
        /AppSession/,
        404,
      );
      add(
        target,
        path,
        'References not an array',
        () => ({ References: { HrefContent: `v1pre3/samples/${S}` } }),
        /References/,
      );
      add(
        target,
        path,
        'References a string',
        () => ({ References: `v1pre3/samples/${S}` }),
        /References/,
      );
      add(target, path, 'References of numbers', { References: [1, 2] }, /References/);
      add(
        target,
        path,
        'References entry without HrefContent',
        { References: [{ Rel: 'using', Type: 'Sample' }] },
        /HrefContent/,
      );
      add(
        target,
        path,
        'References HrefContent a number',
        { References: [{ HrefContent: 5 }] },
        /HrefContent/,
      );
      add(
        target,
        path,
        'References HrefContent garbage',
        { References: [{ HrefContent: 'not an href' }] },
        /HrefContent|Reference/,
      );
      add(
        target,
        path,
        'References to a genome',
        { References: [{ HrefContent: 'v1pre3/genomes/4' }] },
        /Reference/,
      );
      add(
        target,
        path,
        'References to a user',
        () => ({ References: [{ HrefContent: `v1pre3/users/${alice.id}` }] }),
        /Reference/,
      );
      add(
        target,
        path,
        'References Type mismatch',
        { References: [{ Type: 'AppResult', HrefContent: 'v1pre3/samples/1' }] },
        /Type/,
      );
      add(
        target,
        path,
        'References Rel a number',
        { References: [{ Rel: 5, HrefContent: 'v1pre3/samples/1' }] },
        /Rel/,
      );
      add(
        target,
        path,
        'References Rel with a newline',
        { References: [{ Rel: 'us\ning', HrefContent: 'v1pre3/samples/1' }] },
        /Rel/,
      );
      add(
        target,
        path,
        '1,001 References',
        { References: Array.from({ length: 1001 }, () => ({ HrefContent: 'v1pre3/samples/1' })) },
        /References/,
      );
      add(
        target,
        path,
        'References to an unknown sample',
        { References: [{ HrefContent: 'v1pre3/samples/999999999' }] },
        /samples\/999999999/,
        409,
        'BASESPACE.REFERENCES.NOT_RESOLVED',
      );
      add(
        target,
        path,
        'References to sample 0',
        { References: [{ HrefContent: 'v1pre3/samples/0' }] },
        /samples\/0/,
        409,
        'BASESPACE.REFERENCES.NOT_RESOLVED',
      );
      add(
        target,
        path,
        'References to an unknown run',
        { References: [{ HrefContent: 'v1pre3/runs/999999999' }] },
        /runs/,
        409,
        'BASESPACE.REFERENCES.NOT_RESOLVED',
      );
    }

    const samplePath = () => `projects/${P}/samples`;
    add('samples', samplePath, 'SampleNumber "x"', { SampleNumber: 'x' }, /SampleNumber/);
    add('samples', samplePath, 'SampleNumber "1"', { SampleNumber: '1' }, /SampleNumber/);
    add('samples', samplePath, 'SampleNumber -1', { SampleNumber: -1 }, /SampleNumber/);
    add('samples', samplePath, 'SampleNumber 1.5', { SampleNumber: 1.5 }, /SampleNumber/);
    add('samples', samplePath, 'SampleNumber 2^31', { SampleNumber: 2 ** 31 }, /SampleNumber/);
    add('samples', samplePath, 'IsPairedEnd "yes"', { IsPairedEnd: 'yes' }, /IsPairedEnd/);
    add('samples', samplePath, 'IsPairedEnd "true"', { IsPairedEnd: 'true' }, /IsPairedEnd/);
    add('samples', samplePath, 'IsPairedEnd 1', { IsPairedEnd: 1 }, /IsPairedEnd/);
    add('samples', samplePath, 'IsPairedEnd null', { IsPairedEnd: null }, /IsPairedEnd/);
    add('samples', samplePath, 'NumReadsRaw -5', { NumReadsRaw: -5 }, /NumReadsRaw/);
    add('samples', samplePath, 'NumReadsRaw "100"', { NumReadsRaw: '100' }, /NumReadsRaw/);
    add('samples', samplePath, 'NumReadsRaw 2^53', { NumReadsRaw: 2 ** 53 }, /NumReadsRaw/);
    add('samples', samplePath, 'NumReadsRaw 1e300', { NumReadsRaw: 1e300 }, /NumReadsRaw/);
    add('samples', samplePath, 'NumReadsPF -1', { NumReadsPF: -1 }, /NumReadsPF/);
    add('samples', samplePath, 'NumReadsPF 0.5', { NumReadsPF: 0.5 }, /NumReadsPF/);
    add('samples', samplePath, 'Read1 1.5', { Read1: 1.5 }, /Read1/);
    add('samples', samplePath, 'Read1 "151"', { Read1: '151' }, /Read1/);
    add('samples', samplePath, 'Read1 -1', { Read1: -1 }, /Read1/);
    add('samples', samplePath, 'Read1 1,000,001', { Read1: 1_000_001 }, /Read1/);
    add('samples', samplePath, 'Read2 "x"', { Read2: 'x' }, /Read2/);
    add('samples', samplePath, 'Read2 an array', { Read2: [151] }, /Read2/);
    add('samples', samplePath, 'SampleId a number', { SampleId: 123 }, /SampleId/);
    add('samples', samplePath, 'SampleId with a newline', { SampleId: 'S1\nS2' }, /SampleId/);
    add(
      'samples',
      samplePath,
      'SampleId 10,000 characters',
      { SampleId: 's'.repeat(10_000) },
      /SampleId/,
    );
    add(
      'samples',
      samplePath,
      'SampleId with a lone surrogate',
      { SampleId: '\udc00' },
      /SampleId/,
    );
    add(
      'samples',
      samplePath,
      'ExperimentName an object',
      { ExperimentName: {} },
      /ExperimentName/,
    );
    add('samples', samplePath, 'ExperimentName blank', { ExperimentName: ' ' }, /ExperimentName/);
    add(
      'samples',
      samplePath,
      'ExperimentName 300 characters',
      { ExperimentName: 'e'.repeat(300) },
      /ExperimentName/,
    );
    add(
      'samples',
      samplePath,
      'ExperimentName with a tab',
      { ExperimentName: 'run\t1' },
      /ExperimentName/,
    );

    it.each(FIELD_CASES)(
      'POST $target with $label -> $status, nothing written',
      async ({ path, body, status, code, field }) => {
        expectError(await rejectedWrite(() => post(path(), { json: body() })), status, code, field);
      },
    );

    it('a rejected sample or appresult never leaves an implicit AppSession behind', async () => {
      const sessionsBefore = await total('users/current/appsessions', alice.token);
      for (const [path, body] of [
        [`projects/${P}/samples`, { Name: 'x', SampleNumber: 'x' }],
        [`projects/${P}/samples`, { Name: 'x', HrefGenome: 'v1pre3/genomes/999999' }],
        [
          `projects/${P}/samples`,
          { Name: 'x', References: [{ HrefContent: `v1pre3/samples/${BS}` }] },
        ],
        [`projects/${P}/samples`, { Name: 'x', HrefAppSession: 'v1pre3/projects/1' }],
        [`projects/${P}/appresults`, { Name: 'x', HrefGenome: 'v1pre3/genomes/999999' }],
        [
          `projects/${P}/appresults`,
          { Name: 'x', References: [{ HrefContent: `v1pre3/appresults/${BR}` }] },
        ],
        [`projects/${P}/appresults`, { Name: 'x', HrefAppSession: 'v1pre3/appsessions/999999999' }],
        [`projects/${P}/appresults?appsessionid=${COMPLETE}`, { Name: 'x' }],
        [
          `projects/${P}/appresults`,
          { Name: 'x', HrefAppSession: `v1pre3/appsessions/${ABORTED}` },
        ],
      ] as const) {
        const reply = await post(path, { json: body });
        expect(reply.status, `${path} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
        expect(reply.status).toBeLessThan(500);
      }
      expect(await total('users/current/appsessions', alice.token)).toBe(sessionsBefore);
    });

    it('a JSON body with a charset and a form body are both accepted (control for the 415s)', async () => {
      const a = expectOk(
        await post('projects', {
          raw: '{"Name": "Charset project"}',
          type: 'application/json; charset=utf-8',
        }),
      );
      expect(a.Name).toBe('Charset project');
      const b = expectOk(
        await post('projects', {
          raw: 'name=Form+project',
          type: 'application/x-www-form-urlencoded',
        }),
      );
      expect(b.Name).toBe('Form project');
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('names: long, odd and non-ASCII', () => {
    const GOOD_NAMES: [string, string][] = [
      ['mixed scripts and an emoji', UNICODE_NAME],
      ['decomposed (NFD) accents, not normalized', 'E\u0301chantillon-n\u0303'],
      ['right-to-left script', 'דגימה-عينة'],
      ['punctuation, quotes and markup', `Ünïcödé ✓ — “q” 'a' "b" <b>&amp; \\ / % _ *`],
      ['SQL-looking', "Robert'); DROP TABLE projects;--"],
      ['255 ASCII characters', 'a'.repeat(254) + 'Z'],
      ['255 astral characters (510 UTF-16 units)', '🧬'.repeat(255)],
      ['255 CJK characters', '样'.repeat(255)],
      ['zero-width joiner sequence', '👩‍🔬 lab'],
    ];

    it.each(GOOD_NAMES)('a project named with %s round-trips exactly', async (_label, name) => {
      const created = expectOk(
        await post('projects', { json: { Name: name, Description: `${name} — description` } }),
      );
      expect(created.Name).toBe(name);
      const read = expectOk(await get(`projects/${created.Id}`));
      expect(read.Name).toBe(name);
      expect(read.Description).toBe(`${name} — description`);
      const found = expectOk(await get(`users/current/projects?Name=${encodeURIComponent(name)}`));
      expect(found.Items.map((p: any) => [p.Id, p.Name])).toEqual([[created.Id, name]]);
      // Creating it again returns the same project rather than a second one.
      const before = await total('users/current/projects', alice.token);
      expect(expectOk(await post('projects', { json: { Name: name } })).Id).toBe(created.Id);
      expect(await total('users/current/projects', alice.token)).toBe(before);
    });

    it.each(GOOD_NAMES)('a sample named with %s round-trips exactly', async (_label, name) => {
      const created = expectOk(
        await post(`projects/${P}/samples`, {
          json: {
            Name: name,
            SampleId: name,
            ExperimentName: name,
            Description: name,
            SampleNumber: 1,
            Read1: 151,
            IsPairedEnd: false,
          },
        }),
      );
      for (const s of [created, expectOk(await get(`samples/${created.Id}`))]) {
        expect([s.Name, s.SampleId, s.ExperimentName]).toEqual([name, name, name]);
      }
      const listed = expectOk(await get(`projects/${P}/samples?Limit=1024`)).Items.find(
        (s: any) => s.Id === created.Id,
      );
      expect(listed.Name).toBe(name);
    });

    it.each(GOOD_NAMES)(
      'an appresult and its AppSession named with %s round-trip exactly',
      async (_label, name) => {
        const created = expectOk(
          await post(`projects/${P}/appresults`, { json: { Name: name, Description: name } }),
        );
        for (const r of [created, expectOk(await get(`appresults/${created.Id}`))]) {
          expect([r.Name, r.Description]).toEqual([name, name]);
        }
        const listed = expectOk(await get(`projects/${P}/appresults?Limit=1024`)).Items.find(
          (r: any) => r.Id === created.Id,
        );
        expect(listed.Name).toBe(name);
        const session = expectOk(
          await post(`appsessions/${created.AppSession.Id}`, { json: { statussummary: name } }),
        );
        expect(session.StatusSummary).toBe(name);
        expect(expectOk(await get(`appsessions/${created.AppSession.Id}`)).StatusSummary).toBe(
          name,
        );
      },
    );

    it('the brief example name works on every create endpoint', async () => {
      expect(expectOk(await post('projects/', { json: { Name: UNICODE_NAME } })).Name).toBe(
        UNICODE_NAME,
      );
      expect(
        expectOk(
          await post(`projects/${P}/samples?appsessionid=${SS}`, { json: { Name: UNICODE_NAME } }),
        ).Name,
      ).toBe(UNICODE_NAME);
      expect(
        expectOk(
          await post(`projects/${P}/appresults?appsessionid=${RS}`, {
            json: { Name: UNICODE_NAME },
          }),
        ).Name,
      ).toBe(UNICODE_NAME);
      const form = `name=${encodeURIComponent(UNICODE_NAME + ' form')}`;
      expect(
        expectOk(await post('projects', { raw: form, type: 'application/x-www-form-urlencoded' }))
          .Name,
      ).toBe(`${UNICODE_NAME} form`);
    });

    it('the Name filter is exact: LIKE wildcards and case do not match other projects', async () => {
      const exact = expectOk(await post('projects', { json: { Name: 'wild_card%name' } })).Id;
      expect(
        expectOk(
          await get(`users/current/projects?Name=${encodeURIComponent('wild_card%name')}`),
        ).Items.map((p: any) => p.Id),
      ).toEqual([exact]);
      for (const probe of [
        'wildXcardYname',
        'wild%',
        '%',
        '_',
        'WILD_CARD%NAME',
        'wild_card%name ',
      ]) {
        const reply = expectOk(
          await get(`users/current/projects?Name=${encodeURIComponent(probe)}`),
        );
        expect(
          reply.Items.map((p: any) => p.Name),
          probe,
        ).not.toContain('wild_card%name');
      }
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('AppSessions: status values, transitions and closed sessions', () => {
    async function freshSession(): Promise<string> {
      return expectOk(await post(`projects/${P}/appresults`, { json: { Name: 'session holder' } }))
        .AppSession.Id;
    }

    it.each<[string, Payload, number, string, RegExp]>([
      [
        'an unknown status',
        { json: { status: 'Bogus' } },
        400,
        'BASESPACE.APPSESSIONS.STATUS_INVALID',
        /Bogus/,
      ],
      [
        'an empty status',
        { json: { status: '' } },
        400,
        'BASESPACE.APPSESSIONS.STATUS_INVALID',
        /status/i,
      ],
      [
        'a status with SQL',
        { json: { status: "complete'; --" } },
        400,
        'BASESPACE.APPSESSIONS.STATUS_INVALID',
        /status/i,
      ],
      [
        'a run status',
        { json: { status: 'PendingAnalysis' } },
        400,
        'BASESPACE.APPSESSIONS.STATUS_INVALID',
        /PendingAnalysis/,
      ],
      [
        'an unknown status in a form',
        { raw: 'status=bogus', type: 'application/x-www-form-urlencoded' },
        400,
        'BASESPACE.APPSESSIONS.STATUS_INVALID',
        /bogus/,
      ],
      [
        'an unknown Status (C# casing)',
        { json: { Status: 'Finished', StatusSummary: 'x' } },
        400,
        'BASESPACE.APPSESSIONS.STATUS_INVALID',
        /Finished/,
      ],
      ['a numeric status', { json: { status: 5 } }, 400, 'BadRequest', /Status/i],
      ['a null status', { json: { status: null } }, 400, 'BadRequest', /Status/i],
      ['an array status', { json: { status: ['complete'] } }, 400, 'BadRequest', /Status/i],
      [
        'a repeated form status',
        { raw: 'status=complete&status=aborted', type: 'application/x-www-form-urlencoded' },
        400,
        'BadRequest',
        /Status/i,
      ],
      [
        'a numeric statussummary',
        { json: { statussummary: 5 } },
        400,
        'BadRequest',
        /StatusSummary/i,
      ],
      [
        'a statussummary with NUL',
        { json: { status: 'running', statussummary: 'a\u0000b' } },
        400,
        'BadRequest',
        /StatusSummary/i,
      ],
      [
        'a statussummary with a lone surrogate',
        { json: { statussummary: 'a\ud800' } },
        400,
        'BadRequest',
        /StatusSummary/i,
      ],
      [
        'a 20,000-character statussummary',
        { json: { statussummary: 's'.repeat(20_000) } },
        400,
        'BadRequest',
        /StatusSummary/i,
      ],
      ['an empty object', { json: {} }, 400, 'BadRequest', /status/i],
      [
        'only unknown keys',
        { json: { Name: 'x', Include: 'Properties' } },
        400,
        'BadRequest',
        /status/i,
      ],
    ])(
      'POST appsessions/{id} with %s -> 400, the session unchanged',
      async (_label, payload, status, code, message) => {
        const reply = await rejectedWrite(() => post(`appsessions/${TARGET}`, payload));
        expectError(reply, status, code, message);
        expect(expectOk(await get(`appsessions/${TARGET}`)).Status).toBe('Running');
      },
    );

    it.each([
      ['Complete', 'running'],
      ['Complete', 'needsattention'],
      ['Complete', 'aborted'],
      ['Complete', 'complete'],
      ['Aborted', 'running'],
      ['Aborted', 'complete'],
      ['Aborted', 'timedout'],
    ])('%s -> %s is refused with 409 NOT_WORKABLE and changes nothing', async (final, next) => {
      const id = final === 'Complete' ? COMPLETE : ABORTED;
      const before = expectOk(await get(`appsessions/${id}`));
      for (const payload of [
        { json: { status: next } },
        { json: { status: next, statussummary: 'reopened' } },
        { raw: `status=${next}`, type: 'application/x-www-form-urlencoded' },
      ] as Payload[]) {
        expectError(
          await rejectedWrite(() => post(`appsessions/${id}`, payload)),
          409,
          'BASESPACE.APPSESSIONS.NOT_WORKABLE',
        );
      }
      expectError(
        await rejectedWrite(() => post(`appsessions/${id}`, { json: { statussummary: 'edited' } })),
        409,
        'BASESPACE.APPSESSIONS.NOT_WORKABLE',
      );
      expect(expectOk(await get(`appsessions/${id}`))).toEqual(before);
    });

    it('every non-final status may move on, and Complete then sticks (control for the 409s)', async () => {
      const id = await freshSession();
      for (const [sent, shown] of [
        ['needsattention', 'NeedsAttention'],
        ['TIMEDOUT', 'TimedOut'],
        ['Running', 'Running'],
        ['complete', 'Complete'],
      ]) {
        expect(expectOk(await post(`appsessions/${id}`, { json: { status: sent } })).Status).toBe(
          shown,
        );
      }
      expectError(
        await post(`appsessions/${id}`, { json: { status: 'running' } }),
        409,
        'BASESPACE.APPSESSIONS.NOT_WORKABLE',
      );
    });

    it.each<[string, () => string, () => Payload, number, string]>([
      [
        'sample with appsessionid of a Complete session',
        () => `projects/${P}/samples?appsessionid=${COMPLETE}`,
        () => ({ json: { Name: 'late' } }),
        409,
        'BASESPACE.APPSESSIONS.NOT_WORKABLE',
      ],
      [
        'appresult with appsessionid of a Complete session',
        () => `projects/${P}/appresults?appsessionid=${COMPLETE}`,
        () => ({ json: { Name: 'late' } }),
        409,
        'BASESPACE.APPSESSIONS.NOT_WORKABLE',
      ],
      [
        'sample with appsessionid of an Aborted session',
        () => `projects/${P}/samples?appsessionid=${ABORTED}`,
        () => ({ json: { Name: 'late' } }),
        409,
        'BASESPACE.APPSESSIONS.NOT_WORKABLE',
      ],
      [
        'appresult with appsessionid of an Aborted session',
        () => `projects/${P}/appresults?appsessionid=${ABORTED}`,
        () => ({ json: { Name: 'late' } }),
        409,
        'BASESPACE.APPSESSIONS.NOT_WORKABLE',
      ],
      [
        'appresult with HrefAppSession of a Complete session',
        () => `projects/${P}/appresults`,
        () => ({ json: { Name: 'late', HrefAppSession: `v1pre3/appsessions/${COMPLETE}` } }),
        409,
        'BASESPACE.APPSESSIONS.NOT_WORKABLE',
      ],
      [
        'sample with HrefAppSession of an Aborted session',
        () => `projects/${P}/samples`,
        () => ({ json: { Name: 'late', HrefAppSession: `v1pre3/appsessions/${ABORTED}` } }),
        409,
        'BASESPACE.APPSESSIONS.NOT_WORKABLE',
      ],
      [
        'sample with APPSESSIONID (upper case) of a Complete session',
        () => `projects/${P}/samples?APPSESSIONID=${COMPLETE}`,
        () => ({ json: { Name: 'late' } }),
        409,
        'BASESPACE.APPSESSIONS.NOT_WORKABLE',
      ],
      ...BAD_IDS.filter(([, id]) => id.length < 64).flatMap(
        ([label, id]): [string, () => string, () => Payload, number, string][] => [
          [
            `sample with a ${label} appsessionid`,
            () => `projects/${P}/samples?appsessionid=${id}`,
            () => ({ json: { Name: 'orphan' } }),
            404,
            'NotFound',
          ],
          [
            `appresult with a ${label} appsessionid`,
            () => `projects/${P}/appresults?appsessionid=${id}`,
            () => ({ json: { Name: 'orphan' } }),
            404,
            'NotFound',
          ],
        ],
      ),
      [
        'appresult with a 100-character appsessionid',
        () => `projects/${P}/appresults?appsessionid=${'9'.repeat(100)}`,
        () => ({ json: { Name: 'orphan' } }),
        400,
        'BadRequest',
      ],
      [
        'appresult with a repeated appsessionid',
        () => `projects/${P}/appresults?appsessionid=${RS}&appsessionid=${SS}`,
        () => ({ json: { Name: 'orphan' } }),
        400,
        'BadRequest',
      ],
    ])('POST %s -> 409/404/400, nothing written', async (_label, path, payload, status, code) => {
      expectError(await rejectedWrite(() => post(path(), payload())), status, code);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('scopes', () => {
    let browseGlobal: string;
    let browseP: string;
    let readP: string;
    let empty: string;
    beforeAll(async () => {
      const user = alice.user;
      browseGlobal = await hub.tokenFor(user, 'browse global');
      browseP = await hub.tokenFor(user, `browse project ${P}`);
      readP = await hub.tokenFor(user, `read project ${P}`);
      empty = await hub.tokenFor(user, '');
    });

    const WRITES: [string, () => string, () => Payload][] = [
      ['POST projects (new name)', () => 'projects', () => ({ json: { Name: 'Scoped out' } })],
      [
        'POST projects/ (existing name)',
        () => 'projects/',
        () => ({ json: { Name: 'Alice Project P' } }),
      ],
      [
        'POST projects (form)',
        () => 'projects',
        () => ({ raw: 'name=Scoped+out', type: 'application/x-www-form-urlencoded' }),
      ],
      [
        'POST projects/{P}/samples',
        () => `projects/${P}/samples`,
        () => ({ json: { Name: 'Scoped out' } }),
      ],
      [
        'POST projects/{P}/samples?appsessionid',
        () => `projects/${P}/samples?appsessionid=${SS}`,
        () => ({ json: { Name: 'Scoped out' } }),
      ],
      [
        'POST projects/{P}/appresults',
        () => `projects/${P}/appresults`,
        () => ({ json: { Name: 'Scoped out' } }),
      ],
      [
        'POST projects/{P}/appresults?appsessionid',
        () => `projects/${P}/appresults?appsessionid=${RS}`,
        () => ({ json: { Name: 'Scoped out' } }),
      ],
      [
        'POST projects/{Q}/samples',
        () => `projects/${Q}/samples`,
        () => ({ json: { Name: 'Scoped out' } }),
      ],
      [
        'POST appsessions/{id} status',
        () => `appsessions/${SS}`,
        () => ({ json: { status: 'aborted' } }),
      ],
      [
        'POST appsessions/{id} statussummary',
        () => `appsessions/${RS}`,
        () => ({ json: { statussummary: 'scoped out' } }),
      ],
    ];
    const tokens: [string, () => string][] = [
      ['browse global', () => browseGlobal],
      ['browse project P', () => browseP],
      ['read project P', () => readP],
      ['an empty scope', () => empty],
    ];
    const writeCases = tokens.flatMap(([scope, token]) =>
      WRITES.map(([label, path, payload]) => ({ scope, token, label, path, payload })),
    );

    it.each(writeCases)(
      '$scope: $label -> 403 Forbidden, nothing written',
      async ({ token, path, payload }) => {
        expectError(await rejectedWrite(() => post(path(), payload(), token())), 403, 'Forbidden');
      },
    );

    it('browse global reads everything of the owner (control for the 403s)', async () => {
      for (const path of [
        `projects/${P}`,
        `projects/${Q}`,
        `samples/${SQ}`,
        `appresults/${RQ}`,
        `appsessions/${RQS}`,
        `runs/${RUN}`,
      ]) {
        expectOk(await get(path, browseGlobal));
      }
      expect(expectOk(await get('users/current/projects', browseGlobal)).TotalCount).toBe(
        await total('users/current/projects', alice.token),
      );
    });

    it.each([
      ['projects/{Q}', () => `projects/${Q}`],
      ['projects/{Q}/samples', () => `projects/${Q}/samples`],
      ['projects/{Q}/appresults', () => `projects/${Q}/appresults`],
      ['samples/{in Q}', () => `samples/${SQ}`],
      ['appresults/{in Q}', () => `appresults/${RQ}`],
      ['appsessions/{of Q}', () => `appsessions/${RQS}`],
      ['appsessions/{of Q}/appresults', () => `appsessions/${RQS}/appresults`],
      ['runs/{id}', () => `runs/${RUN}`],
    ])('browse project P: GET %s -> 403 Forbidden, nothing of Q leaks', async (_label, path) => {
      const reply = await get(path(), browseP);
      expectError(reply, 403, 'Forbidden');
      for (const name of Object.values(names)) expect(reply.text).not.toContain(name);
    });

    it('browse project P: sees P, its sample, appresult and sessions', async () => {
      expect(expectOk(await get(`projects/${P}`, browseP)).Id).toBe(P);
      expect(expectOk(await get(`samples/${S}`, browseP)).Id).toBe(S);
      expect(expectOk(await get(`appresults/${R}`, browseP)).Id).toBe(R);
      expect(expectOk(await get(`appsessions/${RS}`, browseP)).Id).toBe(RS);
      expect(expectOk(await get(`projects/${P}/samples`, browseP)).TotalCount).toBe(
        await total(`projects/${P}/samples`, alice.token),
      );
      expect(expectOk(await get(`appsessions/${RS}/appresults`, browseP)).TotalCount).toBe(
        await total(`appsessions/${RS}/appresults`, alice.token),
      );
    });

    it('browse project P: users/current/projects lists only P, and Name cannot find Q', async () => {
      const list = expectOk(await get('users/current/projects?Limit=1024', browseP));
      expect(list.TotalCount).toBe(1);
      expect(list.Items.map((p: any) => p.Id)).toEqual([P]);
      for (const sortBy of ['Id', 'Name', 'DateCreated']) {
        expect(
          expectOk(
            await get(
              `users/current/projects?SortBy=${sortBy}&SortDir=Desc&Offset=0&Limit=1024`,
              browseP,
            ),
          ).Items.map((p: any) => p.Id),
        ).toEqual([P]);
      }
      expect(
        expectOk(await get(`users/current/projects?Name=${encodeURIComponent(names.Q)}`, browseP))
          .TotalCount,
      ).toBe(0);
      expect(expectOk(await get(`users/current/projects?Offset=1`, browseP)).Items).toEqual([]);
    });

    it("browse project P: users/current/appsessions lists only P's sessions; runs list is empty", async () => {
      const sessions = expectOk(await get('users/current/appsessions?Limit=1024', browseP))
        .Items as any[];
      const ids = sessions.map((s) => s.Id);
      expect(ids).toContain(RS);
      expect(ids).not.toContain(RQS);
      const runs = expectOk(await get('users/current/runs?Limit=1024', browseP));
      expect(runs.TotalCount).toBe(0);
      expect(runs.Items).toEqual([]);
    });

    it('an empty scope sees only users/current', async () => {
      expectOk(await get('users/current', empty));
      expectError(await get(`projects/${P}`, empty), 403, 'Forbidden');
      expect(expectOk(await get('users/current/projects', empty)).TotalCount).toBe(0);
      expect(expectOk(await get('users/current/runs', empty)).TotalCount).toBe(0);
      expect(expectOk(await get('users/current/appsessions', empty)).TotalCount).toBe(0);
    });
  });
});
