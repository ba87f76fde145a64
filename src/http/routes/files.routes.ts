import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { Type } from 'typebox';
import {
  AppError,
  MAX_LIMIT,
  contentDisposition,
  parseExtensions,
  parseRange,
  type FileParent,
  parsePropertyMatch,
} from '../../domain/index.js';
import * as present from '../presenters/resources.presenter.js';
import {
  Envelope,
  IdParams,
  ListEnvelope,
  StringEnum,
  errorResponses,
  PropertyFilterQuery,
} from '../schemas/common.schema.js';
import { ContentMeta, File, FilePart } from '../schemas/resources.schema.js';
import type { RouteDeps } from './deps.js';
import { propertiesOf } from './embed.js';
import { ok, okList, pageRequest, presentContext, sendBytes } from './reply.js';

const FileSorts = ['Id', 'Path', 'DateCreated', 'Name'] as const;
/**
 * Spec 1.6: file lists page 0-1000, yet the Python SDK asks every list for Limit=1024: accept up
 * to 1024 like every list, and answer at most 1000 ("the server may return fewer").
 */
const MAX_FILE_PAGE = 1000;
const PARENTS: Record<string, FileParent> = {
  runs: 'run',
  samples: 'sample',
  appresults: 'appresult',
};

const FileListQuery = Type.Object({
  Offset: Type.Optional(Type.Integer({ minimum: 0 })),
  Limit: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: MAX_LIMIT,
      description: `At most ${MAX_FILE_PAGE} are returned`,
    }),
  ),
  SortBy: Type.Optional(StringEnum(FileSorts)),
  SortDir: Type.Optional(StringEnum(['Asc', 'Desc'] as const)),
  Extensions: Type.Optional(
    Type.String({ maxLength: 1024, description: 'Comma list, e.g. .bam,vcf.gz' }),
  ),
  Directory: Type.Optional(
    Type.String({ maxLength: 1024, description: 'Files in this directory or below' }),
  ),
  ...PropertyFilterQuery,
});

const ContentQuery = Type.Object({
  redirect: Type.Optional(
    Type.String({
      maxLength: 16,
      description: 'meta: JSON with a signed URL; true: 302 to it; false/absent: the bytes',
    }),
  ),
  expires: Type.Optional(Type.String({ maxLength: 16 })),
  signature: Type.Optional(Type.String({ maxLength: 128 })),
});

