import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  kyselyRepositories,
  migrateToLatest,
  openDatabase,
  type DbHandle,
} from '../../src/adapters/db/index.js';
import { isoNow } from '../../src/domain/index.js';
import type { Clock } from '../../src/ports.js';
import { createServices, type AuditSink, type Services } from '../../src/services/index.js';

/**
 * The audit hooks (issue 4 part B): every token grant and revocation reaches the AuditSink, the
 * seam where part A's audit log will be wired. The sink here records; everything else is real.
 */
describe('OAuth audit events', () => {
  let handle: DbHandle;
  let services: Services;
  let dir: string;
  const events: Parameters<AuditSink['record']>[0][] = [];
  let now = new Date('2026-01-01T00:00:00.000Z');
  const clock: Clock = { now: () => now };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seqhub-audit-'));
    handle = openDatabase({ kind: 'sqlite', path: join(dir, 'x.db') });
    await migrateToLatest(handle);
    const repos = kyselyRepositories(handle.db, handle.kind, () => isoNow(clock.now()));
    services = createServices(
      repos,
      clock,
      {
        blobs: {} as never,
        files: { maxSinglePartBytes: 1, maxPartBytes: 1, signedUrlTtlSeconds: 1 },
      },
      { audit: { record: async (e) => void events.push(e) } },
    );
  });
  afterAll(async () => {
    await handle?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records code exchanges, device approvals and grants, and revocations', async () => {
    const user = await services.auth.createUser({ email: 'a@lab.example', name: 'A' });
    const { client, secret } = await services.oauth.createClient({
      name: 'App',
      redirectUris: ['https://app.example/cb'],
    });
    const request = await services.oauth.checkAuthorize({
      client_id: client.clientId,
      redirect_uri: 'https://app.example/cb',
      response_type: 'code',
      scope: 'browse global',
    });
    const code = await services.oauth.issueCode(user, request);
    const granted = await services.oauth.token(
      {
        grantType: 'authorization_code',
        clientId: client.clientId,
        clientSecret: secret,
        code,
        redirectUri: 'https://app.example/cb',
      },
      '10.0.0.1',
    );
    const device = await services.oauth.startDevice(
      { clientId: client.clientId, scope: 'read global' },
      'http://hub',
    );
    await services.oauth.decideDevice(user, device.user_code, true, '10.0.0.2');
    now = new Date(now.getTime() + 2000);
    await services.oauth.token(
      {
        grantType: 'device',
        clientId: client.clientId,
        clientSecret: secret,
        code: device.device_code,
        redirectUri: undefined,
      },
      '10.0.0.3',
    );
    const principal = await services.auth.authenticate(granted.access_token);
    await services.oauth.revokeCurrent(principal, granted.access_token, '10.0.0.4');
    const spare = await services.auth.createToken(user.id);
    await services.oauth.revokeByAdmin({ id: spare.id });

    expect(events.map((e) => [e.action, e.actorUserId, e.targetKind, e.ip])).toEqual([
      ['oauth.token.grant', user.id, 'token', '10.0.0.1'],
      ['oauth.device.approve', user.id, 'oauth_client', '10.0.0.2'],
      ['oauth.token.grant', user.id, 'token', '10.0.0.3'],
      ['oauth.token.revoke', user.id, 'token', '10.0.0.4'],
      ['oauth.token.revoke', undefined, 'token', undefined],
    ]);
    expect(events[0]!.detail).toEqual({
      grant: 'authorization_code',
      clientId: client.clientId,
      scope: 'browse global',
    });
    expect(events[3]!.targetId).toBe(principal.tokenId);
    expect(events[4]!.targetId).toBe(spare.id);
    // No secret in any event.
    const text = JSON.stringify(events);
    for (const s of [secret, code, granted.access_token, device.device_code, spare.token])
      expect(text).not.toContain(s);
  });
});
