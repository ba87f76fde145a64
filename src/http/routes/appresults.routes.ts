import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as present from '../presenters/resources.presenter.js';
import { Envelope, IdParams, errorResponses } from '../schemas/common.schema.js';
import { AppResult, Sample } from '../schemas/resources.schema.js';
import type { RouteDeps } from './deps.js';
import { propertiesOf } from './embed.js';
import { ok } from './reply.js';

export const appResultRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  app.get(
    '/appresults/:id',
    {
      schema: {
        tags: ['AppResults'],
        params: IdParams,
        response: { 200: Envelope(AppResult), ...errorResponses },
      },
    },
    async (request) => {
      const view = await services.appResults.get(request.principal, request.params.id);
      return ok({
        ...present.appResult(view.appResult, view.session, view.references, view.projects),
        ...(await propertiesOf(services, request.principal, 'appresult', view.appResult.id)),
      });
    },
  );

  app.get(
    '/samples/:id',
    {
      schema: {
        tags: ['Samples'],
        params: IdParams,
        response: { 200: Envelope(Sample), ...errorResponses },
      },
    },
    async (request) => {
      const view = await services.samples.get(request.principal, request.params.id);
      return ok({
        ...present.sample(view.sample, view.session, view.references, view.projects),
        ...(await propertiesOf(services, request.principal, 'sample', view.sample.id)),
      });
    },
  );
};
