import { join, resolve } from 'node:path';

/**
 * The one validated configuration. Built from flags and environment by {@link loadConfig};
 * only app/ reads process.env and hands it in.
 */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** Absolute origin for links to the web UI when behind a proxy (SEQHUB_PUBLIC_URL). */
  publicUrl: string | undefined;
  /** The built web UI (SEQHUB_UI_DIR); undefined: the package's own `dist/ui`. */
  uiDir: string | undefined;
  db: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
  /** Where file bytes live: under the data dir, or in an S3-compatible bucket. */
  storage:
    | { kind: 'local'; root: string }
    | {
        kind: 's3';
        endpoint: string | undefined;
        region: string;
        bucket: string;
        accessKeyId: string | undefined;
        secretAccessKey: string | undefined;
        forcePathStyle: boolean;
        prefix: string;
      };
  files: {
    maxSinglePartBytes: number;
    maxPartBytes: number;
    signedUrlTtlSeconds: number;
  };
  /**
   * A crash point armed for the kill -9 tests (SEQHUB_FAULT_POINT, `name[:n]`); never set in use.
   * See src/services/fault-points.ts.
   */
  faultPoint: string | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * When set, `/metrics` asks for `Authorization: Bearer <token>` (SEQHUB_METRICS_TOKEN); unset,
   * it is open like `/healthz` (docs/deployment.md: keep it off the public listener).
   */
  metricsToken: string | undefined;
  /**
   * Which proxies' X-Forwarded-For to believe for the client address (SEQHUB_TRUST_PROXY: a
   * comma-separated list of addresses or CIDRs, e.g. `127.0.0.1,10.0.0.0/8`). Unset: none, the
   * socket's peer is the client. Behind a load balancer it must be set, or every client shares
   * the balancer's address (and its per-address limits).
   */
  trustProxy: string | undefined;
  /** OAuth grant lifetimes and the device flow's polling interval, in seconds. */
  oauth: {
    /** 0: OAuth tokens never expire (BaseSpace's behaviour, spec 1.2). */
    tokenTtlSeconds: number;
    codeTtlSeconds: number;
    deviceCodeTtlSeconds: number;
    deviceIntervalSeconds: number;
    sessionTtlSeconds: number;
    /** Unknown, expired or revoked tokens (and bad client secrets) one address may send per 10 min. */
    tokenFailuresPerIp: number;
  };
  /**
   * Background jobs (demultiplexing, indexing): `embedded` keeps them in the hub's own `jobs`
   * table; `pgboss` uses pg-boss on the hub's PostgreSQL (SEQHUB_QUEUE; the default on
   * PostgreSQL, refused on SQLite).
   */
  queue: {
    kind: 'embedded' | 'pgboss';
    /** A job whose worker stopped heart-beating this long is run again (SEQHUB_JOB_LEASE_SECONDS). */
    leaseSeconds: number;
    /** Whether `serve` runs job workers in-process (SEQHUB_WORKERS=0 or `--no-workers` turns them off). */
    workers: boolean;
    /** Jobs one process runs at once (SEQHUB_JOB_CONCURRENCY, `worker --concurrency`); default 1. */
    concurrency: number;
  };
  /**
   * How app runs are walled off from the hub (SEQHUB_APP_ISOLATION, docs/apps.md): `bwrap`
   * (required: workers refuse to start without a working bubblewrap), `process` (own process
   * group and environment only), or `auto` (the default: bwrap when it works here, else process,
   * with a warning).
   */
  apps: { isolation: 'auto' | 'bwrap' | 'process' };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface ConfigInput {
  env: Readonly<Record<string, string | undefined>>;
  flags?: {
    host?: string | undefined;
    port?: string | undefined;
    dataDir?: string | undefined;
    /** `serve --no-workers`: false. */
    workers?: boolean | undefined;
    /** `worker --concurrency N`. */
    concurrency?: string | undefined;
  };
  cwd: string;
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 3000;
export const DEFAULT_DATA_DIR = 'seqhub-data';
/** S3's own single-PUT limit: anything larger must be multipart there too. */
export const DEFAULT_MAX_SINGLE_PART_BYTES = 5 * 1024 ** 3;
/** S3's part limit; BaseSpace clients send 5-25 MB parts. */
export const DEFAULT_MAX_PART_BYTES = 5 * 1024 ** 3;
export const DEFAULT_SIGNED_URL_TTL_SECONDS = 3600;
/** A crashed worker's job is run again after this long: long enough that a busy worker's heartbeat (every third of it) is never missed. */
export const DEFAULT_JOB_LEASE_SECONDS = 60;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Flags win over environment, environment over defaults. Throws {@link ConfigError} with what to fix. */
export function loadConfig({ env, flags = {}, cwd }: ConfigInput): Config {
  const host = (flags.host ?? env.SEQHUB_HOST ?? DEFAULT_HOST).trim();
  if (!host || /[\s/]/.test(host))
    throw new ConfigError(`invalid host '${host}': give a host name or IP address`);

  const portText = (flags.port ?? env.SEQHUB_PORT ?? String(DEFAULT_PORT)).trim();
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) {
    throw new ConfigError(`invalid port '${portText}': give a number from 0 to 65535`);
  }

  const dataDirText = flags.dataDir ?? env.SEQHUB_DATA_DIR ?? DEFAULT_DATA_DIR;
  if (!dataDirText.trim()) throw new ConfigError('invalid data dir: it must not be empty');
  const dataDir = resolve(cwd, dataDirText);

  const publicUrl = env.SEQHUB_PUBLIC_URL?.trim() || undefined;
  if (publicUrl !== undefined && !/^https?:\/\/[^\s/]+$/.test(publicUrl.replace(/\/$/, ''))) {
    throw new ConfigError(
      `invalid SEQHUB_PUBLIC_URL '${publicUrl}': give an origin such as https://hub.example.org`,
    );
  }

  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  let db: Config['db'];
  if (databaseUrl === undefined) {
    db = { kind: 'sqlite', path: join(dataDir, 'seqhub.db') };
  } else if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    try {
      new URL(databaseUrl);
    } catch {
      throw new ConfigError(
        'invalid DATABASE_URL: it is not a URL (postgres://user:password@host:5432/db)',
      );
    }
    db = { kind: 'postgres', url: databaseUrl };
  } else {
    throw new ConfigError(
      'invalid DATABASE_URL: only postgres:// or postgresql:// URLs are supported (unset it for the embedded SQLite)',
    );
  }

  const logLevel = (env.SEQHUB_LOG_LEVEL?.trim() || 'warn') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(
      `invalid SEQHUB_LOG_LEVEL '${logLevel}': one of ${LOG_LEVELS.join(', ')}`,
    );

  const metricsToken = env.SEQHUB_METRICS_TOKEN?.trim() || undefined;
  if (metricsToken !== undefined && !/^[\x21-\x7e]{16,}$/.test(metricsToken))
    throw new ConfigError(
      'invalid SEQHUB_METRICS_TOKEN: give at least 16 printable characters without spaces',
    );

  const trustProxy = env.SEQHUB_TRUST_PROXY?.trim() || undefined;
  if (trustProxy !== undefined && !/^[0-9A-Fa-f.:/]+(\s*,\s*[0-9A-Fa-f.:/]+)*$/.test(trustProxy))
    throw new ConfigError(
      `invalid SEQHUB_TRUST_PROXY '${trustProxy}': give addresses or CIDRs, comma-separated (127.0.0.1,10.0.0.0/8)`,
    );

  return {
    host,
    port,
    dataDir,
    publicUrl: publicUrl?.replace(/\/$/, ''),
    uiDir: env.SEQHUB_UI_DIR?.trim() ? resolve(cwd, env.SEQHUB_UI_DIR.trim()) : undefined,
    db,
    storage: storageConfig(env, dataDir),
    files: {
      maxSinglePartBytes: positiveInt(
        env,
        'SEQHUB_MAX_SINGLE_PART_BYTES',
        DEFAULT_MAX_SINGLE_PART_BYTES,
      ),
      maxPartBytes: positiveInt(env, 'SEQHUB_MAX_PART_BYTES', DEFAULT_MAX_PART_BYTES),
      signedUrlTtlSeconds: positiveInt(
        env,
        'SEQHUB_SIGNED_URL_TTL',
        DEFAULT_SIGNED_URL_TTL_SECONDS,
      ),
    },
    faultPoint: env.SEQHUB_FAULT_POINT?.trim() || undefined,
    logLevel,
    metricsToken,
    trustProxy,
    oauth: {
      tokenTtlSeconds: wholeNumber(env, 'SEQHUB_OAUTH_TOKEN_TTL', 90 * 24 * 3600),
      codeTtlSeconds: positiveInt(env, 'SEQHUB_OAUTH_CODE_TTL', 60),
      deviceCodeTtlSeconds: positiveInt(env, 'SEQHUB_OAUTH_DEVICE_CODE_TTL', 1800),
      deviceIntervalSeconds: positiveInt(env, 'SEQHUB_OAUTH_DEVICE_INTERVAL', 1),
      sessionTtlSeconds: positiveInt(env, 'SEQHUB_SESSION_TTL', 12 * 3600),
      tokenFailuresPerIp: positiveInt(env, 'SEQHUB_TOKEN_FAILURES_PER_IP', 20),
    },
    queue: {
      kind: queueKind(env, db),
      leaseSeconds: positiveInt(env, 'SEQHUB_JOB_LEASE_SECONDS', DEFAULT_JOB_LEASE_SECONDS),
      workers: flags.workers ?? (env.SEQHUB_WORKERS?.trim() ?? '1') !== '0',
      concurrency: positiveInt(
        flags.concurrency === undefined ? env : { SEQHUB_JOB_CONCURRENCY: flags.concurrency },
        'SEQHUB_JOB_CONCURRENCY',
        1,
      ),
    },
    apps: { isolation: appIsolation(env) },
  };
}

