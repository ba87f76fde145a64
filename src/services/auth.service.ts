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
import type { FailureLimiter } from './failure-limiter.js';
import type { Principal } from './principal.js';

/** BaseSpace tokens are 32 lower-case hex characters (spec 1.2); we keep the same look. */
const TOKEN_BYTES = 16;
/** DateLastActive is refreshed at most this often, so reads do not turn into writes. */
const LAST_ACTIVE_RESOLUTION_MS = 60_000;

export const hashToken = (token: string): string =>
  createHash('sha256').update(token).digest('hex');

/**
 * A token's principal is reused for this long, so a burst of requests costs one lookup instead of
 * one each (measured: the lookup was a third of a small GET's cost). A token revoked or a link
 * deactivated through this process is evicted at once; in other processes it takes effect within
 * this time. An expiring token is never cached past its expiry.
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
    private readonly limiter?: FailureLimiter,
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
   * the audit log as `token.create` by `actor` (the admin CLI and first start are `system`), in
   * the same transaction as the token (`options.repos` when the caller already holds one).
   */
  async createToken(
    userId: string,
    scopeText: string = FULL_ACCESS_SCOPE,
    options: {
      clientRef?: string;
      expiresAt?: string;
      repos?: Repositories;
      actor?: AuditEvent['actor'];
      clientIp?: string;
    } = {},
  ): Promise<{ token: string; scope: string; id: string }> {
    const scope = formatScope(parseScope(scopeText));
    const token = randomBytes(TOKEN_BYTES).toString('hex');
    const issue = async (repos: Repositories) => {
      const created = await repos.tokens.create({
        userId,
        tokenHash: hashToken(token),
        scope,
        clientRef: options.clientRef,
        expiresAt: options.expiresAt,
      });
      await repos.audit.record({
        actor: options.actor ?? { kind: 'system' },
        action: 'token.create',
        target: { kind: 'token', id: created.id },
        clientIp: options.clientIp,
        details: {
          userId,
          scope,
          ...(options.clientRef ? { clientRef: options.clientRef } : {}),
        },
      });
      return created.id;
    };
    const id = options.repos ? await issue(options.repos) : await this.repos.transaction(issue);
    return { token, scope, id };
  }

  /**
   * Revokes a token (by the token itself or its id), recorded as `token.revoke` by `actor`.
   * Effective at once in this process, within PRINCIPAL_CACHE_MS in others. Returns the token's
   * id, or undefined when it was unknown or already revoked.
   */
  async revokeToken(
    by: { token: string } | { id: string },
    actor: AuditEvent['actor'] = { kind: 'system' },
    clientIp?: string,
  ): Promise<string | undefined> {
    const at = this.clock.now().toISOString();
    const id = await this.repos.transaction(async (tx) => {
      const revoked = await tx.tokens.revoke(
        'token' in by ? { hash: hashToken(by.token) } : { id: by.id },
        at,
      );
      if (revoked)
        await tx.audit.record({
          actor,
          action: 'token.revoke',
          target: { kind: 'token', id: revoked },
          clientIp,
        });
      return revoked;
    });
    if (id) this.evict([id]);
    return id;
  }

  /**
   * Revokes every live token `userId` holds from client `clientRef` (the web UI's, at sign-out),
   * each recorded as `token.revoke` by `actor`. Returns their ids.
   */
  async revokeClientTokens(
    userId: string,
    clientRef: string,
    actor: AuditEvent['actor'] = { kind: 'system' },
    clientIp?: string,
  ): Promise<string[]> {
    const at = this.clock.now().toISOString();
    const ids = await this.repos.transaction(async (tx) => {
      const revoked = await tx.tokens.revokeByClient(clientRef, at, userId);
      for (const id of revoked)
        await tx.audit.record({
          actor,
          action: 'token.revoke',
          target: { kind: 'token', id },
          clientIp,
          details: { clientRef },
        });
      return revoked;
    });
    this.evict(ids);
    return ids;
  }

  /** Drops cached principals of these tokens, so revocation is immediate in this process. */
  evict(tokenIds: readonly string[]): void {
    if (tokenIds.length === 0) return;
    const ids = new Set(tokenIds);
    for (const [hash, entry] of this.recent) {
      if (ids.has(entry.principal.tokenId)) this.recent.delete(hash);
    }
  }

  /** Drops a cached principal by its token hash (a deactivated share link). */
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

  /**
   * The principal for a presented token, or a 401. Unknown, revoked and expired tokens count as
   * failures of the caller's address (`ip`); past the limit every token from there is a 429.
   */
  async authenticate(token: string | undefined, ip?: string): Promise<Principal> {
    if (!token)
      throw new AppError(
        'Unauthorized',
        'An access token is required: send x-access-token, Authorization: Bearer, or access_token',
      );
    if (ip !== undefined) this.limiter?.check('token-ip', ip);
    const hash = hashToken(token);
    const now = this.clock.now();
    const cached = this.recent.get(hash);
    if (cached && cached.until > now.getTime()) return cached.principal;
    const found = await this.repos.tokens.findByHash(hash);
    const expiresAt = found?.token.expiresAt ? Date.parse(found.token.expiresAt) : Infinity;
    if (!found || expiresAt <= now.getTime()) {
      // A share link is presented like a token (issue 4); it never expires, it is deactivated.
      const link = found ? undefined : await this.repos.shareLinks.findActiveByHash(hash);
      if (link) return this.remember(hash, linkPrincipal(link.id, link.projectId), now, Infinity);
      if (ip !== undefined) this.limiter?.fail('token-ip', ip);
      // Expired answers exactly like unknown: nothing tells a guesser which tokens once existed.
      throw new AppError('Unauthorized', 'The access token is not valid');
    }
    if (now.getTime() - Date.parse(found.user.lastActiveAt) > LAST_ACTIVE_RESOLUTION_MS) {
      const at = now.toISOString();
      await this.repos.users.touch(found.user.id, at);
      found.user.lastActiveAt = at;
    }
    const principal: Principal = {
      user: found.user,
      scope: parseScope(found.token.scope),
      tokenId: found.token.id,
      token: found.token,
    };
    return this.remember(hash, principal, now, expiresAt);
  }

  private remember(hash: string, principal: Principal, now: Date, expiresAt: number): Principal {
    if (this.recent.size >= PRINCIPAL_CACHE_SIZE) this.recent.clear();
    this.recent.set(hash, {
      principal,
      until: Math.min(now.getTime() + PRINCIPAL_CACHE_MS, expiresAt),
    });
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
