import type { Command } from 'commander';
import type { SeqhubClient } from '../../sdk/index.js';
import { addClientOptions, clientFor, type ClientFlags } from '../config-file.js';
import { ExitCodes } from '../exit-codes.js';
import { addOutputOptions, emit, fieldOf, outputOptionsOf } from '../output.js';
import { CliError, type CliRuntime } from '../runtime.js';
import { clientAction } from './auth.js';

type Rec = object;

interface ListFlags extends ClientFlags {
  format?: string;
  terse?: boolean;
  field?: string[];
  project?: string;
  run?: string;
  sample?: string;
  appresult?: string;
  extension?: string[];
  status?: string[];
  filterTerm?: string;
  filterField: string;
  sortBy?: string;
  newerThan?: string;
  propertyName?: string;
  propertyValue?: string;
}

/** One resource of `list|get|create`: its stable columns and how to reach it through the SDK. */
interface ResourceSpec {
  plural: string;
  singular: string;
  columns: readonly string[];
  /** Extra options of `list` (a parent id, statuses...). */
  listOptions?: (c: Command) => Command;
  list(hub: SeqhubClient, f: ListFlags, signal: AbortSignal): AsyncIterable<Rec>;
  get(hub: SeqhubClient, id: string, signal: AbortSignal): Promise<Rec>;
  listExample: string;
}

const need = (value: string | undefined, flag: string, what: string): string => {
  if (!value) throw new CliError(`${flag} ID is required to list ${what}`, ExitCodes.badInput);
  return value;
};

const commaList = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

const propertyFilter = (f: ListFlags) => ({
  ...(f.propertyName !== undefined && { propertyName: f.propertyName }),
  ...(f.propertyValue !== undefined && { propertyValue: f.propertyValue }),
});

const statusOption = (c: Command) =>
  c.option('--status <statuses>', 'only these statuses (comma list, repeatable)', commaList);

/** The stable column sets (docs/cli.md "Output"): add at the end only; scripts cut by column. */
export const RESOURCES: readonly ResourceSpec[] = [
  {
    plural: 'projects',
    singular: 'project',
    columns: ['id', 'name', 'totalSize', 'dateCreated'],
    list: (hub, f, signal) => hub.listProjects({ ...propertyFilter(f), signal }),
    get: (hub, id, signal) => hub.getProject(id, signal),
    listExample: 'seqhub list projects -f json',
  },
  {
    plural: 'samples',
    singular: 'sample',
    columns: ['id', 'name', 'sampleId', 'status', 'totalSize', 'dateCreated'],
    listOptions: (c) => c.option('--project <id>', 'the project whose samples to list (required)'),
    list: (hub, f, signal) =>
      hub.listSamples(need(f.project, '--project', 'samples'), { ...propertyFilter(f), signal }),
    get: (hub, id, signal) => hub.getSample(id, signal),
    listExample: 'seqhub list samples --project 12 --filter-term "^NA128"',
  },
  {
    plural: 'appresults',
    singular: 'appresult',
    columns: ['id', 'name', 'status', 'totalSize', 'dateCreated'],
    listOptions: (c) =>
      statusOption(c.option('--project <id>', 'the project whose app results to list (required)')),
    list: (hub, f, signal) =>
      hub.listAppResults(need(f.project, '--project', 'app results'), {
        ...propertyFilter(f),
        ...(f.status && { statuses: f.status }),
        signal,
      }),
    get: (hub, id, signal) => hub.getAppResult(id, signal),
    listExample: 'seqhub list appresults --project 12 --newer-than 7d',
  },
  {
    plural: 'appsessions',
    singular: 'appsession',
    columns: ['id', 'name', 'status', 'statusSummary', 'dateCreated'],
    listOptions: statusOption,
    list: (hub, f, signal) =>
      hub.listAppSessions({
        ...propertyFilter(f),
        ...(f.status && { statuses: f.status }),
        signal,
      }),
    get: (hub, id, signal) => hub.getAppSession(id, signal),
    listExample: 'seqhub list appsessions --status Running,NeedsAttention',
  },
  {
    plural: 'runs',
    singular: 'run',
    columns: ['id', 'name', 'experimentName', 'status', 'totalSize', 'dateCreated'],
    listOptions: statusOption,
    list: (hub, f, signal) =>
      hub.listRuns({ ...propertyFilter(f), ...(f.status && { statuses: f.status }), signal }),
    get: (hub, id, signal) => hub.getRun(id, signal),
    listExample: 'seqhub list runs --sort-by name -F id -F name -f csv',
  },
  {
    plural: 'files',
    singular: 'file',
    columns: ['id', 'path', 'size', 'md5', 'dateCreated'],
    listOptions: (c) =>
      c
        .option('--run <id>', 'files of this run')
        .option('--sample <id>', 'files of this sample')
        .option('--appresult <id>', 'files of this app result')
        .option(
          '--extension <exts>',
          'only these extensions, e.g. .bam,.vcf.gz (repeatable)',
          commaList,
        ),
    list: (hub, f, signal) => {
      const parents = [
        ['runs', f.run],
        ['samples', f.sample],
        ['appresults', f.appresult],
      ].filter(([, id]) => id !== undefined) as ['runs' | 'samples' | 'appresults', string][];
      if (parents.length !== 1)
        throw new CliError(
          'give exactly one of --run, --sample or --appresult ID',
          ExitCodes.badInput,
        );
      const [kind, id] = parents[0]!;
      return hub.listFiles(
        { kind, id },
        { ...propertyFilter(f), ...(f.extension && { extensions: f.extension }), signal },
      );
    },
    get: (hub, id, signal) => hub.getFile(id, signal),
    listExample: 'seqhub list files --sample 34 --extension .fastq.gz --terse',
  },
  {
    plural: 'genomes',
    singular: 'genome',
    columns: ['id', 'displayName', 'speciesName', 'build', 'source'],
    list: (hub, _f, signal) => hub.listGenomes({ signal }),
    get: (hub, id, signal) => hub.getGenome(id, signal),
    listExample: 'seqhub list genomes --filter-term "sapiens" --filter-field speciesName',
  },
];

