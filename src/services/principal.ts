import type { AccessToken, Scope, User } from '../domain/index.js';

/** Who is calling, and what their token's scope allows. */
export interface Principal {
  user: User;
  scope: Scope;
  tokenId: string;
  /** The token's record (its client and expiry, for token/current). */
  token?: AccessToken | undefined;
  /**
   * Set when the caller holds a share link (issue 4) instead of a user token: `user` is then a
   * placeholder that owns nothing, and the scope is `read project <projectId>`.
   */
  link?: { id: string; projectId: string } | undefined;
  /** Where the request came from (for the audit log); set per request by the HTTP layer. */
  clientIp?: string | undefined;
}
