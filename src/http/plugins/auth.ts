import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal, Services } from '../../services/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /**
     * false: no token (the OpenAPI document). 'signed-url': a token, or a signed URL that the
     * route checks itself (file content).
     */
    auth?: boolean | 'signed-url';
  }
}

/**
 * The token, from `x-access-token`, `Authorization: Bearer` or `access_token` (spec 1.2), or a
 * share link's secret from any of those or from `link` (issue 4).
 */
export function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers['x-access-token'];
  if (typeof header === 'string' && header.trim()) return header.trim();
  const authorization = request.headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.access_token ?? query?.link;
  return typeof fromQuery === 'string' && fromQuery ? fromQuery : undefined;
}

export function installAuth(app: FastifyInstance, services: Services): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    const mode = request.routeOptions.config.auth;
    if (mode === false || !request.routeOptions.url) return;
    if (
      mode === 'signed-url' &&
      (request.query as Record<string, unknown> | undefined)?.signature !== undefined
    )
      return;
    const principal = await services.auth.authenticate(presentedToken(request), request.ip);
    // A copy per request: the authenticated principal is cached and shared across requests.
    request.principal = { ...principal, clientIp: request.ip };
  });
}
