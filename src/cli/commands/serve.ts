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
    .action(async (opts: { host?: string; port?: string; dataDir?: string }) => {
      const config = loadConfig({ env: rt.env, flags: opts, cwd: rt.cwd });
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
