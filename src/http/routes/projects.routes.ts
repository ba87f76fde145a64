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
import {
  AppResultCompact,
  Project,
  ProjectCompact,
  SampleCompact,
  AppResult,
  Sample,
} from '../schemas/resources.schema.js';
import {
  AppSessionIdQuery,
  CreateAppResultBody,
  CreateProjectBody,
  CreateSampleBody,
} from '../schemas/requests.schema.js';
import { OwnershipQuery } from '../schemas/sharing.schema.js';
import type { RouteDeps } from './deps.js';
import { propertiesOf } from './embed.js';
import {
  filterText,
  ok,
  okList,
  ownershipOf,
  pageRequest,
  parseStatuses,
  presentContext,
} from './reply.js';

const refsIn = (refs: { Rel?: string; Type?: string; HrefContent: string }[] | undefined) =>
  refs?.map((r) => ({ rel: r.Rel, type: r.Type, hrefContent: r.HrefContent }));

export const projectRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (
  app,
  { services, publicUrl },
) => {
  const tags = ['Projects'];

  app.post(
    '/projects',
    {
      schema: {
        tags,
        summary: 'Create a project; a name the caller already has returns that project',
        body: CreateProjectBody,
        response: { 200: Envelope(Project), ...errorResponses, 409: { $ref: 'ErrorEnvelope#' } },
      },
    },
    async (request) => {
      const project = await services.projects.create(request.principal, {
        name: request.body.Name,
        description: request.body.Description,
      });
      return ok(present.project(project, presentContext(request, publicUrl)));
    },
  );

  app.get(
    '/projects/:id',
    { schema: { tags, params: IdParams, response: { 200: Envelope(Project), ...errorResponses } } },
    async (request) => {
      const project = await services.projects.get(request.principal, request.params.id);
      return ok({
        ...present.project(project, presentContext(request, publicUrl)),
        ...(await propertiesOf(services, request.principal, 'project', project.id)),
      });
    },
  );

  const listProjects = {
    schema: {
      tags,
      summary: "The caller's projects and those shared with them",
      params: IdParams,
      querystring: Type.Object({
        ...ListQuery(ProjectSorts).properties,
        Name: Type.Optional(Type.String({ maxLength: 1024, description: 'Exact project name' })),
        ...PropertyFilterQuery,
        Ownership: Type.Optional(OwnershipQuery),
      }),
      response: { 200: ListEnvelope(ProjectCompact), ...errorResponses },
    },
  } as const;
  app.get('/users/:id/projects', listProjects, async (request) => {
    services.users.byId(request.principal, request.params.id);
    const page = pageRequest(request.query, 'Id');
    const name = filterText(request.query.Name, 'Name');
    const property = parsePropertyMatch(request.query.PropertyName, request.query.PropertyValue);
    const ownership = ownershipOf(request.query.Ownership);
    const result = await services.projects.list(
      request.principal,
      { name, property, ownership },
      page,
    );
    return okList(result, page, present.projectCompact);
  });

  app.get(
    '/projects/:id/samples',
    {
      schema: {
        tags,
        params: IdParams,
        querystring: Type.Object({ ...ListQuery(ProjectSorts).properties, ...PropertyFilterQuery }),
        response: { 200: ListEnvelope(SampleCompact), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const page = pageRequest(q, 'Id');
      const property = parsePropertyMatch(q.PropertyName, q.PropertyValue);
      const result = await services.projects.samples(request.principal, request.params.id, page, {
        property,
      });
      return okList(result, page, present.sampleCompact);
    },
  );

  app.get(
    '/projects/:id/appresults',
    {
      schema: {
        tags,
        params: IdParams,
        querystring: Type.Object({
          ...ListQuery(ProjectSorts).properties,
          Statuses: Type.Optional(
            Type.String({ maxLength: 256, description: 'Comma list of AppSession statuses' }),
          ),
          ...PropertyFilterQuery,
        }),
        response: { 200: ListEnvelope(AppResultCompact), ...errorResponses },
      },
    },
    async (request) => {
      const page = pageRequest(request.query, 'Id');
      const result = await services.projects.appResults(
        request.principal,
        request.params.id,
        {
          statuses: parseStatuses(request.query.Statuses),
          property: parsePropertyMatch(request.query.PropertyName, request.query.PropertyValue),
        },
        page,
      );
      const sessions = await services.appSessions.byIds(result.items.map((r) => r.appSessionId));
      return okList(result, page, (r) => present.appResultCompact(r, sessions.get(r.appSessionId)));
    },
  );

  app.post(
    '/projects/:id/appresults',
    {
      schema: {
        tags: ['AppResults'],
        summary: 'Create an AppResult, in a new AppSession unless appsessionid names a Running one',
        params: IdParams,
        querystring: AppSessionIdQuery,
        body: CreateAppResultBody,
        response: { 200: Envelope(AppResult), ...errorResponses, 409: { $ref: 'ErrorEnvelope#' } },
      },
    },
    async (request) => {
      const b = request.body;
      const view = await services.appResults.create(request.principal, request.params.id, {
        name: b.Name,
        description: b.Description,
        hrefGenome: b.HrefGenome,
        hrefAppSession: b.HrefAppSession,
        references: refsIn(b.References),
        appSessionId: request.query.appsessionid,
      });
      return ok(present.appResult(view.appResult, view.session, view.references, view.projects));
    },
  );

  app.post(
    '/projects/:id/samples',
    {
      schema: {
        tags: ['Samples'],
        summary: 'Create a Sample, in a new AppSession unless appsessionid names a Running one',
        params: IdParams,
        querystring: AppSessionIdQuery,
        body: CreateSampleBody,
        response: { 200: Envelope(Sample), ...errorResponses, 409: { $ref: 'ErrorEnvelope#' } },
      },
    },
    async (request) => {
      const b = request.body;
      const view = await services.samples.create(request.principal, request.params.id, {
        name: b.Name,
        description: b.Description,
        sampleId: b.SampleId,
        sampleNumber: b.SampleNumber,
        experimentName: b.ExperimentName,
        numReadsRaw: b.NumReadsRaw,
        numReadsPF: b.NumReadsPF,
        read1: b.Read1,
        read2: b.Read2,
        isPairedEnd: b.IsPairedEnd,
        hrefGenome: b.HrefGenome,
        hrefAppSession: b.HrefAppSession,
        references: refsIn(b.References),
        appSessionId: request.query.appsessionid,
      });
      return ok(present.sample(view.sample, view.session, view.references, view.projects));
    },
  );
};
