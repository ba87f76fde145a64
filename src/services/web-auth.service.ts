import { hash, verify } from '@node-rs/argon2';
import { createHash, randomBytes } from 'node:crypto';
import { AppError, FULL_ACCESS_SCOPE, badRequest, type User } from '../domain/index.js';
import type { Clock, Repositories } from '../ports.js';
import type { AuthService } from './auth.service.js';
import type { FailureLimiter } from './failure-limiter.js';

/** Passwords: at least this long (NIST SP 800-63B 5.1.1.2), and a sane upper bound. */
/**
 * The `client_ref` of the web UI's tokens: a negative number, which no registered OAuth client's
 * id (counting up from 1) can ever be, so deleting a client never revokes UI tokens and sign-out
 * never revokes another client's.
 */
export const WEB_UI_CLIENT_REF = '-1';

const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 1024;
/** A browser session lasts this long from sign-in (a working day and a half). */
export const DEFAULT_SESSION_TTL_SECONDS = 12 * 3600;

/**
 * A UI token lives this long: long enough for a working session's page (the UI asks again on a
 * 401), short enough that one read out of a page is soon useless. A 15-minute access token is
 * the usual lifetime of browser-held bearer tokens (OAuth 2.0 for Browser-Based Apps, 6.1).
 */
export const UI_TOKEN_TTL_SECONDS = 15 * 60;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Local accounts for the hub's own pages (consent, device code): argon2id password hashes with
 * @node-rs/argon2's defaults (m=19 MiB, t=2, p=1: OWASP's recommended argon2id setting; ~70 ms a
 * verify here) and sessions whose ids are stored hashed.
 */
export class WebAuthService {
  /** Verified when the account is unknown or has no password, so both cost the same time. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly repos: Repositories,
    private readonly clock: Clock,
    private readonly auth: AuthService,
    private readonly limiter: FailureLimiter,
    private readonly sessionTtlSeconds: number = DEFAULT_SESSION_TTL_SECONDS,
  ) {}

  /** Sets (or replaces) a user's password. */
  async setPassword(email: string, password: string): Promise<User> {
    const user = await this.auth.findUserByEmail(email);
    if (!user) throw new AppError('NotFound', `No user with email '${email.slice(0, 64)}'`);
    await this.setPasswordOf(user, password);
    return user;
  }

  async setPasswordOf(user: User, password: string): Promise<void> {
    if ([...password].length < MIN_PASSWORD_LENGTH)
      throw badRequest(`A password needs at least ${MIN_PASSWORD_LENGTH} characters`);
    if (password.length > MAX_PASSWORD_LENGTH)
      throw badRequest(`A password has at most ${MAX_PASSWORD_LENGTH} characters`);
    await this.repos.webAuth.setPassword(
      user.id,
      await hash(password),
      this.clock.now().toISOString(),
    );
  }

  /**
   * Signs in; returns the new session id (only its hash is stored). Wrong passwords count
   * against the account and the address; past either limit, a 429 before any password check.
   */
  async signIn(
    email: string,
    password: string,
    ip: string,
  ): Promise<{ session: string; user: User }> {
    const account = email.trim().toLowerCase().slice(0, 254);
    this.limiter.check('password-ip', ip);
    this.limiter.check('password-account', account);
    let user: User | undefined;
    try {
      user = await this.auth.findUserByEmail(email);
    } catch {
      user = undefined;
    }
    const stored = user && (await this.repos.webAuth.passwordHash(user.id));
    const good =
      password.length <= MAX_PASSWORD_LENGTH &&
      (await verify(stored ?? (await this.dummy()), password).catch(() => false)) &&
      stored !== undefined;
    if (!user || !good) {
      this.limiter.fail('password-ip', ip);
      this.limiter.fail('password-account', account);
      throw new AppError('Unauthorized', 'Wrong email or password');
    }
    this.limiter.reset('password-account', account);
    const session = randomBytes(32).toString('base64url');
    await this.repos.webAuth.createSession({
      idHash: sha256(session),
      userId: user.id,
      expiresAt: new Date(this.clock.now().getTime() + this.sessionTtlSeconds * 1000).toISOString(),
    });
    return { session, user };
  }

  /** The signed-in user of a session cookie, if the session is live. */
  async sessionUser(session: string | undefined): Promise<User | undefined> {
    if (!session || session.length > 128) return undefined;
    return this.repos.webAuth.findSession(sha256(session), this.clock.now().toISOString());
  }

  /**
   * A short-lived full-access token for the web UI of a live session (`POST /app/session`, and
   * the UI's page itself), issued to the web UI's client so that sign-out can revoke it; undefined
   * when the session is not live.
   */
  async openUiSession(
    session: string | undefined,
    clientIp?: string,
  ): Promise<{ user: User; token: string; expiresAt: string } | undefined> {
    const user = await this.sessionUser(session);
    if (!user) return undefined;
    const expiresAt = new Date(
      this.clock.now().getTime() + UI_TOKEN_TTL_SECONDS * 1000,
    ).toISOString();
    const { token } = await this.auth.createToken(user.id, FULL_ACCESS_SCOPE, {
      clientRef: WEB_UI_CLIENT_REF,
      expiresAt,
      actor: { kind: 'user', id: user.id },
      ...(clientIp !== undefined && { clientIp }),
    });
    return { user, token, expiresAt };
  }

  /**
   * Ends a session, and revokes the web UI tokens of its user (a token the UI holds would
   * otherwise live out its 15 minutes). Sessions do not record their tokens, so the user's other
   * browsers lose theirs too; their pages ask for a new one with their own cookie on the 401.
   */
  async signOut(session: string | undefined, clientIp?: string): Promise<void> {
    if (!session || session.length > 128) return;
    const user = await this.sessionUser(session);
    await this.repos.webAuth.deleteSession(sha256(session));
    if (user)
      await this.auth.revokeClientTokens(
        user.id,
        WEB_UI_CLIENT_REF,
        { kind: 'user', id: user.id },
        clientIp,
      );
  }

  /**
   * A stable id of the session for binding CSRF tokens to it, without revealing the session.
   * Before sign-in there is none: tokens are then bound to the CSRF cookie's secret alone.
   */
  sessionBinding(session: string | undefined): string {
    return session ? sha256(`csrf:${session}`) : 'anonymous';
  }

  /**
   * The hub-wide key that binds CSRF tokens to sessions: made once, kept in the database so every
   * process accepts the tokens of the others.
   */
  async csrfKey(): Promise<string> {
    return this.repos.settings.putIfAbsent('web.csrf-hmac-key', randomBytes(32).toString('hex'));
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hash(randomBytes(16).toString('hex'));
    return this.dummyHash;
  }
}
