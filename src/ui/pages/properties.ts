import type { Resource } from '../../sdk/index.js';
import { h, table } from '../dom.js';
import { hub } from '../session.js';

type Kind = 'projects' | 'runs' | 'samples' | 'appresults' | 'appsessions' | 'files';

const value = (p: Resource): string => {
  if (p.Content !== undefined) {
    const c = p.Content;
    return typeof c === 'object' && c !== null
      ? String(c.Name ?? c.Id ?? JSON.stringify(c))
      : String(c);
  }
  if (Array.isArray(p.Items))
    return p.Items.map((i: unknown) =>
      typeof i === 'object' ? JSON.stringify(i) : String(i),
    ).join(', ');
  return p.ItemsDisplayedCount !== undefined ? `${p.ItemsTotalCount ?? ''} items` : '';
};

/** A table of an object's properties (name, type, value). */
export async function propertiesTable(
  kind: Kind,
  id: string,
  signal: AbortSignal,
): Promise<HTMLElement> {
  const page = await hub.listPropertiesRaw(kind, id, { limit: 1000, signal });
  return h(
    'section',
    { 'aria-label': 'Properties' },
    table(
      ['Name', 'Type', 'Value'],
      page.items.map((p) => [String(p.Name), String(p.Type), value(p)]),
      'No properties.',
    ),
  );
}
