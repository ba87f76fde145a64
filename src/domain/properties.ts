import { AppError, type ErrorCode } from './errors.js';
import { parseHref, type ResourceKind } from './ids.js';

/**
 * BaseSpace Properties (spec 5): typed, namespaced metadata on every resource but Genome. This
 * module is the pure part: type names, the naming rule, and turning a POSTed property into a
 * validated value. Resolving references against the database is the service's job.
 */
export const ReferenceKinds = [
  'project',
  'run',
  'sample',
  'appresult',
  'appsession',
  'file',
] as const;
export type ReferenceKind = (typeof ReferenceKinds)[number];

export const PropertyTypes = [
  'string',
  'string[]',
  ...ReferenceKinds,
  ...ReferenceKinds.map((k) => `${k}[]` as const),
  'map',
  'map[]',
] as const;
export type PropertyType = (typeof PropertyTypes)[number];

export interface MapEntry {
  key: string;
  values: string[];
}

export interface Ref {
  kind: ReferenceKind;
  id: string;
}

export type PropertyValue =
  | { type: 'string'; content: string }
  | { type: 'string[]'; items: string[] }
  | { type: ReferenceKind; content: Ref }
  | { type: `${ReferenceKind}[]`; items: Ref[] }
  | { type: 'map'; content: MapEntry[] }
  | { type: 'map[]'; items: MapEntry[][] };

export interface PropertyInput {
  name: string;
  description: string;
  value: PropertyValue;
}

/** Limits the spec leaves open (UNCONFIRMED there; ours, documented in docs/api-choices.md). */
export const PROPERTY_LIMITS = {
  /** Spec 5.2: a 67-character name is too long ("greater than 64"). */
  nameMax: 64,
  /** Spec 5.2: '' and 'a' are NAME_LENGTH: the shortest legal name is `a.b`. */
  nameMin: 3,
  /** Properties in one POST; the C# tests post 65 at once. */
  perRequest: 1000,
  /** Properties on one resource. */
  perResource: 1000,
  /** Items of one `[]` property. */
  items: 10_000,
  /** Characters of one string Content, item or map value. */
  contentChars: 64 * 1024,
  descriptionChars: 1024,
  mapEntries: 1000,
  mapValues: 1000,
  mapKeyMax: 64,
} as const;

const fail = (code: ErrorCode, message: string) => new AppError(code, message);

const NAME_RULE = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$/;
/** Map keys may hold `.` and `-` (`label.x-axis`, `Input.<attr>`), not `$` or spaces (spec 5.2). */
const MAP_KEY_RULE = /^[A-Za-z0-9_.\-<>]+$/;

/** Spec 5.2: 2+ dot-separated segments of letters, digits, `-`, `_`; first starts alphanumeric. */
export function checkPropertyName(raw: unknown): string {
  if (
    typeof raw !== 'string' ||
    raw.length < PROPERTY_LIMITS.nameMin ||
    raw.length > PROPERTY_LIMITS.nameMax
  ) {
    throw fail(
      'BASESPACE.PROPERTIES.NAME_LENGTH',
      `Property name must be ${PROPERTY_LIMITS.nameMin} to ${PROPERTY_LIMITS.nameMax} characters`,
    );
  }
  if (!NAME_RULE.test(raw)) {
    throw fail(
      'BASESPACE.PROPERTIES.NAME_INVALID',
      `Property name '${raw}' is not valid: use dot-separated segments of letters, digits, '-' and '_', e.g. mytool.metrics.q30`,
    );
  }
  return raw;
}

/** Type names are case-insensitive on input (the Python SDK posts "String") and lower-case out. */
export function parsePropertyType(raw: unknown): PropertyType {
  const t = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
  const found = PropertyTypes.find((p) => p === t);
  if (!found) {
    throw fail(
      'BASESPACE.PROPERTIES.TYPE_INVALID',
      `Property type '${String(raw).slice(0, 40)}' is not one of ${PropertyTypes.join(', ')}`,
    );
  }
  return found;
}

function text(raw: unknown, what: string): string {
  if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
  if (typeof raw !== 'string')
    throw fail('BASESPACE.PROPERTIES.CONTENT_INVALID', `${what} must be a string`);
  if (raw.length > PROPERTY_LIMITS.contentChars) {
    throw fail(
      'BASESPACE.PROPERTIES.CONTENT_LENGTH',
      `${what} is longer than ${PROPERTY_LIMITS.contentChars} characters`,
    );
  }
  if (/\u0000/.test(raw))
    throw fail('BASESPACE.PROPERTIES.CONTENT_INVALID', `${what} must not contain NUL characters`);
  return raw;
}

