import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import {
  AppError,
  OAuthError,
  badRequest,
  formatScope,
  notFound,
  parseScope,
  redirectUriMatches,
  validName,
  validRedirectUri,
  type DeviceAuthorization,
  type OAuthClient,
  type User,
} from '../domain/index.js';
import type { Clock, Repositories } from '../ports.js';
import type { AuthService } from './auth.service.js';
import type { FailureLimiter } from './failure-limiter.js';
import type { Principal } from './principal.js';

/** Lifetimes and pacing of the OAuth flows (config `oauth`, env SEQHUB_OAUTH_*). */
export interface OAuthOptions {
  /** Lifetime of tokens issued through OAuth; 0 = they never expire (spec 1.2's BaseSpace). */
  tokenTtlSeconds: number;
  codeTtlSeconds: number;
  deviceCodeTtlSeconds: number;
  deviceIntervalSeconds: number;
}

export const DEFAULT_OAUTH_OPTIONS: OAuthOptions = {
  tokenTtlSeconds: 90 * 24 * 3600,
  // RFC 6749 4.1.2: "a maximum authorization code lifetime of 10 minutes is RECOMMENDED"; the
  // redirect and the exchange normally follow each other within a second.
  codeTtlSeconds: 60,
  // Spec 1.3.2's example values.
  deviceCodeTtlSeconds: 1800,
  deviceIntervalSeconds: 1,
};

/**
 * Where grants and revocations are recorded. The audit log lands on another branch (issue 4
 * part A, `AuditLog.record`); until it is wired in app/, events go nowhere.
 */
export interface AuditSink {
  record(event: {
    action: string;
    /** Undefined for an operator's `seqhub admin` command. */
    actorUserId: string | undefined;
    targetKind: string;
    targetId: string;
    ip: string | undefined;
    detail: Record<string, unknown>;
  }): Promise<void>;
}

const noAudit: AuditSink = { record: async () => undefined };

/** The token endpoint's answer (spec 1.3.1 plus RFC 6749 5.1's token_type and scope). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in?: number;
  scope: string;
}

/** What a client sends to the token endpoint, however it was encoded. */
export interface TokenRequest {
  grantType: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  code: string | undefined;
  redirectUri: string | undefined;
}

/** A validated `GET /oauth/authorize` request. */
export interface AuthorizeRequest {
  client: OAuthClient;
  redirectUri: string;
  scope: string;
  state: string | undefined;
}

/**
 * Thrown by {@link OAuthService.checkAuthorize}: `redirect` errors go back to the client's
 * redirect URI (RFC 6749 4.1.2.1); the others are shown to the user, never redirected, because
 * the redirect URI itself is not trusted.
 */
