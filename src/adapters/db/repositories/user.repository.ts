import type { Kysely } from 'kysely';
import type { AccessToken, User } from '../../../domain/index.js';
import type { TokenRepository, UserRepository } from '../../../ports.js';
import type { Database } from '../schema.js';
import { countAll, optId, toId } from './common.js';

const mapUser = (r: {
  id: number | string;
  email: string;
  name: string;
  is_admin: number;
  created_at: string;
  last_active_at: string;
}): User => ({
  id: toId(r.id),
  email: r.email,
  name: r.name,
  isAdmin: r.is_admin !== 0,
  createdAt: r.created_at,
  lastActiveAt: r.last_active_at,
});

export class KyselyUserRepository implements UserRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => string,
  ) {}

  async create(input: { email: string; name: string; isAdmin: boolean }): Promise<User> {
    const at = this.now();
    const row = await this.db
      .insertInto('users')
      .values({
        email: input.email,
        name: input.name,
        is_admin: input.isAdmin ? 1 : 0,
        created_at: at,
        last_active_at: at,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return mapUser(row);
  }

  async findById(id: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && mapUser(row);
  }

  async findByEmail(email: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('email', '=', email)
      .executeTakeFirst();
    return row && mapUser(row);
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom('users').select(countAll).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async touch(id: string, at: string): Promise<void> {
    await this.db.updateTable('users').set({ last_active_at: at }).where('id', '=', id).execute();
  }
}

export class KyselyTokenRepository implements TokenRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => string,
  ) {}

  async create(input: {
    userId: string;
    tokenHash: string;
    scope: string;
    clientRef?: string | undefined;
    expiresAt?: string | undefined;
  }): Promise<AccessToken> {
    const row = await this.db
      .insertInto('access_tokens')
      .values({
        user_id: input.userId,
        token_hash: input.tokenHash,
        scope: input.scope,
        created_at: this.now(),
        revoked_at: null,
        client_ref: input.clientRef ?? null,
        expires_at: input.expiresAt ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return {
      id: toId(row.id),
      userId: toId(row.user_id),
      scope: row.scope,
      createdAt: row.created_at,
      clientRef: optId(row.client_ref),
      expiresAt: row.expires_at ?? undefined,
    };
  }

  async revoke(by: { hash: string } | { id: string }, at: string): Promise<string | undefined> {
    let q = this.db
      .updateTable('access_tokens')
      .set({ revoked_at: at })
      .where('revoked_at', 'is', null);
    q = 'hash' in by ? q.where('token_hash', '=', by.hash) : q.where('id', '=', by.id);
    const row = await q.returning('id').executeTakeFirst();
    return row && toId(row.id);
  }

  async revokeByClient(clientRef: string, at: string, userId?: string): Promise<string[]> {
    let q = this.db
      .updateTable('access_tokens')
      .set({ revoked_at: at })
      .where('revoked_at', 'is', null)
      .where('client_ref', '=', clientRef);
    if (userId !== undefined) q = q.where('user_id', '=', userId);
    const rows = await q.returning('id').execute();
    return rows.map((r) => toId(r.id));
  }

  async findByHash(tokenHash: string): Promise<{ token: AccessToken; user: User } | undefined> {
    const row = await this.db
      .selectFrom('access_tokens as t')
      .innerJoin('users as u', 'u.id', 't.user_id')
      .select([
        't.id as token_id',
        't.scope',
        't.created_at as token_created_at',
        't.client_ref',
        't.expires_at',
        'u.id',
        'u.email',
        'u.name',
        'u.is_admin',
        'u.created_at',
        'u.last_active_at',
      ])
      .where('t.token_hash', '=', tokenHash)
      .where('t.revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row) return undefined;
    const user = mapUser(row);
    return {
      user,
      token: {
        id: toId(row.token_id),
        userId: user.id,
        scope: row.scope,
        createdAt: row.token_created_at,
        clientRef: optId(row.client_ref),
        expiresAt: row.expires_at ?? undefined,
      },
    };
  }
}
