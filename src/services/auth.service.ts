import { createHash, randomBytes } from 'node:crypto';
import {
  AppError,
  FULL_ACCESS_SCOPE,
  badRequest,
  formatScope,
  parseScope,
  validName,
  type AuditEvent,
  type User,
} from '../domain/index.js';
import type { Clock, Repositories } from '../ports.js';
import type { Principal } from './principal.js';

/** BaseSpace tokens are 32 lower-case hex characters (spec 1.2); we keep the same look. */
const TOKEN_BYTES = 16;
/** DateLastActive is refreshed at most this often, so reads do not turn into writes. */
const LAST_ACTIVE_RESOLUTION_MS = 60_000;

export const hashToken = (token: string): string =>
  createHash('sha256').update(token).digest('hex');

/**
 * A token's principal is reused for this long, so a burst of requests costs one lookup instead of
 * one each (measured: the lookup was a third of a small GET's cost). A revoked token or a
 * changed scope takes effect within this time, in every process.
 */
const PRINCIPAL_CACHE_MS = 5_000;
/** Bound on remembered tokens; past it the cache starts over rather than grow. */
const PRINCIPAL_CACHE_SIZE = 10_000;

/** Users, tokens, and turning a presented token into a {@link Principal}. */
export class AuthService {
  private readonly recent = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly repos: Repositories,
    private readonly clock: Clock,
  ) {}

  async createUser(input: { email: string; name: string; isAdmin?: boolean }): Promise<User> {
    const email = normalizeEmail(input.email);
    const name = validName(input.name, 'name');
    if (await this.repos.users.findByEmail(email)) {
      throw new AppError('Conflict', `A user with email '${email}' already exists`);
    }
    return this.repos.users.create({ email, name, isAdmin: input.isAdmin ?? false });
  }

  async findUserByEmail(email: string): Promise<User | undefined> {
    return this.repos.users.findByEmail(normalizeEmail(email));
  }

  /**
   * Issues a new token. Only its hash is stored; the token itself is returned once. Recorded in
   * the audit log with `actor` (the admin CLI is `system`).
   */
  async createToken(
    userId: string,
    scopeText: string = FULL_ACCESS_SCOPE,
    actor: AuditEvent['actor'] = { kind: 'system' },
    clientIp?: string,
  ): Promise<{ token: string; scope: string }> {
    const scope = formatScope(parseScope(scopeText));
    const token = randomBytes(TOKEN_BYTES).toString('hex');
    await this.repos.transaction(async (tx) => {
      const created = await tx.tokens.create({ userId, tokenHash: hashToken(token), scope });
      await tx.audit.record({
        actor,
        action: 'token.create',
        target: { kind: 'token', id: created.id },
        clientIp,
        details: { userId, scope },
      });
    });
    return { token, scope };
  }

  /**
   * Revokes a token (audited). It stops working at once in this process and within
   * PRINCIPAL_CACHE_MS in others. Returns false when it was unknown or already revoked.
   */
  async revokeToken(
    token: string,
    actor: AuditEvent['actor'] = { kind: 'system' },
    clientIp?: string,
  ): Promise<boolean> {
    const hash = hashToken(token);
    const revoked = await this.repos.transaction(async (tx) => {
      const found = await tx.tokens.revokeByHash(hash);
      if (found)
        await tx.audit.record({
          actor,
          action: 'token.revoke',
          target: { kind: 'token', id: found.id },
          clientIp,
          details: { userId: found.userId },
        });
      return found !== undefined;
    });
    this.forget(hash);
    return revoked;
  }

  /** Drops a cached principal (a revoked token or a deactivated link). */
  forget(tokenHash: string): void {
    this.recent.delete(tokenHash);
  }

  /** First start: when there are no users yet, creates the admin and a full-access token. */
  async bootstrapAdmin(): Promise<{ user: User; token: string } | undefined> {
    if ((await this.repos.users.count()) > 0) return undefined;
    const user = await this.createUser({
      email: 'admin@localhost',
      name: 'Administrator',
      isAdmin: true,
    });
    const { token } = await this.createToken(user.id);
    return { user, token };
  }

  /** The principal for a presented token, or a 401. */
  async authenticate(token: string | undefined): Promise<Principal> {
    if (!token)
      throw new AppError(
        'Unauthorized',
        'An access token is required: send x-access-token, Authorization: Bearer, or access_token',
      );
    const hash = hashToken(token);
    const now = this.clock.now();
    const cached = this.recent.get(hash);
    if (cached && cached.until > now.getTime()) return cached.principal;
    const found = await this.repos.tokens.findByHash(hash);
    if (!found) {
      const link = await this.repos.shareLinks.findActiveByHash(hash);
      if (!link) throw new AppError('Unauthorized', 'The access token is not valid');
      return this.remember(hash, linkPrincipal(link.id, link.projectId), now);
    }
    if (now.getTime() - Date.parse(found.user.lastActiveAt) > LAST_ACTIVE_RESOLUTION_MS) {
      const at = now.toISOString();
      await this.repos.users.touch(found.user.id, at);
      found.user.lastActiveAt = at;
    }
    const principal = {
      user: found.user,
      scope: parseScope(found.token.scope),
      tokenId: found.token.id,
    };
    return this.remember(hash, principal, now);
  }

  private remember(hash: string, principal: Principal, now: Date): Principal {
    if (this.recent.size >= PRINCIPAL_CACHE_SIZE) this.recent.clear();
    this.recent.set(hash, { principal, until: now.getTime() + PRINCIPAL_CACHE_MS });
    return principal;
  }
}

/**
 * A share link's caller (issue 4): reads its project and what is in it, nothing else. The user is
 * a placeholder (id 0 owns nothing); AccessService gives it READ on the link's project only.
 */
function linkPrincipal(linkId: string, projectId: string): Principal {
  return {
    user: {
      id: '0',
      email: '',
      name: 'Share link',
      isAdmin: false,
      createdAt: '1970-01-01T00:00:00.000Z',
      lastActiveAt: '1970-01-01T00:00:00.000Z',
    },
    scope: parseScope(`read project ${projectId}`),
    tokenId: '',
    link: { id: linkId, projectId },
  };
}

export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  // Deliberately loose: one @, something either side, no spaces or control characters.
  if (!/^[^\s@\u0000-\u001f]+@[^\s@\u0000-\u001f]+$/.test(email) || email.length > 254) {
    throw badRequest(`'${raw.slice(0, 64)}' is not a valid email address`);
  }
  return email;
}