/** A reference is an href with or without the version prefix (spec 5.3), of the declared kind. */
function reference(raw: unknown, kind: ReferenceKind): Ref {
  const parsed = typeof raw === 'string' ? parseHref(raw) : undefined;
  if (!parsed || parsed.kind !== (kind as ResourceKind)) {
    throw fail(
      'BASESPACE.PROPERTIES.CONTENT_REFERENCE_INVALID',
      `'${String(raw).slice(0, 80)}' is not a ${kind} reference such as v1pre3/${kind}s/123`,
    );
  }
  return { kind, id: parsed.id };
}

function mapOf(raw: unknown): MapEntry[] {
  if (!Array.isArray(raw))
    throw fail('BASESPACE.PROPERTIES.CONTENT_INVALID', 'A map is a list of {Key, Values}');
  if (raw.length > PROPERTY_LIMITS.mapEntries) {
    throw fail(
      'BASESPACE.PROPERTIES.ITEMS_LIMIT',
      `A map may have at most ${PROPERTY_LIMITS.mapEntries} keys`,
    );
  }
  const seen = new Set<string>();
  return raw.map((entry) => {
    const e = lowerKeys(entry);
    const key = e.key;
    if (
      typeof key !== 'string' ||
      key.length === 0 ||
      key.length > PROPERTY_LIMITS.mapKeyMax ||
      !MAP_KEY_RULE.test(key)
    ) {
      throw fail(
        'BASESPACE.PROPERTIES.CONTENT_MAP_KEY_INVALID',
        `Map key '${String(key).slice(0, 80)}' is not valid`,
      );
    }
    if (seen.has(key))
      throw fail('BASESPACE.PROPERTIES.CONTENT_MAP_DUPES', `Map key '${key}' appears twice`);
    seen.add(key);
    const values = e.values ?? [];
    if (!Array.isArray(values) || values.length > PROPERTY_LIMITS.mapValues) {
      throw fail(
        'BASESPACE.PROPERTIES.CONTENT_INVALID',
        `Values of map key '${key}' must be a list of at most ${PROPERTY_LIMITS.mapValues} strings`,
      );
    }
    return { key, values: values.map((v) => text(v, `A value of map key '${key}'`)) };
  });
}

/** Object keys lower-cased: clients send Content/content, Items/items, ContentMap/ItemsMap. */
function lowerKeys(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw fail('BASESPACE.PROPERTIES.CONTENT_INVALID', 'Each property must be an object');
  }
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.toLowerCase(), v]));
}

function itemsOf(p: Record<string, unknown>, ...keys: string[]): unknown[] | undefined {
  for (const k of keys) {
    const v = p[k];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v))
      throw fail('BASESPACE.PROPERTIES.CONTENT_INVALID', `${k} must be a list`);
    if (v.length > PROPERTY_LIMITS.items) {
      throw fail(
        'BASESPACE.PROPERTIES.ITEMS_LIMIT',
        `A property may have at most ${PROPERTY_LIMITS.items} items`,
      );
    }
    return v;
  }
  return undefined;
}

/**
 * One property of a `POST .../properties` body (spec 5.3) to a validated input. Duplicate string
 * items are kept; duplicate references collapse to one (spec 5.2).
 */
export function parseProperty(raw: unknown): PropertyInput {
  const p = lowerKeys(raw);
  const name = checkPropertyName(p.name);
  const description =
    p.description === undefined || p.description === null ? '' : text(p.description, 'Description');
  if (description.length > PROPERTY_LIMITS.descriptionChars) {
    throw fail(
      'BASESPACE.PROPERTIES.CONTENT_LENGTH',
      `Description is longer than ${PROPERTY_LIMITS.descriptionChars} characters`,
    );
  }
  const type = p.type === undefined ? inferType(p) : parsePropertyType(p.type);
  return { name, description, value: valueOf(type, p) };
}

function inferType(p: Record<string, unknown>): PropertyType {
  if (typeof p.content === 'string') return 'string';
  if (p.contentmap !== undefined) return 'map';
  if (p.itemsmap !== undefined) return 'map[]';
  const items = p.items;
  if (Array.isArray(items) && items.length > 0 && items.every((i) => typeof i === 'string'))
    return 'string[]';
  throw fail(
    'BASESPACE.PROPERTIES.TYPE_INVALID',
    'Property Type is required when it cannot be told from the content',
  );
}

