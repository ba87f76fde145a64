import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError, parseRange, type GenomicKind } from '../../domain/index.js';
import { HtsgetError, HtsgetErrors, asHtsget } from '../../services/index.js';
import type { RouteDeps } from './deps.js';
import { presentContext, sendBytes } from './reply.js';

/** The htsget error body (htsget 1.3, "Errors"). */
const HtsgetErrorBody = Type.Object({
  htsget: Type.Object({ error: Type.String(), message: Type.String() }),
});

const Ticket = Type.Object({
  htsget: Type.Object({
    format: Type.String(),
    urls: Type.Array(
      Type.Object({
        url: Type.String(),
        headers: Type.Optional(Type.Record(Type.String(), Type.String())),
        class: Type.Optional(Type.String()),
      }),
    ),
  }),
});

const TicketQuery = Type.Object({
  format: Type.Optional(Type.String({ maxLength: 20 })),
  class: Type.Optional(Type.String({ maxLength: 20 })),
  referenceName: Type.Optional(Type.String({ maxLength: 256 })),
  start: Type.Optional(Type.String({ maxLength: 20, description: '0-based' })),
  end: Type.Optional(Type.String({ maxLength: 20, description: '0-based, exclusive' })),
  fields: Type.Optional(Type.String({ maxLength: 1000, description: 'Accepted, not applied' })),
  tags: Type.Optional(Type.String({ maxLength: 1000, description: 'Accepted, not applied' })),
  notags: Type.Optional(Type.String({ maxLength: 1000, description: 'Accepted, not applied' })),
});

const Position = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ maxLength: 20 })]);
const TicketBody = Type.Object({
  format: Type.Optional(Type.String({ maxLength: 20 })),
  class: Type.Optional(Type.String({ maxLength: 20 })),
  fields: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 100 })),
  tags: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 100 })),
  notags: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 100 })),
  regions: Type.Optional(
    Type.Array(
      Type.Object({
        referenceName: Type.String({ maxLength: 256 }),
        start: Type.Optional(Position),
        end: Type.Optional(Position),
      }),
      { maxItems: 1000 },
    ),
  ),
});

const errorResponses = {
  400: HtsgetErrorBody,
  401: HtsgetErrorBody,
  403: HtsgetErrorBody,
  404: HtsgetErrorBody,
};

const ENDPOINTS: [string, GenomicKind][] = [
  ['reads', 'bam'],
  ['variants', 'vcf'],
];

/**
 * GA4GH htsget 1.3 at `/htsget/{reads,variants}/{fileId}` (issue 7), with its own error shape,
 * plus `/htsget/data/{fileId}`, the signed byte ranges its tickets point at on local storage.
 * Same permissions as downloading the file (`read`).
 */
export const htsgetRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (
  app,
  { services, publicUrl },
) => {
  const tags = ['htsget'];
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const mapped = asHtsget(error);
    if (mapped instanceof HtsgetError) {
      return reply
        .status(HtsgetErrors[mapped.error])
        .type('application/vnd.ga4gh.htsget.v1.3.0+json; charset=utf-8')
        .send({ htsget: { error: mapped.error, message: mapped.message } });
    }
    const fe = error as FastifyError;
    if (fe.validation || (fe.statusCode !== undefined && fe.statusCode < 500)) {
      return reply
        .status(400)
        .send({ htsget: { error: 'InvalidInput', message: fe.message.slice(0, 300) } });
    }
    request.log.error({ err: error }, 'htsget error');
    return reply.status(500).send({
      htsget: { error: 'InternalError', message: `Internal error; request id ${request.id}` },
    });
  });

  for (const [datatype, kind] of ENDPOINTS) {
    app.get(
      `/htsget/${datatype}/service-info`,
      { config: { auth: false }, schema: { tags, summary: `htsget ${datatype} service-info` } },
      async () => ({
        id: `seqhub.htsget.${datatype}`,
        name: `seqhub htsget ${datatype}`,
        type: { group: 'org.ga4gh', artifact: 'htsget', version: '1.3.0' },
        description: `${kind === 'bam' ? 'BAM' : 'VCF'} files of this hub, by file id`,
        organization: { name: 'seqhub', url: 'https://github.com/' },
        version: '1.3.0',
        htsget: {
          datatype,
          formats: [kind === 'bam' ? 'BAM' : 'VCF'],
          fieldsParameterEffective: false,
          tagsParametersEffective: false,
        },
      }),
    );
    const ticket = async (
      request: FastifyRequest,
      id: string,
      reply: FastifyReply,
      input: Parameters<typeof services.htsget.ticket>[3],
    ) => {
      const t = await services.htsget.ticket(
        request.principal,
        kind,
        id,
        input,
        presentContext(request, publicUrl).origin,
      );
      reply.type('application/vnd.ga4gh.htsget.v1.3.0+json; charset=utf-8');
      return { htsget: t };
    };
    app.get(
      `/htsget/${datatype}/:id`,
      {
        schema: {
          tags,
          summary: `htsget ticket for ${datatype} of a file (GET)`,
          params: Type.Object({ id: Type.String() }),
          querystring: TicketQuery,
          response: { 200: Ticket, ...errorResponses },
        },
      },
      (request, reply) => ticket(request, request.params.id, reply, request.query),
    );
    app.post(
      `/htsget/${datatype}/:id`,
      {
        schema: {
          tags,
          summary: `htsget ticket for ${datatype} of a file (POST, several regions)`,
          params: Type.Object({ id: Type.String() }),
          body: TicketBody,
          response: { 200: Ticket, ...errorResponses },
        },
      },
      (request, reply) => ticket(request, request.params.id, reply, request.body ?? {}),
    );
  }

  app.get(
    '/htsget/data/:id',
    {
      config: { auth: 'signed-url' },
      schema: {
        tags,
        summary: 'Bytes of an htsget ticket (signed URL; Range)',
        params: Type.Object({ id: Type.String() }),
        querystring: Type.Object({
          expires: Type.Optional(Type.String({ maxLength: 16 })),
          signature: Type.Optional(Type.String({ maxLength: 128 })),
        }),
      },
    },
    async (request, reply) => {
      if (request.query.signature === undefined) {
        throw new AppError('BASESPACE.FILES.SIGNATURE_INVALID', 'This URL needs its signature');
      }
      const data = await services.htsget.signedData(
        request.params.id,
        request.query.expires ?? '',
        request.query.signature,
      );
      const range = parseRange(request.headers.range, data.size);
      reply.type('application/octet-stream');
      reply.header('Accept-Ranges', 'bytes');
      return sendBytes(request, reply, data.size, range, () =>
        services.htsget.read(data.key, range),
      );
    },
  );
};
