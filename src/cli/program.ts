import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';
import { AppError } from '../domain/index.js';
import { adminCommand } from './commands/admin.js';
import { authCommands } from './commands/auth.js';
import { completionCommand } from './commands/completion.js';
import { propertyCommands } from './commands/property.js';
import { resourceCommands } from './commands/resources.js';
import { shareCommands } from './commands/share.js';
import { runCommand } from './commands/run-upload.js';
import { serveCommand, workerCommand } from './commands/serve.js';
import {
  awaitCommand,
  downloadCommand,
  runDemultiplexCommand,
  uploadCommand,
} from './commands/transfer.js';
import { CliError, type CliRuntime } from './runtime.js';

export function buildProgram(rt: CliRuntime, version: string): Command {
  const program = new Command('seqhub')
    .description('seqhub: a self-hosted sequencing data hub that speaks the BaseSpace v1pre3 API')
    .version(version)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => rt.out(s.trimEnd()),
      // Commander's usage errors (`error: unknown option '--x'`) in our one-line form.
      writeErr: (s) => rt.err(s.trimEnd().replace(/^error: /, 'seqhub: ')),
    });
  serveCommand(program, rt);
  workerCommand(program, rt);
  adminCommand(program, rt);
  runCommand(program, rt);
  runDemultiplexCommand(
    program.commands.find((c) => c.name() === 'run')!,
    rt,
  );
  uploadCommand(program, rt);
  downloadCommand(program, rt);
  awaitCommand(program, rt);
  authCommands(program, rt);
  resourceCommands(program, rt);
  propertyCommands(program, rt);
  shareCommands(program, rt);
  completionCommand(program, rt);
  program
    .command('openapi', { hidden: true })
    .description('print the OpenAPI document built from the route schemas')
    .action(async () => rt.out(JSON.stringify(await rt.openApiDocument(), null, 2)));
  return program;
}

/** Runs the CLI; returns the exit code. Errors become one clear line on stderr. */
export async function runCli(argv: string[], rt: CliRuntime, version: string): Promise<number> {
  const program = buildProgram(rt, version);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliError) {
      // An empty message is an exit code that speaks for itself (`await`'s final status).
      if (error.message) rt.err(`seqhub: ${error.message}`);
      return error.exitCode;
    }
    if (error instanceof ConfigError || error instanceof AppError) {
      rt.err(`seqhub: ${error.message}`);
      return 2;
    }
    rt.err(`seqhub: ${(error as Error).message ?? String(error)}`);
    return 1;
  }
}