function valueOf(type: PropertyType, p: Record<string, unknown>): PropertyValue {
  switch (type) {
    case 'string':
      return { type, content: text(p.content ?? '', 'Content') };
    case 'string[]':
      return { type, items: (itemsOf(p, 'items') ?? []).map((i) => text(i, 'An item')) };
    case 'map':
      return { type, content: mapOf(p.contentmap ?? p.content ?? []) };
    case 'map[]':
      return { type, items: (itemsOf(p, 'itemsmap', 'items') ?? []).map(mapOf) };
    default: {
      if (type.endsWith('[]')) {
        const kind = type.slice(0, -2) as ReferenceKind;
        const refs = (itemsOf(p, 'items') ?? []).map((i) => reference(i, kind));
        const unique = refs.filter((r, i) => refs.findIndex((o) => o.id === r.id) === i);
        return { type: type as `${ReferenceKind}[]`, items: unique };
      }
      return { type: type as ReferenceKind, content: reference(p.content, type as ReferenceKind) };
    }
  }
}

/** The `Properties` list of a POST body, with the per-request limit and duplicate names checked. */
export function parsePropertyList(body: unknown): PropertyInput[] {
  const list = (
    typeof body === 'object' && body !== null ? lowerKeys(body).properties : undefined
  ) as unknown;
  if (!Array.isArray(list)) throw fail('BadRequest', 'The body must be {"Properties": [...]}');
  if (list.length > PROPERTY_LIMITS.perRequest) {
    throw fail(
      'BASESPACE.PROPERTIES.ITEMS_LIMIT',
      `At most ${PROPERTY_LIMITS.perRequest} properties per request`,
    );
  }
  const parsed = list.map(parseProperty);
  const names = new Set<string>();
  for (const p of parsed) {
    if (names.has(p.name))
      throw fail('BASESPACE.PROPERTIES.DUPLICATE_NAMES', `Property '${p.name}' appears twice`);
    names.add(p.name);
  }
  return parsed;
}

/** Whether a value holds several items (the `[]` types), for `.../items`. */
export const isMultiValue = (v: PropertyValue): v is Extract<PropertyValue, { items: unknown }> =>
  'items' in v;

/** Resources that carry properties: every one but Genome, the same kinds a property can name. */
export const PropertyOwners = ReferenceKinds;
export type PropertyOwner = (typeof PropertyOwners)[number];

/** A stored property. */
export interface PropertyRecord {
  id: string;
  owner: PropertyOwner;
  ownerId: string;
  name: string;
  description: string;
  value: PropertyValue;
  itemsCount: number;
  modifiedBy: string;
  createdAt: string;
  modifiedAt: string;
}

/** Items of a `[]` value, or the single content as a one-item list. */
export function valueItems(value: PropertyValue): unknown[] {
  return isMultiValue(value) ? (value.items as unknown[]) : [value.content];
}

/**
 * What an exact-match list filter (`PropertyName=...&PropertyValue=...`, docs/api-choices.md
 * "Property filters") compares with: a string's content, each item of a `string[]`, the id a
 * reference names (each id of a reference list). Maps are not matched.
 */
export function matchableValues(value: PropertyValue): string[] {
  switch (value.type) {
    case 'string':
      return [value.content];
    case 'string[]':
      return [...new Set(value.items)];
    case 'map':
    case 'map[]':
      return [];
    default:
      return isMultiValue(value)
        ? [...new Set((value.items as Ref[]).map((r) => r.id))]
        : [(value.content as Ref).id];
  }
}

/**
 * An exact-match property filter on a list (`PropertyName=...&PropertyValue=...`,
 * docs/api-choices.md "Property filters"): resources whose property `name` holds `value` (a
 * string, an item of a string list, or the id a reference names).
 */
export interface PropertyMatch {
  name: string;
  value: string;
}

/**
 * `PropertyName` + `PropertyValue` of a list request (docs/api-choices.md "Property filters"):
 * both or neither (400 BadRequest); the name must be a valid property name (spec 5.2 codes).
 */
export function parsePropertyMatch(
  name: string | undefined,
  value: string | undefined,
): PropertyMatch | undefined {
  if (name === undefined && value === undefined) return undefined;
  if (name === undefined || value === undefined)
    throw new AppError(
      'BadRequest',
      'Invalid query parameters: PropertyName and PropertyValue go together; give both or neither',
    );
  return { name: checkPropertyName(name), value };
}
