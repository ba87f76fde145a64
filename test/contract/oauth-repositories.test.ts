import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kyselyRepositories, type DbHandle } from '../../src/adapters/db/index.js';
import type { User } from '../../src/domain/index.js';
import type { Repositories } from '../../src/ports.js';
import { backends, openMigrated } from '../support/backends.js';

/** The OAuth and web-auth repositories (migration 0008), against every database. */
describe.each(backends())('OAuth repositories on $kind', (backend) => {
  let handle: DbHandle;
  let repos: Repositories;
  let close: () => Promise<void>;
  const now = '2026-01-01T00:00:00.000Z';
  let user: User;

  beforeAll(async () => {
    ({ handle, close } = await openMigrated(backend, 'oauth'));
    repos = kyselyRepositories(handle.db, handle.kind, () => now);
    user = await repos.users.create({ email: 'u@lab.example', name: 'U', isAdmin: false });
  });
  afterAll(() => close?.());

  const newClient = (clientId: string) =>
    repos.oauth.createClient({
      clientId,
      secretHash: 'h',
      name: `Client ${clientId}`,
      redirectUris: ['https://a.example/cb', 'http://localhost/cb'],
    });

  it('clients get application ids from 1001, round-trip their redirect URIs, and delete', async () => {
    const a = await newClient('client-a');
    const b = await newClient('client-b');
    expect(Number(a.id)).toBeGreaterThanOrEqual(1001);
    expect(Number(b.id)).toBe(Number(a.id) + 1);
    expect(a.redirectUris).toEqual(['https://a.example/cb', 'http://localhost/cb']);
    expect((await repos.oauth.findClient('client-a'))?.client).toEqual(a);
    expect(await repos.oauth.findClientByRef(b.id)).toEqual(b);
    expect((await repos.oauth.listClients()).map((c) => c.clientId)).toEqual([
      'client-a',
      'client-b',
    ]);
    await repos.oauth.createCode({
      codeHash: 'code-of-b',
      clientRef: b.id,
      userId: user.id,
      redirectUri: 'https://a.example/cb',
      scope: '',
      expiresAt: now,
    });
    expect(await repos.oauth.deleteClient('client-b')).toBe(true);
    expect(await repos.oauth.deleteClient('client-b')).toBe(false);
    expect(await repos.oauth.findClient('client-b')).toBeUndefined();
  });

  it('a code is used once, even by concurrent exchanges', async () => {
    const c = await newClient('client-codes');
    await repos.oauth.createCode({
      codeHash: 'code-1',
      clientRef: c.id,
      userId: user.id,
      redirectUri: 'https://a.example/cb',
      scope: 'browse global',
      expiresAt: '2026-01-01T00:01:00.000Z',
    });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => repos.oauth.useCode('code-1', now)),
    );
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({
      clientRef: c.id,
      userId: user.id,
      scope: 'browse global',
      redirectUri: 'https://a.example/cb',
    });
    expect(await repos.oauth.useCode('no-such-code', now)).toBeUndefined();
  });

  it('device authorizations move between states only from the expected one', async () => {
    const c = await newClient('client-device');
    const d = await repos.oauth.createDevice({
      deviceCodeHash: 'dev-1',
      userCode: 'BCDFGHJK',
      clientRef: c.id,
      scope: 'read global',
      intervalSeconds: 5,
      expiresAt: '2026-01-01T00:30:00.000Z',
    });
    expect(d).toMatchObject({ status: 'pending', userId: undefined, intervalSeconds: 5 });
    expect(await repos.oauth.findDeviceByUserCode('BCDFGHJK')).toEqual(d);
    await repos.oauth.touchDevice(d.id, '2026-01-01T00:00:05.000Z');
    expect((await repos.oauth.findDeviceByHash('dev-1'))?.lastPollAt).toBe(
      '2026-01-01T00:00:05.000Z',
    );
    const racing = await Promise.all([
      repos.oauth.transitionDevice(d.id, 'pending', 'approved', user.id),
      repos.oauth.transitionDevice(d.id, 'pending', 'denied', user.id),
    ]);
    expect(racing.filter(Boolean)).toHaveLength(1);
    const after = (await repos.oauth.findDeviceByHash('dev-1'))!;
    expect(after.userId).toBe(user.id);
    expect(await repos.oauth.transitionDevice(d.id, 'pending', 'approved')).toBe(false);
    await expect(
      repos.oauth.createDevice({
        deviceCodeHash: 'dev-2',
        userCode: 'BCDFGHJK',
        clientRef: c.id,
        scope: '',
        intervalSeconds: 5,
        expiresAt: now,
      }),
    ).rejects.toThrow();
  });

  it('tokens keep client and expiry, and revoke once by hash, id or client', async () => {
    const c = await newClient('client-tokens');
    const t1 = await repos.tokens.create({
      userId: user.id,
      tokenHash: 'th-1',
      scope: 'browse global',
      clientRef: c.id,
      expiresAt: '2026-02-01T00:00:00.000Z',
    });
    expect(t1).toMatchObject({ clientRef: c.id, expiresAt: '2026-02-01T00:00:00.000Z' });
    expect((await repos.tokens.findByHash('th-1'))?.token).toEqual(t1);
    const t2 = await repos.tokens.create({ userId: user.id, tokenHash: 'th-2', scope: '' });
    expect(t2.clientRef).toBeUndefined();
    expect(t2.expiresAt).toBeUndefined();
    expect(await repos.tokens.revoke({ hash: 'th-1' }, now)).toBe(t1.id);
    expect(await repos.tokens.revoke({ hash: 'th-1' }, now)).toBeUndefined();
    expect(await repos.tokens.findByHash('th-1')).toBeUndefined();
    expect(await repos.tokens.revoke({ id: t2.id }, now)).toBe(t2.id);
    const t3 = await repos.tokens.create({
      userId: user.id,
      tokenHash: 'th-3',
      scope: '',
      clientRef: c.id,
    });
    expect(await repos.tokens.revokeByClient(c.id, now)).toEqual([t3.id]);
  });

  it("revokeByClient with a user revokes that user's tokens of the client only (the web UI's, at sign-out)", async () => {
    const other = await repos.users.create({ email: 'v@lab.example', name: 'V', isAdmin: false });
    const mine = await repos.tokens.create({
      userId: user.id,
      tokenHash: 'ui-1',
      scope: '',
      clientRef: '-1',
    });
    const theirs = await repos.tokens.create({
      userId: other.id,
      tokenHash: 'ui-2',
      scope: '',
      clientRef: '-1',
    });
    const cli = await repos.tokens.create({ userId: user.id, tokenHash: 'ui-3', scope: '' });
    expect(await repos.tokens.revokeByClient('-1', now, user.id)).toEqual([mine.id]);
    expect(await repos.tokens.findByHash('ui-1')).toBeUndefined();
    expect((await repos.tokens.findByHash('ui-2'))?.token.id).toBe(theirs.id);
    expect((await repos.tokens.findByHash('ui-3'))?.token.id).toBe(cli.id);
    expect(await repos.tokens.revokeByClient('-1', now, user.id)).toEqual([]);
  });

  it('settings.putIfAbsent keeps the first value (the CSRF and URL-signing keys of every process)', async () => {
    expect(await repos.settings.putIfAbsent('test.key', 'first')).toBe('first');
    expect(await repos.settings.putIfAbsent('test.key', 'second')).toBe('first');
    expect(await repos.settings.get('test.key')).toBe('first');
  });

  it('passwords upsert; sessions are found until they expire, and deleted', async () => {
    expect(await repos.webAuth.passwordHash(user.id)).toBeUndefined();
    await repos.webAuth.setPassword(user.id, 'hash-1', now);
    await repos.webAuth.setPassword(user.id, 'hash-2', now);
    expect(await repos.webAuth.passwordHash(user.id)).toBe('hash-2');
    await repos.webAuth.createSession({
      idHash: 's-1',
      userId: user.id,
      expiresAt: '2026-01-01T12:00:00.000Z',
    });
    expect((await repos.webAuth.findSession('s-1', now))?.id).toBe(user.id);
    expect(await repos.webAuth.findSession('s-1', '2026-01-01T12:00:00.000Z')).toBeUndefined();
    await repos.webAuth.deleteSession('s-1');
    expect(await repos.webAuth.findSession('s-1', now)).toBeUndefined();
  });
});
