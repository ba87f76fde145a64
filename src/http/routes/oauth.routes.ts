import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  API_CLIENT_APPLICATION,
  AppError,
  OAuthError,
  RateLimitedError,
  href,
} from '../../domain/index.js';
import { presentedToken } from '../plugins/auth.js';
import { user as presentUser } from '../presenters/resources.presenter.js';
import { DateTime, Envelope, Href, Id, errorResponses } from '../schemas/common.schema.js';
import { User } from '../schemas/resources.schema.js';
import type { RouteDeps } from './deps.js';
import { formatBaseSpaceDate } from '../../domain/index.js';
import { ok, presentContext } from './reply.js';

const opt = Type.Optional;
const Str = Type.String({ maxLength: 4096 });

/** Token endpoint fields (spec 1.3.1, 1.3.2); keys are case-insensitive like every body. */
const TokenBody = Type.Object(
  {
    grant_type: opt(Str),
    client_id: opt(Str),
    client_secret: opt(Str),
    code: opt(Str),
    device_code: opt(Str),
    redirect_uri: opt(Str),
  },
  { description: 'Form-encoded (Python, Java, R) or JSON (C#) body' },
);

const DeviceBody = Type.Object({
  client_id: opt(Str),
  scope: opt(Str),
  response_type: opt(Str),
});

const OAuthErrorBody = Type.Object(
  { error: Type.String(), error_description: Type.String() },
  { description: 'Bare OAuth error object (RFC 6749 5.2), no envelope' },
);

const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.String(),
  expires_in: opt(Type.Integer()),
  scope: Type.String(),
});

const DeviceResponse = Type.Object({
  device_code: Type.String(),
  user_code: Type.String(),
  verification_uri: Type.String(),
  verification_with_code_uri: Type.String(),
  verification_uri_complete: Type.String(),
  expires_in: Type.Integer(),
  interval: Type.Integer(),
});

const ApplicationCompact = Type.Object({ Id, Href, Name: Type.String() });

const AccessTokenDetails = Type.Object({
  Id,
  Href,
  AccessToken: Type.String(),
  Application: ApplicationCompact,
  UserResourceOwner: User,
  Status: Type.String({ description: 'Active, or Revoked in the answer to DELETE' }),
  DateCreated: opt(DateTime),
  DateExpires: opt(DateTime),
  Scopes: Type.Array(Type.String()),
});

/** `Authorization: Basic base64(id:secret)`, each part form-encoded (RFC 6749 2.3.1). */
function basicCredentials(request: FastifyRequest): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(request.headers.authorization ?? '');
  if (!match) return undefined;
  const text = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { id: decode(text.slice(0, colon)), secret: decode(text.slice(colon + 1)) };
}

/** OAuth answers are never cached (RFC 6749 5.1). */
const noStore = (reply: FastifyReply) =>
  reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');

/**
 * `POST oauthv2/token` and `POST oauthv2/deviceauthorization` (spec 1.3): bare JSON answers,
 * errors as `{"error", "error_description"}`, never the v1 envelope. A 429 carries both shapes so
 * that OAuth clients and v1 clients can each read it.
 */
