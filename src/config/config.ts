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
  db: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface ConfigInput {
  env: Readonly<Record<string, string | undefined>>;
  flags?: { host?: string | undefined; port?: string | undefined; dataDir?: string | undefined };
  cwd: string;
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 3000;
export const DEFAULT_DATA_DIR = 'seqhub-data';
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

  return { host, port, dataDir, publicUrl: publicUrl?.replace(/\/$/, ''), db, logLevel };
}

/** What to show an operator about the metadata store, without the password. */
export function describeDb(config: Config): string {
  if (config.db.kind === 'sqlite') return `SQLite at ${config.db.path}`;
  const url = new URL(config.db.url);
  if (url.password) url.password = '***';
  return `PostgreSQL at ${url.toString()}`;
}
