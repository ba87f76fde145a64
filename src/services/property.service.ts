import {
  AppError,
  PROPERTY_LIMITS,
  badRequest,
  isMultiValue,
  parsePropertyList,
  type Access,
  type AppResult,
  type AppSession,
  type FileRecord,
  type Page,
  type PageRequest,
  type Project,
  type PropertyInput,
  type PropertyOwner,
  type PropertyRecord,
  type Ref,
  type Run,
  type Sample,
} from '../domain/index.js';
import type { Repositories } from '../ports.js';
import type { AccessService } from './access.service.js';
import type { Principal } from './principal.js';
import { faultPoint } from './fault-points.js';

/** What a reference names, when the reader may see it; undefined is "not accessible". */
export type ReferencedObject =
  | { kind: 'project'; value: Project }
  | { kind: 'run'; value: Run }
  | { kind: 'sample'; value: Sample }
  | { kind: 'appresult'; value: AppResult }
  | { kind: 'appsession'; value: AppSession }
  | { kind: 'file'; value: FileRecord };

export interface ResolvedRef {
  ref: Ref;
  object: ReferencedObject | undefined;
}

/** A property with its references looked up for one reader. */
export interface PropertyView {
  property: PropertyRecord;
  refs: Map<string, ResolvedRef>;
}

/** Properties of every resource but Genome (spec 5). */
export class PropertyService {
  constructor(
    private readonly repos: Repositories,
    private readonly access: AccessService,
  ) {}

  /**
   * The resource the properties belong to, checked for `need`. Setting properties on a project
   * or run takes `write`; on the samples, results, sessions and files an app creates, `create`
   * (the grant an app's own work runs under), like uploading their files.
   */
  async owner(
    principal: Principal,
    owner: PropertyOwner,
    id: string,
    need: 'browse' | 'set',
  ): Promise<string> {
    const access: Access =
      need === 'browse' ? 'browse' : owner === 'project' || owner === 'run' ? 'write' : 'create';
    switch (owner) {
      case 'project':
        return (await this.access.project(principal, id, access)).id;
      case 'run':
        return (await this.access.run(principal, id, access)).id;
      case 'sample':
        return (await this.access.sample(principal, id, access)).id;
      case 'appresult':
        return (await this.access.appResult(principal, id, access)).id;
      case 'appsession':
        return (await this.access.appSession(principal, id, access)).id;
      case 'file':
        return (await this.access.file(principal, id, access)).id;
    }
  }

  /** `POST .../properties`: creates or replaces each property whole; answers only those written. */
  async set(
    principal: Principal,
    owner: PropertyOwner,
    rawId: string,
    body: unknown,
  ): Promise<PropertyView[]> {
    const inputs = parsePropertyList(body);
    const id = await this.owner(principal, owner, rawId, 'set');
    await this.checkReferences(principal, inputs);
    const written = await this.repos.transaction(async (tx) => {
      const existing = await tx.properties.existingNames(
        owner,
        id,
        inputs.map((p) => p.name),
      );
      const total = (await tx.properties.count(owner, id)) + inputs.length - existing.length;
      if (total > PROPERTY_LIMITS.perResource) {
        throw new AppError(
          'BASESPACE.PROPERTIES.ITEMS_LIMIT',
          `A resource may have at most ${PROPERTY_LIMITS.perResource} properties`,
        );
      }
      const rows = await tx.properties.upsert(owner, id, inputs, principal.user.id);
      faultPoint('properties.written');
      if (owner !== 'appsession') await tx.search.reindex(owner, id); // search index (issue 5)
      return rows;
    });
    return this.views(principal, written);
  }

  async list(
    principal: Principal,
    owner: PropertyOwner,
    rawId: string,
    page: PageRequest<'Name'>,
  ): Promise<Page<PropertyView>> {
    const id = await this.owner(principal, owner, rawId, 'browse');
    return this.listOf(principal, owner, id, page);
  }

  /** The properties of a resource the caller has already been allowed to browse (embedded use). */
  async listOf(
    principal: Principal,
    owner: PropertyOwner,
    id: string,
    page: PageRequest<'Name'>,
  ): Promise<Page<PropertyView>> {
    const found = await this.repos.properties.list(owner, id, page);
    return { totalCount: found.totalCount, items: await this.views(principal, found.items) };
  }

  async get(
    principal: Principal,
    owner: PropertyOwner,
    rawId: string,
    name: string,
  ): Promise<PropertyView> {
    const id = await this.owner(principal, owner, rawId, 'browse');
    const property = await this.repos.properties.get(owner, id, name);
    if (!property)
      throw new AppError(
        'BASESPACE.PROPERTIES.NOT_FOUND',
        `Property '${name.slice(0, 80)}' not found`,
      );
    return (await this.views(principal, [property]))[0]!;
  }

