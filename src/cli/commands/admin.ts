import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { parseEnv } from 'node:util';
import type { Command } from 'commander';
import { describeDb, loadConfig, type Config } from '../../config/index.js';
import type { Services } from '../../services/index.js';
import { CliError, type CliRuntime } from '../runtime.js';
import { runFolderSource } from './run-import.js';

/** Local administration against the configured database, without HTTP. */
export function adminCommand(program: Command, rt: CliRuntime): void {
  const admin = program
    .command('admin')
    .description('administer the hub directly (same --data-dir / DATABASE_URL settings as serve)')
    .option('--data-dir <dir>', 'where metadata and files live (default ./seqhub-data)');

  const configOf = (cmd: Command): Config => {
    const flags = cmd.optsWithGlobals() as { dataDir?: string };
    return loadConfig({ env: rt.env, flags: { dataDir: flags.dataDir }, cwd: rt.cwd });
  };
  const withServices = async <T>(
    cmd: Command,
    work: (services: Services) => Promise<T>,
  ): Promise<T> => {
    const config = configOf(cmd);
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
    .option('--password-stdin', 'read a password for web sign-in from standard input')
    .action(
      async (
        opts: { email: string; name: string; admin?: boolean; passwordStdin?: boolean },
        cmd: Command,
      ) => {
        const password = opts.passwordStdin ? await readPassword() : undefined;
        const created = await withServices(cmd, async (s) => {
          const made = await s.auth.createUser({
            email: opts.email,
            name: opts.name,
            isAdmin: opts.admin ?? false,
          });
          if (password !== undefined) await s.web.setPasswordOf(made, password);
          return made;
        });
        rt.out(created.id);
      },
    );

  user
    .command('password')
    .description("set a user's web sign-in password, read from standard input")
    .requiredOption('--email <email>', "the user's email")
    .action(async (opts: { email: string }, cmd: Command) => {
      const password = await readPassword();
      await withServices(cmd, (s) => s.web.setPassword(opts.email, password));
      rt.out('password set');
    });

  /** One line from stdin; the trailing newline of `echo` or a terminal is not part of it. */
  const readPassword = async () => {
    const text = (await rt.readStdin()).replace(/\r?\n$/, '');
    if (!text) throw new CliError('no password on standard input');
    return text;
  };

  const client = admin.command('client').description('manage OAuth clients (applications)');
  client
    .command('create')
    .description('register an OAuth client; prints its client_id and client_secret (shown once)')
    .requiredOption('--name <name>', 'the name users see on the consent page')
    .requiredOption(
      '--redirect-uri <uri>',
      'an allowed redirect URI (repeat for more)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(async (opts: { name: string; redirectUri: string[] }, cmd: Command) => {
      const made = await withServices(cmd, (s) =>
        s.oauth.createClient({ name: opts.name, redirectUris: opts.redirectUri }),
      );
      rt.out(`client_id ${made.client.clientId}`);
      rt.out(`client_secret ${made.secret}`);
    });
  client
    .command('list')
    .description('list OAuth clients: client_id, name, redirect URIs (one line each)')
    .action(async (_opts: unknown, cmd: Command) => {
      const clients = await withServices(cmd, (s) => s.oauth.listClients());
      for (const c of clients) rt.out(`${c.clientId}\t${c.name}\t${c.redirectUris.join(' ')}`);
    });
  client
    .command('delete')
    .description('delete an OAuth client and revoke every token it obtained')
    .argument('<client_id>')
    .action(async (clientId: string, _opts: unknown, cmd: Command) => {
      await withServices(cmd, (s) => s.oauth.deleteClient(clientId));
      rt.out('deleted');
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

  token
    .command('revoke')
    .description('revoke an access token, given by id or read from standard input')
    .option('--id <id>', 'the token id (token/current shows it as Id)')
    .option('--token-stdin', 'read the token itself from standard input')
    .action(async (opts: { id?: string; tokenStdin?: boolean }, cmd: Command) => {
      if (!opts.id === !opts.tokenStdin)
        throw new CliError('give exactly one of --id or --token-stdin');
      const presented = opts.tokenStdin ? (await rt.readStdin()).trim() : undefined;
      const revoked = await withServices(cmd, (s) =>
        s.oauth.revokeByAdmin(presented !== undefined ? { token: presented } : { id: opts.id! }),
      );
      if (!revoked) throw new CliError('no such live token');
      rt.out('revoked');
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

  const genome = admin.command('genome').description('manage reference genomes');
  genome
    .command('add')
    .description(
      "register a genome with its FASTA; a running hub indexes it (samtools faidx, minimap2) before apps can use it; prints the new genome's id",
    )
    .requiredOption('--fasta <file>', 'the FASTA file (plain text)')
    .requiredOption('--name <name>', 'display name, e.g. "Homo sapiens (GRCh38, no alts)"')
    .requiredOption('--species <species>', 'species name, e.g. "Homo sapiens"')
    .option('--source <source>', 'where the sequence comes from (NCBI, UCSC, Ensembl...)', 'Custom')
    .option('--build <build>', 'build name (default: the display name)')
    .action(
      async (
        opts: { fasta: string; name: string; species: string; source: string; build?: string },
        cmd: Command,
      ) => {
        const path = resolve(rt.cwd, opts.fasta);
        const info = await stat(path).catch(() => undefined);
        if (!info?.isFile()) throw new CliError(`no such file: ${opts.fasta}`);
        const fasta = createReadStream(path);
        const added = await withServices(cmd, (s) =>
          s.genomes.addWithSequence(
            {
              displayName: opts.name,
              speciesName: opts.species,
              source: opts.source,
              build: opts.build ?? opts.name,
            },
            fasta,
          ),
        );
        rt.out(added.id);
      },
    );

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

  admin
    .command('migrate')
    .description('apply pending database migrations and exit (serve also applies them at start)')
    .action(async (_opts: unknown, cmd: Command) => {
      const config = configOf(cmd);
      const applied = await rt.migrateDatabase(config);
      rt.out(
        applied.length === 0
          ? `${describeDb(config)}: up to date`
          : `${describeDb(config)}: applied ${applied.join(', ')}`,
      );
    });

  admin
    .command('check')
    .description(
      'report the configuration and whether the database, storage and job queue answer; exits 1 when one does not',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const lines = await rt.checkHub(configOf(cmd));
      for (const line of lines)
        rt.out(`${line.ok ? 'ok  ' : 'FAIL'}  ${line.name.padEnd(8)}  ${line.detail}`);
      const failing = lines.filter((l) => !l.ok).map((l) => l.name);
      if (failing.length > 0) throw new CliError(`unreachable: ${failing.join(', ')}`);
    });

  admin
    .command('migrate-to')
    .description(
      'copy this embedded hub (stopped) into PostgreSQL and another store: every row and every object, checksums verified',
    )
    .requiredOption(
      '--to-env <file>',
      'the target settings as an environment file (DATABASE_URL, SEQHUB_STORAGE=s3, SEQHUB_S3_*), e.g. the one the new units use',
    )
    .action(async (opts: { toEnv: string }, cmd: Command) => {
      const source = configOf(cmd);
      let text: string;
      try {
        text = await readFile(opts.toEnv, 'utf8');
      } catch (error) {
        throw new CliError(`cannot read ${opts.toEnv}: ${(error as Error).message}`, 2);
      }
      const target = loadConfig({ env: parseEnv(text), cwd: rt.cwd });
      rt.err(`from ${describeDb(source)} to ${describeDb(target)}`);
      let shown = -1;
      const report = await rt.transferHub(source, target, (event) => {
        if (event.kind === 'objects') rt.err(`objects: ${event.listed} to copy`);
        else if (event.kind === 'table') rt.err(`rows: ${event.table} ${event.rows}`);
        else {
          // A line per tenth, not per object: a hub holds hundreds of thousands.
          const tenth = Math.floor((event.done * 10) / event.listed);
          if (tenth !== shown) {
            shown = tenth;
            rt.err(
              `objects: ${event.done}/${event.listed} copied and verified (${event.bytes} bytes)`,
            );
          }
        }
      });
      const rows = report.tables.reduce((n, t) => n + t.rows, 0);
      rt.out(
        `copied ${rows} rows in ${report.tables.length} tables and ${report.objects} objects (${report.bytes} bytes), every object's SHA-256 verified`,
      );
    });
}
