import { describe, expect, it } from 'vitest';
import { apiErrorOf } from './errors.js';
import { RateLimiter, mapConcurrent } from './limits.js';
import { paginate, collect } from './paging.js';
import { backoffDelay, parseRetryAfter } from './retry.js';

describe('backoff and Retry-After', () => {
  it('full jitter: uniform below a ceiling that doubles up to the maximum', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, policy, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(2, policy, () => 0.5)).toBe(200);
  });

  it('reads delay-seconds and HTTP-dates; ignores what it cannot read', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('error envelope', () => {
  it('decodes BaseSpace, OAuth and other bodies', () => {
    expect(
      apiErrorOf(
        409,
        '{"ResponseStatus":{"ErrorCode":"BASESPACE.RUNS.NOT_UPLOADING","Message":"Run 4 is Complete"}}',
      ),
    ).toMatchObject({
      status: 409,
      errorCode: 'BASESPACE.RUNS.NOT_UPLOADING',
      message: 'Run 4 is Complete',
    });
    expect(
      apiErrorOf(400, '{"error":"invalid_grant","error_description":"expired"}'),
    ).toMatchObject({
      errorCode: 'invalid_grant',
      message: 'expired',
    });
    expect(apiErrorOf(500, '')).toMatchObject({ errorCode: 'HTTP500', message: 'HTTP 500' });
  });
});

describe('concurrency and pacing', () => {
  it('mapConcurrent keeps at most n running, keeps order, stops at the first failure', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapConcurrent([5, 1, 4, 2, 3, 0], 2, async (x) => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, x * 3));
      running--;
      return x * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
    const started: number[] = [];
    await expect(
      mapConcurrent([1, 2, 3, 4], 1, async (x) => {
        started.push(x);
        if (x === 2) throw new Error('two');
      }),
    ).rejects.toThrow('two');
    expect(started).toEqual([1, 2]);
  });

  it('RateLimiter spaces requests by their bytes', async () => {
    const limiter = new RateLimiter(100_000);
    const started = Date.now();
    for (let i = 0; i < 4; i++) await limiter.acquire(10_000);
    // The first goes at once; the next three wait 100 ms each.
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('paginate stops on TotalCount or an empty page', async () => {
    const asked: number[] = [];
    const pages =
      (total: number, lie = false) =>
      async (offset: number, limit: number) => {
        asked.push(offset);
        const items = Array.from(
          { length: Math.max(0, Math.min(limit, total - offset)) },
          (_, i) => offset + i,
        );
        return { items, offset, limit, totalCount: lie ? 1e9 : total };
      };
    expect(await collect(paginate(pages(7), { pageSize: 3 }))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(asked).toEqual([0, 3, 6]);
    asked.length = 0;
    expect(await collect(paginate(pages(4, true), { pageSize: 2 }))).toEqual([0, 1, 2, 3]);
    expect(asked).toEqual([0, 2, 4]);
  });
});
