import { AppError, type User } from '../domain/index.js';
import type { Principal } from './principal.js';

export class UserService {
  /** `users/current` works with any valid token, even one with an empty scope (spec 4.1). */
  current(principal: Principal): User {
    return this.byId(principal, 'current');
  }

  /**
   * `users/{id}`: only `current` or the caller's own id (spec 1.7). A share link is no user: it
   * reads its project and nothing else (issue 4), so every `users/...` route is a 403 for it.
   */
  byId(principal: Principal, rawId: string): User {
    if (principal.link)
      throw new AppError('Forbidden', 'A share link gives access to its project only');
    if (rawId === 'current' || rawId === principal.user.id) return principal.user;
    throw new AppError(
      'BASESPACE.USERS.USER_ID_NOT_VALID',
      "Given user is not valid. Only 'current' user is allowed for this request",
    );
  }
}
