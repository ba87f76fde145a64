import type { AccessToken, Scope, User } from '../domain/index.js';

/** Who is calling, and what their token's scope allows. */
export interface Principal {
  user: User;
  scope: Scope;
  tokenId: string;
  /** The token's record (its client and expiry, for token/current). */
  token?: AccessToken | undefined;
}