  /** `.../properties/{name}/items`: a page of a multi-value property's items (spec 5.5). */
  async items(
    principal: Principal,
    owner: PropertyOwner,
    rawId: string,
    name: string,
    page: { offset: number; limit: number; sortDir: 'Asc' | 'Desc' },
  ): Promise<{
    view: PropertyView;
    items: { index: number; content: unknown }[];
    totalCount: number;
  }> {
    const view = await this.get(principal, owner, rawId, name);
    const value = view.property.value;
    if (!isMultiValue(value))
      throw badRequest(`Property '${name}' has a single value: read it at .../properties/${name}`);
    const all = (value.items as unknown[]).map((content, index) => ({ index, content }));
    if (page.sortDir === 'Desc') all.reverse();
    return {
      view,
      items: all.slice(page.offset, page.offset + page.limit),
      totalCount: all.length,
    };
  }

  async delete(
    principal: Principal,
    owner: PropertyOwner,
    rawId: string,
    name: string,
  ): Promise<void> {
    const id = await this.owner(principal, owner, rawId, 'set');
    await this.repos.transaction(async (tx) => {
      if (!(await tx.properties.delete(owner, id, name))) {
        throw new AppError(
          'BASESPACE.PROPERTIES.NOT_FOUND',
          `Property '${name.slice(0, 80)}' not found`,
        );
      }
      if (owner !== 'appsession') await tx.search.reindex(owner, id); // search index (issue 5)
    });
  }

  /** Every reference written must name something the writer can see (spec 5.2: else 409). */
  private async checkReferences(
    principal: Principal,
    inputs: readonly PropertyInput[],
  ): Promise<void> {
    for (const input of inputs) {
      const v = input.value;
      const refs: Ref[] =
        v.type === 'string' || v.type === 'string[]' || v.type === 'map' || v.type === 'map[]'
          ? []
          : isMultiValue(v)
            ? (v.items as Ref[])
            : [v.content as Ref];
      for (const ref of refs) {
        if (!(await this.lookup(principal, ref))) {
          throw new AppError(
            'BASESPACE.PROPERTIES.CONTENT_REFERENCE_NOT_RESOLVED',
            `Property '${input.name}': ${ref.kind} ${ref.id} does not exist or is not yours to reference`,
          );
        }
      }
    }
  }

  private async views(
    principal: Principal,
    properties: readonly PropertyRecord[],
  ): Promise<PropertyView[]> {
    const cache = new Map<string, ResolvedRef>();
    const out: PropertyView[] = [];
    for (const property of properties) {
      const refs = new Map<string, ResolvedRef>();
      const v = property.value;
      if (v.type !== 'string' && v.type !== 'string[]' && v.type !== 'map' && v.type !== 'map[]') {
        for (const ref of isMultiValue(v) ? (v.items as Ref[]) : [v.content as Ref]) {
          const key = `${ref.kind}/${ref.id}`;
          if (!cache.has(key)) cache.set(key, { ref, object: await this.lookup(principal, ref) });
          refs.set(key, cache.get(key)!);
        }
      }
      out.push({ property, refs });
    }
    return out;
  }

  /**
   * The referenced object when the reader may browse it, by the one access rule (owned or shared,
   * and in the token's scope); else undefined. Files count only when complete.
   */
  private async lookup(principal: Principal, ref: Ref): Promise<ReferencedObject | undefined> {
    if (!/^[1-9]\d{0,18}$/.test(ref.id)) return undefined;
    try {
      switch (ref.kind) {
        case 'project':
          return { kind: 'project', value: await this.access.project(principal, ref.id, 'browse') };
        case 'run':
          return { kind: 'run', value: await this.access.run(principal, ref.id, 'browse') };
        case 'sample':
          return { kind: 'sample', value: await this.access.sample(principal, ref.id, 'browse') };
        case 'appresult':
          return {
            kind: 'appresult',
            value: await this.access.appResult(principal, ref.id, 'browse'),
          };
        case 'appsession':
          return {
            kind: 'appsession',
            value: await this.access.appSession(principal, ref.id, 'browse'),
          };
        case 'file': {
          const value = await this.access.file(principal, ref.id, 'browse');
          return value.uploadStatus === 'complete' ? { kind: 'file', value } : undefined;
        }
      }
    } catch (error) {
      if (error instanceof AppError && (error.code === 'NotFound' || error.code === 'Forbidden'))
        return undefined;
      throw error;
    }
  }
}
