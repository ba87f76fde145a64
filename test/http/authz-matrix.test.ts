import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/services/index.js';
import { readFileSync } from 'node:fs';
import { backends } from '../support/backends.js';
import { fixture } from '../support/genomics.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * The authorization matrix (issue 4, first Done-when point). Every route the server registers
 * (Fastify's onRoute table, HEAD included) must have an entry here, or the test fails: a new
 * endpoint cannot ship without saying who may call it. Each cell asserts the exact status.
 *
 * The browser pages of web sign-in and OAuth (`/signin`, `/oauth/...`) and the OAuth token
 * endpoints do not take access tokens: every actor gets the same answer there, a token changes
 * nothing (their own flows are tested in oauth.test.ts).
 */

const ACTORS = [
  'owner',
  'writer',
  'reader',
  'stranger',
  'link',
  'scoped',
  'revoked',
  'expired',
  'none',
] as const;
type Actor = (typeof ACTORS)[number];
type Expect = Record<Actor, number>;

const profile = (
  owner: number,
  writer: number,
  reader: number,
  stranger: number,
  link: number,
  scoped: number,
): Expect => ({
  owner,
  writer,
  reader,
  stranger,
  link,
  scoped,
  revoked: 401,
  expired: 401,
  none: 401,
});

/** Reading metadata inside the project (or run): browse. Links see the project, not the run. */
const READ_P = profile(200, 200, 200, 404, 200, 200);
const READ_R = profile(200, 200, 200, 404, 404, 200);
/** Downloading bytes: read (a `browse global` token may not). */
const CONTENT_P = profile(200, 200, 200, 404, 200, 403);
/** Creating or writing inside: WRITE collaborators yes, READ and links no. */
const WRITE_P = profile(200, 200, 403, 404, 403, 403);
const WRITE_R = profile(200, 200, 403, 404, 404, 403);
/** Managing sharing, links, ownership, audit log: the owner alone. */
const OWNER_P = profile(200, 403, 403, 404, 403, 403);
const OWNER_R = profile(200, 403, 403, 404, 404, 403);
/** A pending multipart upload: its uploader alone (the owner here). */
const PENDING_READ = profile(200, 404, 404, 404, 404, 200);
const PENDING_WRITE = profile(200, 404, 404, 404, 404, 403);
/** Per-user routes: any user token; a link is no user. */
const USERS = profile(200, 200, 200, 200, 403, 200);
const ANY_TOKEN = profile(200, 200, 200, 200, 200, 200);
const CREATE_PROJECT = profile(200, 200, 200, 200, 403, 403);
const PUBLIC: Expect = {
  ...profile(200, 200, 200, 200, 200, 200),
  revoked: 200,
  expired: 200,
  none: 200,
};
const ACTOR_USERS: ReadonlySet<Actor> = new Set(['owner', 'writer', 'reader', 'stranger']);

/** Routes that take no access token: the same status whoever calls. */
const everyone = (status: number): Expect =>
  Object.fromEntries(ACTORS.map((a) => [a, status])) as Expect;

interface Ctx {
  hub: TestHub;
  tokens: Record<Actor, string | undefined>;
  principals: Record<'owner' | 'writer' | 'reader' | 'stranger', Principal>;
  ids: {
    project: string;
    sample: string;
    appResult: string;
    appSession: string;
    file: string;
    /** An indexed VCF (contigA) and BAM (ctgA) of the project (issue 7). */
    vcf: string;
    bam: string;
    run: string;
    users: Record<'owner' | 'writer' | 'reader' | 'stranger', string>;
  };
  counter: number;
}

interface Prepared {
  url: string;
  method?: string;
  body?: unknown;
  raw?: string;
  /** A token for this cell instead of the actor's (a fresh project's link). */
  token?: string | undefined;
}

interface Entry {
  expect: Expect;
  prepare(ctx: Ctx, actor: Actor): Promise<Prepared> | Prepared;
  /** Extra assertions on a 200 answer (lists: nobody else's objects). */
  check?(ctx: Ctx, actor: Actor, body: any): void;
}

const s = services;
function services(ctx: Ctx) {
  return ctx.hub.server.hub.services;
}

/** A new user, not shared anything. */
async function freshUser(ctx: Ctx): Promise<string> {
  ctx.counter += 1;
  const user = await s(ctx).auth.createUser({
    email: `fresh${ctx.counter}-${process.pid}@matrix.example`,
    name: `Fresh ${ctx.counter}`,
  });
  return user.id;
}

/** A project of the owner shared like the main one (writer WRITE, reader READ) and its link. */
async function freshProject(ctx: Ctx): Promise<{ id: string; link: string }> {
  ctx.counter += 1;
  const p = await s(ctx).projects.create(ctx.principals.owner, { name: `fresh-${ctx.counter}` });
  await s(ctx).sharing.share(
    ctx.principals.owner,
    'project',
    p.id,
    { userId: ctx.ids.users.writer },
    'write',
  );
  await s(ctx).sharing.share(
    ctx.principals.owner,
    'project',
    p.id,
    { userId: ctx.ids.users.reader },
    'read',
  );
  const { token } = await s(ctx).sharing.createLink(ctx.principals.owner, p.id, 'fresh');
  return { id: p.id, link: token };
}

/** A new run of the owner's in `Uploading`, shared like the main one (writer WRITE, reader READ). */
async function uploadingRun(ctx: Ctx): Promise<string> {
  ctx.counter += 1;
  const res = await fetch(`${ctx.hub.url}/v1pre3/runs`, {
    method: 'POST',
    headers: { 'x-access-token': ctx.tokens.owner!, 'content-type': 'application/json' },
    body: JSON.stringify({ Name: `uploading-${ctx.counter}` }),
  });
  const id = ((await res.json()) as { Response: { Id: string } }).Response.Id;
  for (const [user, level] of [
    [ctx.ids.users.writer, 'write'],
    [ctx.ids.users.reader, 'read'],
  ] as const)
    await s(ctx).sharing.share(ctx.principals.owner, 'run', id, { userId: user }, level);
  return id;
}

async function freshRun(ctx: Ctx): Promise<string> {
  const run = await ctx.hub.createRun((await s(ctx).auth.findUserByEmail(ownerEmail))!, {
    name: 'fresh-run',
    experimentName: 'fresh-run',
  });
  await s(ctx).sharing.share(
    ctx.principals.owner,
    'run',
    run.id,
    { userId: ctx.ids.users.writer },
    'write',
  );
  await s(ctx).sharing.share(
    ctx.principals.owner,
    'run',
    run.id,
    { userId: ctx.ids.users.reader },
    'read',
  );
  return run.id;
}

let ownerEmail = '';

async function pendingUpload(ctx: Ctx): Promise<string> {
  const file = await s(ctx).files.initMultipart(
    ctx.principals.owner,
    { kind: 'appresult', id: ctx.ids.appResult },
    {
      name: `pending-${++ctx.counter}.bin`,
      directory: undefined,
      contentType: 'application/octet-stream',
    },
  );
  return file.id;
}

const PROPERTY_KINDS = {
  projects: (c: Ctx) => c.ids.project,
  runs: (c: Ctx) => c.ids.run,
  samples: (c: Ctx) => c.ids.sample,
  appresults: (c: Ctx) => c.ids.appResult,
  appsessions: (c: Ctx) => c.ids.appSession,
  files: (c: Ctx) => c.ids.file,
} as const;

function propertyEntries(): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  for (const [collection, idOf] of Object.entries(PROPERTY_KINDS)) {
    const isRun = collection === 'runs';
    const read = isRun ? READ_R : READ_P;
    const write = isRun ? WRITE_R : WRITE_P;
    const base = (c: Ctx) => `/v1pre3/${collection}/${idOf(c)}/properties`;
    out[`GET /v1pre3/${collection}/:id/properties`] = {
      expect: read,
      prepare: (c) => ({ url: base(c) }),
    };
    out[`GET /v1pre3/${collection}/:id/properties/:name`] = {
      expect: read,
      prepare: (c) => ({ url: `${base(c)}/matrix.single` }),
    };
    out[`GET /v1pre3/${collection}/:id/properties/:name/items`] = {
      expect: read,
      prepare: (c) => ({ url: `${base(c)}/matrix.multi/items` }),
    };
    out[`POST /v1pre3/${collection}/:id/properties`] = {
      expect: write,
      prepare: (c, actor) => ({
        url: base(c),
        body: { Properties: [{ Type: 'string', Name: `by.${actor}`, Content: 'x' }] },
      }),
    };
    out[`DELETE /v1pre3/${collection}/:id/properties/:name`] = {
      expect: write,
      prepare: async (c, actor) => {
        const name = `gone.${actor}${++c.counter}`;
        const kind = collection === 'appresults' ? 'appresult' : collection.replace(/s$/, '');
        await s(c).properties.set(c.principals.owner, kind as never, idOf(c), {
          Properties: [{ Type: 'string', Name: name, Content: 'x' }],
        });
        return { url: `${base(c)}/${name}` };
      },
    };
  }
  return out;
}

