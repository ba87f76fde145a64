import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as apps from '../presenters/apps.presenter.js';
import * as present from '../presenters/resources.presenter.js';
import {
  Application,
  ApplicationCompact,
  ApplicationParams,
  LaunchBody,
} from '../schemas/apps.schema.js';
import { Envelope, ListEnvelope, ListQuery, errorResponses } from '../schemas/common.schema.js';
import { AppSession } from '../schemas/resources.schema.js';
import type { RouteDeps } from './deps.js';
import { propertiesOf } from './embed.js';
import { ok, okList, pageRequest, presentContext } from './reply.js';

/** Applications (spec 2.6, 3.6) and launching them (spec 4.7, issue 12). */
export const applicationRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (
  app,
  { services, publicUrl },
) => {
  const tags = ['Applications'];

  app.get(
    '/applications',
    {
      schema: {
        tags,
        querystring: ListQuery(['Id', 'Name'] as const),
        response: { 200: ListEnvelope(ApplicationCompact), ...errorResponses },
      },
    },
    async (request) => {
      const page = pageRequest(request.query, 'Id');
      const all = [...services.apps.list()].sort((a, b) => {
        const order =
          page.sortBy === 'Name' ? a.name.localeCompare(b.name) : Number(a.id) - Number(b.id);
        return page.sortDir === 'Desc' ? -order : order;
      });
      const items = all.slice(page.offset, page.offset + page.limit);
      return okList({ items, totalCount: all.length }, page, apps.applicationCompact);
    },
  );

  app.get(
    '/applications/:id',
    {
      schema: {
        tags,
        params: ApplicationParams,
        response: { 200: Envelope(Application), ...errorResponses },
      },
    },
    async (request) => ok(apps.application(services.apps.get(request.params.id))),
  );

  app.post(
    '/applications/:id/appsessions',
    {
      schema: {
        tags,
        summary: 'Launch an app (spec 4.7): a Running AppSession with Input.* properties',
        params: ApplicationParams,
        body: LaunchBody,
        response: { 200: Envelope(AppSession), ...errorResponses, 409: { $ref: 'ErrorEnvelope#' } },
      },
    },
    async (request) => {
      const session = await services.apps.launch(
        request.principal,
        request.params.id,
        request.body ?? {},
      );
      return ok({
        ...present.appSession(session, [], presentContext(request, publicUrl)),
        ...(await propertiesOf(services, request.principal, 'appsession', session.id)),
      });
    },
  );
};
