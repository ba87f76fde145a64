/**
 * Regressions the OpenAPI fuzzer found (test/fuzz/api.fuzz.test.ts): requests refused before any
 * route runs must still answer in a documented error shape. Node's HTTP parser refuses malformed
 * framing and oversized headers (Fastify answered those in its own JSON, which no BaseSpace SDK
 * reads); unknown or malformed htsget and DRS paths answered in the BaseSpace envelope instead of
 * the htsget/DRS shapes those clients read; the OAuth endpoints answered a body the JSON parser
 * refused (not UTF-8) with a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { errorShapeProblem, parseRawReply, sendRaw, type FuzzReply } from '../support/fuzz-http.js';
import { startTestHub, type TestHub } from '../support/hub.js';

const sqlite = backends().filter((b) => b.kind === 'sqlite');

describe.each(sqlite)('requests refused before routing, on $kind', (backend) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(backend);
  });
  afterAll(async () => hub?.close());

  const raw = (text: string) => sendRaw(hub.url, new TextEncoder().encode(text));
  const envelope = (reply: FuzzReply, status: number, code: string) => {
    expect(reply.status, reply.text).toBe(status);
    expect(errorShapeProblem('/v1pre3/projects', reply)).toBeUndefined();
    expect(JSON.parse(reply.text).ResponseStatus.ErrorCode).toBe(code);
    expect(reply.headers.connection).toBe('close');
  };

  it.each([
    [
      'a control character in a header',
      'GET /v1pre3/users/current HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\r\n\r\n',
    ],
    [
      'a bad chunk size',
      'POST /v1pre3/projects HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    ],
    [
      'Content-Length with Transfer-Encoding',
      'POST /v1pre3/projects HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    [
      'two Content-Lengths',
      'POST /v1pre3/projects HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
    ],
    ['an unknown method', 'FUZZ /v1pre3/users/current HTTP/1.1\r\nHost: x\r\n\r\n'],
  ])('malformed framing (%s) is a 400 BadRequest envelope', async (_name, request) => {
    envelope(await raw(request), 400, 'BadRequest');
  });

  it('headers over 16 KiB are a 431 RequestHeaderFieldsTooLarge envelope', async () => {
    envelope(
      await raw(`GET /v1pre3/users/current?q=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
      431,
      'RequestHeaderFieldsTooLarge',
    );
  });

  it('the server keeps answering after them', async () => {
    const res = await fetch(`${hub.url}/healthz`);
    expect(res.status).toBe(200);
  });

  it('an unknown htsget path is an htsget NotFound, a malformed DRS id a DRS 404', async () => {
    const htsget = await fetch(`${hub.url}/htsget/variants/`);
    expect(htsget.status).toBe(404);
    expect(await htsget.json()).toEqual({
      htsget: { error: 'NotFound', message: 'No such endpoint: GET /htsget/variants/' },
    });
    const drs = await fetch(`${hub.url}/ga4gh/drs/v1/objects/%FF/access/https`);
    expect(drs.status).toBe(404);
    expect(await drs.json()).toMatchObject({ status_code: 404 });
  });

  it('a body refused on an unknown htsget path is in the htsget shape', async () => {
    const res = await fetch(`${hub.url}/htsget/variants/`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<x/>',
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as any).htsget.error).toBe('InvalidInput');
  });

  it.each(['token', 'deviceauthorization'])(
    'a JSON body that is not UTF-8 at oauthv2/%s is an OAuth invalid_request, not a 500',
    async (endpoint) => {
      const res = await fetch(`${hub.url}/v1pre3/oauthv2/${endpoint}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: 'invalid_request',
        error_description: 'Malformed JSON body: it is not valid UTF-8',
      });
    },
  );

  it('parses a chunked reply (the raw client the fuzzer relies on)', () => {
    const reply = parseRawReply(
      Buffer.from(
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n',
      ),
    );
    expect(reply).toMatchObject({ status: 200, text: 'abcde' });
  });
});
