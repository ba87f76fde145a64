import type { Scope, User } from '../domain/index.js';

/** Who is calling, and what their token's scope allows. */
export interface Principal {
  user: User;
  scope: Scope;
  tokenId: string;
}
