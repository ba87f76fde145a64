import { createHash, randomBytes } from 'node:crypto';
import {
  AppError,
  FULL_ACCESS_SCOPE,
  badRequest,
  formatScope,
  parseScope,
  validName,
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
 * one each (measured: the lookup was a third of a small GET's cost). A token revoked through
 * this process is evicted at once; in other processes a revocation takes effect within this time.
 * An expiring token is never cached past its expiry.
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

  /** Issues a new token. Only its hash is stored; the token itself is returned once. */
  async createToken(
    userId: string,
    scopeText: string = FULL_ACCESS_SCOPE,
    options: { clientRef?: string; expiresAt?: string; repos?: Repositories } = {},
  ): Promise<{ token: string; scope: string; id: string }> {
    const scope = formatScope(parseScope(scopeText));
    const token = randomBytes(TOKEN_BYTES).toString('hex');
    const created = await (options.repos ?? this.repos).tokens.create({
      userId,
      tokenHash: hashToken(token),
      scope,
      clientRef: options.clientRef,
      expiresAt: options.expiresAt,
    });
    return { token, scope, id: created.id };
  }

  /** Revokes a token (by the token itself or its id); effective at once in this process. */
  async revokeToken(by: { token: string } | { id: string }): Promise<string | undefined> {
    const at = this.clock.now().toISOString();
    const id = await this.repos.tokens.revoke(
      'token' in by ? { hash: hashToken(by.token) } : { id: by.id },
      at,
    );
    if (id) this.evict([id]);
    return id;
  }

  /** Drops cached principals of these tokens, so revocation is immediate in this process. */
  evict(tokenIds: readonly string[]): void {
    if (tokenIds.length === 0) return;
    const ids = new Set(tokenIds);
    for (const [hash, entry] of this.recent) {
      if (ids.has(entry.principal.tokenId)) this.recent.delete(hash);
    }
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
    if (this.recent.size >= PRINCIPAL_CACHE_SIZE) this.recent.clear();
    this.recent.set(hash, {
      principal,
      until: Math.min(now.getTime() + PRINCIPAL_CACHE_MS, expiresAt),
    });
    return principal;
  }
}

function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  // Deliberately loose: one @, something either side, no spaces or control characters.
  if (!/^[^\s@\u0000-\u001f]+@[^\s@\u0000-\u001f]+$/.test(email) || email.length > 254) {
    throw badRequest(`'${raw.slice(0, 64)}' is not a valid email address`);
  }
  return email;
}