function appIsolation(env: ConfigInput['env']): Config['apps']['isolation'] {
  const text = env.SEQHUB_APP_ISOLATION?.trim().toLowerCase() || 'auto';
  if (text !== 'auto' && text !== 'bwrap' && text !== 'process')
    throw new ConfigError(`invalid SEQHUB_APP_ISOLATION '${text}': auto, bwrap or process`);
  return text;
}

/**
 * pg-boss on PostgreSQL unless SEQHUB_QUEUE says embedded (issue 10: jobs on an existing engine
 * when a hub can scale out); SQLite hubs are one process, so only the embedded queue fits them.
 */
function queueKind(env: ConfigInput['env'], db: Config['db']): Config['queue']['kind'] {
  const text = env.SEQHUB_QUEUE?.trim().toLowerCase() || undefined;
  if (text === undefined) return db.kind === 'postgres' ? 'pgboss' : 'embedded';
  if (text !== 'embedded' && text !== 'pgboss')
    throw new ConfigError(`invalid SEQHUB_QUEUE '${text}': embedded or pgboss`);
  if (text === 'pgboss' && db.kind !== 'postgres')
    throw new ConfigError('SEQHUB_QUEUE=pgboss needs a PostgreSQL DATABASE_URL');
  return text;
}

function wholeNumber(env: ConfigInput['env'], name: string, fallback: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  if (!/^\d{1,16}$/.test(text))
    throw new ConfigError(`invalid ${name} '${text}': give a whole number (0 for never)`);
  return Number(text);
}

