import { Option, type Command } from 'commander';
import { ExitCodes } from './exit-codes.js';
import { CliError, type CliRuntime } from './runtime.js';

/**
 * How client commands print resources (docs/cli.md "Output"). The whole API is three calls:
 * `addOutputOptions(command)` when building a command, `outputOptionsOf(opts)` in its action,
 * `emit(rt, records, options, columns)` to print.
 *
 * - `table` (default): a boxed table with a header row, `columns` (or the `-F` fields);
 * - `json`: the full objects (every field the SDK gives), an array for a list, one object for a
 *   single record; with `-F`, objects of only those fields;
 * - `csv`: RFC 4180 (header row, CRLF line ends, quotes where needed) of the columns;
 * - `--terse`: the ids only, one per line, whatever the format.
 *
 * Field names are the SDK's camelCase ones, matched case-insensitively (`-F Id` = `-F id`), with
 * dots into nested objects (`-F userOwnedBy.name`).
 */
export const OutputFormats = ['table', 'json', 'csv'] as const;
export type OutputFormat = (typeof OutputFormats)[number];

export interface OutputOptions {
  format: OutputFormat;
  /** Ids only, one per line. */
  terse: boolean;
  /** Fields to print instead of the command's columns (`-F`, repeatable). */
  fields: string[];
}

/** Adds `-f/--format`, `--terse` and `-F/--field` to a command. */
export function addOutputOptions(command: Command): Command {
  return command
    .addOption(
      new Option('-f, --format <format>', 'output format').choices(OutputFormats).default('table'),
    )
    .option('--terse', 'print the ids only, one per line')
    .option(
      '-F, --field <name>',
      'a field to print (repeatable), e.g. -F id -F name',
      (value: string, previous: string[] = []) => [...previous, value],
    );
}

/** The output options of a command's parsed flags. */
export function outputOptionsOf(opts: {
  format?: string;
  terse?: boolean;
  field?: string[];
}): OutputOptions {
  const format = (opts.format ?? 'table') as OutputFormat;
  for (const f of opts.field ?? [])
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(f))
      throw new CliError(`-F takes a field name like id or userOwnedBy.name (got '${f}')`, 2);
  return { format, terse: Boolean(opts.terse), fields: opts.field ?? [] };
}

type Rec = object;

/**
 * Prints `records` (an array for a list, one object for a get) as `options` say; `columns` are
 * the command's stable default fields, in order. An unknown `-F` field is a usage error.
 */
export function emit(
  rt: Pick<CliRuntime, 'out'>,
  records: Rec | readonly Rec[],
  options: OutputOptions,
  columns: readonly string[],
): void {
  const single = !Array.isArray(records);
  const list: readonly Rec[] = Array.isArray(records) ? records : [records as Rec];
  if (options.terse) {
    for (const r of list) rt.out(cell(fieldOf(r, 'id') ?? fieldOf(r, columns[0] ?? 'id')));
    return;
  }
  const fields = options.fields.length > 0 ? options.fields : columns;
  if (options.fields.length > 0 && list.length > 0)
    for (const f of fields)
      if (list.every((r) => !hasField(r, f)))
        throw new CliError(
          `no field '${f}' in these records; fields: ${Object.keys(list[0]!).join(', ')}`,
          ExitCodes.badInput,
        );
  switch (options.format) {
    case 'json': {
      const shaped =
        options.fields.length > 0
          ? list.map((r) => Object.fromEntries(fields.map((f) => [f, fieldOf(r, f) ?? null])))
          : list;
      rt.out(JSON.stringify(single ? shaped[0] : shaped, null, 2));
      return;
    }
    case 'csv': {
      const rows = [fields, ...list.map((r) => fields.map((f) => cell(fieldOf(r, f))))];
      rt.out(`${rows.map((row) => row.map(csvQuote).join(',')).join('\r\n')}\r`);
      return;
    }
    case 'table':
      for (const line of table(
        fields,
        list.map((r) => fields.map((f) => cell(fieldOf(r, f)))),
      ))
        rt.out(line);
  }
}

/** A value at a dotted, case-insensitive path of a record; undefined when absent. */
export function fieldOf(record: unknown, path: string): unknown {
  let at: unknown = record;
  for (const part of path.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined;
    const key = Object.keys(at).find((k) => k.toLowerCase() === part.toLowerCase());
    if (key === undefined) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function hasField(record: unknown, path: string): boolean {
  return fieldOf(record, path) !== undefined;
}

/** A value as one cell: text as is, numbers and booleans as JSON, objects as compact JSON. */
export function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** RFC 4180 2.6-2.7: quoted when it holds a comma, quote, CR or LF; quotes doubled. */
export function csvQuote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A boxed table as `bs` draws it; newlines in a cell are shown as spaces. */
function table(header: readonly string[], rows: readonly string[][]): string[] {
  const flat = (s: string) => s.replace(/[\r\n\t]+/g, ' ');
  const all = [header.map(flat), ...rows.map((r) => r.map(flat))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (r: readonly string[]) =>
    `| ${r.map((c, i) => c + ' '.repeat(widths[i]! - [...c].length)).join(' | ')} |`;
  return [rule, line(all[0]!), rule, ...all.slice(1).map(line), ...(rows.length ? [rule] : [])];
}