/** Variants, coverage, htsget and DRS (issue 7): file contents need `read`, as downloads. */
function genomicsEntries(): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  for (const [route, url] of [
    ['/v1pre3/variantset/:id', (c: Ctx) => `/v1pre3/variantset/${c.ids.vcf}`],
    ['/v1pre3/files/:id/variants', (c: Ctx) => `/v1pre3/files/${c.ids.vcf}/variants`],
    [
      '/v1pre3/variantset/:id/variants/:chrom',
      (c: Ctx) => `/v1pre3/variantset/${c.ids.vcf}/variants/contigA`,
    ],
    [
      '/v1pre3/files/:id/variants/:chrom',
      (c: Ctx) => `/v1pre3/files/${c.ids.vcf}/variants/contigA`,
    ],
    ['/v1pre3/coverage/:id/:chrom', (c: Ctx) => `/v1pre3/coverage/${c.ids.bam}/ctgA`],
    ['/v1pre3/files/:id/coverage/:chrom', (c: Ctx) => `/v1pre3/files/${c.ids.bam}/coverage/ctgA`],
    ['/v1pre3/coverage/:id/:chrom/meta', (c: Ctx) => `/v1pre3/coverage/${c.ids.bam}/ctgA/meta`],
    [
      '/v1pre3/files/:id/coverage/:chrom/meta',
      (c: Ctx) => `/v1pre3/files/${c.ids.bam}/coverage/ctgA/meta`,
    ],
  ] as const) {
    out[`GET ${route}`] = { expect: CONTENT_P, prepare: (c) => ({ url: url(c) }) };
  }
  // htsget (errors in its own shape; the same statuses).
  for (const [datatype, idOf] of [
    ['reads', (c: Ctx) => c.ids.bam],
    ['variants', (c: Ctx) => c.ids.vcf],
  ] as const) {
    out[`GET /htsget/${datatype}/:id`] = {
      expect: CONTENT_P,
      prepare: (c) => ({ url: `/htsget/${datatype}/${idOf(c)}` }),
    };
    out[`POST /htsget/${datatype}/:id`] = {
      expect: CONTENT_P,
      prepare: (c) => ({ url: `/htsget/${datatype}/${idOf(c)}`, body: {} }),
    };
    out[`GET /htsget/${datatype}/service-info`] = {
      expect: PUBLIC,
      prepare: () => ({ url: `/htsget/${datatype}/service-info` }),
    };
  }
  // Ticket bytes: a signed URL; without its signature a token alone is not enough.
  out['GET /htsget/data/:id'] = {
    expect: profile(403, 403, 403, 403, 403, 403),
    prepare: (c) => ({ url: `/htsget/data/${c.ids.bam}` }),
  };
  // GA4GH DRS (errors in its own shape; the same statuses as the file routes).
  const drs = '/ga4gh/drs/v1';
  out[`GET ${drs}/service-info`] = {
    expect: PUBLIC,
    prepare: () => ({ url: `${drs}/service-info` }),
  };
  for (const method of ['GET', 'POST'] as const) {
    const body = method === 'POST' ? { body: {} } : {};
    out[`${method} ${drs}/objects/:object_id`] = {
      expect: READ_P,
      prepare: (c) => ({ url: `${drs}/objects/${c.ids.file}`, ...body }),
      check: (c, _a, b) => expect(b.id).toBe(c.ids.file),
    };
    out[`${method} ${drs}/objects/:object_id/access/:access_id`] = {
      expect: CONTENT_P,
      prepare: (c) => ({ url: `${drs}/objects/${c.ids.file}/access/https`, ...body }),
      check: (_c, _a, b) => expect(b.url).toMatch(/^http/),
    };
  }
  return out;
}

