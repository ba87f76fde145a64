/** How a client retries: attempts after the first, and the backoff's base and ceiling. */
export interface RetryPolicy {
  /** Retries after the first attempt (default 5). 0 turns retries off. */
  retries: number;
  /** First backoff ceiling in ms (default 250); doubles each attempt. */
  baseDelayMs: number;
  /** Largest backoff in ms (default 20 s). */
  maxDelayMs: number;
  /** A Retry-After longer than this (ms, default 5 min) is not waited for: the error is thrown. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  retries: 5,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 300_000,
};

/**
 * Exponential backoff with full jitter (a uniform wait in [0, min(max, base * 2^attempt)]), so
 * many clients that failed together do not come back together. `attempt` counts from 0.
 */
export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * A `Retry-After` header (RFC 9110 10.2.3: delay-seconds or an HTTP-date) in ms from `now`;
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Waits `ms`, or rejects with the signal's reason as soon as it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
