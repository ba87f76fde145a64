import { homedir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../domain/index.js';
import { ApiError, NetworkError, SeqhubClient, isAbortError } from '../sdk/index.js';
import { ChecksumError } from '../sdk/transfer-node.js';
import { ExitCodes, cliErrorOf } from './exit-codes.js';
import { CliError, type CliRuntime } from './runtime.js';

/**
 * Files uploaded at once. A run folder is mostly many small files (BCL/CBCL per tile and cycle,
 * InterOp), where each upload costs round trips and a server-side fsync more than bytes: 6 in
 * flight keep the link and the hub busy; more mostly queue on a small hub's 2 cores.
 */
export const FILE_CONCURRENCY = 6;

/**
 * Exit codes of the transfer and wait commands (docs/cli.md): those of `run upload`, plus a local
 * disk that cannot be written and the final statuses `await` reports.
 */
export const TransferExitCodes = {
  ...ExitCodes,
  /** The local disk refused a write (full, read-only, no permission). */
  disk: 8,
  /** `await`: the AppSession ended NeedsAttention. */
  needsAttention: 10,
  /** `await`: the AppSession ended Aborted. */
  aborted: 11,
  /** `await`: the AppSession ended TimedOut. */
  timedOut: 12,
  /** `await --timeout`: still not settled when the time ran out (as coreutils `timeout`). */
  waitTimeout: 124,
} as const;

/** Flags every client command shares: where the hub is, the token, and the output form. */
export interface ClientFlags {
  apiServer?: string;
  accessToken?: string;
  quiet?: boolean;
  terse?: boolean;
  format?: string;
}

/** The hub and token from flags or the environment, as `seqhub run upload` takes them. */
export function connect(
  rt: CliRuntime,
  flags: ClientFlags,
  extra: { maxUploadBytesPerSecond?: number } = {},
): SeqhubClient {
  const apiServer = flags.apiServer ?? rt.env.SEQHUB_API_SERVER;
  const accessToken = flags.accessToken ?? rt.env.SEQHUB_ACCESS_TOKEN;
  if (!apiServer)
    throw new CliError(
      'no hub given: use --api-server URL or SEQHUB_API_SERVER',
      ExitCodes.badInput,
    );
  if (!accessToken)
    throw new CliError(
      'no access token given: use --access-token T or SEQHUB_ACCESS_TOKEN',
      ExitCodes.badInput,
    );
  return new SeqhubClient({ baseUrl: apiServer, accessToken, ...extra });
}

export function configDir(rt: CliRuntime): string {
  return rt.env.SEQHUB_CONFIG_DIR ?? join(rt.env.HOME ?? homedir(), '.seqhub');
}

/** An AbortSignal that fires on Ctrl-C / SIGTERM. */
export function stopSignal(rt: CliRuntime): AbortSignal {
  const controller = new AbortController();
  void rt.untilStopped().then(() => controller.abort());
  return controller.signal;
}

/**
 * Prints a command's result: its id alone with `--terse`, the record as JSON with `-f json`, else
 * a human line. (A local stand-in for the shared output module.)
 */
export function printResult(
  rt: CliRuntime,
  flags: ClientFlags,
  result: { id: string; line: string; record: Record<string, unknown> },
): void {
  const format = flags.format ?? 'table';
  if (!['table', 'json', 'csv'].includes(format))
    throw new CliError(`-f must be table, json or csv (got '${format}')`, ExitCodes.badInput);
  if (flags.terse) rt.out(result.id);
  else if (format === 'json') rt.out(JSON.stringify(result.record, null, 2));
  else if (format === 'csv') {
    const keys = Object.keys(result.record);
    const cell = (v: unknown) => {
      const s = v === undefined || v === null ? '' : String(v);
      return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    };
    rt.out(keys.join(','));
    rt.out(keys.map((k) => cell(result.record[k])).join(','));
  } else rt.out(result.line);
}

const DISK_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR']);

/** One clear line and an exit code for any failure of a transfer command. */
export function asTransferError(error: unknown, signal: AbortSignal, interrupted: string): unknown {
  if (error instanceof CliError) return error;
  if (isAbortError(error) || signal.aborted)
    return new CliError(`interrupted; ${interrupted}`, ExitCodes.interrupted);
  if (error instanceof ChecksumError) return new CliError(error.message, ExitCodes.network);
  if (error instanceof AppError)
    return new CliError(
      error.message,
      error.httpStatus < 500 ? ExitCodes.badInput : ExitCodes.unexpected,
    );
  if (error instanceof NetworkError) return new CliError(error.message, ExitCodes.network);
  if (error instanceof ApiError) return cliErrorOf(error);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && DISK_CODES.has(code)) {
    const path = (error as { path?: unknown }).path;
    const why = code === 'ENOSPC' || code === 'EDQUOT' ? 'no space left on device' : code;
    return new CliError(
      `cannot write ${typeof path === 'string' ? path : 'a local file'}: ${why}`,
      TransferExitCodes.disk,
    );
  }
  return error;
}