function sharingEntries(): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  for (const collection of ['projects', 'runs'] as const) {
    const isRun = collection === 'runs';
    const owner = isRun ? OWNER_R : OWNER_P;
    const kind = isRun ? 'run' : 'project';
    const idOf = (c: Ctx) => (isRun ? c.ids.run : c.ids.project);
    out[`GET /v1pre3/${collection}/:id/collaborators`] = {
      expect: owner,
      prepare: (c) => ({ url: `/v1pre3/${collection}/${idOf(c)}/collaborators` }),
      check: (c, _a, body) => {
        const ids = body.Response.Items.map((i: { Id: string }) => i.Id);
        expect(ids).toEqual(expect.arrayContaining([c.ids.users.writer, c.ids.users.reader]));
        expect(ids).not.toContain(c.ids.users.stranger);
      },
    };
    out[`GET /v1pre3/${collection}/:id/auditlog`] = {
      expect: owner,
      prepare: (c) => ({ url: `/v1pre3/${collection}/${idOf(c)}/auditlog` }),
    };
    out[`POST /v1pre3/${collection}/:id/collaborators`] = {
      expect: owner,
      prepare: async (c) => ({
        url: `/v1pre3/${collection}/${idOf(c)}/collaborators`,
        body: { UserId: await freshUser(c), Access: 'Read' },
      }),
    };
    const sharedFresh = async (c: Ctx) => {
      const userId = await freshUser(c);
      await s(c).sharing.share(c.principals.owner, kind, idOf(c), { userId }, 'read');
      return userId;
    };
    out[`POST /v1pre3/${collection}/:id/collaborators/:userId`] = {
      expect: owner,
      prepare: async (c) => ({
        url: `/v1pre3/${collection}/${idOf(c)}/collaborators/${await sharedFresh(c)}`,
        body: { Access: 'Write' },
      }),
    };
    out[`DELETE /v1pre3/${collection}/:id/collaborators/:userId`] = {
      expect: owner,
      prepare: async (c) => ({
        url: `/v1pre3/${collection}/${idOf(c)}/collaborators/${await sharedFresh(c)}`,
      }),
    };
    out[`POST /v1pre3/${collection}/:id/owner`] = {
      expect: owner,
      prepare: async (c, actor) => {
        if (isRun) {
          return {
            url: `/v1pre3/runs/${await freshRun(c)}/owner`,
            body: { UserId: await freshUser(c) },
          };
        }
        const fresh = await freshProject(c);
        return {
          url: `/v1pre3/projects/${fresh.id}/owner`,
          body: { UserId: await freshUser(c) },
          token: actor === 'link' ? fresh.link : undefined,
        };
      },
    };
  }
  out['GET /v1pre3/projects/:id/links'] = {
    expect: OWNER_P,
    prepare: (c) => ({ url: `/v1pre3/projects/${c.ids.project}/links` }),
    check: (_c, _a, body) => {
      for (const link of body.Response.Items) expect(link.Token).toBeUndefined();
    },
  };
  out['POST /v1pre3/projects/:id/links'] = {
    expect: OWNER_P,
    prepare: (c) => ({ url: `/v1pre3/projects/${c.ids.project}/links`, body: { Label: 'm' } }),
  };
  out['DELETE /v1pre3/projects/:id/links/:linkId'] = {
    expect: OWNER_P,
    prepare: async (c) => {
      const { link } = await s(c).sharing.createLink(c.principals.owner, c.ids.project, 'tmp');
      return { url: `/v1pre3/projects/${c.ids.project}/links/${link.id}` };
    },
  };
  return out;
}

