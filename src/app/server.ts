import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.js';
import type { BlobStore } from '../ports.js';
import { buildHttpApp } from '../http/app.js';
import { openHub, type Hub } from './hub.js';
import { VERSION } from './version.js';

export { VERSION };

export interface RunningServer {
  hub: Hub;
  app: FastifyInstance;
  url: string;
  /** Set on the very first start: the admin user's token, printed once. */
  adminToken: string | undefined;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** Where the JSON log lines go (default stderr); tests read them back. */
  logStream?: { write(line: string): unknown };
}

/** Opens the hub, creates the admin on first start, and listens. */
export async function startServer(
  config: Config,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const hub = await openHub(config);
  try {
    const admin = await hub.services.auth.bootstrapAdmin();
    const app = await buildHttpApp({
      services: hub.services,
      publicUrl: config.publicUrl,
      version: VERSION,
      csrfKey: await hub.services.web.csrfKey(),
      uiDir: config.uiDir ?? UI_DIR,
      storageOrigin: await signedUrlOrigin(hub.blobs),
      logger:
        config.logLevel === 'silent'
          ? false
          : { level: config.logLevel, stream: options.logStream ?? process.stderr },
      trustProxy: config.trustProxy,
      ops: { metrics: hub.metrics, metricsToken: config.metricsToken, readiness: hub.readiness },
    });
    await app.listen({ host: config.host, port: config.port });
    const sweeper = startSweeper(hub, app);
    if (config.queue.workers)
      await hub.startWorkers((error) => app.log.warn({ err: error }, 'job failed'));
    // Indexing a stopped process left pending (issue 7) starts again here.
    void hub.services.indexer
      .resumePending()
      .catch((error: unknown) => app.log.warn({ err: error }, 'resuming indexing failed'));
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    return {
      hub,
      app,
      url: `http://${host}:${port}`,
      adminToken: admin?.token,
      close: async () => {
        clearInterval(sweeper);
        // In-flight requests get CLOSE_GRACE_MS to finish; then the sockets still open (a client
        // that stopped sending in the middle of an upload body) are cut, or close would wait
        // for them for ever. Seen: a test hub's close hanging past 60 s after a dropped upload.
        const cut = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
        try {
          await hub.queue.stop();
          await app.close();
        } finally {
          clearTimeout(cut);
        }
        await hub.close();
      },
    };
  } catch (error) {
    await hub.close();
    throw error;
  }
}

/** The OpenAPI document, built from the route schemas without opening a database. */
export async function openApiDocument(): Promise<unknown> {
  // Routes only touch services when a request comes in; none will.
  const app = await buildHttpApp({ services: {} as Hub['services'], version: VERSION });
  await app.ready();
  const doc = app.swagger();
  await app.close();
  return doc;
}

/**
 * The built web UI: `dist/ui` of the package, the same from `dist/app/server.js` and (in tests)
 * from `src/app/server.ts`.
 */
const UI_DIR = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

/**
 * The origin of the store's own signed URLs (an S3 endpoint, path- or virtual-host style as the
 * store signs them), found by signing one: undefined when the hub signs its own (local storage).
 */
async function signedUrlOrigin(blobs: BlobStore): Promise<string | undefined> {
  const url = await blobs.presignedUrl('seqhub-csp-probe', {
    expiresInSeconds: 60,
    fileName: 'probe',
    contentType: 'application/octet-stream',
  });
  return url === undefined ? undefined : new URL(url).origin;
}

/** How long a stopping server waits for in-flight requests before cutting their connections. */
const CLOSE_GRACE_MS = 10_000;

/** Sweeps leftovers of interrupted uploads at start and then hourly (see FileService.sweep). */
const SWEEP_INTERVAL_MS = 3600_000;
const SWEEP_GRACE_MS = 3600_000;
const MULTIPART_GRACE_MS = 7 * 24 * 3600_000;

function startSweeper(hub: Hub, app: FastifyInstance): NodeJS.Timeout {
  const sweep = () =>
    hub.services.files
      .sweep({ graceMs: SWEEP_GRACE_MS, multipartGraceMs: MULTIPART_GRACE_MS })
      .catch((error: unknown) => app.log.warn({ err: error }, 'upload sweep failed'));
  void sweep();
  return setInterval(sweep, SWEEP_INTERVAL_MS).unref();
}
