import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as present from '../presenters/resources.presenter.js';
import {
  Envelope,
  GenomeSorts,
  IdParams,
  ListEnvelope,
  ListQuery,
  errorResponses,
} from '../schemas/common.schema.js';
import { Genome } from '../schemas/resources.schema.js';
import type { RouteDeps } from './deps.js';
import { ok, okList, pageRequest } from './reply.js';

export const genomeRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  const tags = ['Genomes'];
  app.get(
    '/genomes',
    {
      schema: {
        tags,
        querystring: ListQuery(GenomeSorts),
        response: { 200: ListEnvelope(Genome), ...errorResponses },
      },
    },
    async (request) => {
      const page = pageRequest(request.query, 'Id');
      return okList(await services.genomes.list(page), page, present.genome);
    },
  );
  app.get(
    '/genomes/:id',
    { schema: { tags, params: IdParams, response: { 200: Envelope(Genome), ...errorResponses } } },
    async (request) => ok(present.genome(await services.genomes.get(request.params.id))),
  );
};