function positiveInt(env: ConfigInput['env'], name: string, fallback: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  if (!/^\d{1,16}$/.test(text) || Number(text) < 1)
    throw new ConfigError(`invalid ${name} '${text}': give a positive whole number`);
  return Number(text);
}

function storageConfig(env: ConfigInput['env'], dataDir: string): Config['storage'] {
  const kind = (env.SEQHUB_STORAGE?.trim() || 'local').toLowerCase();
  if (kind === 'local') return { kind: 'local', root: join(dataDir, 'blobs') };
  if (kind !== 's3') throw new ConfigError(`invalid SEQHUB_STORAGE '${kind}': local or s3`);
  const bucket = env.SEQHUB_S3_BUCKET?.trim();
  if (!bucket) throw new ConfigError('SEQHUB_STORAGE=s3 needs SEQHUB_S3_BUCKET');
  const endpoint = env.SEQHUB_S3_ENDPOINT?.trim() || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint)) {
    throw new ConfigError(
      `invalid SEQHUB_S3_ENDPOINT '${endpoint}': give a URL such as http://127.0.0.1:9000`,
    );
  }
  const pathStyle = env.SEQHUB_S3_FORCE_PATH_STYLE?.trim().toLowerCase();
  return {
    kind: 's3',
    endpoint,
    region: env.SEQHUB_S3_REGION?.trim() || 'us-east-1',
    bucket,
    accessKeyId: env.SEQHUB_S3_ACCESS_KEY_ID?.trim() || undefined,
    secretAccessKey: env.SEQHUB_S3_SECRET_ACCESS_KEY?.trim() || undefined,
    // S3-compatible servers on a plain host:port need path-style addressing.
    forcePathStyle:
      pathStyle === undefined ? endpoint !== undefined : pathStyle === 'true' || pathStyle === '1',
    prefix: env.SEQHUB_S3_PREFIX?.trim() ?? '',
  };
}

/** What to show an operator about the metadata store, without the password. */
export function describeDb(config: Config): string {
  if (config.db.kind === 'sqlite') return `SQLite at ${config.db.path}`;
  const url = new URL(config.db.url);
  if (url.password) url.password = '***';
  return `PostgreSQL at ${url.toString()}`;
}
