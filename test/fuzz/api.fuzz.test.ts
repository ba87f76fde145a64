/**
 * Fuzzes every operation of the committed OpenAPI document (issue 11) over real HTTP against an
 * embedded hub (SQLite, local storage): random and adversarial path ids, query parameters,
 * headers, tokens and bodies, built from each operation's own schemas. Invariants for every case:
 * no 5xx and no hang; every error in the shape its API documents (BaseSpace envelope with a
 * registered code of that status, or the OAuth/htsget/DRS shapes); a rejected request changes no
 * database row and no stored byte; the server stays up (`/healthz` after each operation's batch).
 *
 * CI runs a fixed seed and a bounded count; `FUZZ_RUNS=N FUZZ_SEED=S` runs longer or differently.
 * A failure prints the seed, the path and the shrunk request: rerun with the same values.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import {
  changed,
  digestDatabase,
  digestFiles,
  errorShapeProblem,
  send,
  sendRaw,
  type FuzzReply,
  type FuzzRequest,
} from '../support/fuzz-http.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * Cases per operation: 109 operations x 60 is about 6,500 requests, 30-60 s on a shared 2-vCPU
 * box (the file must stay well under 2 minutes in CI).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? 20261129);

interface Schema {
  type?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  minLength?: number;
}
interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: { types: string[]; schema?: Schema };
}

const openapi = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../docs/openapi.json'), 'utf8'),
);
const operations: Operation[] = Object.entries(openapi.paths as Record<string, any>).flatMap(
  ([path, item]) =>
    Object.entries(item as Record<string, any>)
      .filter(([method]) => ['get', 'post', 'put', 'delete', 'patch'].includes(method))
      .map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        parameters: (op.parameters ?? []) as Parameter[],
        ...(op.requestBody
          ? {
              body: {
                types: Object.keys(op.requestBody.content),
                schema: Object.values(op.requestBody.content as Record<string, any>)[0]?.schema,
              },
            }
          : {}),
      })),
);

/** Strings that have broken servers: injections, traversal, control and odd Unicode, numbers. */
const NASTY = [
  "' OR 1=1--",
  '"; DROP TABLE projects; --',
  '1; SELECT pg_sleep(10)',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '/etc/passwd',
  '....//....//etc/passwd',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '\u0000',
  'a\u0000b',
  '\r\nX-Injected: 1',
  '<script>alert(1)</script>',
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  '\u202eevil',
  '\ud800',
  'Échantillon-αβγ-样本-🧬',
  '🧬'.repeat(300),
  'a'.repeat(5000),
  '',
  ' ',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '-0',
  '1.5',
  '1e308',
  '0x1F',
  '9223372036854775807',
  '9223372036854775808',
  '99999999999999999999999',
  'current',
  'true',
  '[]',
  '{}',
  '*',
  '%',
  '?',
  '#',
  '&',
  '=',
];

const nastyString = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY), weight: 4 },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 1 },
  { arbitrary: fc.bigInt().map(String), weight: 1 },
  { arbitrary: fc.double().map(String), weight: 1 },
);

