import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * BaseSpace clients disagree on casing: `appsessionid` vs `Offset`, `{"status": ...}` vs
 * `{"Status": ...}`, `SortDir=asc` (spec 1.1). Before validation, every query and body key is
 * renamed to the spelling its route schema declares, and enum values to their declared case.
 * Driven by the schemas, so a new route gets it for free.
 */
interface KeyMap {
  keys: Map<string, string>;
  enums: Map<string, Map<string, string>>;
}

const cache = new WeakMap<object, KeyMap>();

function keyMapOf(schema: unknown): KeyMap | undefined {
  if (!schema || typeof schema !== 'object') return undefined;
  const cached = cache.get(schema);
  if (cached) return cached;
  const properties =
    (schema as { properties?: Record<string, { enum?: unknown[] }> }).properties ?? {};
  const map: KeyMap = { keys: new Map(), enums: new Map() };
  for (const [name, prop] of Object.entries(properties)) {
    map.keys.set(name.toLowerCase(), name);
    if (Array.isArray(prop.enum)) {
      map.enums.set(
        name,
        new Map(
          prop.enum
            .filter((v) => typeof v === 'string')
            .map((v) => [(v as string).toLowerCase(), v as string]),
        ),
      );
    }
  }
  cache.set(schema, map);
  return map;
}

function normalize(input: Record<string, unknown>, map: KeyMap): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const canonical = map.keys.get(key.toLowerCase()) ?? key;
    // The declared spelling wins when a client sends both `Name` and `name`.
    if (canonical !== key && Object.prototype.hasOwnProperty.call(input, canonical)) continue;
    const enumValues = map.enums.get(canonical);
    out[canonical] =
      enumValues && typeof value === 'string'
        ? (enumValues.get(value.toLowerCase()) ?? value)
        : value;
  }
  return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function caseInsensitiveParams(app: FastifyInstance): void {
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const schema = request.routeOptions.schema;
    if (!schema) return;
    const queryMap = keyMapOf(schema.querystring);
    if (queryMap && isPlainObject(request.query))
      request.query = normalize(request.query, queryMap);
    const bodyMap = keyMapOf(schema.body);
    if (bodyMap && isPlainObject(request.body)) request.body = normalize(request.body, bodyMap);
  });
}
