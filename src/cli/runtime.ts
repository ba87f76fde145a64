import type { Config, ConfigInput } from '../config/index.js';
import type { Services } from '../services/index.js';

/** What the CLI needs from the composition root (app/), so cli/ never imports adapters. */
export interface CliRuntime {
  env: ConfigInput['env'];
  cwd: string;
  out(line: string): void;
  err(line: string): void;
  /** True when stdout and stderr are terminals: progress bars are drawn only then. */
  tty: boolean;
  /** Writes a progress line as is (it starts with `\r` to redraw in place), on stderr. */
  progress(text: string): void;
  openHub(config: Config): Promise<{ services: Services; close(): Promise<void> }>;
  startServer(
    config: Config,
  ): Promise<{ url: string; adminToken: string | undefined; close(): Promise<void> }>;
  /** `seqhub worker`: job handlers only; `log` gets a line per job taken or failed. */
  startWorker(config: Config, log: (line: string) => void): Promise<{ close(): Promise<void> }>;
  openApiDocument(): Promise<unknown>;
  /** Applies pending database migrations; resolves to their names. */
  migrateDatabase(config: Config): Promise<string[]>;
  /** Config and connectivity report, one line per dependency (changes nothing). */
  checkHub(config: Config): Promise<{ name: string; ok: boolean; detail: string }[]>;
  /** Copies an embedded hub's rows and objects into PostgreSQL and another store, verified. */
  transferHub(
    source: Config,
    target: Config,
    onProgress: (event: TransferEvent) => void,
  ): Promise<{ tables: { table: string; rows: number }[]; objects: number; bytes: number }>;
  /** All of standard input (passwords and tokens never go on the command line). */
  readStdin(): Promise<string>;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  untilStopped(): Promise<string>;
}

/** Progress of {@link CliRuntime.transferHub}. */
export type TransferEvent =
  | { kind: 'objects'; listed: number }
  | { kind: 'object'; done: number; listed: number; bytes: number }
  | { kind: 'table'; table: string; rows: number };

/** Thrown by commands for a clean, non-zero exit with one line on stderr. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