/** A value of roughly the schema's shape (often valid), with a share of wrong types and junk. */
function valueOf(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const junk = fc.oneof(
    nastyString,
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(null, true, false, 0, -1, 2 ** 53, -(2 ** 63), 1e308, [], {}),
  );
  if (!schema || depth > 4) return junk;
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants?.length) return fc.oneof(...variants.map((s) => valueOf(s, depth + 1)), junk);
  let good: fc.Arbitrary<unknown>;
  if (schema.enum) good = fc.constantFrom(...schema.enum);
  else if (schema.type === 'integer' || schema.type === 'number')
    good = fc.oneof(
      fc.integer({
        min: Math.max(schema.minimum ?? -1e6, -1e6),
        max: Math.min(schema.maximum ?? 1e6, 1e6),
      }),
      fc.constantFrom(
        schema.minimum ?? 0,
        schema.maximum ?? 2 ** 31,
        (schema.maximum ?? 0) + 1,
        -1,
      ),
    );
  else if (schema.type === 'boolean') good = fc.boolean();
  else if (schema.type === 'array')
    good = fc.array(valueOf(schema.items, depth + 1), { maxLength: 4 });
  else if (schema.type === 'object') {
    const props = schema.properties ?? {};
    const required = schema.required ?? [];
    good = fc
      .record(
        Object.fromEntries(Object.entries(props).map(([k, s]) => [k, valueOf(s, depth + 1)])),
        { requiredKeys: required.filter((k) => k in props) },
      )
      .chain((obj) =>
        fc
          .dictionary(nastyString, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 })
          .map((extra) => ({ ...extra, ...obj })),
      );
  } else
    good = fc.oneof(
      fc.string({ maxLength: Math.min(schema.maxLength ?? 40, 40) }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.constant('x'.repeat((schema.maxLength ?? 1000) + 1)),
    );
  return fc.oneof({ arbitrary: good, weight: 4 }, { arbitrary: junk, weight: 1 });
}

/** Known-good ids and names the fixtures below create, by the path segment before a parameter. */
interface World {
  owner: string;
  other: string;
  ownerId: string;
  otherId: string;
  narrow: string;
  ids: Record<string, string[]>;
}

function pathValue(world: World, op: Operation, name: string): fc.Arbitrary<string> {
  const segments = op.path.split('/');
  const before = segments[segments.indexOf(`{${name}}`) - 1] ?? '';
  const key = name === 'id' || name === 'object_id' ? before : name;
  const known = world.ids[key] ?? world.ids.files ?? [];
  const encoded = nastyString.map(encode);
  return fc.oneof(
    { arbitrary: fc.constantFrom(...known, ...(world.ids.others ?? [])), weight: 5 },
    { arbitrary: encoded, weight: 4 },
    // Raw escapes and dot segments as they stand on the request line.
    {
      arbitrary: fc.constantFrom(
        '%',
        '%E0%A4%A',
        '%FF',
        '%00',
        '..',
        '.',
        '%2e%2e',
        '9'.repeat(600),
      ),
      weight: 1,
    },
  );
}

type TokenChoice = 'owner' | 'other' | 'narrow' | 'none' | 'bad' | 'malformed' | 'query';
const tokenChoice = fc.constantFrom<TokenChoice>(
  'owner',
  'owner',
  'owner',
  'other',
  'narrow',
  'none',
  'bad',
  'malformed',
  'query',
);

function authHeaders(world: World, choice: TokenChoice, style: number): Record<string, string> {
  const token = choice === 'owner' ? world.owner : choice === 'other' ? world.other : world.narrow;
  switch (choice) {
    case 'none':
    case 'query':
      return {};
    case 'bad':
      return style % 2
        ? { 'x-access-token': 'f'.repeat(32) }
        : { authorization: `Bearer ${'0'.repeat(32)}` };
    case 'malformed':
      return [
        { authorization: 'Bearer' },
        { authorization: 'Basic Zm9vOmJhcg==' },
        { authorization: `Bearer ${'A'.repeat(4000)}` },
        { 'x-access-token': "' OR 1=1--" },
        { authorization: `Bearer ${world.owner}`, 'x-access-token': 'nope' },
      ][style % 5]!;
    default:
      return style % 2 ? { 'x-access-token': token } : { authorization: `Bearer ${token}` };
  }
}

const ONE_MIB = 1024 * 1024;
const OVERSIZED = new Uint8Array(ONE_MIB + 64).fill(0x20);

/** Deeply nested JSON (`[[[...]]]`): parsers that recurse per level can overflow the stack. */
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

type BodyChoice = { bytes: Uint8Array | undefined; type: string | undefined };

