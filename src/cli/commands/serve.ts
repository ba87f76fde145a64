import type { Command } from 'commander';
import { describeDb, loadConfig } from '../../config/index.js';
import { CliError, type CliRuntime } from '../runtime.js';

export function serveCommand(program: Command, rt: CliRuntime): void {
  program
    .command('serve')
    .description(
      'run the hub: the v1pre3 API on HTTP (env SEQHUB_HOST, SEQHUB_PORT, SEQHUB_DATA_DIR, DATABASE_URL)',
    )
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (default 3000)')
    .option('--data-dir <dir>', 'where metadata and files live (default ./seqhub-data)')
    .option('--no-workers', 'run no job workers here: `seqhub worker` processes run the jobs')
    .action(async (opts: { host?: string; port?: string; dataDir?: string; workers: boolean }) => {
      const { workers, ...flags } = opts;
      const config = loadConfig({
        env: rt.env,
        // Without the flag commander says true: the environment (SEQHUB_WORKERS) decides then.
        flags: { ...flags, workers: workers ? undefined : false },
        cwd: rt.cwd,
      });
      let server: Awaited<ReturnType<CliRuntime['startServer']>>;
      try {
        server = await rt.startServer(config);
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE')
          throw new CliError(`port ${config.port} on ${config.host} is already in use`);
        if (e.code === 'EADDRNOTAVAIL')
          throw new CliError(`cannot listen on ${config.host}: no such local address`);
        if (e.code === 'EACCES')
          throw new CliError(`not allowed to listen on ${config.host}:${config.port}`);
        throw new CliError(`cannot start (${describeDb(config)}): ${e.message}`);
      }
      if (server.adminToken) {
        rt.out('first start: created the admin user admin@localhost');
        rt.out(`admin access token: ${server.adminToken}`);
      }
      rt.out(`listening on ${server.url}`);
      await rt.untilStopped();
      await server.close();
    });
}

/** `seqhub worker`: the job handlers only, on the same configuration as `serve` (issue 10). */
export function workerCommand(program: Command, rt: CliRuntime): void {
  program
    .command('worker')
    .description(
      'run job workers only (demultiplexing, indexing) for the hub configured as for serve; SIGTERM hands running jobs back',
    )
    .option('--concurrency <n>', 'jobs run at once (default 1, env SEQHUB_JOB_CONCURRENCY)')
    .option('--data-dir <dir>', 'where metadata and files live (default ./seqhub-data)')
    .addHelpText(
      'after',
      '\nExamples:\n  DATABASE_URL=postgres://hub@db/hub seqhub worker --concurrency 2\n  seqhub serve --no-workers & seqhub worker      # API and jobs in separate processes',
    )
    .action(async (opts: { concurrency?: string; dataDir?: string }) => {
      const config = loadConfig({ env: rt.env, flags: opts, cwd: rt.cwd });
      let worker: Awaited<ReturnType<CliRuntime['startWorker']>>;
      try {
        worker = await rt.startWorker(config, (line) => rt.out(line));
      } catch (error) {
        throw new CliError(`cannot start (${describeDb(config)}): ${(error as Error).message}`);
      }
      rt.out(
        `worker ready: ${config.queue.kind} queue on ${describeDb(config)}, concurrency ${config.queue.concurrency}`,
      );
      await rt.untilStopped();
      await worker.close();
      rt.out('worker stopped');
    });
}
