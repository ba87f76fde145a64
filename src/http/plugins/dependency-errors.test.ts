import { describe, expect, it } from 'vitest';
import { dependencyFailure } from './dependency-errors.js';

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('dependencyFailure', () => {
  it('sees an unreachable database or store in the shapes the drivers throw', () => {
    expect(dependencyFailure(withCode('ECONNREFUSED'))).toBe('unavailable');
    expect(dependencyFailure(withCode('57P01', 'terminating connection'))).toBe('unavailable');
    expect(dependencyFailure(withCode('08006'))).toBe('unavailable');
    expect(dependencyFailure(new Error('Connection terminated unexpectedly'))).toBe('unavailable');
    // better-sqlite3 after its busy timeout: another process held the write lock.
    expect(dependencyFailure(withCode('SQLITE_BUSY'))).toBe('unavailable');
    expect(dependencyFailure(withCode('SQLITE_BUSY_SNAPSHOT'))).toBe('unavailable');
    const s3 = Object.assign(new Error('Service Unavailable'), {
      name: 'ServiceUnavailable',
      $metadata: { httpStatusCode: 503 },
    });
    expect(dependencyFailure(s3)).toBe('unavailable');
    // AggregateError (pg's connect to several addresses) and causes are looked into.
    expect(dependencyFailure(new AggregateError([withCode('ECONNREFUSED')]))).toBe('unavailable');
    expect(dependencyFailure(new Error('wrapped', { cause: withCode('ETIMEDOUT') }))).toBe(
      'unavailable',
    );
  });

  it('sees a full disk', () => {
    expect(dependencyFailure(withCode('ENOSPC'))).toBe('full');
    expect(dependencyFailure(withCode('SQLITE_FULL'))).toBe('full');
  });

  it('leaves everything else a bug (500)', () => {
    expect(dependencyFailure(new TypeError('x is undefined'))).toBeUndefined();
    expect(dependencyFailure(withCode('23505', 'duplicate key'))).toBeUndefined();
    expect(dependencyFailure(withCode('SQLITE_CONSTRAINT_UNIQUE'))).toBeUndefined();
    const notFound = Object.assign(new Error('NoSuchKey'), {
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
    expect(dependencyFailure(notFound)).toBeUndefined();
    expect(dependencyFailure('a string')).toBeUndefined();
    expect(dependencyFailure(undefined)).toBeUndefined();
  });
});