function bodyOf(op: Operation): fc.Arbitrary<BodyChoice> {
  const enc = (s: string) => new TextEncoder().encode(s);
  const json = (v: unknown) => enc(JSON.stringify(v) ?? 'null');
  const declared = op.body?.types[0] ?? 'application/json';
  const typed = valueOf(op.body?.schema).map((v) => ({ bytes: json(v), type: 'application/json' }));
  const raw = fc
    .tuple(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }).map((b) => new Uint8Array(b)),
        nastyString.map(enc),
        valueOf(op.body?.schema).map((v) => {
          const s = JSON.stringify(v) ?? '';
          return enc(s.slice(0, Math.max(0, Math.floor(s.length / 2)))); // truncated JSON
        }),
        fc.constantFrom(
          enc(deep(5000)),
          enc(deep(200_000).slice(0, 300_000)),
          enc('{"Name":"\u0000"}'),
          new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), // invalid UTF-8
          enc('{"__proto__":{"admin":true},"Name":"p"}'),
          enc('{"Name": 1e999999}'),
          enc('Name=x&Name=y&__proto__[a]=1'),
          OVERSIZED,
        ),
      ),
      fc.constantFrom(
        'application/json',
        'application/json; charset=latin1',
        'text/plain',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
        'application/json\u00e9',
        undefined,
      ),
    )
    .map(([bytes, type]) => ({ bytes, type }));
  const none = fc.constant<BodyChoice>({ bytes: undefined, type: undefined });
  if (!op.body) return fc.oneof({ arbitrary: none, weight: 6 }, { arbitrary: raw, weight: 1 });
  return fc.oneof(
    { arbitrary: typed, weight: declared === 'application/json' ? 5 : 1 },
    { arbitrary: raw, weight: 3 },
    { arbitrary: none, weight: 1 },
  );
}

interface Case {
  req: FuzzRequest;
  /** Sent byte for byte on a fresh socket: malformed HTTP framing. */
  raw?: Uint8Array;
  /** A body shorter than its Content-Length: the server waits for the rest, so no answer is due. */
  short?: boolean;
}

