import { Argument, type Command } from 'commander';
import type { Property, PropertyOwnerKind, ResourceRef } from '../../sdk/index.js';
import { addClientOptions, clientFor, type ClientFlags } from '../config-file.js';
import { addOutputOptions, emit, outputOptionsOf } from '../output.js';
import type { CliRuntime } from '../runtime.js';
import { clientAction } from './auth.js';

const KINDS = ['project', 'run', 'sample', 'appresult', 'appsession', 'file'] as const;

/** Columns of a property: `value` is its content, or its items for a `[]` type. */
export const PROPERTY_COLUMNS = ['name', 'type', 'value'] as const;

const kindArgument = () =>
  new Argument('<kind>', 'what the property is on').choices([
    ...KINDS,
    ...KINDS.map((k) => `${k}s`),
  ]);

const refOf = (kind: string, id: string): ResourceRef => ({
  kind: (kind.endsWith('s') ? kind : `${kind}s`) as PropertyOwnerKind,
  id,
});

const shown = (p: Property) => ({ ...p, value: p.items ?? p.content });

type Flags = ClientFlags & { format?: string; terse?: boolean; field?: string[]; id: string };

/** `seqhub property get|set|delete <kind> --id ID ...` (spec 5). */
export function propertyCommands(program: Command, rt: CliRuntime): void {
  const property = program
    .command('property')
    .description(
      'read and write properties of projects, runs, samples, app results, app sessions and files',
    );

  addOutputOptions(addClientOptions(property.command('get')))
    .description("one property's value, or every property of the resource without --name")
    .addArgument(kindArgument())
    .requiredOption('-i, --id <id>', 'the resource id')
    .option('-n, --name <name>', 'the property name, e.g. seqhub.qc.status')
    .addHelpText(
      'after',
      '\nExamples:\n  seqhub property get project --id 12\n  seqhub property get sample --id 34 --name lab.tissue -f json',
    )
    .action(async (kind: string, f: Flags & { name?: string }) => {
      const output = outputOptionsOf(f);
      const hub = await clientFor(rt, f);
      const owner = refOf(kind, f.id);
      await clientAction(rt, async (signal) => {
        if (f.name !== undefined) {
          const p = await hub.getProperty(owner, f.name, signal);
          // A long `[]` property comes with its first items only: page the rest.
          if (p.items && p.itemsTotalCount !== undefined && p.itemsTotalCount > p.items.length) {
            const items: unknown[] = [];
            for await (const item of hub.listPropertyItems(owner, f.name, { signal }))
              items.push(item);
            p.items = items;
          }
          emit(rt, shown(p), output, PROPERTY_COLUMNS);
        } else {
          const all: object[] = [];
          for await (const p of hub.listProperties(owner, { signal })) all.push(shown(p));
          emit(rt, all, output, PROPERTY_COLUMNS);
        }
      });
    });

  addOutputOptions(addClientOptions(property.command('set')))
    .description('create or replace a property: one --value is a string, several a string[]')
    .addArgument(kindArgument())
    .requiredOption('-i, --id <id>', 'the resource id')
    .requiredOption('-n, --name <name>', 'the property name, e.g. lab.tissue')
    .requiredOption(
      '-v, --value <value>',
      'the value (repeat for a list)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--type <type>', 'string or string[] (default: from the number of values)')
    .option('--description <text>', 'a description')
    .addHelpText(
      'after',
      '\nExamples:\n  seqhub property set sample --id 34 --name lab.tissue --value liver\n  seqhub property set project --id 12 --name lab.tags --value exome --value 2026',
    )
    .action(
      async (
        kind: string,
        f: Flags & { name: string; value: string[]; type?: string; description?: string },
      ) => {
        const output = outputOptionsOf(f);
        const hub = await clientFor(rt, f);
        const list = f.type === undefined ? f.value.length > 1 : f.type.endsWith('[]');
        const written = await clientAction(rt, (signal) =>
          hub.setProperty(
            refOf(kind, f.id),
            {
              name: f.name,
              ...(f.type !== undefined && { type: f.type }),
              ...(f.description !== undefined && { description: f.description }),
              ...(list ? { items: f.value } : { content: f.value[0] }),
            },
            signal,
          ),
        );
        emit(rt, shown(written), output, PROPERTY_COLUMNS);
      },
    );

  addClientOptions(property.command('delete'))
    .description('delete a property')
    .addArgument(kindArgument())
    .requiredOption('-i, --id <id>', 'the resource id')
    .requiredOption('-n, --name <name>', 'the property name')
    .addHelpText('after', '\nExamples:\n  seqhub property delete sample --id 34 --name lab.tissue')
    .action(async (kind: string, f: Flags & { name: string }) => {
      const hub = await clientFor(rt, f);
      await clientAction(rt, (signal) => hub.deleteProperty(refOf(kind, f.id), f.name, signal));
    });
}
