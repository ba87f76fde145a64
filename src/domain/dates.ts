/**
 * BaseSpace writes .NET-style ISO-8601 timestamps with seven fractional digits and a `Z`
 * (spec 1.1), e.g. `2015-04-13T15:58:40.0000000Z`. We keep millisecond ISO strings inside and
 * widen them only here, at the edge.
 */
export function formatBaseSpaceDate(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?Z$/.exec(iso);
  if (!match) return new Date(iso).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
  return `${match[1]}.${(match[2] ?? '').padEnd(7, '0')}Z`;
}

/** Millisecond ISO string, fixed width, so text order is time order in both databases. */
export function isoNow(now: Date = new Date()): string {
  return now.toISOString();
}