export const oauthEndpointRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (
  app,
  { services, publicUrl },
) => {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    noStore(reply);
    if (error instanceof OAuthError) {
      if (error.error === 'invalid_client' && /^Basic\s/i.test(request.headers.authorization ?? ''))
        reply.header('WWW-Authenticate', 'Basic realm="seqhub"');
      return reply
        .status(error.httpStatus)
        .send({ error: error.error, error_description: error.description });
    }
    if (error instanceof RateLimitedError) {
      return reply
        .status(429)
        .header('Retry-After', String(error.retryAfterSeconds))
        .send({
          error: 'slow_down',
          error_description: error.message,
          ResponseStatus: { ErrorCode: error.code, Message: error.message },
          Notifications: [{ Type: 'error', Item: error.message }],
        });
    }
    // The body parsers' own refusals (a JSON body that is not UTF-8) are AppErrors; they were
    // answered as 500s here until the fuzzer sent one (test/http/framing.test.ts).
    if (error instanceof AppError && error.httpStatus < 500) {
      return reply.status(400).send({ error: 'invalid_request', error_description: error.message });
    }
    const fe = error as FastifyError;
    const status = fe.statusCode ?? 500;
    if (fe.validation || (status >= 400 && status < 500)) {
      return reply.status(400).send({
        error: 'invalid_request',
        error_description: fe.validation
          ? `Malformed request: ${fe.message}`
          : `Malformed request body: ${fe.message}`,
      });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply
      .status(500)
      .send({ error: 'server_error', error_description: `Internal error; request ${request.id}` });
  });

  app.post(
    '/oauthv2/token',
    {
      config: { auth: false },
      schema: {
        tags: ['OAuth'],
        summary: 'Exchange an authorization code, or poll a device code, for an access token',
        description:
          'grant_type=authorization_code (client_id, client_secret, code, redirect_uri) or grant_type=device (client_id, client_secret, code or device_code). Client credentials in the body or HTTP Basic. Errors: invalid_request, invalid_client (401), invalid_grant, unsupported_grant_type, authorization_pending, access_denied, expired_token, slow_down.',
        security: [],
        body: TokenBody,
        response: { 200: TokenResponse, 400: OAuthErrorBody, 401: OAuthErrorBody },
      },
    },
    async (request, reply) => {
      noStore(reply);
      const body = request.body ?? {};
      const basic = basicCredentials(request);
      return services.oauth.token(
        {
          grantType: body.grant_type,
          clientId: body.client_id ?? basic?.id,
          clientSecret: body.client_secret ?? basic?.secret,
          code: body.code ?? body.device_code,
          redirectUri: body.redirect_uri,
        },
        request.ip,
      );
    },
  );

  app.post(
    '/oauthv2/deviceauthorization',
    {
      config: { auth: false },
      schema: {
        tags: ['OAuth'],
        summary: 'Start a device authorization (spec 1.3.2)',
        security: [],
        body: DeviceBody,
        response: { 200: DeviceResponse, 400: OAuthErrorBody, 401: OAuthErrorBody },
      },
    },
    async (request, reply) => {
      noStore(reply);
      const body = request.body ?? {};
      if (body.response_type !== undefined && body.response_type !== 'device_code')
        throw new OAuthError('invalid_request', 'response_type must be device_code');
      const { origin } = presentContext(request, publicUrl);
      return services.oauth.startDevice({ clientId: body.client_id, scope: body.scope }, origin);
    },
  );
};

/** `GET|DELETE oauthv2/token/current` (spec 1.3.4): in the v1 envelope, like any API call. */
export const tokenRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  const details = async (request: FastifyRequest, status: 'Active' | 'Revoked') => {
    const d = await services.oauth.tokenDetails(request.principal);
    const app = d.client
      ? { Id: d.client.id, Href: href('application', d.client.id), Name: d.client.name }
      : {
          Id: API_CLIENT_APPLICATION.id,
          Href: href('application', API_CLIENT_APPLICATION.id),
          Name: API_CLIENT_APPLICATION.name,
        };
    return {
      Id: d.id,
      Href: 'v1pre3/oauthv2/token/current',
      AccessToken: presentedToken(request) ?? '',
      Application: app,
      UserResourceOwner: presentUser(d.user),
      Status: status,
      ...(d.createdAt ? { DateCreated: formatBaseSpaceDate(d.createdAt) } : {}),
      ...(d.expiresAt ? { DateExpires: formatBaseSpaceDate(d.expiresAt) } : {}),
      Scopes: d.scopes,
    };
  };

  app.get(
    '/oauthv2/token/current',
    {
      schema: {
        tags: ['OAuth'],
        summary: 'The presented token: its application, owner and scopes',
        response: { 200: Envelope(AccessTokenDetails), ...errorResponses },
      },
    },
    async (request, reply) => {
      noStore(reply);
      return ok(await details(request, 'Active'));
    },
  );

  app.delete(
    '/oauthv2/token/current',
    {
      schema: {
        tags: ['OAuth'],
        summary: 'Revoke the presented token (v2 has DELETE oauthv2tokens/current)',
        response: { 200: Envelope(AccessTokenDetails), ...errorResponses },
      },
    },
    async (request, reply) => {
      noStore(reply);
      const answer = await details(request, 'Revoked');
      await services.oauth.revokeCurrent(request.principal, presentedToken(request)!, request.ip);
      return ok(answer);
    },
  );
};
