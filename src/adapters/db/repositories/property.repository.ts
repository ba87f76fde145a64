import type { Kysely } from 'kysely';
import type {
  Page,
  PageRequest,
  PropertyInput,
  PropertyOwner,
  PropertyRecord,
  PropertyValue,
} from '../../../domain/index.js';
import { isMultiValue } from '../../../domain/index.js';
import type { PropertyRepository } from '../../../ports.js';
import type { Database, PropertiesTable } from '../schema.js';
import { countAll, orderAndPage, pageOf, toId } from './common.js';

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
      out.push(mapProperty(row));
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
    return Number(result.numDeletedRows) > 0;
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
