import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import {
  AppSessionStatuses,
  DEFAULT_LIMIT,
  badRequest,
  type AppSessionStatus,
  type Page,
  type PageRequest,
  type SortDir,
} from '../../domain/index.js';
import type { PresentContext } from '../presenters/context.js';

/**
 * Sends a stored object's bytes: all of its `size`, or `range` (inclusive ends) as a 206 with its
 * Content-Range, each with its Content-Length. A HEAD gets the headers alone and `open` is not
 * called: Fastify's HEAD route would drain a body stream (reading a 2 GiB object for a 2 GiB
 * file) and counts any other payload as the Content-Length.
 */
export async function sendBytes(
  request: FastifyRequest,
  reply: FastifyReply,
  size: number,
  range: { start: number; end: number } | undefined,
  open: () => Promise<Readable>,
) {
  if (range) {
    reply.status(206);
    reply.header('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    reply.header('Content-Length', String(range.end - range.start + 1));
  } else {
    reply.header('Content-Length', String(size));
  }
  if (request.method === 'HEAD') return reply.send(Readable.from([]));
  return reply.send(await open());
}

/** One object in the v1 envelope. */
export const ok = <T>(response: T) => ({
  Response: response,
  ResponseStatus: {},
  Notifications: [] as unknown[],
});

/**
 * The v1 envelope of `response` as JSON text in two halves around the value of its array field
 * `field` (given as `[]`, in its place), for answers that write that array's JSON themselves
 * (variant pages, coverage means): the envelope's other fields still come from {@link ok}.
 */
export function okAround(response: object, field: string): [head: string, tail: string] {
  const text = JSON.stringify(ok(response));
  // Only the field's own key can match: inside a JSON string every `"` is escaped.
  const marker = `"${field}":[]`;
  const at = text.indexOf(marker) + marker.length - 1;
  return [text.slice(0, at), text.slice(at)];
}

/** One page in the v1 list envelope (spec 1.6): DisplayedCount is always Items.length. */
export function okList<T, W>(page: Page<T>, request: PageRequest, present: (item: T) => W) {
  const items = page.items.map(present);
  return ok({
    Items: items,
    DisplayedCount: items.length,
    TotalCount: page.totalCount,
    Offset: request.offset,
    Limit: request.limit,
    SortDir: request.sortDir,
    SortBy: request.sortBy,
  });
}

/** Paging from a validated query; SortBy defaults to Id ascending (spec 1.6, UNCONFIRMED default). */
export function pageRequest<S extends string>(
  query: { Offset?: number; Limit?: number; SortBy?: S; SortDir?: SortDir },
  defaultSort: S,
): PageRequest<S> {
  return {
    offset: query.Offset ?? 0,
    limit: query.Limit ?? DEFAULT_LIMIT,
    sortBy: query.SortBy ?? defaultSort,
    sortDir: query.SortDir ?? 'Asc',
  };
}

/** `Statuses=complete,Running`: comma list, case-insensitive (spec 1.6). */
export function parseStatuses(raw: string | undefined): AppSessionStatus[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw.split(',').map((part) => {
    const found = AppSessionStatuses.find((s) => s.toLowerCase() === part.trim().toLowerCase());
    if (!found)
      throw badRequest(
        `Invalid query parameter Statuses: '${part.trim().slice(0, 40)}' is not one of ${AppSessionStatuses.join(', ')}`,
      );
    return found;
  });
}

/**
 * A free-text filter (`Name`, barcodes, `InstrumentType`). Stored names never hold control
 * characters, so such a filter could match nothing; and PostgreSQL text cannot hold NUL at all.
 */
export function filterText(raw: string | undefined, param: string): string | undefined {
  if (raw !== undefined && /[\u0000-\u001f\u007f-\u009f]/.test(raw)) {
    throw badRequest(`Invalid query parameter ${param}: must not contain control characters`);
  }
  return raw;
}

/** Where this hub is, as the client reached it, unless configured. */
export function presentContext(
  request: FastifyRequest,
  publicUrl: string | undefined,
): PresentContext {
  return { origin: publicUrl ?? `${request.protocol}://${request.host}` };
}

/** `Ownership=Owned|Shared|All` on users/{id}/projects and .../runs (issue 4). */
export function ownershipOf(
  raw: 'All' | 'Owned' | 'Shared' | undefined,
): 'all' | 'owned' | 'shared' | undefined {
  return raw === undefined ? undefined : (raw.toLowerCase() as 'all' | 'owned' | 'shared');
}
