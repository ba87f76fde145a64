import type { Page } from './types.js';

/** Largest page the hub returns for any list (files lists stop at 1000: spec 1.6). */
export const MAX_PAGE_SIZE = 1000;

/**
 * Every item of a list, fetching pages of `pageSize` as the caller iterates (`Offset`/`Limit`,
 * until `TotalCount` items were seen or a page comes back empty). Stops between pages when
 * `signal` fires.
 */
export async function* paginate<T>(
  fetchPage: (offset: number, limit: number, signal?: AbortSignal) => Promise<Page<T>>,
  options: { pageSize?: number; signal?: AbortSignal } = {},
): AsyncGenerator<T, void, undefined> {
  const limit = Math.max(1, Math.min(options.pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE));
  for (let offset = 0; ;) {
    options.signal?.throwIfAborted();
    const page = await fetchPage(offset, limit, options.signal);
    for (const item of page.items) yield item;
    offset += page.items.length;
    if (page.items.length === 0 || offset >= page.totalCount) return;
  }
}

/** Collects an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
