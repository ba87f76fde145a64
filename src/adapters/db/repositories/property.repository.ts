import type { Kysely } from 'kysely';
import type {
  Page,
  PageRequest,
  PropertyInput,
  PropertyOwner,
  PropertyRecord,
  PropertyValue,
} from '../../../domain/index.js';
import { isMultiValue, matchableValues } from '../../../domain/index.js';
import type { PropertyRepository } from '../../../ports.js';
import type { Database, PropertiesTable } from '../schema.js';
import { countAll, orderAndPage, pageOf, propertyValueKey, toId } from './common.js';

export class KyselyPropertyRepository implements PropertyRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => string,
  ) {}

  private of(owner: PropertyOwner, ownerId: string) {
    return this.db
      .selectFrom('properties as p')
      .where('p.resource_kind', '=', owner)
      .where('p.resource_id', '=', ownerId);
  }

  async list(
    owner: PropertyOwner,
    ownerId: string,
    page: PageRequest<'Name'>,
  ): Promise<Page<PropertyRecord>> {
    const base = this.of(owner, ownerId);
    const rows = orderAndPage(base.selectAll('p'), page, { Name: 'p.name' }, 'p.id').execute();
    return pageOf(base.select(countAll).executeTakeFirst(), rows, mapProperty);
  }

  async get(
    owner: PropertyOwner,
    ownerId: string,
    name: string,
  ): Promise<PropertyRecord | undefined> {
    const row = await this.of(owner, ownerId)
      .selectAll('p')
      .where('p.name', '=', name)
      .executeTakeFirst();
    return row && mapProperty(row);
  }

  async count(owner: PropertyOwner, ownerId: string): Promise<number> {
    return Number((await this.of(owner, ownerId).select(countAll).executeTakeFirst())?.n ?? 0);
  }

  async existingNames(
    owner: PropertyOwner,
    ownerId: string,
    names: readonly string[],
  ): Promise<string[]> {
    if (names.length === 0) return [];
    const rows = await this.of(owner, ownerId)
      .select('p.name')
      .where('p.name', 'in', [...names])
      .execute();
    return rows.map((r) => r.name);
  }

  async upsert(
    owner: PropertyOwner,
    ownerId: string,
    inputs: readonly PropertyInput[],
    userId: string,
  ): Promise<PropertyRecord[]> {
    const at = this.now();
    const out: PropertyRecord[] = [];
    for (const input of inputs) {
      const { type, ...rest } = input.value;
      const values = {
        type,
        description: input.description,
        value: JSON.stringify(rest),
        items_count: isMultiValue(input.value) ? input.value.items.length : 1,
        modified_by: userId,
        modified_at: at,
      };
      const row = await this.db
        .insertInto('properties')
        .values({
          resource_kind: owner,
          resource_id: ownerId,
          name: input.name,
          created_at: at,
          ...values,
        })
        .onConflict((oc) =>
          oc.columns(['resource_kind', 'resource_id', 'name']).doUpdateSet(values),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      const record = mapProperty(row);
      await writeValues(this.db, record);
      out.push(record);
    }
    return out;
  }

  async delete(owner: PropertyOwner, ownerId: string, name: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('properties')
      .where('resource_kind', '=', owner)
      .where('resource_id', '=', ownerId)
      .where('name', '=', name)
      .executeTakeFirst();
    await this.db
      .deleteFrom('property_values')
      .where('resource_kind', '=', owner)
      .where('resource_id', '=', ownerId)
      .where('name', '=', name)
      .execute();
    return Number(result.numDeletedRows) > 0;
  }
}

/** Rewrites the `property_values` rows of one property from its value. */
async function writeValues(db: Kysely<Database>, p: PropertyRecord): Promise<void> {
  await db
    .deleteFrom('property_values')
    .where('resource_kind', '=', p.owner)
    .where('resource_id', '=', p.ownerId)
    .where('name', '=', p.name)
    .execute();
  const values = matchableValues(p.value);
  for (let i = 0; i < values.length; i += 500)
    await db
      .insertInto('property_values')
      .values(
        values.slice(i, i + 500).map((v) => ({
          resource_kind: p.owner,
          resource_id: p.ownerId,
          name: p.name,
          value_hash: propertyValueKey(v),
        })),
      )
      .execute();
}

/** Fills `property_values` from the properties that existed before migration 0006. */
export async function backfillPropertyValues(db: Kysely<Database>): Promise<void> {
  let after: string | number = 0;
  for (;;) {
    const rows = await db
      .selectFrom('properties')
      .selectAll()
      .where('id', '>', after)
      .orderBy('id')
      .limit(1000)
      .execute();
    if (rows.length === 0) break;
    for (const row of rows) await writeValues(db, mapProperty(row));
    after = rows.at(-1)!.id;
  }
}

type PropertyRow = {
  [K in keyof PropertiesTable]: K extends 'id' ? number | string : PropertiesTable[K];
};

function mapProperty(r: PropertyRow): PropertyRecord {
  return {
    id: toId(r.id),
    owner: r.resource_kind as PropertyOwner,
    ownerId: toId(r.resource_id),
    name: r.name,
    description: r.description,
    value: { type: r.type, ...(JSON.parse(r.value) as object) } as PropertyValue,
    itemsCount: r.items_count,
    modifiedBy: toId(r.modified_by),
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
  };
}
