import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SeqhubClient } from '../sdk/index.js';
import { ExitCodes } from './exit-codes.js';
import { CliError, type CliRuntime } from './runtime.js';

/**
 * Client settings: which hub and which token. A flag wins over the environment, which wins over
 * the config file `<config dir>/<name>.cfg` that `seqhub auth` writes (docs/cli.md).
 */
export interface ClientSettings {
  apiServer: string;
  accessToken: string;
}

/** The options every client command takes (added by {@link addClientOptions}). */
export interface ClientFlags {
  apiServer?: string;
  accessToken?: string;
  config?: string;
}

const CONFIG_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/** `~/.seqhub` (HOME respected), or `SEQHUB_CONFIG_DIR`. */
export function configDir(rt: CliRuntime): string {
  return rt.env.SEQHUB_CONFIG_DIR ?? join(rt.env.HOME ?? homedir(), '.seqhub');
}

/** The path of config `name` (`--config`, else `SEQHUB_CONFIG`, else `default`). */
export function configPath(rt: CliRuntime, name?: string): string {
  const chosen = name ?? rt.env.SEQHUB_CONFIG ?? 'default';
  if (!CONFIG_NAME.test(chosen))
    throw new CliError(
      `--config must be a name of letters, digits, '.', '_' or '-' (got '${chosen}')`,
      ExitCodes.badInput,
    );
  return join(configDir(rt), `${chosen}.cfg`);
}

/**
 * Reads a config file: `key = value` lines as `bs` writes them (`apiServer`, `accessToken`);
 * `#` and `;` comments and unknown keys are ignored. A missing file is an empty config.
 */
export async function readConfigFile(path: string): Promise<Partial<ClientSettings>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`, ExitCodes.badInput);
  }
  const out: Partial<ClientSettings> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    if (key === 'apiserver') out.apiServer = m[2]!;
    if (key === 'accesstoken') out.accessToken = m[2]!;
  }
  return out;
}

/** Writes a config file readable by its owner only (0600), whole or not at all. */
export async function writeConfigFile(path: string, settings: ClientSettings): Promise<void> {
  const dir = join(path, '..');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  const text = `apiServer   = ${settings.apiServer}\naccessToken = ${settings.accessToken}\n`;
  await writeFile(tmp, text, { mode: 0o600 });
  // The mode above applies to new files only; an old tmp of the same pid keeps its own.
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** Adds `--api-server`, `--access-token` and `--config` to a client command. */
export function addClientOptions(command: Command): Command {
  return command
    .option('--api-server <url>', 'the hub (env SEQHUB_API_SERVER; default from the config)')
    .option('--access-token <token>', 'an access token (env SEQHUB_ACCESS_TOKEN; prefer the env)')
    .option('--config <name>', 'the config ~/.seqhub/<name>.cfg to use (env SEQHUB_CONFIG)');
}

/** Where the hub and the token come from, in order: flag, environment, config file. */
export async function resolveSettings(rt: CliRuntime, flags: ClientFlags): Promise<ClientSettings> {
  const path = configPath(rt, flags.config);
  const file = await readConfigFile(path);
  // An empty setting counts as none (`SEQHUB_API_SERVER= seqhub ...`).
  const apiServer = flags.apiServer || rt.env.SEQHUB_API_SERVER || file.apiServer;
  const accessToken = flags.accessToken || rt.env.SEQHUB_ACCESS_TOKEN || file.accessToken;
  if (!apiServer)
    throw new CliError(
      `no hub given: use --api-server URL or SEQHUB_API_SERVER, or sign in with seqhub auth`,
      ExitCodes.badInput,
    );
  if (!/^https?:\/\/[^/]/i.test(apiServer))
    throw new CliError(
      `the hub address must be an http(s) URL (got '${apiServer}')`,
      ExitCodes.badInput,
    );
  if (!accessToken)
    throw new CliError(
      `no access token given: use SEQHUB_ACCESS_TOKEN or --access-token, or sign in with seqhub auth`,
      ExitCodes.badInput,
    );
  return { apiServer, accessToken };
}

/** A client for the hub and token the flags, the environment or the config name. */
export async function clientFor(rt: CliRuntime, flags: ClientFlags): Promise<SeqhubClient> {
  const s = await resolveSettings(rt, flags);
  return new SeqhubClient({ baseUrl: s.apiServer, accessToken: s.accessToken });
}
