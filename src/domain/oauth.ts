import { parseScope, type Scope, type ScopeClause } from './scopes.js';

/** A registered OAuth client (an Application in BaseSpace's words). The secret is only hashed. */
export interface OAuthClient {
  /** Row id, also its Application id (1001 and up). */
  id: string;
  clientId: string;
  name: string;
  redirectUris: string[];
  createdAt: string;
}

/** An authorization code (spec 1.3.1): single use, short-lived, bound to client and redirect. */
export interface AuthorizationCode {
  clientRef: string;
  userId: string;
  redirectUri: string;
  scope: string;
  expiresAt: string;
  usedAt: string | undefined;
}

export const DeviceStatuses = ['pending', 'approved', 'denied', 'consumed'] as const;
export type DeviceStatus = (typeof DeviceStatuses)[number];

/** A device authorization (spec 1.3.2) between `deviceauthorization` and the token it yields. */
export interface DeviceAuthorization {
  id: string;
  userCode: string;
  clientRef: string;
  scope: string;
  status: DeviceStatus;
  userId: string | undefined;
  intervalSeconds: number;
  lastPollAt: string | undefined;
  expiresAt: string;
}

/**
 * The redirect URI sent must equal a registered one, except that for `localhost` (and the
 * loopback addresses) scheme and port may differ (spec 1.3.1, RFC 8252 7.3).
 */
export function redirectUriMatches(registered: readonly string[], sent: string): boolean {
  if (registered.includes(sent)) return true;
  let url: URL;
  try {
    url = new URL(sent);
  } catch {
    return false;
  }
  if (!isLoopback(url.hostname)) return false;
  return registered.some((r) => {
    let reg: URL;
    try {
      reg = new URL(r);
    } catch {
      return false;
    }
    return (
      isLoopback(reg.hostname) &&
      reg.hostname === url.hostname &&
      reg.pathname === url.pathname &&
      reg.search === url.search
    );
  });
}

const isLoopback = (host: string) =>
  host === 'localhost' || host === '127.0.0.1' || host === '[::1]';

/** A redirect URI an admin may register: absolute http(s), no fragment (RFC 6749 3.1.2). */
export function validRedirectUri(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !text.includes('#');
  } catch {
    return false;
  }
}

const ACCESS_WORDS: Record<ScopeClause['access'], string> = {
  browse: 'see the names and details (no file contents) of',
  read: 'see and download',
  create: 'create new items in',
  write: 'see, download, create and change',
  audit: 'read the history of',
};

const TARGET_WORDS: Record<string, string> = {
  project: 'project',
  run: 'run',
  sample: 'sample',
  appresult: 'app result',
};

/** One clause in words, for the consent page (spec 1.4 table). */
export function describeClause(c: ScopeClause): string {
  if (c.target === 'projects') return 'create new projects';
  if (c.target === 'global')
    return `${ACCESS_WORDS[c.access]} all your projects, runs, samples and app results`;
  if (!('id' in c)) return `read the ${c.target} history feed`;
  return `${ACCESS_WORDS[c.access]} ${TARGET_WORDS[c.target] ?? c.target} ${c.id}`;
}

/** A scope in words: one line per clause; an empty scope is basic account information only. */
export function describeScope(scope: Scope | string): string[] {
  const parsed = typeof scope === 'string' ? parseScope(scope) : scope;
  if (parsed.length === 0) return ['see your name and email address'];
  return parsed.map(describeClause);
}

/**
 * An error of the OAuth endpoints (spec 1.3): rendered as a bare `{"error", "error_description"}`
 * object, not the v1 envelope. `error` is one of RFC 6749 5.2 / RFC 8628 3.5's codes.
 */
export class OAuthError extends Error {
  constructor(
    readonly error:
      | 'invalid_request'
      | 'invalid_client'
      | 'invalid_grant'
      | 'unauthorized_client'
      | 'unsupported_grant_type'
      | 'invalid_scope'
      | 'authorization_pending'
      | 'access_denied'
      | 'expired_token'
      | 'slow_down',
    readonly description: string,
    readonly httpStatus: number = error === 'invalid_client' ? 401 : 400,
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}
