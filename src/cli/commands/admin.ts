import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import type { Services } from '../../services/index.js';
import { CliError, type CliRuntime } from '../runtime.js';
import { runFolderSource } from './run-import.js';

/** Local administration against the configured database, without HTTP. */
export function adminCommand(program: Command, rt: CliRuntime): void {
  const admin = program
    .command('admin')
    .description('administer the hub directly (same --data-dir / DATABASE_URL settings as serve)')
    .option('--data-dir <dir>', 'where metadata and files live (default ./seqhub-data)');

  const withServices = async <T>(
    cmd: Command,
    work: (services: Services) => Promise<T>,
  ): Promise<T> => {
    const flags = cmd.optsWithGlobals() as { dataDir?: string };
    const config = loadConfig({ env: rt.env, flags: { dataDir: flags.dataDir }, cwd: rt.cwd });
    const hub = await rt.openHub(config);
    try {
      return await work(hub.services);
    } finally {
      await hub.close();
    }
  };

  const user = admin.command('user').description('manage users');
  user
    .command('create')
    .description("create a user; prints the new user's id")
    .requiredOption('--email <email>', 'email address (the login)')
    .requiredOption('--name <name>', 'display name')
    .option('--admin', 'make the user an administrator')
    .action(async (opts: { email: string; name: string; admin?: boolean }, cmd: Command) => {
      const created = await withServices(cmd, (s) =>
        s.auth.createUser({ email: opts.email, name: opts.name, isAdmin: opts.admin ?? false }),
      );
      rt.out(created.id);
    });

  const token = admin.command('token').description('manage access tokens');
  token
    .command('create')
    .description('create an access token for a user; prints the token and nothing else')
    .requiredOption('--email <email>', "the user's email")
    .option(
      '--scope <scope>',
      'BaseSpace scope, e.g. "browse global, read project 12" (default: full access)',
    )
    .action(async (opts: { email: string; scope?: string }, cmd: Command) => {
      const issued = await withServices(cmd, async (s) => {
        const found = await s.auth.findUserByEmail(opts.email);
        if (!found) throw new CliError(`no user with email '${opts.email}'`);
        return s.auth.createToken(found.id, opts.scope);
      });
      rt.out(issued.token);
    });

  const run = admin.command('run').description('manage runs');
  run
    .command('import')
    .description(
      "copy an Illumina run folder into the hub as a Run of --owner; prints the new run's id last",
    )
    .argument('<run-folder>', 'the run folder (holding RunInfo.xml)')
    .requiredOption('--owner <email>', "the run owner's email")
    .action(async (folder: string, opts: { owner: string }, cmd: Command) => {
      const source = await runFolderSource(folder);
      const imported = await withServices(cmd, async (s) => {
        const owner = await s.auth.findUserByEmail(opts.owner);
        if (!owner) throw new CliError(`no user with email '${opts.owner}'`);
        return s.runs.importFolder(owner.id, source);
      });
      rt.out(
        `imported ${imported.name}: ${source.files.length} file(s), ${imported.totalSize} bytes`,
      );
      rt.out(imported.id);
    });

  admin
    .command('gc')
    .description('remove what interrupted uploads left behind (also runs hourly inside serve)')
    .option('--grace <seconds>', 'leave anything touched more recently than this alone', '3600')
    .option(
      '--multipart-grace <seconds>',
      'abort multipart uploads idle for longer than this',
      String(7 * 24 * 3600),
    )
    .action(async (opts: { grace: string; multipartGrace: string }, cmd: Command) => {
      const seconds = (text: string, flag: string) => {
        if (!/^\d{1,10}$/.test(text)) throw new CliError(`${flag} takes a whole number of seconds`);
        return Number(text) * 1000;
      };
      const graceMs = seconds(opts.grace, '--grace');
      const multipartGraceMs = seconds(opts.multipartGrace, '--multipart-grace');
      const swept = await withServices(cmd, (s) => s.files.sweep({ graceMs, multipartGraceMs }));
      rt.out(`removed ${swept.files} unfinished upload(s) and ${swept.blobs} stored object(s)`);
    });
}
