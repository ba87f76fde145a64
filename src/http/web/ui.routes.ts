import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/index.js';
import type { Services } from '../../services/index.js';
import { errorEnvelope } from '../plugins/error-envelope.js';
import { SESSION_COOKIE } from './web.routes.js';

export interface UiDeps {
  services: Services;
  /** The built UI (Vite's output: index.html and assets/); absent: a page says to build it. */
  uiDir?: string | undefined;
  /**
   * The origin signed content URLs point at when it is not the hub's own (an S3 endpoint): the
   * viewer fetches file bytes from there, so the page's `connect-src` names it.
   */
  storageOrigin?: string | undefined;
}

/** The UI lives under this path; the API (/v1pre3, /v2), /oauth, /signin and /htsget stay as they are. */
export const UI_BASE = '/app/';

/**
 * The part size the UI cuts uploads at, when the hub allows parts this large: the SDK's
 * DEFAULT_PART_SIZE (16 MiB), whose reasons hold in a browser too (a resumed upload loses at most
 * a part; a part is read whole into memory, four at a time).
 */
export const UI_PART_SIZE = 16 * 1024 * 1024;

/** The header the UI sends when it asks for a token: a cross-site page cannot send it (preflight). */
export const UI_HEADER = 'x-seqhub-ui';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/**
 * The UI's pages may run only our own scripts, talk only to this hub (and to the storage that
 * signed URLs point at), and not be framed. igv.js sets inline styles and draws into canvases
 * (blob: and data: images).
 */
export function uiContentSecurityPolicy(storageOrigin?: string): string {
  const connect = ["'self'", 'data:', 'blob:', ...(storageOrigin ? [storageOrigin] : [])];
  return (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
    `connect-src ${connect.join(' ')}; worker-src 'self' blob:; font-src 'self' data:; object-src 'none'; ` +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
  );
}

interface Asset {
  body: Buffer;
  gzip: Buffer | undefined;
  type: string;
}

/**
 * The web UI (issue 9): Vite's static build served under {@link UI_BASE}, with an SPA fallback
 * (any other path under it answers index.html, which routes in the browser), and
 * `POST /app/session`, which turns the sign-in cookie into a short-lived API token for the page
 * (see docs/ui.md for why a token and how it is protected).
 */
