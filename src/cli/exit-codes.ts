import { ApiError, NetworkError, isAbortError } from '../sdk/index.js';
import { CliError } from './runtime.js';

/** Exit codes of client commands (docs/cli.md "Exit codes"); scripts test them: keep them. */
export const ExitCodes = {
  ok: 0,
  /** An unexpected error (a bug), or a command-line usage error reported by commander. */
  unexpected: 1,
  /** Bad input: a bad option value, no hub or token configured, an unreadable local file. */
  badInput: 2,
  /** The hub refused the token (401: unknown, expired, revoked) or the action (403). */
  auth: 3,
  /** The hub refused the request for another reason (a 4xx such as 400 or 409). */
  refused: 4,
  /** The hub cannot be reached, or kept failing (network errors, 5xx) after the retries. */
  network: 5,
  /** `run upload`: a file the run holds differs from the local one. */
  conflict: 6,
  /** The id (or name) given does not exist, or the token may not see it (404). */
  notFound: 7,
  /** Interrupted by SIGINT or SIGTERM. */
  interrupted: 130,
} as const;

/**
 * An SDK error as the one line and the exit code a client command ends with: the hub's message
 * and code for an ApiError, the reason for a NetworkError. Other errors are returned unchanged.
 */
export function cliErrorOf(error: unknown, signal?: AbortSignal): unknown {
  if (error instanceof CliError) return error;
  if (isAbortError(error) || signal?.aborted)
    return new CliError('interrupted', ExitCodes.interrupted);
  if (error instanceof NetworkError) return new CliError(error.message, ExitCodes.network);
  if (error instanceof ApiError) {
    const what = `${error.message || error.errorCode} (HTTP ${error.status} ${error.errorCode})`;
    if (error.status === 401)
      return new CliError(`the hub refused the access token: ${what}`, ExitCodes.auth);
    if (error.status === 403) return new CliError(`not allowed: ${what}`, ExitCodes.auth);
    if (error.status === 404) return new CliError(`not found: ${what}`, ExitCodes.notFound);
    if (error.status >= 500) return new CliError(`the hub failed: ${what}`, ExitCodes.network);
    return new CliError(`the hub refused: ${what}`, ExitCodes.refused);
  }
  return error;
}
