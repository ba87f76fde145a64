import type { Command } from 'commander';
import { ApiError, SeqhubClient } from '../../sdk/index.js';
import {
  addClientOptions,
  clientFor,
  configPath,
  readConfigFile,
  writeConfigFile,
  type ClientFlags,
} from '../config-file.js';
import { ExitCodes, cliErrorOf } from '../exit-codes.js';
import { addOutputOptions, emit, outputOptionsOf } from '../output.js';
import { CliError, type CliRuntime } from '../runtime.js';

/** The hub's built-in public device-flow client (PUBLIC_CLI_CLIENT_ID in oauth.service.ts). */
const PUBLIC_CLIENT_ID = 'seqhub-cli';

/** What `seqhub auth` asks for unless `--scopes` says otherwise: what `bs auth` asks BaseSpace. */
export const DEFAULT_SCOPES =
  'browse global, read global, create global, write global, create projects';

/** Columns of `whoami`. */
export const USER_COLUMNS = ['id', 'name', 'email'] as const;

/** Runs `work` with a signal that fires on Ctrl-C; SDK errors become one line and an exit code. */
export async function clientAction<T>(
  rt: CliRuntime,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  void rt.untilStopped().then(() => controller.abort());
  try {
    return await work(controller.signal);
  } catch (error) {
    throw cliErrorOf(error, controller.signal);
  }
}

/** `seqhub auth` (OAuth device flow, token saved in a config file) and `seqhub whoami`. */
export function authCommands(program: Command, rt: CliRuntime): void {
  program
    .command('auth')
    .description(
      'sign in to a hub with the OAuth device flow: open the link shown, approve, and the token is saved in ~/.seqhub/<config>.cfg',
    )
    .option('--api-server <url>', "the hub (env SEQHUB_API_SERVER; default: the config's)")
    .option('--config <name>', 'save as ~/.seqhub/<name>.cfg (default: default)')
    .option(
      '--client-id <id>',
      `an OAuth client the hub admin registered (env SEQHUB_CLIENT_ID; default: the hub's built-in public client ${PUBLIC_CLIENT_ID})`,
    )
    .option(
      '--client-secret <secret>',
      'its secret, for a registered client (env SEQHUB_CLIENT_SECRET; prefer the env)',
    )
    .option('--scopes <scopes>', `scopes to ask for (default '${DEFAULT_SCOPES}')`)
    .addHelpText(
      'after',
      `
Without --client-id the hub's built-in public client (${PUBLIC_CLIENT_ID}) is used: no setup.
A client the admin registered (seqhub admin client create) needs its id and secret.

Examples:
  seqhub auth --api-server https://hub.lab.org
  seqhub auth --api-server https://other.lab.org --config other
  seqhub whoami --config other`,
    )
    .action(
      async (opts: {
        apiServer?: string;
        config?: string;
        clientId?: string;
        clientSecret?: string;
        scopes?: string;
      }) => {
        const path = configPath(rt, opts.config);
        const apiServer =
          opts.apiServer ?? rt.env.SEQHUB_API_SERVER ?? (await readConfigFile(path)).apiServer;
        if (!apiServer || !/^https?:\/\/[^/]/i.test(apiServer))
          throw new CliError(
            apiServer
              ? `the hub address must be an http(s) URL (got '${apiServer}')`
              : 'no hub given: use --api-server URL or SEQHUB_API_SERVER',
            ExitCodes.badInput,
          );
        const clientId = opts.clientId ?? rt.env.SEQHUB_CLIENT_ID ?? PUBLIC_CLIENT_ID;
        const clientSecret = opts.clientSecret ?? rt.env.SEQHUB_CLIENT_SECRET;
        if (clientId !== PUBLIC_CLIENT_ID && !clientSecret)
          throw new CliError(
            `no secret for OAuth client ${clientId}: give SEQHUB_CLIENT_SECRET (or --client-secret), or leave out --client-id to use the hub's built-in ${PUBLIC_CLIENT_ID}`,
            ExitCodes.badInput,
          );
        const hub = new SeqhubClient({ baseUrl: apiServer });
        const user = await clientAction(rt, async (signal) => {
          const device = await hub.startDeviceAuthorization(
            { clientId, scope: opts.scopes ?? DEFAULT_SCOPES },
            signal,
          );
          rt.out(`To sign in, open ${device.verificationUriComplete}`);
          rt.out(`(or open ${device.verificationUri} and enter the code ${device.userCode})`);
          rt.out('Waiting for approval...');
          const grant = await hub
            .pollDeviceToken(
              {
                clientId,
                clientSecret: clientId === PUBLIC_CLIENT_ID ? undefined : clientSecret,
                device,
              },
              signal,
            )
            .catch((error: unknown) => {
              if (error instanceof ApiError && error.status === 400)
                throw new CliError(
                  `sign-in failed: ${error.message} (${error.errorCode})`,
                  ExitCodes.auth,
                );
              throw error;
            });
          const me = await new SeqhubClient({
            baseUrl: apiServer,
            accessToken: grant.accessToken,
          }).currentUser(signal);
          await writeConfigFile(path, { apiServer, accessToken: grant.accessToken });
          return me;
        });
        rt.out(
          `Signed in to ${apiServer} as ${user.name}${user.email ? ` <${user.email}>` : ''}; token saved in ${path}`,
        );
      },
    );

  addOutputOptions(addClientOptions(program.command('whoami')))
    .description('the user the token belongs to')
    .addHelpText(
      'after',
      '\nExamples:\n  seqhub whoami\n  seqhub whoami -f json\n  seqhub whoami --config other',
    )
    .action(async (opts: ClientFlags & { format?: string; terse?: boolean; field?: string[] }) => {
      const output = outputOptionsOf(opts);
      const hub = await clientFor(rt, opts);
      const me = await clientAction(rt, (signal) => hub.currentUser(signal));
      emit(rt, me, output, USER_COLUMNS);
    });
}
