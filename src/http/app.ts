import formbody from '@fastify/formbody';
import { randomBytes } from 'node:crypto';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import Fastify, {
  type FastifyInstance,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { badRequest } from '../domain/index.js';
import type { Services } from '../services/index.js';
import { installAuth } from './plugins/auth.js';
import { caseInsensitiveParams } from './plugins/case-insensitive.js';
import { clientErrors, frameworkErrors, installErrorHandling } from './plugins/error-envelope.js';
import { appResultRoutes } from './routes/appresults.routes.js';
import { applicationRoutes } from './routes/applications.routes.js';
import { appSessionRoutes, appSessionV2Routes } from './routes/appsessions.routes.js';
import { drsRoutes } from './routes/drs.routes.js';
import { fileRoutes, fileUploadRoutes } from './routes/files.routes.js';
import { genomeRoutes } from './routes/genomes.routes.js';
import { genomicsRoutes } from './routes/genomics.routes.js';
import { htsgetRoutes } from './routes/htsget.routes.js';
import { projectRoutes } from './routes/projects.routes.js';
import { propertyRoutes } from './routes/properties.routes.js';
import { runRoutes } from './routes/runs.routes.js';
import { searchRoutes } from './routes/search.routes.js';
import { oauthEndpointRoutes, tokenRoutes } from './routes/oauth.routes.js';
import { sharingRoutes } from './routes/sharing.routes.js';
import { userRoutes } from './routes/users.routes.js';
import { webRoutes } from './web/web.routes.js';
import { installOps, requestId, type OpsOptions } from './plugins/ops.js';
import { redactUrl } from './plugins/redact.js';
import { installSecurityHeaders } from './plugins/security-headers.js';
import { ErrorEnvelope } from './schemas/common.schema.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every registered route, in registration order. */
    routeTable: readonly { method: string; url: string }[];
  }
}

export interface HttpOptions {
  services: Services;
  /** Absolute origin clients use, when it differs from what requests show (behind a proxy). */
  publicUrl?: string | undefined;
  logger?: FastifyServerOptions['logger'];
  /** Proxies whose X-Forwarded-For is believed (Fastify's `trustProxy`: addresses or CIDRs). */
  trustProxy?: boolean | string | undefined;
  version: string;
  /** Hex key binding CSRF tokens to sessions, shared by every process (WebAuthService.csrfKey). */
  csrfKey?: string;
  /** The built web UI (Vite's output), served under /app/. */
  uiDir?: string | undefined;
  /** The origin of signed content URLs when not the hub's (S3): the UI's CSP lets pages fetch it. */
  storageOrigin?: string | undefined;
  /** Metrics and readiness checks (`/metrics`, `/readyz`); absent, both report nothing. */
  ops?: OpsOptions;
}

/**
 * JSON request bodies are small metadata objects; 1 MiB is far above any legitimate one and
 * keeps a hostile body from costing memory. File uploads (their own routes) stream instead.
 */
const JSON_BODY_LIMIT = 1024 * 1024;

/**
 * Query strings are strings, so their validator coerces (`Limit=10` -> 10); bodies are JSON and
 * are validated strictly, so a wrong type is a 400 rather than a silent conversion.
 */
function validators(app: FastifyInstance): void {
  const common = {
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  } as const;
  const coercing = new Ajv({ ...common, coerceTypes: 'array' });
  const strict = new Ajv({ ...common, coerceTypes: false });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object),
  );
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function bodyParsers(app: FastifyInstance): void {
  // The SDKs send `Content-Type: application/json` with an empty body on some POSTs: that is {}.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    // JSON is UTF-8 (RFC 8259 8.1); decoding leniently would store U+FFFD in place of the bytes.
    let text: string;
    try {
      text = strictUtf8.decode(body as Buffer);
    } catch {
      return done(badRequest('Malformed JSON body: it is not valid UTF-8'), undefined);
    }
    if (text.trim() === '') return done(null, {});
    return json(request, text, done);
  });
  // Fastify parses text/plain by default; a body there is neither JSON nor a form, so a 415.
  app.removeContentTypeParser('text/plain');
  // Anything else is accepted only when empty (`POST files/{id}?uploadstatus=complete` style).
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    if ((body as Buffer).length === 0) return done(null, undefined);
    const error = new Error(
      `Unsupported Content-Type '${request.headers['content-type'] ?? ''}': send application/json or a form`,
    ) as Error & { statusCode: number };
    error.statusCode = 415;
    return done(error, undefined);
  });
}

