import { AppError } from './errors.js';
import { parseHref, truncateForMessage } from './ids.js';
import {
  checkPropertyName,
  type MapEntry,
  type PropertyInput,
  type ReferenceKind,
} from './properties.js';

/**
 * Apps (issue 12): an application is a manifest kept in the repo (src/apps/<slug>/manifest.ts):
 * who it is, the form of its inputs, what it produces, the resources it may use and how it runs.
 * This module is the pure part: the manifest's shape, and turning a launch body (spec 4.7) into
 * values checked against the form. Access to the named resources is the service's job.
 */
export type AppInputKind =
  | 'sample[]'
  | 'appresult[]'
  | 'project'
  | 'run'
  | 'genome'
  | 'string'
  | 'number'
  | 'enum'
  | 'boolean';

export interface AppInputField {
  /** The form field id: the launch property is `Input.<id>` (BaseSpace style, `sample-id`). */
  id: string;
  label: string;
  kind: AppInputKind;
  required: boolean;
  /** For options: the value used when the launch leaves it out. */
  default?: string | number | boolean | undefined;
  /** For `enum`: the allowed values. */
  choices?: readonly string[] | undefined;
  /** For `number`: inclusive bounds; `integer` rejects fractions. */
  min?: number | undefined;
  max?: number | undefined;
  integer?: boolean | undefined;
  /** For `sample[]` and `appresult[]`: at most this many (default 100). */
  maxItems?: number | undefined;
}

export interface AppResources {
  /** Wall-clock limit of one run; past it the process tree is killed and the session fails. */
  timeLimitSeconds: number;
  /** Address-space limit of each process of the run (RLIMIT_AS, see docs/apps.md). */
  memoryMb: number;
  /** Threads the tools are told to use. */
  threads: number;
}

/** How an app runs: a bash script in a sandboxed working folder, or the built-in demultiplexer. */
export type AppEngine =
  | {
      kind: 'script';
      /** Debian tools the script calls (checked at launch: a missing tool is a clear failure). */
      tools: readonly string[];
      /** Needs the genome's FASTA and aligner index staged in. */
      needsGenomeIndex: boolean;
      script: string;
      /**
       * Turns a small JSON output (`*.json`, under 1 MB) of one AppResult into its properties
       * (names like `FastqQc.TotalReads`); files it does not know give none.
       */
      summarize?: (fileName: string, text: string) => Record<string, string> | undefined;
    }
  | { kind: 'demux' }
  | { kind: 'none' };

export interface AppManifest {
  /** Numeric, stable (BaseSpace application ids are numbers): never renumber. */
  id: string;
  /** Stable slug: `fastq-qc`; `applications/{slug}` works as well as the id. */
  slug: string;
  name: string;
  version: string;
  shortDescription: string;
  longDescription: string;
  category: 'Analytic' | 'Native';
  inputs: readonly AppInputField[];
  /** What each run produces, for people (docs/apps.md, LongDescription). */
  outputs: readonly string[];
  resources: AppResources;
  engine: AppEngine;
  /** Publication date of this version (ISO). */
  datePublished: string;
}

/** A launch input after checking against the form. */
export type LaunchValue =
  | { kind: 'refs'; refKind: 'sample' | 'appresult'; ids: string[] }
  | { kind: 'ref'; refKind: 'project' | 'run' | 'genome'; id: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean };

export interface LaunchRequest {
  name: string | undefined;
  statusSummary: string | undefined;
  values: Record<string, LaunchValue>;
}

const DEFAULT_MAX_ITEMS = 100;
const MAX_TEXT = 4096;

const invalid = (message: string) => new AppError('BASESPACE.APPLICATIONS.INPUT_INVALID', message);

