import { notFound } from './errors.js';

/** Largest id we hand out: ids are int64 in both databases. */
const MAX_ID = 9223372036854775807n;

/**
 * Parses an id from a path or an href. BaseSpace ids are positive decimal integers carried as
 * strings; anything else (`-1`, `0`, `error`, `&*%$`, beyond int64) names nothing, so it is a 404
 * (the C# SDK's tests accept 404 for these, and 404 leaks nothing).
 */
export function parseId(raw: string | number | undefined, what: string): string {
  const text = String(raw ?? '');
  if (!/^[1-9][0-9]{0,18}$/.test(text) || BigInt(text) > MAX_ID) {
    throw notFound(`${what} id '${truncateForMessage(text)}' doesn't exist`);
  }
  return text;
}

/** Keeps error messages short and printable whatever the client sent. */
export function truncateForMessage(text: string, max = 64): string {
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return printable.length > max ? `${printable.slice(0, max)}...` : printable;
}

/** Resource kinds that appear in hrefs (`v1pre3/{collection}/{id}`). */
export const HrefCollections = {
  project: 'projects',
  sample: 'samples',
  appresult: 'appresults',
  appsession: 'appsessions',
  run: 'runs',
  file: 'files',
  genome: 'genomes',
  user: 'users',
  application: 'applications',
} as const;

export type ResourceKind = keyof typeof HrefCollections;

export const API_VERSION = 'v1pre3';

/** Relative, version-prefixed href with no leading slash, as BaseSpace writes them. */
export function href(kind: ResourceKind, id: string, ...rest: string[]): string {
  return [API_VERSION, HrefCollections[kind], id, ...rest].join('/');
}

/**
 * Reads an href such as `v1pre3/samples/12`, `samples/12` or `/v1pre3/samples/12` and returns
 * its kind and id, or undefined when it is not a resource href at all.
 */
export function parseHref(value: string): { kind: ResourceKind; id: string } | undefined {
  const match = /^\/?(?:v1pre3\/)?([a-z]+)\/([^/?#]+)\/?$/i.exec(value.trim());
  if (!match) return undefined;
  const collection = match[1]!.toLowerCase();
  const kind = (Object.keys(HrefCollections) as ResourceKind[]).find(
    (k) => HrefCollections[k] === collection,
  );
  if (!kind) return undefined;
  return { kind, id: match[2]! };
}
