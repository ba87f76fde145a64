import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { RunStatuses, badRequest, parsePropertyMatch } from '../../domain/index.js';
import * as present from '../presenters/resources.presenter.js';
import {
  Envelope,
  IdParams,
  ListEnvelope,
  ListQuery,
  RunSorts,
  errorResponses,
  PropertyFilterQuery,
} from '../schemas/common.schema.js';
import { Run, RunCompact } from '../schemas/resources.schema.js';
import { OwnershipQuery } from '../schemas/sharing.schema.js';
import type { RouteDeps } from './deps.js';
import { propertiesOf } from './embed.js';
import { filterText, ok, okList, ownershipOf, pageRequest, presentContext } from './reply.js';

/** `Statuses=Complete,failed` on runs: comma list, case-insensitive. */
function parseRunStatuses(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw.split(',').map((part) => {
    const found = RunStatuses.find((s) => s.toLowerCase() === part.trim().toLowerCase());
    if (!found)
      throw badRequest(
        `Invalid query parameter Statuses: '${part.trim().slice(0, 40)}' is not one of ${RunStatuses.join(', ')}`,
      );
    return found;
  });
}

export const runRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (
  app,
  { services, publicUrl },
) => {
  const tags = ['Runs'];

  app.get(
    '/runs/:id',
    { schema: { tags, params: IdParams, response: { 200: Envelope(Run), ...errorResponses } } },
    async (request) => {
      const run = await services.runs.get(request.principal, request.params.id);
      return ok({
        ...present.run(run, presentContext(request, publicUrl)),
        ...(await propertiesOf(services, request.principal, 'run', run.id)),
      });
    },
  );

  app.get(
    '/users/:id/runs',
    {
      schema: {
        tags,
        summary: "The caller's runs and those shared with them",
        params: IdParams,
        querystring: Type.Object({
          ...ListQuery(RunSorts).properties,
          Statuses: Type.Optional(Type.String({ maxLength: 256 })),
          InstrumentType: Type.Optional(Type.String({ maxLength: 64 })),
          FlowcellBarcode: Type.Optional(
            Type.String({ maxLength: 128, description: 'Empty = runs with no barcode' }),
          ),
          ReagentBarcode: Type.Optional(
            Type.String({ maxLength: 128, description: 'Empty = runs with no barcode' }),
          ),
          IncludeLocked: Type.Optional(Type.Boolean()),
          ...PropertyFilterQuery,
          Ownership: Type.Optional(OwnershipQuery),
        }),
        response: { 200: ListEnvelope(RunCompact), ...errorResponses },
      },
    },
    async (request) => {
      services.users.byId(request.principal, request.params.id);
      const q = request.query;
      const page = pageRequest(q, 'Id');
      const result = await services.runs.list(
        request.principal,
        {
          statuses: parseRunStatuses(q.Statuses),
          instrumentType: filterText(q.InstrumentType, 'InstrumentType'),
          flowcellBarcode: filterText(q.FlowcellBarcode, 'FlowcellBarcode'),
          reagentBarcode: filterText(q.ReagentBarcode, 'ReagentBarcode'),
          property: parsePropertyMatch(q.PropertyName, q.PropertyValue),
          ownership: ownershipOf(q.Ownership),
        },
        page,
      );
      return okList(result, page, present.runCompact);
    },
  );
};