/**
 * Request logs show the URL with every secret-bearing query parameter blanked (`access_token`,
 * signed-URL signatures, codes, state): tokens must never reach a log at any level.
 */
function withRedaction(logger: HttpOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return false;
  const base = typeof logger === 'object' ? logger : {};
  return {
    ...base,
    serializers: {
      ...(base.serializers ?? {}),
      req: (req: FastifyRequest) => ({
        method: req.method,
        url: redactUrl(req.url),
        host: req.host,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
  };
}

export async function buildHttpApp(options: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: withRedaction(options.logger),
    bodyLimit: JSON_BODY_LIMIT,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    trustProxy: options.trustProxy ?? false,
    return503OnClosing: true,
    frameworkErrors,
    clientErrorHandler: clientErrors,
    genReqId: requestId,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Every route as registered (method + URL), for the authorization matrix test (issue 4), which
  // fails when a route has no entry: new endpoints cannot slip past it.
  const routeTable: { method: string; url: string }[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routeTable.push({ method, url: route.url });
  });

  validators(app);
  installOps(app, options.ops ?? {});
  installSecurityHeaders(app);
  installErrorHandling(app);
  await app.register(formbody);
  bodyParsers(app);
  caseInsensitiveParams(app);
  installAuth(app, options.services);
  app.addSchema(ErrorEnvelope);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'seqhub BaseSpace v1pre3 API',
        version: options.version,
        description: 'Self-hosted sequencing data hub speaking the Illumina BaseSpace v1pre3 API.',
      },
      components: {
        securitySchemes: {
          accessToken: { type: 'apiKey', in: 'header', name: 'x-access-token' },
          bearer: { type: 'http', scheme: 'bearer' },
          accessTokenQuery: { type: 'apiKey', in: 'query', name: 'access_token' },
          shareLink: {
            type: 'apiKey',
            in: 'query',
            name: 'link',
            description:
              "A project's read-only share link (also accepted wherever an access token is)",
          },
        },
      },
      security: [{ accessToken: [] }, { bearer: [] }, { accessTokenQuery: [] }, { shareLink: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`),
    },
  });

  const deps = { services: options.services, publicUrl: options.publicUrl };
  await app.register(
    async (v1) => {
      await v1.register(userRoutes, deps);
      await v1.register(projectRoutes, deps);
      await v1.register(appSessionRoutes, deps);
      await v1.register(appResultRoutes, deps);
      await v1.register(runRoutes, deps);
      await v1.register(genomeRoutes, deps);
      await v1.register(applicationRoutes, deps);
      await v1.register(fileRoutes, deps);
      await v1.register(genomicsRoutes, deps);
      await v1.register(propertyRoutes, deps);
      await v1.register(searchRoutes, deps);
      await v1.register(sharingRoutes, deps);
      await v1.register(fileUploadRoutes, deps);
      await v1.register(oauthEndpointRoutes, deps);
      await v1.register(tokenRoutes, deps);
    },
    { prefix: '/v1pre3' },
  );
  await app.register(appSessionV2Routes, { ...deps, prefix: '/v2' });
  await app.register(htsgetRoutes, deps);
  await app.register(drsRoutes, { ...deps, prefix: '/ga4gh/drs/v1' });
  await app.register(webRoutes, {
    ...deps,
    csrfKey: options.csrfKey ?? randomBytes(32).toString('hex'),
    uiDir: options.uiDir,
    storageOrigin: options.storageOrigin,
  });

  app.get('/openapi.json', { config: { auth: false }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  return app;
}