function caseOf(world: World, op: Operation): fc.Arbitrary<Case> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const pathArb = fc.tuple(...pathParams.map((p) => pathValue(world, op, p.name)));
  const queryArb = fc.tuple(
    fc.tuple(
      ...queryParams.map((p) =>
        fc.option(
          fc.oneof(
            {
              arbitrary: valueOf(p.schema).map((v) =>
                typeof v === 'string' ? v : (JSON.stringify(v) ?? ''),
              ),
              weight: 3,
            },
            { arbitrary: nastyString, weight: 1 },
          ),
          { freq: 2 },
        ),
      ),
    ),
    fc.array(fc.tuple(nastyString, nastyString), { maxLength: 2 }),
    fc.boolean(),
  );
  const extraHeaders = fc.array(
    fc.oneof(
      fc.constantFrom(
        ['range', 'bytes=0-0'],
        ['range', 'bytes=-1'],
        ['range', 'bytes=99999999999999999999-'],
        ['range', 'bytes=5-1'],
        ['range', 'lines=1-2'],
        ['content-md5', 'not-base64!'],
        ['content-md5', '1B2M2Y8AsgTpgAmY7PhCfg=='],
        ['accept', 'application/xml'],
        ['accept-encoding', 'gzip, br'],
        ['x-request-id', 'a b\tc'],
        ['x-forwarded-for', '1.2.3.4, 5.6.7.8'],
        ['x-forwarded-proto', 'https'],
        ['origin', 'https://evil.example'],
        ['if-none-match', '*'],
        ['cookie', 'seqhub_session=' + 'a'.repeat(64)],
      ),
      fc.tuple(
        fc.constantFrom('x-fuzz', 'user-agent', 'accept-language'),
        fc.string({ maxLength: 30 }),
      ),
    ),
    { maxLength: 3 },
  );
  const structured = fc
    .record({
      path: pathArb,
      query: queryArb,
      token: tokenChoice,
      style: fc.nat(9),
      headers: extraHeaders,
      body: bodyOf(op),
    })
    .map(({ path, query, token, style, headers, body }): Case => {
      let p = op.path;
      pathParams.forEach((param, i) => (p = p.replace(`{${param.name}}`, path[i]!)));
      const [values, extra, duplicate] = query;
      const pairs: string[] = [];
      queryParams.forEach((param, i) => {
        const v = values[i];
        if (v === null || v === undefined) return;
        pairs.push(`${encode(param.name)}=${encode(v)}`);
        if (duplicate) pairs.push(`${encode(param.name)}=${encode(v)}x`);
      });
      for (const [k, v] of extra) pairs.push(`${encode(k)}=${encode(v)}`);
      if (token === 'query') pairs.push(`access_token=${style % 2 ? world.owner : 'bad' + style}`);
      const h: Record<string, string> = { ...authHeaders(world, token, style) };
      for (const [k, v] of headers) {
        // Node refuses to send control characters in a header value; those go raw below.
        if (/^[\t\x20-\x7e]*$/.test(v)) h[k] = v;
      }
      if (body.type !== undefined) h['content-type'] = body.type.replace(/[^\t\x20-\x7e]/g, '?');
      return {
        req: {
          method: op.method,
          target: pairs.length ? `${p}?${pairs.join('&')}` : p,
          headers: h,
          body: body.bytes,
        },
      };
    });
  // Malformed framing: control bytes in headers, smuggling shapes, short bodies, junk methods.
  const framing = fc
    .tuple(
      structured,
      fc.constantFrom(
        'nul-header',
        'crlf-header',
        'short-body',
        'cl-and-te',
        'bad-chunk',
        'two-lengths',
        'raw-utf8-path',
        'bad-method',
        'http10',
        'huge-header',
      ),
    )
    .map(([c, kind]): Case => {
      const lines: string[] = [];
      let method = c.req.method;
      let target = c.req.target;
      let version = 'HTTP/1.1';
      const headers: [string, string][] = [
        ['Host', '127.0.0.1'],
        ['Connection', 'close'],
        ...Object.entries(c.req.headers),
      ];
      let body = Buffer.from(c.req.body ?? new Uint8Array());
      let length: string | undefined = String(body.length);
      if (kind === 'nul-header') headers.push(['X-Fuzz', 'a\u0000b']);
      if (kind === 'crlf-header') headers.push(['X-Fuzz', 'a\rb']);
      if (kind === 'short-body') length = String(body.length + 50);
      if (kind === 'cl-and-te') headers.push(['Transfer-Encoding', 'chunked']);
      if (kind === 'bad-chunk') {
        length = undefined;
        headers.push(['Transfer-Encoding', 'chunked']);
        body = Buffer.from('zz\r\nabc\r\n0\r\n\r\n');
      }
      if (kind === 'two-lengths') headers.push(['Content-Length', String(body.length + 1)]);
      if (kind === 'raw-utf8-path') target = `${target.split('?')[0]}/é\u00ff`;
      if (kind === 'bad-method') method = 'FUZZ';
      if (kind === 'http10') version = 'HTTP/1.0';
      if (kind === 'huge-header') headers.push(['X-Fuzz', 'h'.repeat(20_000)]);
      if (length !== undefined) headers.push(['Content-Length', length]);
      lines.push(`${method} ${target} ${version}`);
      for (const [k, v] of headers) lines.push(`${k}: ${v}`);
      const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
      return {
        req: c.req,
        raw: new Uint8Array(Buffer.concat([head, body])),
        short: kind === 'short-body',
      };
    });
  return fc.oneof({ arbitrary: structured, weight: 19 }, { arbitrary: framing, weight: 1 });
}

/**
 * What records attempts and activity rather than state, and so may change on a refused request:
 * the audit log (it records refused sign-ins and token uses by design, docs/security.md) and a
 * user's last-active time (updated by any authenticated request, at most once a minute).
 * Everything else must stay byte for byte.
 */
