import type { FastifyInstance } from 'fastify';

/**
 * GA4GH endpoints browsers call from other origins (igv.js, htsget and DRS clients on another
 * site). They authenticate by bearer token or signed URL, never by cookie, so any origin may
 * read them: `*`, and never `Allow-Credentials` (browsers then send no cookies).
 */
const CROSS_ORIGIN = /^\/(htsget|ga4gh\/drs)\//i;

/** What a cross-origin caller may send (tokens, byte ranges, JSON bodies) and read back. */
const ALLOW_HEADERS = 'Authorization, X-Access-Token, Range, Content-Type';
const EXPOSE_HEADERS = 'Content-Length, Content-Range, Accept-Ranges, Retry-After, X-Request-Id';
/** Browsers cache a preflight this long (Chromium caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_S = 7200;

/**
 * One year, without includeSubDomains or preload: the hub may share its domain with hosts that
 * are not on HTTPS, and it cannot know.
 */
export const HSTS = 'max-age=31536000';

/**
 * Headers every reply carries (docs/security.md "Headers"):
 * - `Strict-Transport-Security` only on requests that came over HTTPS. The hub speaks plain HTTP
 *   behind a TLS proxy, so that is `X-Forwarded-Proto: https` from a proxy named in
 *   SEQHUB_TRUST_PROXY (Fastify's `request.protocol`); a client cannot fake it.
 * - CORS on htsget and DRS (see {@link CROSS_ORIGIN}), with their preflights answered; none on
 *   the v1pre3 API or the web pages, which serve only their own origin.
 * - `X-Content-Type-Options: nosniff` everywhere: no reply is to be sniffed into HTML.
 * The UI's Content-Security-Policy is set by the page routes (web/html.ts, web/ui.routes.ts).
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  // Callback hooks, not async ones: these run on every request (see ops.ts).
  app.addHook('onRequest', (request, reply, done) => {
    if (
      request.method === 'OPTIONS' &&
      request.headers['access-control-request-method'] !== undefined &&
      CROSS_ORIGIN.test(request.url)
    ) {
      reply
        .status(204)
        .header('Access-Control-Allow-Origin', '*')
        .header('Access-Control-Allow-Methods', 'GET, POST, OPTIONS')
        .header('Access-Control-Allow-Headers', ALLOW_HEADERS)
        .header('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_S))
        .send();
      return;
    }
    done();
  });

  // onSend, not onRequest: error replies start from fresh headers, and need these as much.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    if (request.protocol === 'https') reply.header('Strict-Transport-Security', HSTS);
    if (CROSS_ORIGIN.test(request.url)) {
      reply.header('Access-Control-Allow-Origin', '*');
      reply.header('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    }
    done(null, payload);
  });
}
