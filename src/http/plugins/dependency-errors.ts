/**
 * Which unexpected errors mean "a dependency failed" rather than "a bug" (issue 11, faults): the
 * database or the file storage cannot be reached right now (503, worth retrying), or the disk
 * under the data dir is full (507, not worth retrying soon). Anything else stays a 500.
 *
 * The errors come from drivers (pg, better-sqlite3, the AWS SDK, node:fs) through any layer, so
 * they are recognised here by their documented shapes: Node system error codes, PostgreSQL
 * SQLSTATEs, SQLite result codes, and the AWS SDK's `$metadata` and fault names.
 */
export type DependencyFailure = 'unavailable' | 'full';

/** Socket-level failures reaching PostgreSQL or an S3 endpoint (node:net, undici, pg). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** Out of space: Node (ENOSPC, EDQUOT) and SQLite (SQLITE_FULL, its extended codes). */
const FULL_CODES = /^(ENOSPC|EDQUOT|SQLITE_FULL.*)$/;

/**
 * SQLite still busy after its busy timeout (another process held the write lock that long), or
 * an I/O error reading or writing the database file.
 */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN).*$/;

/**
 * PostgreSQL SQLSTATEs of a server that is going away or not taking connections:
 * class 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot connect now),
 * 53300 (too many connections). https://www.postgresql.org/docs/15/errcodes-appendix.html
 */
const PG_UNAVAILABLE = /^(08...|57P0[1-3]|53300)$/;

/** node-postgres's own messages for a connection it lost or could not get from the pool. */
const PG_MESSAGES =
  /^(Connection terminated( unexpectedly| due to connection timeout)?|Client has encountered a connection error and is not queryable|timeout exceeded when trying to connect|Client was closed and is not queryable)$/;

/** AWS SDK fault names of a store that is overloaded, down or unreachable. */
const S3_UNAVAILABLE = new Set([
  'ServiceUnavailable',
  'SlowDown',
  'InternalError',
  'RequestTimeout',
  'TimeoutError',
  'NetworkingError',
]);

/** The failure `error` (or an error it wraps) stands for, or undefined when it is not one. */
export function dependencyFailure(error: unknown, depth = 0): DependencyFailure | undefined {
  if (depth > 5 || typeof error !== 'object' || error === null) return undefined;
  const e = error as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code !== undefined) {
    if (FULL_CODES.test(code)) return 'full';
    if (NETWORK_CODES.has(code) || SQLITE_UNAVAILABLE.test(code) || PG_UNAVAILABLE.test(code))
      return 'unavailable';
  }
  if (typeof e.message === 'string' && PG_MESSAGES.test(e.message)) return 'unavailable';
  if (e.$metadata !== undefined) {
    const status = e.$metadata.httpStatusCode;
    if (typeof e.name === 'string' && S3_UNAVAILABLE.has(e.name)) return 'unavailable';
    // A store that answered 5xx, or not at all (no status: the request never got an answer).
    if (status === undefined || (typeof status === 'number' && status >= 500)) return 'unavailable';
  }
  if (Array.isArray(e.errors))
    for (const inner of e.errors) {
      const found = dependencyFailure(inner, depth + 1);
      if (found) return found;
    }
  return dependencyFailure(e.cause, depth + 1);
}