const ACTIVITY: Record<string, readonly string[] | '*'> = {
  audit_events: '*',
  users: ['last_active_at'],
};

describe.each(backends().filter((b) => b.kind === 'sqlite'))(
  'OpenAPI fuzzer on $kind',
  (backend) => {
    let hub: TestHub;
    let world: World;
    const stats = { cases: 0, rejected: 0, accepted: 0, unanswered: 0, started: Date.now() };

    const v1 = async (method: string, path: string, token: string, body?: unknown) => {
      const res = await fetch(`${hub.url}/v1pre3/${path}`, {
        method,
        headers: { 'x-access-token': token, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json()) as any;
      expect(res.status, JSON.stringify(json)).toBe(200);
      return json.Response;
    };

    beforeAll(async () => {
      hub = await startTestHub(backend, {
        env: { SEQHUB_WORKERS: '0', SEQHUB_TOKEN_FAILURES_PER_IP: '1000000000' },
      });
      const a = await hub.newUser({ name: 'Fuzz Owner' });
      const b = await hub.newUser({ name: 'Fuzz Other' });
      const narrow = await hub.tokenFor(a.user, 'browse global');
      const P = (await v1('POST', 'projects', a.token, { Name: 'Fuzz P' })).Id;
      const sample = await v1('POST', `projects/${P}/samples`, a.token, { Name: 'Fuzz S' });
      const result = await v1('POST', `projects/${P}/appresults`, a.token, { Name: 'Fuzz R' });
      const upload = await fetch(
        `${hub.url}/v1pre3/appresults/${result.Id}/files?name=fuzz.txt&directory=d`,
        {
          method: 'POST',
          headers: { 'x-access-token': a.token, 'content-type': 'text/plain' },
          body: 'hello fuzz\n',
        },
      );
      const file = ((await upload.json()) as any).Response;
      expect(upload.status).toBe(200);
      await v1('POST', `projects/${P}/properties`, a.token, {
        Properties: [{ Type: 'string', Name: 'fuzz.prop', Content: 'x' }],
      });
      // The URL-signing key is made on first use (a settings row): made here, so that a rejected
      // signed-URL check later is not taken for a state change.
      const signed = await fetch(`${hub.url}/v1pre3/files/${file.Id}/content?redirect=meta`, {
        headers: { 'x-access-token': a.token },
      });
      expect(signed.status).toBe(200);
      const run = await hub.createRun(a.user, { name: 'Fuzz Run' });
      const BP = (await v1('POST', 'projects', b.token, { Name: 'Other P' })).Id;
      const genomes = await v1('GET', 'genomes?Limit=2', a.token);
      const apps = await v1('GET', 'applications?Limit=2', a.token);
      world = {
        owner: a.token,
        other: b.token,
        narrow,
        ownerId: a.user.id,
        otherId: b.user.id,
        ids: {
          users: ['current', a.user.id],
          projects: [P],
          samples: [sample.Id],
          appresults: [result.Id],
          appsessions: [result.AppSession.Id, sample.AppSession.Id],
          runs: [run.id],
          files: [file.Id],
          variantset: [file.Id],
          coverage: [file.Id],
          reads: [file.Id],
          variants: [file.Id],
          data: [file.Id],
          objects: [file.Id],
          genomes: genomes.Items.map((g: any) => g.Id),
          applications: apps.Items.map((x: any) => x.Id),
          chrom: ['chr1', '1', 'ctgA'],
          name: ['fuzz.prop', 'Input.Samples'],
          userId: [b.user.id, a.user.id],
          linkId: ['1'],
          number: ['1', '2', '10000', '10001'],
          access_id: ['https', 'local'],
          others: [BP],
        },
      };
    });

    afterAll(async () => {
      const seconds = ((Date.now() - stats.started) / 1000).toFixed(1);
      console.log(
        `api fuzz: ${operations.length} operations, ${stats.cases} cases (${stats.accepted} 2xx/3xx, ` +
          `${stats.rejected} 4xx, ${stats.unanswered} closed unanswered), seed ${SEED}, ${RUNS} per operation, ${seconds} s`,
      );
      await hub?.close();
    });

    it('reads every operation of the committed document', () => {
      expect(operations.length).toBeGreaterThan(100);
    });

    const dataDir = () => hub.dataDir;
    const files = () =>
      Object.fromEntries(
        Object.entries(digestFiles(dataDir())).filter(
          ([p]) => !/\.(db|db-wal|db-shm|sqlite.*)$/.test(p),
        ),
      );
    const state = async () => ({
      ...(await digestDatabase(hub.server.hub.db, ACTIVITY)),
      ...files(),
    });
    let baseline: Record<string, unknown> | undefined;

    /** After an accepted write, waits until what it set off (queued jobs) has settled. */
    async function settle(): Promise<Record<string, unknown>> {
      let last = await state();
      for (let i = 0; i < 20; i += 1) {
        await new Promise((r) => setTimeout(r, 10));
        const now = await state();
        if (changed(now, last).length === 0) return now;
        last = now;
      }
      return last;
    }

    function check(op: Operation, c: Case, reply: FuzzReply): void {
      const what = `${c.req.method} ${c.req.target.slice(0, 300)}`;
      expect(reply.status, `${what} -> ${reply.status} ${reply.text.slice(0, 300)}`).toBeLessThan(
        500,
      );
      if (reply.status >= 400) {
        const path = c.req.target.split('?')[0] ?? '';
        // Requests Node's parser refuses never reach a route: they get the BaseSpace envelope.
        const problem = c.raw
          ? errorShapeProblem(path, reply) && errorShapeProblem('/', reply)
          : errorShapeProblem(path, reply);
        expect(problem, `${what} -> ${reply.status} ${reply.text.slice(0, 300)}`).toBeUndefined();
      }
    }

    it.each(operations.map((op) => [`${op.method} ${op.path}`, op] as const))(
      '%s',
      async (_name, op) => {
        const mutating = op.method !== 'GET';
        baseline = await state();
        const before = baseline;
        await fc.assert(
          fc.asyncProperty(caseOf(world, op), async (c) => {
            stats.cases += 1;
            const reply = c.raw ? await sendRaw(hub.url, c.raw) : await send(hub.url, c.req);
            if (reply.status === 0) {
              stats.unanswered += 1;
              // Only a body the server never got whole, or one over the 1 MiB limit (refused and
              // the socket closed while we still wrote), may go unanswered.
              const why = `${c.req.method} ${c.req.target.slice(0, 200)} was not answered`;
              expect(c.short || (c.req.body?.length ?? 0) > ONE_MIB, why).toBe(true);
            } else if (reply.status >= 400) stats.rejected += 1;
            else stats.accepted += 1;
            if (reply.status !== 0) check(op, c, reply);
            if (!mutating) return;
            if (reply.status === 0 || reply.status >= 400) {
              const now = await state();
              expect(
                changed(baseline!, now),
                `${c.req.method} ${c.req.target.slice(0, 200)} was rejected (${reply.status}) but changed`,
              ).toEqual([]);
            } else {
              baseline = await settle();
            }
          }),
          { seed: SEED + hashOf(`${op.method} ${op.path}`), numRuns: RUNS, endOnFailure: true },
        );
        if (!mutating)
          expect(changed(before, await state()), 'a GET changed stored state').toEqual([]);
        const health = await send(hub.url, { method: 'GET', target: '/healthz', headers: {} });
        expect(health.status).toBe(200);
      },
    );
  },
);

/** encodeURIComponent of any string (a lone surrogate becomes U+FFFD first). */
function encode(s: string): string {
  return encodeURIComponent(
    s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'),
  );
}

function hashOf(s: string): number {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) | 0;
  return Math.abs(h);
}
