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
import { sequencingStats } from '../presenters/run-stats.presenter.js';
import { AppSession, Run, RunCompact } from '../schemas/resources.schema.js';
import { DemultiplexBody } from '../schemas/requests.schema.js';
import { OwnershipQuery } from '../schemas/sharing.schema.js';
import { SequencingStats } from '../schemas/run-stats.schema.js';
import type { RunMetricsSummary } from '../../formats/index.js';
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

  app.post(
    '/runs',
    {
      schema: {
        tags,
        summary:
          'Create a run to upload (status Uploading); upload its files with POST runs/{id}/files, then POST runs/{id}?uploadstatus=complete',
        body: Type.Object({
          Name: Type.String({ maxLength: 1024 }),
          ExperimentName: Type.Optional(Type.String({ maxLength: 1024 })),
        }),
        response: { 200: Envelope(Run), ...errorResponses, 409: { $ref: 'ErrorEnvelope#' } },
      },
    },
    async (request) => {
      const run = await services.runs.createForUpload(request.principal, {
        name: request.body.Name,
        experimentName: request.body.ExperimentName,
      });
      return ok(present.run(run, presentContext(request, publicUrl)));
    },
  );

  app.post(
    '/runs/:id',
    {
      schema: {
        tags,
        summary:
          'uploadstatus=complete (query or body UploadStatus): read RunInfo, RunParameters, the sample sheet and InterOp from the uploaded files and complete the run',
        params: IdParams,
        querystring: Type.Object({ uploadstatus: Type.Optional(Type.String({ maxLength: 32 })) }),
        response: { 200: Envelope(Run), ...errorResponses, 409: { $ref: 'ErrorEnvelope#' } },
      },
    },
    async (request) => {
      // The body is optional (JSON or form, keys in any case): `{"UploadStatus": "complete"}`.
      const body = (request.body ?? {}) as Record<string, unknown>;
      const fromBody = Object.entries(body).find(([k]) => k.toLowerCase() === 'uploadstatus')?.[1];
      const status =
        request.query.uploadstatus ?? (typeof fromBody === 'string' ? fromBody : undefined);
      if (status === undefined || status.toLowerCase() !== 'complete')
        throw badRequest(
          `uploadstatus must be 'complete' (got ${status === undefined ? 'nothing' : `'${status.slice(0, 32)}'`})`,
        );
      const run = await services.runs.completeUpload(request.principal, request.params.id);
      return ok({
        ...present.run(run, presentContext(request, publicUrl)),
        ...(await propertiesOf(services, request.principal, 'run', run.id)),
      });
    },
  );

  app.post(
    '/runs/:id/demultiplex',
    {
      schema: {
        tags,
        summary:
          'Demultiplex the run into Samples of a project: answers the new AppSession (Running) at once; poll it until Complete or NeedsAttention. A sample sheet that cannot be demultiplexed is a 400 here.',
        params: IdParams,
        body: DemultiplexBody,
        response: {
          200: Envelope(AppSession),
          ...errorResponses,
          409: { $ref: 'ErrorEnvelope#' },
        },
      },
    },
    async (request) => {
      const body = request.body;
      const session = await services.demux.start(request.principal, request.params.id, {
        projectId: String(body.ProjectId),
        sampleSheet: body.SampleSheet,
        withFailedReads: body.WithFailedReads,
        barcodeMismatchesIndex1: body.BarcodeMismatchesIndex1,
        barcodeMismatchesIndex2: body.BarcodeMismatchesIndex2,
      });
      return ok(present.appSession(session, [], presentContext(request, publicUrl)));
    },
  );

  app.get(
    '/runs/:id/sequencingstats',
    {
      schema: {
        tags,
        summary:
          'SequencingStats (spec 6.1) from the InterOp summary stored at ingest; Detail=cycles adds per-cycle values',
        params: IdParams,
        querystring: Type.Object({
          Detail: Type.Optional(
            Type.String({ maxLength: 16, description: "'cycles' adds Cycles[]" }),
          ),
        }),
        response: { 200: Envelope(SequencingStats), ...errorResponses },
      },
    },
    async (request) => {
      const detail = request.query.Detail?.toLowerCase();
      if (detail !== undefined && detail !== 'cycles' && detail !== '')
        throw badRequest(
          `Invalid query parameter Detail: '${request.query.Detail!.slice(0, 16)}' (allowed: cycles)`,
        );
      const { run, stats } = await services.runs.sequencingStats(
        request.principal,
        request.params.id,
      );
      return ok(
        sequencingStats(run, stats as RunMetricsSummary | undefined, {
          cycles: detail === 'cycles',
        }),
      );
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
