import { Argument, Option, type Command } from 'commander';
import type { ShareableRef } from '../../sdk/index.js';
import { addClientOptions, clientFor, type ClientFlags } from '../config-file.js';
import { ExitCodes } from '../exit-codes.js';
import { addOutputOptions, emit, outputOptionsOf } from '../output.js';
import { CliError, type CliRuntime } from '../runtime.js';
import { clientAction } from './auth.js';

/** Columns of a share (a collaborator). */
export const COLLABORATOR_COLUMNS = ['user.id', 'user.name', 'user.email', 'access'] as const;

const kindArgument = () =>
  new Argument('<kind>', 'what to share').choices(['project', 'run', 'projects', 'runs']);

const refOf = (kind: string, id: string): ShareableRef => ({
  kind: kind.startsWith('project') ? 'projects' : 'runs',
  id,
});

type Flags = ClientFlags & {
  format?: string;
  terse?: boolean;
  field?: string[];
  id: string;
  user: string;
};

/** `seqhub share|unshare project|run --id ID --user EMAIL` (issue 4's sharing API). */
export function shareCommands(program: Command, rt: CliRuntime): void {
  addOutputOptions(addClientOptions(program.command('share')))
    .description(
      "share a project or run with another user of the hub, by email or user id; a share's level can be changed the same way",
    )
    .addArgument(kindArgument())
    .requiredOption('-i, --id <id>', 'the project or run id')
    .requiredOption('-u, --user <user>', "the user's email (or user id)")
    .addOption(
      new Option('-l, --level <level>', 'READ: see and download; WRITE: also add and change')
        .choices(['READ', 'WRITE', 'read', 'write', 'Read', 'Write'])
        .default('READ'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  seqhub share project --id 12 --user ada@lab.org --level READ\n  seqhub share project --id 12 --user ada@lab.org --level WRITE',
    )
    .action(async (kind: string, f: Flags & { level: string }) => {
      const output = outputOptionsOf(f);
      const hub = await clientFor(rt, f);
      const by = f.user.includes('@') ? { email: f.user } : { userId: f.user };
      const access = f.level.toLowerCase() === 'write' ? 'Write' : 'Read';
      const share = await clientAction(rt, (signal) =>
        hub.share(refOf(kind, f.id), { ...by, access }, signal),
      );
      emit(rt, share, output, COLLABORATOR_COLUMNS);
    });

  addClientOptions(program.command('unshare'))
    .description('stop sharing a project or run with a user')
    .addArgument(kindArgument())
    .requiredOption('-i, --id <id>', 'the project or run id')
    .requiredOption('-u, --user <user>', "the user's email (or user id)")
    .addHelpText('after', '\nExamples:\n  seqhub unshare project --id 12 --user ada@lab.org')
    .action(async (kind: string, f: Flags) => {
      const hub = await clientFor(rt, f);
      const ref = refOf(kind, f.id);
      await clientAction(rt, async (signal) => {
        let userId: string | undefined;
        for await (const c of hub.listCollaborators(ref, { signal }))
          if (c.user.id === f.user || c.user.email?.toLowerCase() === f.user.toLowerCase())
            userId = c.user.id;
        if (userId === undefined)
          throw new CliError(
            `${kind.replace(/s$/, '')} ${f.id} is not shared with ${f.user}`,
            ExitCodes.notFound,
          );
        await hub.unshare(ref, userId, signal);
      });
    });
}
