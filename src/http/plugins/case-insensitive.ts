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

/** Whether every key is already spelled as declared and every enum value cased as declared. */
function canonical(input: Record<string, unknown>, map: KeyMap): boolean {
  for (const key in input) {
    if (map.keys.get(key.toLowerCase()) !== key) {
      // Undeclared keys are kept as sent; only a declared key in another case needs renaming.
      if (map.keys.has(key.toLowerCase())) return false;
      continue;
    }
    const value = input[key];
    const enumValues = map.enums.get(key);
    if (enumValues && typeof value === 'string' && enumValues.get(value.toLowerCase()) !== value)
      return false;
  }
  return true;
}

function normalize(input: Record<string, unknown>, map: KeyMap): Record<string, unknown> {
  // Most requests already use the declared spelling: they keep their object (no copy per request).
  if (canonical(input, map)) return input;
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
  // A callback hook, not an async one: it runs on every request (see ops.ts).
  app.addHook('preValidation', (request: FastifyRequest, _reply, done) => {
    const schema = request.routeOptions.schema;
    if (schema) {
      const queryMap = keyMapOf(schema.querystring);
      if (queryMap && isPlainObject(request.query))
        request.query = normalize(request.query, queryMap);
      const bodyMap = keyMapOf(schema.body);
      if (bodyMap && isPlainObject(request.body)) request.body = normalize(request.body, bodyMap);
    }
    done();
  });
}