export async function uiRoutes(app: FastifyInstance, deps: UiDeps): Promise<void> {
  const { services } = deps;
  const hidden = { schema: { hide: true }, config: { auth: false } } as const;
  const assets = new Map<string, Asset | null>();
  const csp = uiContentSecurityPolicy(deps.storageOrigin);
  // Files up to the part size go up in one request, so it must fit the single-part limit too.
  // Read at request time: the OpenAPI build registers these routes without services.
  const uploadPartSize = () => {
    const { maxPartBytes, maxSinglePartBytes } = services.files.options;
    return Math.min(UI_PART_SIZE, maxPartBytes, maxSinglePartBytes);
  };

  /** A built file, read once and kept (gzipped too when worth it); null when there is none. */
  const asset = (name: string): Asset | null => {
    const cached = assets.get(name);
    if (cached !== undefined) return cached;
    let found: Asset | null = null;
    const path = deps.uiDir && join(deps.uiDir, name);
    if (path && existsSync(path) && statSync(path).isFile()) {
      const body = readFileSync(path);
      const ext = /\.[a-z0-9]+$/.exec(name)?.[0] ?? '';
      const type = TYPES[ext] ?? 'application/octet-stream';
      const gzip = /^(text|application\/json|image\/svg)/.test(type) ? gzipSync(body) : undefined;
      found = { body, gzip, type };
    }
    assets.set(name, found);
    return found;
  };

  const send = (request: FastifyRequest, reply: FastifyReply, file: Asset) => {
    reply.header('Content-Type', file.type);
    if (!reply.hasHeader('Vary')) reply.header('Vary', 'Accept-Encoding');
    if (file.gzip && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? '')))
      return reply.header('Content-Encoding', 'gzip').send(file.gzip);
    return reply.send(file.body);
  };

  /** The session answer `POST /app/session` gives, for a live sign-in cookie. */
  const openSession = async (request: FastifyRequest) => {
    const opened = await services.web.openUiSession(request.cookies[SESSION_COOKIE], request.ip);
    if (!opened) return undefined;
    const { user, token, expiresAt } = opened;
    return {
      AccessToken: token,
      ExpiresAt: expiresAt,
      User: { Id: user.id, Name: user.name, Email: user.email },
      UploadPartSize: uploadPartSize(),
    };
  };

  const indexPage = async (request: FastifyRequest, reply: FastifyReply) => {
    reply
      .header('Cache-Control', 'no-cache')
      .header('Vary', 'Cookie, Accept-Encoding')
      .header('Content-Security-Policy', csp)
      .header('Referrer-Policy', 'same-origin')
      .header('X-Frame-Options', 'DENY')
      .header('X-Content-Type-Options', 'nosniff');
    const index = asset('index.html');
    // Not built (a checkout without `npm run build`): a page that says so, same status as the app.
    if (!index)
      return reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><title>seqhub</title><p>The web UI is not built: run <code>npm run build</code>.</p>',
        );
    // A signed-in browser's copy carries its session, so the page's first API call waits for no
    // token request (the first load's longest wait, issue 9). That copy is never stored: not by
    // the browser, not by a proxy. A cross-site page cannot read it (no CORS, no framing).
    const session = await openSession(request);
    if (!session) return send(request, reply, index);
    // `<` escaped, so no value (a user's name) can close the element; module scripts run after
    // the whole document is parsed, so the element is there for them wherever it stands.
    const json = JSON.stringify(session).replace(/</g, '\\u003c');
    const element = `<script type="application/json" id="seqhub-session">${json}</script>`;
    const html = index.body.toString('utf8');
    const page = html.includes('</head>')
      ? html.replace('</head>', () => `${element}</head>`)
      : `${html}${element}`;
    return reply.header('Cache-Control', 'no-store').header('Content-Type', index.type).send(page);
  };

  app.get('/', hidden, async (_request, reply) => reply.redirect(UI_BASE, 302));
  // `/app/` is this route too (the router ignores trailing slashes): the page, not a redirect.
  app.get('/app', hidden, async (request, reply) => indexPage(request, reply));

  // Hashed file names change with their content: cached for a year, never revalidated.
  app.get('/app/assets/:name', hidden, async (request, reply) => {
    const { name } = request.params as { name: string };
    const file = /^[\w.-]+$/.test(name) && !name.startsWith('.') ? asset(`assets/${name}`) : null;
    if (!file)
      return reply
        .status(404)
        .header('Cache-Control', 'no-store')
        .type('text/plain; charset=utf-8')
        .send('Not found');
    reply
      .header('Cache-Control', 'public, max-age=31536000, immutable')
      .header('X-Content-Type-Options', 'nosniff');
    return send(request, reply, file);
  });

  app.get('/app/*', hidden, async (request, reply) => indexPage(request, reply));

  app.post('/app/session', hidden, async (request, reply) => {
    reply.header('Cache-Control', 'no-store');
    // A cross-site page can make a browser POST here with the cookie (SameSite=Lax lets top-level
    // navigations through), but not with a custom header, and never read the answer (no CORS).
    // Answered here as envelopes: the surrounding web pages' error handler renders HTML.
    const refuse = (error: AppError) =>
      reply.status(error.httpStatus).send(errorEnvelope(error.code, error.message));
    if (request.headers[UI_HEADER] !== '1')
      return refuse(new AppError('Forbidden', `The ${UI_HEADER} header is required`));
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `${request.protocol}://${request.host}`)
      return refuse(new AppError('Forbidden', 'Cross-origin requests cannot open a UI session'));
    const session = await openSession(request);
    if (!session) return refuse(new AppError('Unauthorized', 'Not signed in: sign in at /signin'));
    return { Response: session };
  });
}