export class AuthorizeError extends Error {
  constructor(
    message: string,
    readonly redirect?: { uri: string; error: string; state: string | undefined },
  ) {
    super(message);
    this.name = 'AuthorizeError';
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** RFC 8628 6.1: 20 consonants, no vowels (no words), no look-alikes; 8 of them = 34 bits. */
/**
 * The OAuth client `seqhub auth` uses when given none: public (no secret), device flow only, so
 * signing in from a terminal needs no setup by the admin (`bs auth` works the same way).
 */
export const PUBLIC_CLI_CLIENT_ID = 'seqhub-cli';

const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;
/** A poll this much early still counts as on time: timers and networks jitter. */
const POLL_SLACK_MS = 250;

/** Displays `BCDFGHJK` as `BCDF-GHJK`. */
export const formatUserCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;
/** What the user typed, as stored: letters only, upper case. */
export const normalizeUserCode = (typed: string) =>
  typed
    .toUpperCase()
    .replace(/[^A-Z]/g, '')
    .slice(0, 32);

/** OAuth2 clients, the authorization-code and device flows, token details and revocation. */
export class OAuthService {
  constructor(
    private readonly repos: Repositories,
    private readonly clock: Clock,
    private readonly auth: AuthService,
    private readonly limiter: FailureLimiter,
    private readonly options: OAuthOptions = DEFAULT_OAUTH_OPTIONS,
    private readonly audit: AuditSink = noAudit,
  ) {}

  // --- clients (admin) ---------------------------------------------------------------------

  /** Registers a client; the secret is returned once and only its hash is kept. */
  async createClient(input: {
    name: string;
    redirectUris: readonly string[];
  }): Promise<{ client: OAuthClient; secret: string }> {
    const name = validName(input.name, 'name');
    if (input.redirectUris.length === 0) throw badRequest('Give at least one redirect URI');
    for (const uri of input.redirectUris) {
      if (!validRedirectUri(uri))
        throw badRequest(`'${uri.slice(0, 100)}' is not an absolute http(s) URI without fragment`);
    }
    const secret = randomBytes(16).toString('hex');
    const client = await this.repos.oauth.createClient({
      clientId: randomBytes(16).toString('hex'),
      secretHash: sha256(secret),
      name,
      redirectUris: [...new Set(input.redirectUris)],
    });
    return { client, secret };
  }

  listClients(): Promise<OAuthClient[]> {
    return this.repos.oauth.listClients();
  }

  /** Deletes a client and revokes every token it obtained. */
  async deleteClient(clientId: string): Promise<void> {
    const found = await this.repos.oauth.findClient(clientId);
    if (!found) throw notFound(`No OAuth client '${clientId.slice(0, 64)}'`);
    const revoked = await this.repos.transaction(async (repos) => {
      const ids = await repos.tokens.revokeByClient(found.client.id, this.isoNow());
      await repos.oauth.deleteClient(clientId);
      return ids;
    });
    this.auth.evict(revoked);
  }

  /**
   * A registered client, or the built-in public CLI client ({@link PUBLIC_CLI_CLIENT_ID}), made on
   * first use: a row like any client (devices and tokens refer to it; an admin may delete it,
   * revoking its tokens, and it is made again when next used) with a secret nobody is told.
   */
  private async findClient(
    clientId: string,
  ): Promise<{ client: OAuthClient; secretHash: string } | undefined> {
    const found = await this.repos.oauth.findClient(clientId);
    if (found || clientId !== PUBLIC_CLI_CLIENT_ID) return found;
    try {
      await this.repos.oauth.createClient({
        clientId,
        secretHash: sha256(randomBytes(32).toString('hex')),
        name: 'seqhub CLI (built in)',
        redirectUris: [],
      });
    } catch (error) {
      // Another process made it meanwhile (unique client id): use theirs.
      const again = await this.repos.oauth.findClient(clientId);
      if (again) return again;
      throw error;
    }
    return this.repos.oauth.findClient(clientId);
  }

  // --- authorization-code flow (spec 1.3.1) --------------------------------------------------

  /** Validates `GET /oauth/authorize`; throws {@link AuthorizeError}. */
  async checkAuthorize(query: Record<string, string | undefined>): Promise<AuthorizeRequest> {
    const clientId = query.client_id;
    const redirectUri = query.redirect_uri;
    if (!clientId) throw new AuthorizeError('The request has no client_id.');
    const found = await this.repos.oauth.findClient(clientId);
    if (!found) throw new AuthorizeError('This application is not registered with this hub.');
    if (!redirectUri || !redirectUriMatches(found.client.redirectUris, redirectUri))
      throw new AuthorizeError(
        'The redirect_uri is not one registered for this application, so the hub will not send you there.',
      );
    const back = (error: string, message: string) =>
      new AuthorizeError(message, { uri: redirectUri, error, state: query.state });
    if (query.response_type !== 'code')
      throw back('unsupported_response_type', 'Only response_type=code is supported.');
    let scope: string;
    try {
      scope = formatScope(parseScope(query.scope ?? ''));
    } catch (error) {
      throw back('invalid_scope', (error as Error).message);
    }
    return { client: found.client, redirectUri, scope, state: query.state };
  }

  /** The user approved: a single-use code bound to client, redirect URI, user and scope. */
  async issueCode(user: User, request: AuthorizeRequest): Promise<string> {
    const code = randomBytes(16).toString('hex');
    await this.repos.oauth.createCode({
      codeHash: sha256(code),
      clientRef: request.client.id,
      userId: user.id,
      redirectUri: request.redirectUri,
      scope: request.scope,
      expiresAt: this.isoIn(this.options.codeTtlSeconds),
    });
    return code;
  }

  // --- token endpoint ----------------------------------------------------------------------

  /** `POST oauthv2/token`: exchanges a code or polls a device code. Throws {@link OAuthError}. */
  async token(request: TokenRequest, ip: string): Promise<TokenResponse> {
    const grant = request.grantType;
    if (!grant) throw new OAuthError('invalid_request', 'grant_type is required');
    const isCode = grant === 'authorization_code';
    const isDevice =
      grant === 'device' ||
      grant === 'device_code' ||
      grant === 'urn:ietf:params:oauth:grant-type:device_code';
    if (!isCode && !isDevice)
      throw new OAuthError(
        'unsupported_grant_type',
        `grant_type '${grant.slice(0, 64)}' is not supported: use authorization_code or device`,
      );
    if (!request.code) throw new OAuthError('invalid_request', 'code is required');
    this.limiter.check('token-ip', ip);
    const client = await this.authenticateClient(request, ip, isDevice);
    return isCode
      ? this.exchangeCode(client, request.code, request.redirectUri, ip)
      : this.pollDevice(client, request.code, ip);
  }

  private async authenticateClient(
    request: TokenRequest,
    ip: string,
    isDevice: boolean,
  ): Promise<OAuthClient> {
    // The CLI's public client has no secret to keep (RFC 8628 section 5.6: a device client is
    // usually public): it may only poll device codes, which a signed-in user had to approve.
    if (request.clientId === PUBLIC_CLI_CLIENT_ID) {
      if (!isDevice)
        throw new OAuthError(
          'unauthorized_client',
          `${PUBLIC_CLI_CLIENT_ID} is a public client: it may only use the device flow`,
        );
      const found = await this.findClient(PUBLIC_CLI_CLIENT_ID);
      if (found) return found.client;
    }
    if (!request.clientId || !request.clientSecret)
      throw new OAuthError(
        'invalid_client',
        'Client authentication failed: send client_id and client_secret',
      );
    const found = await this.repos.oauth.findClient(request.clientId);
    const given = Buffer.from(sha256(request.clientSecret), 'hex');
    const stored = Buffer.from(found?.secretHash ?? sha256('no such client'), 'hex');
    if (!found || !timingSafeEqual(given, stored)) {
      this.limiter.fail('token-ip', ip);
      throw new OAuthError('invalid_client', 'Client authentication failed');
    }
    return found.client;
  }

  private async exchangeCode(
    client: OAuthClient,
    code: string,
    redirectUri: string | undefined,
    ip: string,
  ): Promise<TokenResponse> {
    const invalid = (why: string) => {
      this.limiter.fail('token-ip', ip);
      return new OAuthError('invalid_grant', why);
    };
    const used = await this.repos.oauth.useCode(sha256(code), this.isoNow());
    if (!used) throw invalid('The authorization code is not valid or was already used');
    if (used.clientRef !== client.id)
      throw invalid('The authorization code was issued to another client');
    if (Date.parse(used.expiresAt) <= this.clock.now().getTime())
      throw invalid('The authorization code has expired');
    if (redirectUri !== used.redirectUri)
      throw invalid('redirect_uri does not match the one the code was issued for');
    const issued = await this.issueToken(used.userId, used.scope, client);
    await this.audit.record({
      action: 'oauth.token.grant',
      actorUserId: used.userId,
      targetKind: 'token',
      targetId: issued.id,
      ip,
      detail: { grant: 'authorization_code', clientId: client.clientId, scope: used.scope },
    });
    return issued.response;
  }

  // --- device flow (spec 1.3.2) ------------------------------------------------------------

  /** `POST oauthv2/deviceauthorization`. `origin` is where the hub's pages are. */
  async startDevice(
    input: { clientId: string | undefined; scope: string | undefined },
    origin: string,
  ) {
    if (!input.clientId) throw new OAuthError('invalid_request', 'client_id is required');
    const found = await this.findClient(input.clientId);
    if (!found) throw new OAuthError('invalid_client', 'Unknown client_id');
    let scope: string;
    try {
      scope = formatScope(parseScope(input.scope ?? ''));
    } catch (error) {
      throw new OAuthError('invalid_scope', (error as Error).message);
    }
    const deviceCode = randomBytes(16).toString('hex');
    // A clash of user codes is a unique-constraint failure: try another (34 bits; rare).
    for (let attempt = 0; ; attempt += 1) {
      const userCode = Array.from(
        { length: USER_CODE_LENGTH },
        () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)],
      ).join('');
      try {
        await this.repos.oauth.createDevice({
          deviceCodeHash: sha256(deviceCode),
          userCode,
          clientRef: found.client.id,
          scope,
          intervalSeconds: this.options.deviceIntervalSeconds,
          expiresAt: this.isoIn(this.options.deviceCodeTtlSeconds),
        });
        const shown = formatUserCode(userCode);
        const uri = `${origin}/oauth/device`;
        const complete = `${uri}?code=${shown}`;
        return {
          device_code: deviceCode,
          user_code: shown,
          verification_uri: uri,
          verification_with_code_uri: complete,
          verification_uri_complete: complete,
          expires_in: this.options.deviceCodeTtlSeconds,
          interval: this.options.deviceIntervalSeconds,
        };
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  }

  private async pollDevice(
    client: OAuthClient,
    deviceCode: string,
    ip: string,
  ): Promise<TokenResponse> {
    const device = await this.repos.oauth.findDeviceByHash(sha256(deviceCode));
    if (!device || device.clientRef !== client.id) {
      this.limiter.fail('token-ip', ip);
      throw new OAuthError('invalid_grant', 'The device code is not valid');
    }
    if (device.status === 'consumed')
      throw new OAuthError('invalid_grant', 'The device code was already exchanged for a token');
    const now = this.clock.now();
    if (Date.parse(device.expiresAt) <= now.getTime())
      throw new OAuthError('expired_token', 'The device code has expired; start again');
    const last = device.lastPollAt ? Date.parse(device.lastPollAt) : undefined;
    await this.repos.oauth.touchDevice(device.id, now.toISOString());
    if (last !== undefined && now.getTime() - last < device.intervalSeconds * 1000 - POLL_SLACK_MS)
      throw new OAuthError(
        'slow_down',
        `Polling too fast: wait ${device.intervalSeconds} seconds between requests`,
      );
    if (device.status === 'pending')
      throw new OAuthError('authorization_pending', 'User has not yet approved the access request');
    if (device.status === 'denied')
      throw new OAuthError('access_denied', 'User has denied the access request');
    if (!(await this.repos.oauth.transitionDevice(device.id, 'approved', 'consumed')))
      throw new OAuthError('invalid_grant', 'The device code was already exchanged for a token');
    const userId = device.userId!;
    const issued = await this.issueToken(userId, device.scope, client);
    await this.audit.record({
      action: 'oauth.token.grant',
      actorUserId: userId,
      targetKind: 'token',
      targetId: issued.id,
      ip,
      detail: { grant: 'device', clientId: client.clientId, scope: device.scope },
    });
    return issued.response;
  }

  /**
   * The pending device authorization a signed-in user typed the code of, with its client.
   * Wrong codes count against the account.
   */
  async pendingDevice(
    user: User,
    typed: string,
  ): Promise<{ device: DeviceAuthorization; client: OAuthClient }> {
    this.limiter.check('user-code-account', user.id);
    const device = await this.repos.oauth.findDeviceByUserCode(normalizeUserCode(typed));
    const client = device && (await this.repos.oauth.findClientByRef(device.clientRef));
    if (
      !device ||
      !client ||
      device.status !== 'pending' ||
      Date.parse(device.expiresAt) <= this.clock.now().getTime()
    ) {
      this.limiter.fail('user-code-account', user.id);
      throw notFound('That code is not valid or has expired. Check it and try again.');
    }
    return { device, client };
  }

  /** The signed-in user approves or denies a device authorization. */
  async decideDevice(user: User, typed: string, approve: boolean, ip: string): Promise<void> {
    const { device, client } = await this.pendingDevice(user, typed);
    const moved = await this.repos.oauth.transitionDevice(
      device.id,
      'pending',
      approve ? 'approved' : 'denied',
      user.id,
    );
    if (!moved) throw new AppError('Conflict', 'This code was already approved or denied');
    await this.audit.record({
      action: approve ? 'oauth.device.approve' : 'oauth.device.deny',
      actorUserId: user.id,
      targetKind: 'oauth_client',
      targetId: client.id,
      ip,
      detail: { clientId: client.clientId, scope: device.scope },
    });
  }

  // --- tokens --------------------------------------------------------------------------------

  /** `GET oauthv2/token/current`: the token, its application, owner and scopes. */
  async tokenDetails(principal: Principal) {
    // A share link is presented like a token but is none (issue 4): it has no token record.
    if (principal.link)
      throw new AppError('Forbidden', 'A share link gives access to its project only');
    const clientRef = principal.token?.clientRef;
    const client = clientRef ? await this.repos.oauth.findClientByRef(clientRef) : undefined;
    return {
      id: principal.tokenId,
      user: principal.user,
      client,
      createdAt: principal.token?.createdAt,
      expiresAt: principal.token?.expiresAt,
      scopes: formatScope(principal.scope)
        .split(', ')
        .filter((s) => s !== ''),
    };
  }

  /** Revokes the presented token (`DELETE oauthv2/token/current`). */
  async revokeCurrent(principal: Principal, token: string, ip: string): Promise<void> {
    await this.auth.revokeToken({ token }, { kind: 'user', id: principal.user.id }, ip);
    await this.audit.record({
      action: 'oauth.token.revoke',
      actorUserId: principal.user.id,
      targetKind: 'token',
      targetId: principal.tokenId,
      ip,
      detail: { by: 'api' },
    });
  }

  /** Revokes a token by id or by itself (`seqhub admin token revoke`); false when not live. */
  async revokeByAdmin(by: { id: string } | { token: string }): Promise<boolean> {
    if ('id' in by && !/^[1-9]\d{0,18}$/.test(by.id))
      throw badRequest(`'${by.id.slice(0, 32)}' is not a token id`);
    const id = await this.auth.revokeToken(by);
    if (id)
      await this.audit.record({
        action: 'oauth.token.revoke',
        actorUserId: undefined,
        targetKind: 'token',
        targetId: id,
        ip: undefined,
        detail: { by: 'admin' },
      });
    return id !== undefined;
  }

  private async issueToken(userId: string, scope: string, client: OAuthClient) {
    const ttl = this.options.tokenTtlSeconds;
    const issued = await this.auth.createToken(userId, scope, {
      clientRef: client.id,
      ...(ttl > 0 ? { expiresAt: this.isoIn(ttl) } : {}),
    });
    const response: TokenResponse = {
      access_token: issued.token,
      token_type: 'Bearer',
      ...(ttl > 0 ? { expires_in: ttl } : {}),
      scope: issued.scope,
    };
    return { id: issued.id, response };
  }

  private isoNow(): string {
    return this.clock.now().toISOString();
  }

  private isoIn(seconds: number): string {
    return new Date(this.clock.now().getTime() + seconds * 1000).toISOString();
  }
}