/** Metadata, lists, parts and downloads: ordinary JSON routes. */
export const fileRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (
  app,
  { services, publicUrl },
) => {
  const tags = ['Files'];

  for (const collection of Object.keys(PARENTS)) {
    app.get(
      `/${collection}/:id/files`,
      {
        schema: {
          tags,
          summary: `Complete files of a ${PARENTS[collection]}`,
          params: IdParams,
          querystring: FileListQuery,
          response: { 200: ListEnvelope(File), ...errorResponses },
        },
      },
      async (request) => {
        const requested = pageRequest(request.query, 'Id');
        const page = { ...requested, limit: Math.min(requested.limit, MAX_FILE_PAGE) };
        const result = await services.files.list(
          request.principal,
          { kind: PARENTS[collection]!, id: request.params.id },
          {
            extensions: parseExtensions(request.query.Extensions),
            directory: request.query.Directory?.replace(/\/+$/, ''),
            property: parsePropertyMatch(request.query.PropertyName, request.query.PropertyValue),
          },
          page,
        );
        return okList(result, page, present.file);
      },
    );
  }

  app.get(
    '/files/:id',
    { schema: { tags, params: IdParams, response: { 200: Envelope(File), ...errorResponses } } },
    async (request) => {
      const file = await services.files.get(request.principal, request.params.id);
      return ok({
        ...present.file(file),
        ...(await propertiesOf(services, request.principal, 'file', file.id)),
      });
    },
  );

  app.get(
    '/files/:id/parts',
    {
      schema: {
        tags,
        summary: 'Parts received so far of a multipart upload (HrefParts), to resume it',
        params: IdParams,
        response: { 200: ListEnvelope(FilePart), ...errorResponses },
      },
    },
    async (request) => {
      const { parts } = await services.files.listParts(request.principal, request.params.id);
      const page = { offset: 0, limit: parts.length, sortBy: 'Number', sortDir: 'Asc' as const };
      return okList({ items: parts, totalCount: parts.length }, page, present.filePart);
    },
  );

  app.get(
    '/files/:id/content',
    {
      config: { auth: 'signed-url' },
      schema: {
        tags,
        summary:
          'The bytes (Range supported), a 302 to a signed URL (redirect=true), or that URL (redirect=meta)',
        params: IdParams,
        querystring: ContentQuery,
        response: {
          200: Envelope(ContentMeta),
          ...errorResponses,
          416: { $ref: 'ErrorEnvelope#' },
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      if (q.signature !== undefined) {
        const file = await services.files.signedReadable(
          request.params.id,
          q.expires ?? '',
          q.signature,
          request.ip,
        );
        return sendContent(request, reply, file, services);
      }
      const redirect = q.redirect?.toLowerCase();
      if (redirect === 'meta' || redirect === 'true' || redirect === '1' || redirect === '') {
        const signed = await services.files.contentUrl(
          request.principal,
          request.params.id,
          presentContext(request, publicUrl).origin,
        );
        if (redirect === 'meta') {
          return ok({
            HrefContent: signed.url,
            Expires: present.date(signed.expires.toISOString()),
            SupportsRange: true,
          });
        }
        return reply.redirect(signed.url, 302);
      }
      if (redirect !== undefined && redirect !== 'false' && redirect !== '0') {
        throw new AppError('BadRequest', 'redirect must be true, false or meta');
      }
      return sendContent(
        request,
        reply,
        await services.files.readable(request.principal, request.params.id),
        services,
      );
    },
  );
};

async function sendContent(
  request: FastifyRequest,
  reply: FastifyReply,
  file: Awaited<ReturnType<RouteDeps['services']['files']['readable']>>,
  services: RouteDeps['services'],
) {
  const etag = `"${file.md5}"`;
  reply.header('ETag', etag);
  reply.header('Accept-Ranges', 'bytes');
  reply.header('Content-Disposition', contentDisposition(file.name));
  reply.header('Last-Modified', new Date(file.modifiedAt).toUTCString());
  reply.header('Cache-Control', 'private, max-age=0');
  if (request.headers['if-none-match'] === etag) return reply.status(304).send();
  // If-Range with another validator means the client's copy is stale: send the whole file.
  const ifRange = request.headers['if-range'];
  const range =
    ifRange === undefined || ifRange === etag
      ? parseRange(request.headers.range, file.size)
      : undefined;
  reply.type(file.contentType);
  return sendBytes(request, reply, file.size, range, () => services.files.content(file, range));
}

/** Request headers and query of an upload, for the file service. */
function uploadMeta(request: FastifyRequest) {
  const length = request.headers['content-length'];
  return {
    contentType:
      (request.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim() ||
      'application/octet-stream',
    contentLength: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined,
  };
}

/** Small bodies on upload routes (multipart init, status changes) are read whole, up to this. */
const SMALL_BODY_LIMIT = 64 * 1024;

/** Reads a small JSON or form body of an upload-scope route into lower-cased keys. */
async function smallBodyFields(request: FastifyRequest): Promise<Record<string, string>> {
  const body = request.body as Readable | undefined;
  if (!body) return {};
  let text = '';
  for await (const chunk of body) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > SMALL_BODY_LIMIT)
      throw new AppError('PayloadTooLarge', `This body may be at most ${SMALL_BODY_LIMIT} bytes`);
  }
  const fields: Record<string, string> = {};
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      for (const [k, v] of Object.entries(JSON.parse(trimmed) as Record<string, unknown>)) {
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
          fields[k.toLowerCase()] = String(v);
      }
    } catch {
      // Not JSON after all: the SDK sends `{"uploadstatus": ...}` without a Content-Type; ignore.
    }
  } else if (trimmed.includes('=')) {
    for (const [k, v] of new URLSearchParams(trimmed)) fields[k.toLowerCase()] = v;
  }
  return fields;
}

