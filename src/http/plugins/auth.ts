import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal, Services } from '../../services/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Set false on routes that need no token (the OpenAPI document). */
    auth?: boolean;
  }
}

/** The token, from `x-access-token`, `Authorization: Bearer` or `access_token` (spec 1.2). */
export function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers['x-access-token'];
  if (typeof header === 'string' && header.trim()) return header.trim();
  const authorization = request.headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.access_token;
  return typeof fromQuery === 'string' && fromQuery ? fromQuery : undefined;
}

export function installAuth(app: FastifyInstance, services: Services): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config.auth === false || !request.routeOptions.url) return;
    request.principal = await services.auth.authenticate(presentedToken(request));
  });
}
