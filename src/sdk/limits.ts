import { sleep } from './retry.js';

/**
 * Runs `work` on every item with at most `concurrency` at once; resolves with the results in
 * input order. The first failure stops new work from starting and is rethrown once the running
 * calls have settled (so no call outlives the returned promise).
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index]!, index);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker),
  );
  if (failed) throw failed.error;
  return results;
}

/**
 * Paces requests so that on average at most `bytesPerSecond` leave: each request reserves its
 * bytes' share of time and waits until its slot starts. Request-grained (a body is sent at full
 * speed once its slot comes), which is what `fetch` with a Blob body allows in every runtime.
 */
export class RateLimiter {
  private cursor = 0;
  constructor(readonly bytesPerSecond: number) {
    if (!(bytesPerSecond > 0)) throw new RangeError('bytesPerSecond must be positive');
  }

  async acquire(bytes: number, signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    const start = Math.max(now, this.cursor);
    this.cursor = start + (bytes / this.bytesPerSecond) * 1000;
    if (start > now) await sleep(start - now, signal);
  }
}