const UploadQuery = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 4096 })),
  directory: Type.Optional(Type.String({ maxLength: 4096 })),
  multipart: Type.Optional(Type.String({ maxLength: 8 })),
});

/**
 * Routes whose bodies are file bytes: every content type is passed through as a stream, never
 * parsed or buffered (single-part uploads up to the configured limit, parts up to theirs).
 */
export const fileUploadRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  const tags = ['Files'];
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  // Runs take files while Uploading (issue 6): the same single-part and multipart machinery.
  for (const collection of ['samples', 'appresults', 'runs'] as const) {
    app.post(
      `/${collection}/:id/files`,
      {
        schema: {
          tags,
          summary: 'Single-part upload (raw body), or multipart=true to start a multipart upload',
          params: IdParams,
          querystring: UploadQuery,
          response: {
            200: Envelope(File),
            ...errorResponses,
            409: { $ref: 'ErrorEnvelope#' },
            413: { $ref: 'ErrorEnvelope#' },
          },
        },
      },
      async (request, reply) => {
        const parent = { kind: PARENTS[collection]!, id: request.params.id };
        let { name, directory, multipart } = request.query;
        const meta = uploadMeta(request);
        // Java posts name/directory/multipart as a form, C# as JSON: read them from a small body.
        if (name === undefined && /json|x-www-form-urlencoded/.test(meta.contentType)) {
          const fields = await smallBodyFields(request);
          name = fields.name;
          directory ??= fields.directory;
          multipart ??= fields.multipart;
        }
        if (multipart !== undefined && multipart.toLowerCase() === 'true') {
          (request.body as Readable | undefined)?.resume();
          return ok(
            present.file(
              await services.files.initMultipart(request.principal, parent, {
                name,
                directory,
                contentType: meta.contentType,
              }),
            ),
          );
        }
        const body = (request.body as Readable | undefined) ?? Readable.from([]);
        const controller = new AbortController();
        request.raw.on('close', () => {
          if (!request.raw.complete) controller.abort();
        });
        const file = await services.files.uploadSingle(
          request.principal,
          parent,
          { name, directory, ...meta },
          body,
          controller.signal,
        );
        return reply.send(ok(present.file(file)));
      },
    );
  }

  app.put(
    '/files/:id/parts/:number',
    {
      schema: {
        tags,
        summary: 'Upload part n (1-10000) of a multipart upload; re-sending a part replaces it',
        params: Type.Object({
          id: Type.String({ maxLength: 64 }),
          number: Type.String({ maxLength: 16 }),
        }),
        response: { 200: Envelope(FilePart), ...errorResponses, 409: { $ref: 'ErrorEnvelope#' } },
      },
    },
    async (request) => {
      const body = (request.body as Readable | undefined) ?? Readable.from([]);
      const md5 = request.headers['content-md5'];
      const controller = new AbortController();
      request.raw.on('close', () => {
        if (!request.raw.complete) controller.abort();
      });
      const part = await services.files.putPart(
        request.principal,
        request.params.id,
        request.params.number,
        body,
        typeof md5 === 'string' ? md5 : undefined,
        uploadMeta(request).contentLength,
        controller.signal,
      );
      // Compact JSON: the Python SDK keeps only the last whitespace-separated token of this body.
      return ok({ Number: part.number, ETag: part.md5, Size: part.size });
    },
  );

  app.post(
    '/files/:id',
    {
      schema: {
        tags,
        summary:
          'uploadstatus=complete assembles a multipart upload; aborted discards it (query, form or JSON)',
        params: IdParams,
        querystring: Type.Object({ uploadstatus: Type.Optional(Type.String({ maxLength: 32 })) }),
        response: { 200: Envelope(File), ...errorResponses, 409: { $ref: 'ErrorEnvelope#' } },
      },
    },
    async (request) => {
      const fields = await smallBodyFields(request);
      const status = request.query.uploadstatus ?? fields.uploadstatus;
      return ok(
        present.file(
          await services.files.setUploadStatus(request.principal, request.params.id, status),
        ),
      );
    },
  );
};
