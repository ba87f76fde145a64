import { sql, type Kysely, type Migration } from 'kysely';
import { backfillPropertyValues } from '../repositories/property.repository.js';
import type { Database, DbKind } from '../schema.js';

/**
 * Property filters on resource lists (issue 5; docs/api-choices.md "Property filters"):
 * `property_values` holds one row per matchable value of a property (a string, each item of a
 * string[], each referenced id), keyed by a SHA-256 of the value, so a filter is an index lookup.
 * Search speed needed no schema change: see `SEARCH_MAX_HITS` in search.repository.ts.
 */
export function searchSpeedMigration(kind: DbKind): Migration {
  const refType = kind === 'postgres' ? 'bigint' : 'integer';
  const nameType = kind === 'postgres' ? sql`text collate "C"` : sql`text`;
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('property_values')
        .addColumn('resource_kind', 'text', (c) => c.notNull())
        .addColumn('resource_id', refType, (c) => c.notNull())
        .addColumn('name', nameType, (c) => c.notNull())
        .addColumn('value_hash', 'text', (c) => c.notNull())
        .execute();
      // Lookup by value (a list filter), and by resource (rewrite on set / delete).
      await sql`CREATE INDEX property_values_value_idx
        ON property_values (resource_kind, name, value_hash, resource_id)`.execute(db);
      await sql`CREATE INDEX property_values_resource_idx
        ON property_values (resource_kind, resource_id, name)`.execute(db);
      await backfillPropertyValues(db as Kysely<Database>);
    },
  };
}