/** Names of what each actor may see in lists and search (see beforeAll). */
const VISIBLE_PROJECTS: Record<string, string[]> = {
  owner: ['matrix-p', 'matrix-p2'],
  scoped: ['matrix-p', 'matrix-p2'],
  writer: ['matrix-p', 'matrix-w'],
  reader: ['matrix-p'],
  stranger: ['matrix-x'],
};
const VISIBLE_RUNS: Record<string, string[]> = {
  owner: ['matrix-r', 'matrix-r2'],
  scoped: ['matrix-r', 'matrix-r2'],
  writer: ['matrix-r'],
  reader: ['matrix-r'],
  stranger: [],
};

const namesOf = (body: any) =>
  (body.Response.Items as { Name?: string; ExperimentName?: string }[])
    .map((i) => i.Name ?? i.ExperimentName ?? '')
    .sort();

const ENTRIES: Record<string, Entry> = {
  'GET /openapi.json': { expect: PUBLIC, prepare: () => ({ url: '/openapi.json' }) },
  'GET /healthz': { expect: PUBLIC, prepare: () => ({ url: '/healthz' }) },
  'GET /readyz': { expect: PUBLIC, prepare: () => ({ url: '/readyz' }) },
  // Open unless SEQHUB_METRICS_TOKEN is set (test/http/ops.test.ts); access tokens change nothing.
  'GET /metrics': { expect: PUBLIC, prepare: () => ({ url: '/metrics' }) },
  // Browser pages: no session cookie here, so the sign-in page shows, the pages behind it send
  // the browser to sign in (303), forms without their CSRF token are refused (403), and an
  // unknown client gets an error page (400). A token changes none of it.
  'GET /signin': { expect: everyone(200), prepare: () => ({ url: '/signin' }) },
  'POST /signin': { expect: everyone(403), prepare: () => ({ url: '/signin', body: {} }) },
  'GET /signin/done': { expect: everyone(303), prepare: () => ({ url: '/signin/done' }) },
  'POST /signout': { expect: everyone(403), prepare: () => ({ url: '/signout', body: {} }) },
  // The web UI's static files (issue 9): the same for everyone; a token is not a session, so
  // POST /app/session without the UI's header is refused (403) whoever calls.
  'GET /': { expect: everyone(302), prepare: () => ({ url: '/' }) },
  'GET /app': { expect: everyone(200), prepare: () => ({ url: '/app/' }) },
  'GET /app/*': { expect: everyone(200), prepare: () => ({ url: '/app/projects/1' }) },
  'GET /app/assets/:name': {
    expect: everyone(404),
    prepare: () => ({ url: '/app/assets/nothing-here.js' }),
  },
  'POST /app/session': { expect: everyone(403), prepare: () => ({ url: '/app/session' }) },
  'GET /oauth/authorize': {
    expect: everyone(400),
    prepare: () => ({ url: '/oauth/authorize?response_type=code&client_id=nope' }),
  },
  'POST /oauth/authorize': {
    expect: everyone(403),
    prepare: () => ({ url: '/oauth/authorize', body: {} }),
  },
  'GET /oauth/device': { expect: everyone(303), prepare: () => ({ url: '/oauth/device' }) },
  'POST /oauth/device': {
    expect: everyone(403),
    prepare: () => ({ url: '/oauth/device', body: {} }),
  },
  // The OAuth endpoints authenticate the client, not a user token.
  'POST /v1pre3/oauthv2/token': {
    expect: everyone(400),
    prepare: () => ({ url: '/v1pre3/oauthv2/token', body: { grant_type: 'nope' } }),
  },
  'POST /v1pre3/oauthv2/deviceauthorization': {
    expect: everyone(401),
    prepare: () => ({ url: '/v1pre3/oauthv2/deviceauthorization', body: { client_id: 'nope' } }),
  },
  'GET /v1pre3/oauthv2/token/current': {
    expect: USERS,
    prepare: () => ({ url: '/v1pre3/oauthv2/token/current' }),
  },
  'DELETE /v1pre3/oauthv2/token/current': {
    expect: USERS,
    // A token of the actor's own, made for this cell: revoking it spares the actor's token.
    prepare: async (ctx, actor) => {
      const user = ACTOR_USERS.has(actor)
        ? ctx.principals[actor as 'owner' | 'writer' | 'reader' | 'stranger'].user
        : undefined;
      const scope = actor === 'scoped' ? 'browse global' : undefined;
      const own = actor === 'scoped' ? ctx.principals.owner.user : user;
      return {
        url: '/v1pre3/oauthv2/token/current',
        ...(own ? { token: (await s(ctx).auth.createToken(own.id, scope)).token } : {}),
      };
    },
  },
  'GET /v1pre3/users/:id': { expect: USERS, prepare: () => ({ url: '/v1pre3/users/current' }) },
  'GET /v1pre3/users/:id/projects': {
    expect: USERS,
    prepare: () => ({ url: '/v1pre3/users/current/projects?Limit=1024' }),
    check: (_c, actor, body) => {
      expect(namesOf(body)).toEqual(VISIBLE_PROJECTS[actor]);
      expect(body.Response.TotalCount).toBe(VISIBLE_PROJECTS[actor]!.length);
    },
  },
  'GET /v1pre3/users/:id/runs': {
    expect: USERS,
    prepare: () => ({ url: '/v1pre3/users/current/runs?Limit=1024' }),
    check: (_c, actor, body) => {
      expect(namesOf(body)).toEqual(VISIBLE_RUNS[actor]);
      expect(body.Response.TotalCount).toBe(VISIBLE_RUNS[actor]!.length);
    },
  },
  'GET /v1pre3/users/:id/appsessions': {
    expect: USERS,
    prepare: () => ({ url: '/v1pre3/users/current/appsessions?Limit=1024' }),
    check: (c, actor, body) => {
      // AppSessions are listed to the user who ran them only (docs/api-choices.md "Sharing").
      const ids = body.Response.Items.map((i: { Id: string }) => i.Id);
      if (actor === 'owner' || actor === 'scoped') expect(ids).toContain(c.ids.appSession);
      else expect(ids).not.toContain(c.ids.appSession);
      expect(body.Response.TotalCount).toBe(ids.length);
    },
  },
  'GET /v1pre3/genomes': { expect: ANY_TOKEN, prepare: () => ({ url: '/v1pre3/genomes' }) },
  'GET /v1pre3/genomes/:id': { expect: ANY_TOKEN, prepare: () => ({ url: '/v1pre3/genomes/4' }) },
  'GET /v1pre3/applications': {
    expect: ANY_TOKEN,
    prepare: () => ({ url: '/v1pre3/applications' }),
  },
  'GET /v1pre3/applications/:id': {
    expect: ANY_TOKEN,
    prepare: () => ({ url: '/v1pre3/applications/fastq-qc' }),
  },
  'POST /v1pre3/applications/:id/appsessions': {
    // Write on the target project, read on every sample; past them the matrix sample has no
    // FASTQ: 400 for those who may (test/http/apps.test.ts launches real ones).
    expect: profile(400, 400, 403, 404, 403, 403),
    prepare: (c) => ({
      url: '/v1pre3/applications/fastq-qc/appsessions',
      body: {
        Properties: [
          {
            Name: 'Input.project-id',
            Type: 'project',
            Content: `v1pre3/projects/${c.ids.project}`,
          },
          { Name: 'Input.sample-id', Type: 'sample[]', Items: [`v1pre3/samples/${c.ids.sample}`] },
        ],
      },
    }),
  },
  'GET /v1pre3/search': {
    expect: ANY_TOKEN,
    prepare: () => ({ url: '/v1pre3/search?query=matrix*&scope=projects,runs&Limit=1024' }),
    check: (_c, actor, body) => {
      const names = (body.Response.Items as any[])
        .map((i) => (i.Project ?? i.Run).Name ?? (i.Run?.ExperimentName as string))
        .sort();
      const expected =
        actor === 'link'
          ? ['matrix-p']
          : [...VISIBLE_PROJECTS[actor]!, ...VISIBLE_RUNS[actor]!].sort();
      expect(names).toEqual(expected);
      expect(body.Response.TotalCount).toBe(expected.length);
    },
  },
  'POST /v1pre3/projects': {
    expect: CREATE_PROJECT,
    prepare: (_c, actor) => ({ url: '/v1pre3/projects', body: { Name: `created-by-${actor}` } }),
  },
  'GET /v1pre3/projects/:id': {
    expect: READ_P,
    prepare: (c) => ({ url: `/v1pre3/projects/${c.ids.project}` }),
  },
  'GET /v1pre3/projects/:id/samples': {
    expect: READ_P,
    prepare: (c) => ({ url: `/v1pre3/projects/${c.ids.project}/samples` }),
  },
  'GET /v1pre3/projects/:id/appresults': {
    expect: READ_P,
    prepare: (c) => ({ url: `/v1pre3/projects/${c.ids.project}/appresults` }),
  },
  'POST /v1pre3/projects/:id/samples': {
    expect: WRITE_P,
    prepare: (c, actor) => ({
      url: `/v1pre3/projects/${c.ids.project}/samples`,
      body: { Name: `sample-by-${actor}` },
    }),
  },
  'POST /v1pre3/projects/:id/appresults': {
    expect: WRITE_P,
    prepare: (c, actor) => ({
      url: `/v1pre3/projects/${c.ids.project}/appresults`,
      body: { Name: `result-by-${actor}` },
    }),
  },
  'GET /v1pre3/samples/:id': {
    expect: READ_P,
    prepare: (c) => ({ url: `/v1pre3/samples/${c.ids.sample}` }),
  },
  'GET /v1pre3/appresults/:id': {
    expect: READ_P,
    prepare: (c) => ({ url: `/v1pre3/appresults/${c.ids.appResult}` }),
  },
  'GET /v1pre3/appsessions/:id': {
    expect: READ_P,
    prepare: (c) => ({ url: `/v1pre3/appsessions/${c.ids.appSession}` }),
  },
  'GET /v1pre3/appsessions/:id/appresults': {
    expect: READ_P,
    prepare: (c) => ({ url: `/v1pre3/appsessions/${c.ids.appSession}/appresults` }),
  },
  'POST /v1pre3/appsessions/:id': {
    expect: WRITE_P,
    prepare: (c, actor) => ({
      url: `/v1pre3/appsessions/${c.ids.appSession}`,
      body: { StatusSummary: `touched by ${actor}` },
    }),
  },
  'GET /v1pre3/runs/:id': {
    expect: READ_R,
    prepare: (c) => ({ url: `/v1pre3/runs/${c.ids.run}` }),
  },
  'POST /v1pre3/runs': {
    expect: CREATE_PROJECT,
    prepare: (_c, actor) => ({ url: '/v1pre3/runs', body: { Name: `run-by-${actor}` } }),
  },
  'POST /v1pre3/runs/:id': {
    // Past the access check, an empty upload is not a run folder: 400 for those who may.
    expect: profile(400, 400, 403, 404, 404, 403),
    prepare: async (c) => ({
      url: `/v1pre3/runs/${await uploadingRun(c)}?uploadstatus=complete`,
    }),
  },
  'POST /v1pre3/runs/:id/demultiplex': {
    // Read on the run and write on the project; past them, the matrix run (a record without
    // files) has no RunInfo.xml: 400 for those who may (test/http/demultiplex.test.ts runs real ones).
    expect: profile(400, 400, 403, 404, 404, 403),
    prepare: (c) => ({
      url: `/v1pre3/runs/${c.ids.run}/demultiplex`,
      body: { ProjectId: c.ids.project },
    }),
  },
  'GET /v1pre3/appsessions/:id/logs': {
    expect: READ_P,
    prepare: (c) => ({ url: `/v1pre3/appsessions/${c.ids.appSession}/logs` }),
  },
  'POST /v1pre3/appsessions/:id/stop': {
    expect: WRITE_P,
    prepare: async (c, actor) => {
      const fresh = await s(c).appResults.create(c.principals.owner, c.ids.project, {
        name: `to stop (v1pre3) by ${actor}`,
      });
      return { url: `/v1pre3/appsessions/${fresh.appResult.appSessionId}/stop`, body: {} };
    },
  },
  'POST /v2/appsessions/:id/stop': {
    expect: WRITE_P,
    prepare: async (c, actor) => {
      const fresh = await s(c).appResults.create(c.principals.owner, c.ids.project, {
        name: `to stop by ${actor}`,
      });
      return { url: `/v2/appsessions/${fresh.appResult.appSessionId}/stop`, body: {} };
    },
  },
  'GET /v1pre3/runs/:id/sequencingstats': {
    expect: READ_R,
    prepare: (c) => ({ url: `/v1pre3/runs/${c.ids.run}/sequencingstats` }),
  },
  'POST /v1pre3/runs/:id/files': {
    expect: WRITE_R,
    prepare: async (c, actor) => ({
      url: `/v1pre3/runs/${await uploadingRun(c)}/files?name=${actor}.txt`,
      raw: 'hello',
    }),
  },
  'GET /v1pre3/runs/:id/files': {
    expect: READ_R,
    prepare: (c) => ({ url: `/v1pre3/runs/${c.ids.run}/files` }),
  },
  'GET /v1pre3/samples/:id/files': {
    expect: READ_P,
    prepare: (c) => ({ url: `/v1pre3/samples/${c.ids.sample}/files` }),
  },
  'GET /v1pre3/appresults/:id/files': {
    expect: READ_P,
    prepare: (c) => ({ url: `/v1pre3/appresults/${c.ids.appResult}/files` }),
    check: (c, _a, body) => {
      expect(body.Response.Items.map((f: { Id: string }) => f.Id)).toEqual([
        c.ids.file,
        c.ids.vcf,
        c.ids.bam,
      ]);
    },
  },
  'POST /v1pre3/samples/:id/files': {
    expect: WRITE_P,
    prepare: (c, actor) => ({
      url: `/v1pre3/samples/${c.ids.sample}/files?name=${actor}.txt`,
      raw: 'hello',
    }),
  },
  'POST /v1pre3/appresults/:id/files': {
    expect: WRITE_P,
    prepare: (c, actor) => ({
      url: `/v1pre3/appresults/${c.ids.appResult}/files?name=up-${actor}.txt`,
      raw: 'hello',
    }),
  },
  'GET /v1pre3/files/:id': {
    expect: READ_P,
    prepare: (c) => ({ url: `/v1pre3/files/${c.ids.file}` }),
  },
  'GET /v1pre3/files/:id/content': {
    expect: CONTENT_P,
    prepare: (c) => ({ url: `/v1pre3/files/${c.ids.file}/content` }),
  },
  ...genomicsEntries(),
  'GET /v1pre3/files/:id/parts': {
    expect: PENDING_READ,
    prepare: async (c) => ({ url: `/v1pre3/files/${await pendingUpload(c)}/parts` }),
  },
  'PUT /v1pre3/files/:id/parts/:number': {
    expect: PENDING_WRITE,
    prepare: async (c) => ({ url: `/v1pre3/files/${await pendingUpload(c)}/parts/1`, raw: 'part' }),
  },
  'POST /v1pre3/files/:id': {
    expect: PENDING_WRITE,
    prepare: async (c) => ({ url: `/v1pre3/files/${await pendingUpload(c)}?uploadstatus=aborted` }),
  },
  ...propertyEntries(),
  ...sharingEntries(),
};

