import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, RateLimitedError } from '../../domain/index.js';
import * as present from '../presenters/drs.presenter.js';
import {
  DrsAccessBody,
  DrsAccessParams,
  DrsAccessUrl,
  DrsError,
  DrsObject,
  DrsObjectBody,
  DrsObjectParams,
  DrsObjectQuery,
  DrsServiceInfo,
} from '../schemas/drs.schema.js';
import type { RouteDeps } from './deps.js';
import { presentContext } from './reply.js';

/** DRS 1.4 `Error`: `{msg, status_code}`, the status repeated in the body. */
function drsError(reply: FastifyReply, status: number, msg: string) {
  if (status === 401) reply.header('WWW-Authenticate', 'Bearer');
  return reply
    .status(status)
    .type('application/json; charset=utf-8')
    .send({ msg, status_code: status });
}

const errorResponses = { 400: DrsError, 401: DrsError, 403: DrsError, 404: DrsError };

/**
 * GA4GH Data Repository Service 1.4 under `/ga4gh/drs/v1` (issue 7): `service-info`, objects
 * (GET, and POST with the same answer) and their signed access URLs. Errors use DRS's own shape,
 * not the BaseSpace envelope; who may see what is the files' rule (AccessService), so another
 * user's object is a 404 exactly like an unknown id.
 */
export const drsRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (
  app,
  { services, publicUrl },
) => {
  const tags = ['DRS'];
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof RateLimitedError) {
      reply.header('Retry-After', String(error.retryAfterSeconds));
    }
    if (error instanceof AppError) return drsError(reply, error.httpStatus, error.message);
    const fe = error as FastifyError;
    if (fe.validation) return drsError(reply, 400, fe.message.slice(0, 300));
    if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
      return drsError(reply, fe.statusCode, fe.message.slice(0, 300));
    }
    request.log.error({ err: error }, 'drs error');
    return drsError(reply, 500, `Internal error; request id ${request.id}`);
  });
  // A POST without a body asks what GET asks (its body only carries optional passports).
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && request.body === undefined) request.body = {};
  });
  app.setNotFoundHandler((request, reply) =>
    drsError(reply, 404, `No such DRS endpoint: ${request.method} ${request.url.split('?')[0]}`),
  );

  app.get(
    '/service-info',
    {
      config: { auth: false },
      schema: { tags, summary: 'DRS service-info', response: { 200: DrsServiceInfo } },
    },
    async () => ({
      id: 'seqhub.drs',
      name: 'seqhub DRS',
      type: { group: 'org.ga4gh', artifact: 'drs', version: '1.4.0' },
      description: 'Complete files of this hub as DRS objects, by file id (single blobs)',
      organization: { name: 'seqhub', url: 'https://github.com/' },
      version: '1.4.0',
      // No bulk endpoints: one object per request.
      maxBulkRequestLength: 1,
      drs: { maxBulkRequestLength: 1 },
    }),
  );

  const host = (request: FastifyRequest) => new URL(presentContext(request, publicUrl).origin).host;
  const object = async (request: FastifyRequest, id: string) =>
    present.drsObject(await services.drs.object(request.principal, id), host(request));
  const access = async (request: FastifyRequest, id: string, accessId: string) => {
    const signed = await services.drs.accessUrl(
      request.principal,
      id,
      accessId,
      presentContext(request, publicUrl).origin,
    );
    return { url: signed.url, headers: [] as string[] };
  };

  app.get(
    '/objects/:object_id',
    {
      schema: {
        tags,
        summary: 'A file as a DRS object (size, checksums, access methods)',
        params: DrsObjectParams,
        querystring: DrsObjectQuery,
        response: { 200: DrsObject, ...errorResponses },
      },
    },
    (request) => object(request, request.params.object_id),
  );
  app.post(
    '/objects/:object_id',
    {
      schema: {
        tags,
        summary: 'A file as a DRS object (POST form: passports accepted, not used)',
        params: DrsObjectParams,
        body: DrsObjectBody,
        response: { 200: DrsObject, ...errorResponses },
      },
    },
    (request) => object(request, request.params.object_id),
  );
  app.get(
    '/objects/:object_id/access/:access_id',
    {
      schema: {
        tags,
        summary: "A signed URL for the object's bytes",
        params: DrsAccessParams,
        response: { 200: DrsAccessUrl, ...errorResponses },
      },
    },
    (request) => access(request, request.params.object_id, request.params.access_id),
  );
  app.post(
    '/objects/:object_id/access/:access_id',
    {
      schema: {
        tags,
        summary: "A signed URL for the object's bytes (POST form: passports accepted, not used)",
        params: DrsAccessParams,
        body: DrsAccessBody,
        response: { 200: DrsAccessUrl, ...errorResponses },
      },
    },
    (request) => access(request, request.params.object_id, request.params.access_id),
  );
};
