import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import * as present from '../presenters/resources.presenter.js';
import { Envelope, errorResponses } from '../schemas/common.schema.js';
import { User } from '../schemas/resources.schema.js';
import type { RouteDeps } from './deps.js';
import { ok } from './reply.js';

export const userRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  app.get(
    '/users/:id',
    {
      schema: {
        tags: ['Users'],
        summary: "The caller ('current') or the caller's own id",
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: Envelope(User), ...errorResponses },
      },
    },
    async (request) => ok(present.user(services.users.byId(request.principal, request.params.id))),
  );
};
