import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/domain/index.js';
import { backends } from '../support/backends.js';
import { startTestHub, type TestHub } from '../support/hub.js';

describe('generated artifacts stay equal to what is committed', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(backends()[0]!);
  });
  afterAll(() => hub?.close());

  it('GET /openapi.json equals docs/openapi.json (run `npm run openapi` after changing a route)', async () => {
    const res = await fetch(`${hub.url}/openapi.json`);
    expect(res.status).toBe(200);
    const served = (await res.json()) as any;
    const committed = JSON.parse(readFileSync('docs/openapi.json', 'utf8'));
    expect(served).toEqual(committed);
    expect(Object.keys(served.paths)).toEqual(
      expect.arrayContaining([
        '/v1pre3/users/{id}',
        '/v1pre3/projects',
        '/v1pre3/projects/{id}/samples',
        '/v1pre3/genomes/{id}',
      ]),
    );
  });

  it('every error code in the registry is documented with its HTTP status, and nothing else is', () => {
    const doc = readFileSync('docs/api-choices.md', 'utf8');
    const table = [...doc.matchAll(/^\|\s*`([A-Za-z_.]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    expect(Object.fromEntries(table)).toEqual(
      Object.fromEntries(Object.entries(ErrorCodes).map(([code, { status }]) => [code, status])),
    );
  });
});