/** A plain object's value by key, whatever the key's case (SDKs send `Content` or `content`). */
function field(obj: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An id from an href (`v1pre3/samples/12`) or a bare id, of the kind the input wants. */
function refId(raw: unknown, kind: ReferenceKind | 'genome', input: string): string {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (/^[1-9][0-9]{0,18}$/.test(text)) return text;
  const ref = text ? parseHref(text) : undefined;
  if (!ref || ref.kind !== kind || !/^[1-9][0-9]{0,18}$/.test(ref.id))
    throw invalid(
      `${input}: '${truncateForMessage(String(raw ?? ''))}' is not a ${kind} href (v1pre3/${kind}s/{id})`,
    );
  return ref.id;
}

/** The single content of a property, as text. */
function contentText(prop: Record<string, unknown>, input: string): string {
  const content = field(prop, 'Content');
  if (typeof content === 'string') return content;
  if (typeof content === 'number' || typeof content === 'boolean') return String(content);
  const items = field(prop, 'Items');
  if (Array.isArray(items) && items.length === 1 && typeof items[0] === 'string') return items[0];
  throw invalid(`${input}: Content is missing`);
}

function itemsOf(prop: Record<string, unknown>, input: string): unknown[] {
  const items = field(prop, 'Items');
  if (Array.isArray(items)) return items;
  const content = field(prop, 'Content');
  if (content !== undefined && content !== null) return [content];
  throw invalid(`${input}: Items are missing`);
}

function parseValue(f: AppInputField, prop: Record<string, unknown>): LaunchValue {
  const input = `Input.${f.id}`;
  const type = String(field(prop, 'Type') ?? '').toLowerCase();
  switch (f.kind) {
    case 'sample[]':
    case 'appresult[]': {
      const refKind = f.kind === 'sample[]' ? 'sample' : 'appresult';
      if (type !== f.kind && type !== refKind)
        throw invalid(`${input} must have Type '${f.kind}', not '${truncateForMessage(type)}'`);
      const ids = itemsOf(prop, input).map((i) => refId(i, refKind, input));
      const max = f.maxItems ?? DEFAULT_MAX_ITEMS;
      if (ids.length > max) throw invalid(`${input}: at most ${max} items`);
      if (ids.length === 0 && f.required) throw invalid(`${input} needs at least one ${refKind}`);
      return { kind: 'refs', refKind, ids: [...new Set(ids)] };
    }
    case 'project':
    case 'run': {
      if (type !== f.kind)
        throw invalid(`${input} must have Type '${f.kind}', not '${truncateForMessage(type)}'`);
      return { kind: 'ref', refKind: f.kind, id: refId(contentText(prop, input), f.kind, input) };
    }
    case 'genome': {
      // BaseSpace forms carry the genome as a string setting (spec 4.7 `Input.genome-id`).
      if (type !== 'string' && type !== 'genome')
        throw invalid(`${input} must have Type 'string' (a genome id or href)`);
      return {
        kind: 'ref',
        refKind: 'genome',
        id: refId(contentText(prop, input), 'genome', input),
      };
    }
    default:
      if (type !== 'string')
        throw invalid(`${input} must have Type 'string', not '${truncateForMessage(type)}'`);
      return optionValue(f, contentText(prop, input));
  }
}

/** An option's text checked against its field (the launch form sends every option as text). */
export function optionValue(f: AppInputField, text: string): LaunchValue {
  const input = `Input.${f.id}`;
  if (text.length > MAX_TEXT) throw invalid(`${input}: longer than ${MAX_TEXT} characters`);
  switch (f.kind) {
    case 'number': {
      const value = text.trim() === '' ? NaN : Number(text);
      if (!Number.isFinite(value))
        throw invalid(`${input}: '${truncateForMessage(text)}' is not a number`);
      if (f.integer && !Number.isInteger(value))
        throw invalid(`${input}: '${truncateForMessage(text)}' is not a whole number`);
      if ((f.min !== undefined && value < f.min) || (f.max !== undefined && value > f.max))
        throw invalid(`${input}: ${value} is outside ${f.min ?? '-inf'}..${f.max ?? 'inf'}`);
      return { kind: 'number', value };
    }
    case 'enum':
      if (!f.choices?.includes(text))
        throw invalid(
          `${input}: '${truncateForMessage(text)}' is not one of ${f.choices?.join(', ')}`,
        );
      return { kind: 'string', value: text };
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (t !== 'true' && t !== 'false')
        throw invalid(`${input}: '${truncateForMessage(text)}' is not true or false`);
      return { kind: 'boolean', value: t === 'true' };
    }
    default:
      return { kind: 'string', value: text };
  }
}

