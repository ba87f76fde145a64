import { AppError, type User } from '../domain/index.js';
import type { Principal } from './principal.js';

export class UserService {
  /** `users/current` works with any valid token, even one with an empty scope (spec 4.1). */
  current(principal: Principal): User {
    return principal.user;
  }

  /** `users/{id}`: only `current` or the caller's own id (spec 1.7). */
  byId(principal: Principal, rawId: string): User {
    if (rawId === 'current' || rawId === principal.user.id) return principal.user;
    throw new AppError(
      'BASESPACE.USERS.USER_ID_NOT_VALID',
      "Given user is not valid. Only 'current' user is allowed for this request",
    );
  }
}
