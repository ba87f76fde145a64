import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { href, type PropertyOwner } from '../../domain/index.js';
import { contentOf, property } from '../presenters/property.presenter.js';
import {
  Envelope,
  IdParams,
  ListEnvelope,
  StringEnum,
  errorResponses,
} from '../schemas/common.schema.js';
import { Property } from '../schemas/resources.schema.js';
import type { RouteDeps } from './deps.js';
import { ok, okList, pageRequest } from './reply.js';

const OWNERS: Record<string, PropertyOwner> = {
  projects: 'project',
  runs: 'run',
  samples: 'sample',
  appresults: 'appresult',
  appsessions: 'appsession',
  files: 'file',
};

/** Spec 5.4: property lists page 50 by default. */
const DEFAULT_PROPERTY_PAGE = 50;

const PropertyListQuery = Type.Object({
  Offset: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  Limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1024 })),
  SortBy: Type.Optional(StringEnum(['Name'] as const)),
  SortDir: Type.Optional(StringEnum(['Asc', 'Desc'] as const)),
});

const ItemsQuery = Type.Object({
  Offset: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  Limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1024 })),
  SortBy: Type.Optional(StringEnum(['DateCreated'] as const)),
  SortDir: Type.Optional(StringEnum(['Asc', 'Desc'] as const)),
});

const NameParams = Type.Object({ id: Type.String(), name: Type.String({ maxLength: 256 }) });

/** `{resources}/{id}/properties[/{name}[/items]]` for every resource but Genome (spec 5). */
export const propertyRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  const tags = ['Properties'];
  for (const [collection, owner] of Object.entries(OWNERS)) {
    const resourceHref = (id: string) => href(owner, id);

    app.get(
      `/${collection}/:id/properties`,
      {
        schema: {
          tags,
          params: IdParams,
          querystring: PropertyListQuery,
          response: { 200: ListEnvelope(Property), ...errorResponses },
        },
      },
      async (request) => {
        const page = {
          ...pageRequest(request.query, 'Name' as const),
          limit: request.query.Limit ?? DEFAULT_PROPERTY_PAGE,
        };
        const result = await services.properties.list(
          request.principal,
          owner,
          request.params.id,
          page,
        );
        return okList(result, page, (v) => property(v, resourceHref(v.property.ownerId)));
      },
    );

    app.post(
      `/${collection}/:id/properties`,
      {
        schema: {
          tags,
          summary: 'Create or replace properties; answers the ones written',
          params: IdParams,
          body: Type.Object({ Properties: Type.Array(Type.Unknown(), { maxItems: 1000 }) }),
          response: {
            200: ListEnvelope(Property),
            ...errorResponses,
            409: { $ref: 'ErrorEnvelope#' },
          },
        },
      },
      async (request) => {
        const written = await services.properties.set(
          request.principal,
          owner,
          request.params.id,
          request.body,
        );
        // Spec 5.3: not paged, DisplayedCount == TotalCount == the number written.
        const page = { offset: 0, limit: written.length, sortBy: 'Name', sortDir: 'Asc' as const };
        return okList({ items: written, totalCount: written.length }, page, (v) =>
          property(v, resourceHref(v.property.ownerId)),
        );
      },
    );

    app.get(
      `/${collection}/:id/properties/:name`,
      {
        schema: {
          tags,
          params: NameParams,
          response: { 200: Envelope(Property), ...errorResponses },
        },
      },
      async (request) => {
        const view = await services.properties.get(
          request.principal,
          owner,
          request.params.id,
          request.params.name,
        );
        return ok(property(view, resourceHref(view.property.ownerId), { full: true }));
      },
    );

    app.get(
      `/${collection}/:id/properties/:name/items`,
      {
        schema: {
          tags,
          summary: 'A page of the items of a multi-value property',
          params: NameParams,
          querystring: ItemsQuery,
          response: {
            200: Envelope(
              Type.Object({
                Type: Type.String(),
                Items: Type.Array(Type.Object({ Id: Type.String(), Content: Type.Unknown() })),
                DisplayedCount: Type.Integer(),
                TotalCount: Type.Integer(),
                Offset: Type.Integer(),
                Limit: Type.Integer(),
                SortDir: Type.String(),
                SortBy: Type.String(),
              }),
            ),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const q = request.query;
        const page = {
          offset: q.Offset ?? 0,
          limit: q.Limit ?? DEFAULT_PROPERTY_PAGE,
          sortDir: q.SortDir ?? ('Asc' as const),
        };
        const { view, items, totalCount } = await services.properties.items(
          request.principal,
          owner,
          request.params.id,
          request.params.name,
          page,
        );
        return ok({
          Type: view.property.value.type,
          // Item ids are their 1-based position in the property (UNCONFIRMED format, docs/api-choices.md).
          Items: items.map((i) => ({
            Id: String(i.index + 1),
            Content: contentOf(view, view.property.value.type, i.content),
          })),
          DisplayedCount: items.length,
          TotalCount: totalCount,
          Offset: page.offset,
          Limit: page.limit,
          SortDir: page.sortDir,
          SortBy: 'DateCreated',
        });
      },
    );

    app.delete(
      `/${collection}/:id/properties/:name`,
      {
        schema: {
          tags,
          params: NameParams,
          response: { 200: Envelope(Type.String()), ...errorResponses },
        },
      },
      async (request) => {
        await services.properties.delete(
          request.principal,
          owner,
          request.params.id,
          request.params.name,
        );
        return ok(`Property '${request.params.name}' deleted`);
      },
    );
  }
};
