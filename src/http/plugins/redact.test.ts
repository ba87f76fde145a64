import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact.js';

describe('redactUrl', () => {
  it('blanks the values of secret-bearing parameters, whatever their case', () => {
    expect(redactUrl('/v1pre3/users/current?access_token=abc&Limit=10')).toBe(
      '/v1pre3/users/current?access_token=[redacted]&Limit=10',
    );
    expect(redactUrl('/v1pre3/files/1/content?expires=9&signature=xyz')).toBe(
      '/v1pre3/files/1/content?expires=9&signature=[redacted]',
    );
    expect(redactUrl('/oauth/device?CODE=BCDF-GHJK')).toBe('/oauth/device?CODE=[redacted]');
    expect(redactUrl('/signin?next=%2Foauth%2Fdevice%3Fcode%3DX')).toBe('/signin?next=[redacted]');
    expect(redactUrl('/x?access%5Ftoken=abc')).toBe('/x?access%5Ftoken=[redacted]');
    expect(redactUrl('/plain')).toBe('/plain');
  });
});