describe.each(backends())('authorization matrix on $kind', (backend) => {
  const ctx = { counter: 0 } as Ctx;
  let routes: { method: string; url: string }[] = [];

  beforeAll(async () => {
    // Revoked and expired tokens are sent to every route: far past the per-address limit of bad
    // tokens (oauth-abuse.test.ts tests that limit), so it is raised here.
    const hub = await startTestHub(backend, { env: { SEQHUB_TOKEN_FAILURES_PER_IP: '1000000' } });
    ctx.hub = hub;
    const owner = await hub.newUser({ name: 'Owner' });
    ownerEmail = owner.user.email;
    const writer = await hub.newUser({ name: 'Writer' });
    const reader = await hub.newUser({ name: 'Reader' });
    const stranger = await hub.newUser({ name: 'Stranger' });
    const auth = s(ctx).auth;
    ctx.principals = {
      owner: await auth.authenticate(owner.token),
      writer: await auth.authenticate(writer.token),
      reader: await auth.authenticate(reader.token),
      stranger: await auth.authenticate(stranger.token),
    };
    ctx.ids = {
      users: {
        owner: owner.user.id,
        writer: writer.user.id,
        reader: reader.user.id,
        stranger: stranger.user.id,
      },
    } as Ctx['ids'];
    const sv = s(ctx);
    const p = await sv.projects.create(ctx.principals.owner, { name: 'matrix-p' });
    await sv.projects.create(ctx.principals.owner, { name: 'matrix-p2' });
    await sv.projects.create(ctx.principals.writer, { name: 'matrix-w' });
    await sv.projects.create(ctx.principals.stranger, { name: 'matrix-x' });
    ctx.ids.project = p.id;
    await sv.sharing.share(
      ctx.principals.owner,
      'project',
      p.id,
      { userId: writer.user.id },
      'write',
    );
    await sv.sharing.share(
      ctx.principals.owner,
      'project',
      p.id,
      { email: reader.user.email },
      'read',
    );
    const sample = await sv.samples.create(ctx.principals.owner, p.id, { name: 'matrix-sample' });
    ctx.ids.sample = sample.sample.id;
    const result = await sv.appResults.create(ctx.principals.owner, p.id, {
      name: 'matrix-result',
    });
    ctx.ids.appResult = result.appResult.id;
    ctx.ids.appSession = result.appResult.appSessionId;
    const res = await fetch(
      `${hub.url}/v1pre3/appresults/${ctx.ids.appResult}/files?name=matrix.txt`,
      { method: 'POST', headers: { 'x-access-token': owner.token }, body: 'matrix bytes' },
    );
    expect(res.status).toBe(200);
    ctx.ids.file = ((await res.json()) as any).Response.Id;
    for (const [key, name] of [
      ['vcf', 'volvox.test.vcf.gz'],
      ['bam', 'volvox-sorted.bam'],
    ] as const) {
      const up = await fetch(
        `${hub.url}/v1pre3/appresults/${ctx.ids.appResult}/files?name=${name}`,
        {
          method: 'POST',
          headers: { 'x-access-token': owner.token },
          body: readFileSync(fixture(name)),
        },
      );
      ctx.ids[key] = ((await up.json()) as any).Response.Id;
    }
    await sv.indexer.idle();
    const run = await hub.createRun(owner.user, { name: 'matrix-r', experimentName: 'matrix-r' });
    await hub.createRun(owner.user, { name: 'matrix-r2', experimentName: 'matrix-r2' });
    ctx.ids.run = run.id;
    await sv.sharing.share(
      ctx.principals.owner,
      'run',
      run.id,
      { userId: writer.user.id },
      'write',
    );
    await sv.sharing.share(ctx.principals.owner, 'run', run.id, { userId: reader.user.id }, 'read');
    for (const [kind, id] of Object.entries(PROPERTY_KINDS)) {
      const owner_ = kind === 'appresults' ? 'appresult' : kind.replace(/s$/, '');
      await sv.properties.set(ctx.principals.owner, owner_ as never, id(ctx), {
        Properties: [
          { Type: 'string', Name: 'matrix.single', Content: 'one' },
          { Type: 'string[]', Name: 'matrix.multi', Items: ['a', 'b'] },
        ],
      });
    }
    const link = await sv.sharing.createLink(ctx.principals.owner, p.id, 'matrix');
    const revoked = await hub.tokenFor(owner.user);
    expect(await auth.revokeToken({ token: revoked })).toBeDefined();
    ctx.tokens = {
      owner: owner.token,
      writer: writer.token,
      reader: reader.token,
      stranger: stranger.token,
      link: link.token,
      scoped: await hub.tokenFor(owner.user, 'browse global'),
      revoked,
      expired: (
        await auth.createToken(owner.user.id, undefined, {
          expiresAt: new Date(Date.now() - 1000).toISOString(),
        })
      ).token,
      none: undefined,
    };
    routes = [...hub.server.app.routeTable];
  });
  afterAll(() => ctx.hub?.close());

  it('every registered route has an entry, and every entry a route', () => {
    const keys = new Set(routes.map((r) => `${r.method === 'HEAD' ? 'GET' : r.method} ${r.url}`));
    const missing = [...keys].filter((k) => !(k in ENTRIES));
    expect(missing, 'routes without a matrix entry').toEqual([]);
    expect(Object.keys(ENTRIES).filter((k) => !keys.has(k))).toEqual([]);
    expect(routes.length).toBeGreaterThan(70);
  });

  it("each cell answers its exact status; lists and counts show nobody else's objects", async () => {
    // Reads first, so lists see the fixtures before writes add to them.
    const ordered = [...routes].sort(
      (a, b) =>
        Number(a.method !== 'GET' && a.method !== 'HEAD') -
        Number(b.method !== 'GET' && b.method !== 'HEAD'),
    );
    const failures: string[] = [];
    let cells = 0;
    for (const route of ordered) {
      const key = `${route.method === 'HEAD' ? 'GET' : route.method} ${route.url}`;
      const entry = ENTRIES[key]!;
      for (const actor of ACTORS) {
        const prepared = await entry.prepare(ctx, actor);
        const token = prepared.token ?? ctx.tokens[actor];
        const headers: Record<string, string> = {};
        if (token) headers['x-access-token'] = token;
        let body: string | undefined;
        if (prepared.body !== undefined) {
          headers['content-type'] = 'application/json';
          body = JSON.stringify(prepared.body);
        } else if (prepared.raw !== undefined) {
          headers['content-type'] = 'application/octet-stream';
          body = prepared.raw;
        }
        const res = await fetch(`${ctx.hub.url}${prepared.url}`, {
          method: route.method,
          headers,
          body,
          redirect: 'manual',
        });
        cells++;
        const expected = entry.expect[actor];
        const text = await res.text();
        if (res.status !== expected) {
          failures.push(
            `${route.method} ${prepared.url} as ${actor}: ${res.status}, expected ${expected}: ${text.slice(0, 160)}`,
          );
          continue;
        }
        if (res.status === 200 && route.method !== 'HEAD' && entry.check) {
          try {
            entry.check(ctx, actor, JSON.parse(text));
          } catch (error) {
            failures.push(
              `${route.method} ${prepared.url} as ${actor}: ${(error as Error).message}`,
            );
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(cells).toBe(routes.length * ACTORS.length);
  }, 240_000);
});
