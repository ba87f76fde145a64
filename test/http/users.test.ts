import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { PythonSdkClient, sdkResponse } from '../support/basespace-client.js';
import { startTestHub, type TestHub } from '../support/hub.js';

describe.each(backends())('users on $kind', (backend) => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub(backend);
  });
  afterAll(() => hub?.close());

  it('getUserById(current) reads every field the SDK reads', async () => {
    const { user, token } = await hub.newUser({ name: 'Ada Lovelace' });
    const sdk = new PythonSdkClient(hub.url, token);
    const reply = await sdk.get('users/current');
    expect(reply.status).toBe(200);
    expect(reply.body.ResponseStatus).toEqual({});
    expect(reply.body.Notifications).toEqual([]);
    const u = sdkResponse(reply);
    expect(u).toMatchObject({
      Id: user.id,
      Name: 'Ada Lovelace',
      Email: user.email,
      Href: `v1pre3/users/${user.id}`,
      HrefRuns: `v1pre3/users/${user.id}/runs`,
      HrefProjects: `v1pre3/users/${user.id}/projects`,
    });
    expect(u.DateCreated).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    expect(u.DateLastActive).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    expect(u.GravatarUrl).toMatch(/^https:\/\//);
    expect(Object.values(u)).not.toContain(null);
  });

  it('works with an empty scope, and with each way of passing the token', async () => {
    const { user, token } = await hub.newUser({ scope: '' });
    for (const init of [
      { headers: { 'x-access-token': token } },
      { headers: { Authorization: `Bearer ${token}` } },
    ] as RequestInit[]) {
      const res = await fetch(`${hub.url}/v1pre3/users/current`, init);
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).Response.Id).toBe(user.id);
    }
    const res = await fetch(`${hub.url}/v1pre3/users/current?access_token=${token}`);
    expect(((await res.json()) as any).Response.Id).toBe(user.id);
  });

  it("users/{id} answers the caller's own id and refuses any other", async () => {
    const { user, token } = await hub.newUser();
    const other = await hub.newUser();
    const sdk = new PythonSdkClient(hub.url, token);
    expect((await sdk.get(`users/${user.id}`)).body.Response.Id).toBe(user.id);
    const reply = await sdk.get(`users/${other.user.id}`);
    expect(reply.status).toBe(400);
    expect(reply.body.ResponseStatus.ErrorCode).toBe('BASESPACE.USERS.USER_ID_NOT_VALID');
    expect(JSON.stringify(reply.body)).not.toContain(other.user.email);
  });

  it('rejects missing, unknown and malformed tokens with 401 in the envelope', async () => {
    for (const headers of [
      {},
      { 'x-access-token': 'deadbeef'.repeat(4) },
      { Authorization: 'Bearer' },
      { Authorization: 'Basic abc' },
    ] as Record<string, string>[]) {
      const res = await fetch(`${hub.url}/v1pre3/users/current`, { headers });
      expect(res.status).toBe(401);
      const body = (await res.json()) as any;
      expect(body.ResponseStatus.ErrorCode).toBe('Unauthorized');
      expect(typeof body.ResponseStatus.Message).toBe('string');
      expect(body.Response).toBeUndefined();
    }
  });
});
