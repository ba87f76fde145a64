import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { parsePropertyMatch } from '../../domain/index.js';
import * as present from '../presenters/resources.presenter.js';
import {
  Envelope,
  IdParams,
  ListEnvelope,
  ListQuery,
  ProjectSorts,
  errorResponses,
  PropertyFilterQuery,
} from '../schemas/common.schema.js';
import { AppResultCompact, AppSession, AppSessionCompact } from '../schemas/resources.schema.js';
import { UpdateAppSessionBody } from '../schemas/requests.schema.js';
import { LogQuery } from '../schemas/apps.schema.js';
import type { RouteDeps } from './deps.js';
import { propertiesOf } from './embed.js';
import { ok, okList, pageRequest, parseStatuses, presentContext } from './reply.js';

export const appSessionRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (
  app,
  { services, publicUrl },
) => {
  const tags = ['AppSessions'];

  app.get(
    '/appsessions/:id',
    {
      schema: {
        tags,
        params: IdParams,
        response: { 200: Envelope(AppSession), ...errorResponses },
      },
    },
    async (request) => {
      const session = await services.appSessions.get(request.principal, request.params.id);
      return ok({
        ...present.appSession(session, [], presentContext(request, publicUrl)),
        ...(await propertiesOf(services, request.principal, 'appsession', session.id)),
      });
    },
  );

  app.post(
    '/appsessions/:id',
    {
      schema: {
        tags,
        summary: 'Set Status and/or StatusSummary (JSON or form body, any key case)',
        params: IdParams,
        body: UpdateAppSessionBody,
        response: { 200: Envelope(AppSession), ...errorResponses, 409: { $ref: 'ErrorEnvelope#' } },
      },
    },
    async (request) => {
      const body = request.body ?? {};
      const session = await services.appSessions.update(request.principal, request.params.id, {
        status: body.Status,
        statusSummary: body.StatusSummary,
      });
      return ok(present.appSession(session, [], presentContext(request, publicUrl)));
    },
  );

  app.get(
    '/appsessions/:id/logs',
    {
      schema: {
        tags,
        summary: "An app's log (text/plain, one line per line), readable while it runs (spec 6.5)",
        params: IdParams,
        querystring: LogQuery,
        response: {
          200: {
            description: 'The log lines from Offset on',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const lines = await services.apps.log(
        request.principal,
        request.params.id,
        request.query.Offset ?? 0,
      );
      reply.type('text/plain; charset=utf-8');
      return lines.map((l) => `${l}\n`).join('');
    },
  );

  app.post(
    '/appsessions/:id/stop',
    {
      schema: {
        tags,
        summary: 'Stop an AppSession: Aborted; a job working for it stops (as v2 stop)',
        params: IdParams,
        response: { 200: Envelope(AppSession), ...errorResponses, 409: { $ref: 'ErrorEnvelope#' } },
      },
    },
    async (request) => {
      const session = await services.appSessions.stop(request.principal, request.params.id);
      return ok(present.appSession(session, [], presentContext(request, publicUrl)));
    },
  );

  app.get(
    '/appsessions/:id/appresults',
    {
      schema: {
        tags,
        params: IdParams,
        querystring: ListQuery(ProjectSorts),
        response: { 200: ListEnvelope(AppResultCompact), ...errorResponses },
      },
    },
    async (request) => {
      const page = pageRequest(request.query, 'Id');
      const result = await services.appSessions.appResults(
        request.principal,
        request.params.id,
        page,
      );
      const sessions = await services.appSessions.byIds(result.items.map((r) => r.appSessionId));
      return okList(result, page, (r) => present.appResultCompact(r, sessions.get(r.appSessionId)));
    },
  );

  app.get(
    '/users/:id/appsessions',
    {
      schema: {
        tags,
        summary: "The caller's AppSessions ('Analyses')",
        params: IdParams,
        querystring: Type.Object({
          ...ListQuery(ProjectSorts).properties,
          Statuses: Type.Optional(
            Type.String({ maxLength: 256, description: 'Comma list of statuses' }),
          ),
          Status: Type.Optional(
            Type.String({ maxLength: 256, description: 'Alias of Statuses (C# SDK)' }),
          ),
          ...PropertyFilterQuery,
        }),
        response: { 200: ListEnvelope(AppSessionCompact), ...errorResponses },
      },
    },
    async (request) => {
      services.users.byId(request.principal, request.params.id);
      const page = pageRequest(request.query, 'Id');
      const statuses = parseStatuses(request.query.Statuses ?? request.query.Status);
      const property = parsePropertyMatch(request.query.PropertyName, request.query.PropertyValue);
      const result = await services.appSessions.list(
        request.principal,
        { statuses, property },
        page,
      );
      return okList(result, page, present.appSessionCompact);
    },
  );
};

/**
 * `POST /v2/appsessions/{id}/stop` (the Python SDK's stopAppSession, JSON body `{}`): the one v2
 * route, answered in the v1 envelope like everything else (docs/api-choices.md, AppSessions).
 */
export const appSessionV2Routes: FastifyPluginAsyncTypebox<RouteDeps> = async (
  app,
  { services, publicUrl },
) => {
  app.post(
    '/appsessions/:id/stop',
    {
      schema: {
        tags: ['AppSessions'],
        summary: 'Stop an AppSession: Aborted; a demultiplexing job working for it stops',
        params: IdParams,
        response: { 200: Envelope(AppSession), ...errorResponses, 409: { $ref: 'ErrorEnvelope#' } },
      },
    },
    async (request) => {
      const session = await services.appSessions.stop(request.principal, request.params.id);
      return ok(present.appSession(session, [], presentContext(request, publicUrl)));
    },
  );
};
