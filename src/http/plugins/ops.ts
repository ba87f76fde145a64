import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { counted, type HubMetrics } from './metrics.js';

/** One dependency `/readyz` checks: rejects (or takes too long) when it is not reachable. */
export type ReadinessCheck = (signal: AbortSignal) => Promise<void>;

export interface OpsOptions {
  metrics?: HubMetrics | undefined;
  /** When set, `/metrics` asks for this bearer token. */
  metricsToken?: string | undefined;
  /** By dependency name (`database`, `storage`, `queue`); none: `/readyz` is `/healthz`. */
  readiness?: Readonly<Record<string, ReadinessCheck>> | undefined;
}

/** A dependency that has not answered in this long is reported down (a load balancer probes every few seconds). */
export const READINESS_TIMEOUT_MS = 2000;

/**
 * An incoming X-Request-Id is kept when it looks like an id (a proxy's or a client's, so one id
 * follows a request through every log); anything else (too long, spaces, control characters that
 * could forge log lines) is replaced by a fresh UUID.
 */
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** Fastify's `genReqId`: the caller's X-Request-Id when it is a plausible id, else a UUID. */
export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Operability (issue 10): request ids on every reply, `/healthz`, `/readyz`, `/metrics`, and the
 * request and body-byte metrics. None of these endpoints takes an access token: load balancers
 * and Prometheus have none (docs/deployment.md "Monitoring").
 */
export function installOps(app: FastifyInstance, options: OpsOptions): void {
  // onSend, not onRequest: error replies start from fresh headers, and they need the id most.
  // Hooks on every request's path take Fastify's callback form: an async hook costs a promise
  // and a microtask turn per request (bench/request-cost.mjs).
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });

  const metrics = options.metrics;
  if (metrics) {
    const routeOf = (url: string | undefined) => url ?? 'unmatched';
    app.addHook('onSend', (request, _reply, payload, done) => {
      const labels = {
        direction: 'out',
        method: request.method,
        route: routeOf(request.routeOptions.url),
      };
      if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
        metrics.httpBytes.inc(labels, Buffer.byteLength(payload));
        done(null, payload);
      } else if (payload && typeof (payload as Readable).pipe === 'function') {
        done(
          null,
          counted(payload as Readable, (bytes) => metrics.httpBytes.inc(labels, bytes)),
        );
      } else done(null, payload);
    });
    app.addHook('onResponse', (request, reply, done) => {
      // Bytes in by the declared Content-Length of bodies that were accepted (a 2xx): wrapping
      // the request stream itself changed how routes that refuse a body early (413) end the
      // connection. Chunked bodies without a length are not counted.
      const declared = Number(request.headers['content-length']);
      if (reply.statusCode < 300 && Number.isSafeInteger(declared) && declared > 0)
        metrics.httpBytes.inc(
          { direction: 'in', method: request.method, route: routeOf(request.routeOptions.url) },
          declared,
        );
      metrics.httpDuration.observe(
        {
          method: request.method,
          route: routeOf(request.routeOptions.url),
          status_class: `${Math.floor(reply.statusCode / 100)}xx`,
        },
        reply.elapsedTime / 1000,
      );
      done();
    });
  }

  const hidden = { config: { auth: false }, schema: { hide: true } } as const;
  app.get('/healthz', hidden, async () => ({ status: 'ok' }));

  app.get('/readyz', hidden, async (request, reply) => {
    const checks = Object.entries(options.readiness ?? {});
    const results = await Promise.all(
      checks.map(async ([name, check]) => {
        const failure = await probe(check);
        if (failure !== undefined)
          request.log.warn({ dependency: name, err: failure.error }, 'readiness check failed');
        return [name, failure] as const;
      }),
    );
    const failing = results.filter(([, failure]) => failure !== undefined).map(([n]) => n);
    const body = {
      status: failing.length === 0 ? 'ok' : 'unavailable',
      ...(failing.length > 0 && { failing }),
      checks: Object.fromEntries(
        results.map(([name, failure]) => [
          name,
          failure === undefined ? { status: 'ok' } : { status: 'error', error: failure.reason },
        ]),
      ),
    };
    return reply
      .code(failing.length === 0 ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(body);
  });

  app.get('/metrics', hidden, async (request, reply) => {
    if (!metrics) return reply.code(404).send({ status: 'metrics are off' });
    if (options.metricsToken !== undefined && !bearerMatches(request.headers.authorization)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="metrics"')
        .send({ status: 'unauthorized' });
    }
    return reply
      .header('content-type', metrics.registry.contentType)
      .header('cache-control', 'no-store')
      .send(await metrics.registry.metrics());
  });

  function bearerMatches(header: string | undefined): boolean {
    const given = Buffer.from(/^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1] ?? '');
    const wanted = Buffer.from(options.metricsToken ?? '');
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  }
}

/**
 * Runs one check under {@link READINESS_TIMEOUT_MS}. The reason shown is an error code or class
 * only (`ECONNREFUSED`, `timeout`): `/readyz` is unauthenticated, so host names, user names and
 * paths stay in the log.
 */
async function probe(
  check: ReadinessCheck,
): Promise<{ reason: string; error: unknown } | undefined> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`no answer in ${READINESS_TIMEOUT_MS} ms`);
      error.name = 'timeout';
      controller.abort(error);
      reject(error);
    }, READINESS_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(controller.signal), timeout]);
    return undefined;
  } catch (error) {
    return { reason: reasonOf(error), error };
  } finally {
    clearTimeout(timer);
  }
}

function reasonOf(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown } | undefined;
  if (typeof e?.code === 'string' && /^[A-Z0-9_]{2,40}$/.test(e.code)) return e.code;
  if (typeof e?.name === 'string' && /^\w{1,40}$/.test(e.name) && e.name !== 'Error') return e.name;
  return 'unreachable';
}