/**
 * Checks a launch body (spec 4.7) against an app's form: every `Input.<field>` property must be
 * a field of the form with the right type; required fields must be there; options left out take
 * their defaults. `Input.<field>.attributes` companions are accepted and ignored (the hub writes
 * its own), other properties are ignored. Errors are 400s naming the input.
 */
export function parseLaunch(manifest: AppManifest, body: unknown): LaunchRequest {
  if (!isObject(body)) throw invalid('The launch body must be a JSON object');
  const name = field(body, 'Name');
  const summary = field(body, 'StatusSummary');
  if (name !== undefined && (typeof name !== 'string' || name.length > 255))
    throw invalid('Name must be a string of at most 255 characters');
  if (summary !== undefined && (typeof summary !== 'string' || summary.length > MAX_TEXT))
    throw invalid(`StatusSummary must be a string of at most ${MAX_TEXT} characters`);
  const props = field(body, 'Properties') ?? [];
  if (!Array.isArray(props)) throw invalid('Properties must be a list');
  const byField = new Map(manifest.inputs.map((f) => [f.id.toLowerCase(), f]));
  const values: Record<string, LaunchValue> = {};
  for (const raw of props) {
    if (!isObject(raw)) throw invalid('Each property must be an object');
    const propName = checkPropertyName(field(raw, 'Name'));
    if (!/^input\./i.test(propName)) continue;
    const rest = propName.slice('Input.'.length);
    if (/\.attributes$/i.test(rest) && byField.has(rest.slice(0, -11).toLowerCase())) continue;
    const f = byField.get(rest.toLowerCase());
    if (!f)
      throw invalid(
        `${propName} is not an input of ${manifest.slug} (inputs: ${manifest.inputs.map((i) => i.id).join(', ')})`,
      );
    if (values[f.id]) throw invalid(`Input.${f.id} is given twice`);
    values[f.id] = parseValue(f, raw);
  }
  for (const f of manifest.inputs) {
    if (values[f.id]) continue;
    if (f.default !== undefined) values[f.id] = optionValue(f, String(f.default));
    else if (f.required) throw invalid(`Input.${f.id} (${f.label}) is required`);
  }
  return {
    name: typeof name === 'string' && name.trim() ? name.trim() : undefined,
    statusSummary: typeof summary === 'string' ? summary : undefined,
    values,
  };
}

/**
 * The AppSession's `Input.*` properties (spec 4.5): one per field, typed like the form, and for
 * sample/appresult lists the companion `Input.<field>.attributes` map[] BaseSpace writes.
 */
export function launchProperties(
  manifest: AppManifest,
  values: Record<string, LaunchValue>,
): PropertyInput[] {
  const out: PropertyInput[] = [];
  for (const f of manifest.inputs) {
    const v = values[f.id];
    if (!v) continue;
    const name = `Input.${f.id}`;
    const description = f.label;
    if (v.kind === 'refs') {
      out.push({
        name,
        description,
        value: {
          type: `${v.refKind}[]`,
          items: v.ids.map((id) => ({ kind: v.refKind, id })),
        },
      });
      const entry = (key: string, value: string): MapEntry => ({ key, values: [value] });
      out.push({
        name: `${name}.attributes`,
        description: '',
        value: {
          type: 'map[]',
          items: v.ids.map((id) => [
            entry('FieldId', f.id),
            entry('ResourceType', v.refKind),
            entry('ResourceId', id),
            entry('ResourceHref', `v1pre3/${v.refKind}s/${id}`),
          ]),
        },
      });
    } else if (v.kind === 'ref' && v.refKind !== 'genome') {
      out.push({
        name,
        description,
        value: { type: v.refKind, content: { kind: v.refKind, id: v.id } },
      });
    } else if (v.kind === 'ref') {
      out.push({ name, description, value: { type: 'string', content: `v1pre3/genomes/${v.id}` } });
    } else {
      out.push({ name, description, value: { type: 'string', content: String(v.value) } });
    }
  }
  return out;
}
