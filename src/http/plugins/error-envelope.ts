import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AppError,
  ErrorCodes,
  RateLimitedError,
  truncateForMessage,
  type ErrorCode,
} from '../../domain/index.js';
import { dependencyFailure } from './dependency-errors.js';

/**
 * Retry-After of a 503: a restarting PostgreSQL or S3 server is usually back within seconds, and
 * the SDK (src/sdk/http.ts) retries 503s on its own.
 */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** Renders every error as the BaseSpace envelope (spec 1.7). The only place that does. */
export function errorEnvelope(code: string, message: string) {
  return {
    ResponseStatus: { ErrorCode: code, Message: message },
    Notifications: [{ Type: 'error', Item: message }],
  };
}

/** Fastify's own 4xx errors, mapped to our codes by HTTP status. */
const BY_STATUS: Record<number, ErrorCode> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
};

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `querystring/Limit must be <= 1024` -> `Invalid Limit: must be <= 1024`, naming the field. */
function validationMessage(error: FastifyError): string {
  const first = (error.validation as AjvError[] | undefined)?.[0];
  if (!first) return error.message;
  const context = (error as { validationContext?: string }).validationContext ?? '';
  const path = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  // A missing nested field is named in full (`References.0.HrefContent`), not by its parent.
  const field =
    first.keyword === 'required'
      ? [path, String(first.params.missingProperty)].filter(Boolean).join('.')
      : path || context;
  const where =
    context === 'querystring'
      ? 'query parameter'
      : context === 'params'
        ? 'path parameter'
        : 'body field';
  if (first.keyword === 'required') return `Missing required ${where} ${field}`;
  if (first.keyword === 'enum') {
    const allowed = (first.params.allowedValues as unknown[] | undefined)?.join(', ');
    return `Invalid ${where} ${field}: must be one of ${allowed}`;
  }
  if (!first.instancePath && context === 'body')
    return `Invalid request body: ${first.message ?? 'malformed'}`;
  return `Invalid ${where} ${field}: ${first.message ?? 'malformed'}`;
}

/** htsget 1.3 error names by HTTP status ("Errors" table). */
const HTSGET_ERROR: Record<number, string> = {
  400: 'InvalidInput',
  401: 'InvalidAuthentication',
  403: 'PermissionDenied',
  404: 'NotFound',
};

/**
 * An error in the shape of the API the path belongs to: htsget (htsget 1.3 "Errors") and DRS
 * (DRS 1.4 `Error`) clients read their own shapes; everything else reads the BaseSpace envelope.
 * Used where no route's own handler runs: unknown paths, malformed URLs, unparsable bodies.
 */
function errorBodyFor(
  path: string,
  status: number,
  code: ErrorCode,
  message: string,
): { type: string; body: unknown } {
  if (/^\/htsget\//i.test(path))
    return {
      type: 'application/vnd.ga4gh.htsget.v1.3.0+json; charset=utf-8',
      body: { htsget: { error: HTSGET_ERROR[status] ?? 'InvalidInput', message } },
    };
  if (/^\/ga4gh\/drs\//i.test(path))
    return { type: 'application/json; charset=utf-8', body: { msg: message, status_code: status } };
  return { type: 'application/json; charset=utf-8', body: errorEnvelope(code, message) };
}

/**
 * Errors the router raises before any hook runs, for a path segment that is not valid
 * %-encoding or is longer than the router allows. Fastify would answer them in its own JSON,
 * which no SDK can read. Such a segment names nothing, like a malformed id (spec 1.7): a 404,
 * in the error shape of the API the path belongs to.
 */
export function frameworkErrors(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  if (error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    const path = truncateForMessage(request.url.split('?')[0] ?? '', 100);
    const message = `No such resource: ${request.method} ${path}`;
    const { type, body } = errorBodyFor(path, 404, 'NotFound', message);
    reply.status(404).type(type).send(body);
    return;
  }
  request.log.error({ err: error }, 'router error');
  reply
    .status(500)
    .send(
      errorEnvelope(
        'InternalServerError',
        `Internal error; quote request id ${request.id} when reporting it`,
      ),
    );
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them: malformed framing (a bad
 * chunk, Content-Length with Transfer-Encoding, control characters in a header) is a 400, headers
 * over Node's 16 KiB limit a 431, a request that stalls a 408. Fastify's default answer is its
 * own JSON; this one is the BaseSpace envelope, so every 4xx a client can get has one shape.
 * The connection is closed after it: the parser's state is unknown.
 */
export function clientErrors(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, reason, message]: [number, ErrorCode, string, string] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'RequestTimeout', 'Request Timeout', 'The request did not arrive in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [
            431,
            'RequestHeaderFieldsTooLarge',
            'Request Header Fields Too Large',
            'The request line and headers exceed 16 KiB: send long values in a JSON body',
          ]
        : [400, 'BadRequest', 'Bad Request', 'Malformed HTTP request'];
  const body = JSON.stringify(errorEnvelope(code, message));
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n` +
        `Content-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  socket.destroy();
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(
    (error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) => {
      if (error instanceof RateLimitedError)
        reply.header('Retry-After', String(error.retryAfterSeconds));
      if (error instanceof AppError) {
        return reply.status(error.httpStatus).send(errorEnvelope(error.code, error.message));
      }
      const fe = error as FastifyError;
      if (fe.validation) {
        return reply.status(400).send(errorEnvelope('BadRequest', validationMessage(fe)));
      }
      const status = fe.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        const code = BY_STATUS[status] ?? 'BadRequest';
        const message =
          fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.name === 'SyntaxError'
            ? `Malformed JSON body: ${fe.message}`
            : fe.message;
        const sent = status in BY_STATUS ? status : 400;
        // Only requests no route matched reach here with an htsget or DRS path (those plugins
        // have their own handlers): e.g. a body refused on an unknown htsget path.
        const { type, body } = errorBodyFor(request.url.split('?')[0] ?? '', sent, code, message);
        return reply.status(sent).type(type).send(body);
      }
      const failure = dependencyFailure(error);
      if (failure === 'unavailable') {
        request.log.warn({ err: error }, 'dependency unavailable');
        return reply
          .status(503)
          .header('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS))
          .send(
            errorEnvelope(
              'ServiceUnavailable',
              `The hub cannot reach its database or file storage right now; try again shortly (request id ${request.id})`,
            ),
          );
      }
      if (failure === 'full') {
        request.log.error({ err: error }, 'storage full');
        return reply
          .status(507)
          .send(
            errorEnvelope(
              'InsufficientStorage',
              `The hub's storage is full; nothing was stored (request id ${request.id})`,
            ),
          );
      }
      request.log.error({ err: error }, 'unhandled error');
      return reply
        .status(500)
        .send(
          errorEnvelope(
            'InternalServerError',
            `Internal error; quote request id ${request.id} when reporting it`,
          ),
        );
    },
  );

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const message = `No such endpoint: ${request.method} ${path}`;
    const { type, body } = errorBodyFor(path, 404, 'NotFound', message);
    reply.status(404).type(type).send(body);
  });
}

export const ErrorCodeList = Object.keys(ErrorCodes) as ErrorCode[];
