import {
  formatBaseSpaceDate as date,
  href,
  type MapEntry,
  type Page,
  type Ref,
} from '../../domain/index.js';
import type { PropertyView, ReferencedObject } from '../../services/index.js';
import * as present from './resources.presenter.js';

/** Items of a multi-value property shown inside a resource or a property list (UNCONFIRMED cap). */
export const EMBEDDED_ITEMS = 10;
/** Properties embedded in a resource's own response: the first page of `.../properties`. */
export const EMBEDDED_PROPERTIES = 50;

const KIND_HREF = {
  project: 'project',
  run: 'run',
  sample: 'sample',
  appresult: 'appresult',
  appsession: 'appsession',
  file: 'file',
} as const;

const map = (entries: MapEntry[]) => entries.map((e) => ({ Key: e.key, Values: e.values }));

function referenced(object: ReferencedObject): unknown {
  switch (object.kind) {
    case 'project':
      return present.projectCompact(object.value);
    case 'run':
      return present.runCompact(object.value);
    case 'sample':
      return present.sampleCompact(object.value);
    case 'appresult':
      return present.appResultCompact(object.value);
    case 'appsession':
      return present.appSessionCompact(object.value);
    case 'file':
      return present.file(object.value);
  }
}

/** One value: a string, a map, or the referenced object's compact form (or a not-accessible stub). */
export function contentOf(view: PropertyView, type: string, content: unknown): unknown {
  if (type === 'string' || type === 'string[]') return content;
  if (type === 'map' || type === 'map[]') return map(content as MapEntry[]);
  const ref = content as Ref;
  const object = view.refs.get(`${ref.kind}/${ref.id}`)?.object;
  // What the reader may not see is shown as a bare link marked inaccessible: nothing else leaks.
  return object
    ? referenced(object)
    : { Id: ref.id, Href: href(KIND_HREF[ref.kind], ref.id), IsAccessible: false };
}

export function property(
  view: PropertyView,
  resourceHref: string,
  options: { full?: boolean } = {},
) {
  const p = view.property;
  const v = p.value;
  const self = `${resourceHref}/properties/${encodeURIComponent(p.name)}`;
  const base = {
    Type: v.type,
    Href: self,
    Name: p.name,
    Description: p.description,
    ...(options.full && { DateModified: date(p.modifiedAt) }),
  };
  if (!('items' in v)) return { ...base, Content: contentOf(view, v.type, v.content) };
  const items = (v.items as unknown[]).slice(0, EMBEDDED_ITEMS);
  return {
    ...base,
    Items: items.map((item) => contentOf(view, v.type, item)),
    HrefItems: `${self}/items`,
    ItemsDisplayedCount: items.length,
    ItemsTotalCount: v.items.length,
  };
}

/** The `Properties` section of a resource (spec 5.4). */
export function container(page: Page<PropertyView>, resourceHref: string) {
  return {
    Items: page.items.map((v) => property(v, resourceHref)),
    DisplayedCount: page.items.length,
    TotalCount: page.totalCount,
    Href: `${resourceHref}/properties`,
  };
}