/** `7d`, `12h`, `30m`, `45s`, `2w`, or a date (`2026-01-31`, ISO 8601): the instant it names. */
export function parseNewerThan(text: string, now = Date.now()): number {
  const m = /^(\d+)\s*([smhdw])$/i.exec(text.trim());
  if (m) {
    const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[m[2]!.toLowerCase() as 's'];
    return now - Number(m[1]) * unit * 1000;
  }
  const at = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(at)) return at;
  throw new CliError(
    `--newer-than takes a duration like 30m, 12h, 7d or 2w, or a date like 2026-01-31 (got '${text}')`,
    ExitCodes.badInput,
  );
}

/** Sort order of `--sort-by`: numbers by value, text naturally (`S2` before `S10`), blanks last. */
function compareValues(a: unknown, b: unknown): number {
  if (a === undefined || a === null) return b === undefined || b === null ? 0 : 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'en', { numeric: true });
}

/** Applies `--filter-term`, `--newer-than` and `--sort-by` to what the hub listed. */
export async function refine(items: AsyncIterable<Rec>, f: ListFlags): Promise<Rec[]> {
  let term: RegExp | undefined;
  try {
    term = f.filterTerm === undefined ? undefined : new RegExp(f.filterTerm, 'i');
  } catch (error) {
    throw new CliError(
      `--filter-term is not a valid regular expression: ${(error as Error).message}`,
      2,
    );
  }
  const since = f.newerThan === undefined ? undefined : parseNewerThan(f.newerThan);
  const out: Rec[] = [];
  for await (const item of items) {
    if (term) {
      const value = fieldOf(item, f.filterField);
      if (
        value === undefined ||
        !term.test(typeof value === 'string' ? value : JSON.stringify(value))
      )
        continue;
    }
    if (since !== undefined) {
      const created = Date.parse(String(fieldOf(item, 'dateCreated') ?? ''));
      if (Number.isNaN(created) || created <= since) continue;
    }
    out.push(item);
  }
  if (f.sortBy !== undefined) {
    const key = f.sortBy;
    // Array.prototype.sort is stable: equal keys keep the hub's order.
    out.sort((a, b) => compareValues(fieldOf(a, key), fieldOf(b, key)));
  }
  return out;
}

