import type { Kysely } from 'kysely';
import type {
  AuthorizationCode,
  DeviceAuthorization,
  DeviceStatus,
  OAuthClient,
  User,
} from '../../../domain/index.js';
import type { OAuthRepository, WebAuthRepository } from '../../../ports.js';
import type { Database, OAuthClientsTable, OAuthDeviceCodesTable } from '../schema.js';
import { optId, toId } from './common.js';

type ClientRow = {
  [K in keyof OAuthClientsTable]: K extends 'id' ? number | string : OAuthClientsTable[K];
};
type DeviceRow = {
  [K in keyof OAuthDeviceCodesTable]: K extends 'id' ? number | string : OAuthDeviceCodesTable[K];
};

const mapClient = (r: ClientRow): OAuthClient => ({
  id: toId(r.id),
  clientId: r.client_id,
  name: r.name,
  redirectUris: JSON.parse(r.redirect_uris) as string[],
  createdAt: r.created_at,
});

const mapDevice = (r: DeviceRow): DeviceAuthorization => ({
  id: toId(r.id),
  userCode: r.user_code,
  clientRef: toId(r.client_ref),
  scope: r.scope,
  status: r.status as DeviceStatus,
  userId: optId(r.user_id),
  intervalSeconds: Number(r.interval_s),
  lastPollAt: r.last_poll_at ?? undefined,
  expiresAt: r.expires_at,
});

export class KyselyOAuthRepository implements OAuthRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => string,
  ) {}

  async createClient(input: {
    clientId: string;
    secretHash: string;
    name: string;
    redirectUris: readonly string[];
  }): Promise<OAuthClient> {
    const row = await this.db
      .insertInto('oauth_clients')
      .values({
        client_id: input.clientId,
        secret_hash: input.secretHash,
        name: input.name,
        redirect_uris: JSON.stringify(input.redirectUris),
        created_at: this.now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return mapClient(row);
  }

  async findClient(
    clientId: string,
  ): Promise<{ client: OAuthClient; secretHash: string } | undefined> {
    const row = await this.db
      .selectFrom('oauth_clients')
      .selectAll()
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row && { client: mapClient(row), secretHash: row.secret_hash };
  }

  async findClientByRef(id: string): Promise<OAuthClient | undefined> {
    const row = await this.db
      .selectFrom('oauth_clients')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && mapClient(row);
  }

  async listClients(): Promise<OAuthClient[]> {
    const rows = await this.db.selectFrom('oauth_clients').selectAll().orderBy('id').execute();
    return rows.map(mapClient);
  }

  async deleteClient(clientId: string): Promise<boolean> {
    const found = await this.findClient(clientId);
    if (!found) return false;
    const ref = found.client.id;
    await this.db.deleteFrom('oauth_codes').where('client_ref', '=', ref).execute();
    await this.db.deleteFrom('oauth_device_codes').where('client_ref', '=', ref).execute();
    const result = await this.db
      .deleteFrom('oauth_clients')
      .where('id', '=', ref)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async createCode(input: Omit<AuthorizationCode, 'usedAt'> & { codeHash: string }): Promise<void> {
    await this.db
      .insertInto('oauth_codes')
      .values({
        code_hash: input.codeHash,
        client_ref: input.clientRef,
        user_id: input.userId,
        redirect_uri: input.redirectUri,
        scope: input.scope,
        created_at: this.now(),
        expires_at: input.expiresAt,
        used_at: null,
      })
      .execute();
  }

  async useCode(codeHash: string, at: string): Promise<AuthorizationCode | undefined> {
    const row = await this.db
      .updateTable('oauth_codes')
      .set({ used_at: at })
      .where('code_hash', '=', codeHash)
      .where('used_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return (
      row && {
        clientRef: toId(row.client_ref),
        userId: toId(row.user_id),
        redirectUri: row.redirect_uri,
        scope: row.scope,
        expiresAt: row.expires_at,
        usedAt: row.used_at ?? undefined,
      }
    );
  }

  async createDevice(input: {
    deviceCodeHash: string;
    userCode: string;
    clientRef: string;
    scope: string;
    intervalSeconds: number;
    expiresAt: string;
  }): Promise<DeviceAuthorization> {
    const row = await this.db
      .insertInto('oauth_device_codes')
      .values({
        device_code_hash: input.deviceCodeHash,
        user_code: input.userCode,
        client_ref: input.clientRef,
        scope: input.scope,
        status: 'pending',
        user_id: null,
        interval_s: input.intervalSeconds,
        last_poll_at: null,
        created_at: this.now(),
        expires_at: input.expiresAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return mapDevice(row);
  }

  async findDeviceByHash(deviceCodeHash: string): Promise<DeviceAuthorization | undefined> {
    const row = await this.db
      .selectFrom('oauth_device_codes')
      .selectAll()
      .where('device_code_hash', '=', deviceCodeHash)
      .executeTakeFirst();
    return row && mapDevice(row);
  }

  async findDeviceByUserCode(userCode: string): Promise<DeviceAuthorization | undefined> {
    const row = await this.db
      .selectFrom('oauth_device_codes')
      .selectAll()
      .where('user_code', '=', userCode)
      .executeTakeFirst();
    return row && mapDevice(row);
  }

  async touchDevice(id: string, at: string): Promise<void> {
    await this.db
      .updateTable('oauth_device_codes')
      .set({ last_poll_at: at })
      .where('id', '=', id)
      .execute();
  }

  async transitionDevice(
    id: string,
    from: DeviceStatus,
    to: DeviceStatus,
    userId?: string,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('oauth_device_codes')
      .set(userId === undefined ? { status: to } : { status: to, user_id: userId })
      .where('id', '=', id)
      .where('status', '=', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}

export class KyselyWebAuthRepository implements WebAuthRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => string,
  ) {}

  async passwordHash(userId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('user_passwords')
      .select('password_hash')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.password_hash;
  }

  async setPassword(userId: string, hash: string, at: string): Promise<void> {
    await this.db
      .insertInto('user_passwords')
      .values({ user_id: userId, password_hash: hash, updated_at: at })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ password_hash: hash, updated_at: at }))
      .execute();
  }

  async createSession(input: { idHash: string; userId: string; expiresAt: string }): Promise<void> {
    await this.db
      .insertInto('web_sessions')
      .values({
        id_hash: input.idHash,
        user_id: input.userId,
        created_at: this.now(),
        expires_at: input.expiresAt,
      })
      .execute();
  }

  async findSession(idHash: string, now: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('web_sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select(['u.id', 'u.email', 'u.name', 'u.is_admin', 'u.created_at', 'u.last_active_at'])
      .where('s.id_hash', '=', idHash)
      .where('s.expires_at', '>', now)
      .executeTakeFirst();
    return (
      row && {
        id: toId(row.id),
        email: row.email,
        name: row.name,
        isAdmin: row.is_admin !== 0,
        createdAt: row.created_at,
        lastActiveAt: row.last_active_at,
      }
    );
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.db.deleteFrom('web_sessions').where('id_hash', '=', idHash).execute();
  }
}