/** `seqhub list|get|create <resource>`. */
export function resourceCommands(program: Command, rt: CliRuntime): void {
  const list = program
    .command('list')
    .description('list projects, samples, app results, app sessions, runs, files or genomes');
  const get = program.command('get').description('show one resource by id');
  for (const spec of RESOURCES) {
    let c = list.command(spec.plural).alias(spec.singular).description(`list ${spec.plural}`);
    c = spec.listOptions ? spec.listOptions(c) : c;
    addOutputOptions(addClientOptions(c))
      .option('--filter-term <regex>', 'only items whose --filter-field matches (case-insensitive)')
      .option('--filter-field <field>', 'the field --filter-term looks at', 'name')
      .option('--sort-by <field>', 'sort by this field (any output field)')
      .option('--newer-than <age>', 'only items created after: 30m, 12h, 7d, 2w or a date')
      .option('--property-name <name>', 'only items that have this property')
      .option('--property-value <value>', 'only items whose --property-name has this value')
      .addHelpText(
        'after',
        `\nExamples:\n  ${spec.listExample}\n  seqhub list ${spec.plural} --terse`,
      )
      .action(async (f: ListFlags) => {
        const output = outputOptionsOf(f);
        const hub = await clientFor(rt, f);
        const items = await clientAction(rt, (signal) => refine(spec.list(hub, f, signal), f));
        emit(rt, items, output, spec.columns);
      });

    addOutputOptions(addClientOptions(get.command(spec.singular).alias(spec.plural)))
      .description(`show one ${spec.singular}`)
      .requiredOption('-i, --id <id>', `the ${spec.singular}'s id`)
      .addHelpText(
        'after',
        `\nExamples:\n  seqhub get ${spec.singular} --id 12\n  seqhub get ${spec.singular} -i 12 -f json`,
      )
      .action(async (f: ListFlags & { id: string }) => {
        const output = outputOptionsOf(f);
        const hub = await clientFor(rt, f);
        emit(
          rt,
          await clientAction(rt, (signal) => spec.get(hub, f.id, signal)),
          output,
          spec.columns,
        );
      });
  }
  createCommands(program, rt);
}

const columnsOf = (plural: string) => RESOURCES.find((r) => r.plural === plural)!.columns;

function createCommands(program: Command, rt: CliRuntime): void {
  const create = program
    .command('create')
    .description('create a project, a sample, an app result or a run (to upload into)');
  const made = async (
    f: ListFlags,
    plural: string,
    work: (hub: SeqhubClient, signal: AbortSignal) => Promise<Rec>,
  ) => {
    const output = outputOptionsOf(f);
    const hub = await clientFor(rt, f);
    emit(rt, await clientAction(rt, (signal) => work(hub, signal)), output, columnsOf(plural));
  };

  addOutputOptions(addClientOptions(create.command('project')))
    .description('create a project (a name you already have answers that project, as BaseSpace)')
    .requiredOption('-n, --name <name>', 'the project name')
    .option('--description <text>', 'a description')
    .addHelpText('after', '\nExamples:\n  id=$(seqhub create project --name "Exome 2026" --terse)')
    .action((f: ListFlags & { name: string; description?: string }) =>
      made(f, 'projects', (hub, signal) =>
        hub.createProject(
          { name: f.name, ...(f.description !== undefined && { description: f.description }) },
          signal,
        ),
      ),
    );

  addOutputOptions(addClientOptions(create.command('sample')))
    .description('create a sample in a project, to upload files into')
    .requiredOption('--project <id>', 'the project')
    .requiredOption('-n, --name <name>', 'the sample name')
    .option('--sample-id <id>', "the sample sheet's Sample_ID (default: the name)")
    .option('--description <text>', 'a description')
    .addHelpText('after', '\nExamples:\n  seqhub create sample --project 12 --name NA12878 --terse')
    .action((f: ListFlags & { name: string; sampleId?: string; description?: string }) =>
      made(f, 'samples', (hub, signal) =>
        hub.createSample(
          need(f.project, '--project', 'samples'),
          {
            name: f.name,
            ...(f.sampleId !== undefined && { sampleId: f.sampleId }),
            ...(f.description !== undefined && { description: f.description }),
          },
          signal,
        ),
      ),
    );

  addOutputOptions(addClientOptions(create.command('appresult')))
    .description('create an app result in a project, to upload files into')
    .requiredOption('--project <id>', 'the project')
    .requiredOption('-n, --name <name>', 'the app result name')
    .option('--description <text>', 'a description')
    .addHelpText(
      'after',
      '\nExamples:\n  seqhub create appresult --project 12 --name "Variant calls" --terse',
    )
    .action((f: ListFlags & { name: string; description?: string }) =>
      made(f, 'appresults', (hub, signal) =>
        hub.createAppResult(
          need(f.project, '--project', 'app results'),
          { name: f.name, ...(f.description !== undefined && { description: f.description }) },
          signal,
        ),
      ),
    );

  addOutputOptions(addClientOptions(create.command('run')))
    .description('create an empty run in Uploading (seqhub run upload does all of it for a folder)')
    .requiredOption('-n, --name <name>', 'the run name')
    .option('--experiment-name <name>', 'the experiment name')
    .addHelpText(
      'after',
      '\nExamples:\n  seqhub create run --name 230101_M00001_0001_000000000-ABCDE --terse',
    )
    .action((f: ListFlags & { name: string; experimentName?: string }) =>
      made(f, 'runs', (hub, signal) =>
        hub.createRun(
          {
            name: f.name,
            ...(f.experimentName !== undefined && { experimentName: f.experimentName }),
          },
          signal,
        ),
      ),
    );
}
