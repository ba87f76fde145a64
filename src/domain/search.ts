import { badRequest } from './errors.js';

/**
 * Search (issue 5, spec 3.12; docs/api-choices.md "Search"). Text is indexed and queried as
 * words: NFKC, lower case, split on anything that is not a letter or a digit. Both databases see
 * only these words, so SQLite FTS5 and PostgreSQL full-text search tokenize alike, and no user
 * input ever reaches either engine's query syntax unquoted.
 */
export function searchWords(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

/** Lower-cased name for the exact-name comparison (ranked first). */
export const searchNameKey = (name: string): string => name.normalize('NFKC').toLowerCase().trim();

/** One term of a query: words that must appear in this order (a phrase when more than one). */
export interface SearchTerm {
  words: string[];
  /** The last word is a prefix (`abc*`). */
  prefix: boolean;
  /** Only the hit's own name counts (`name:x`, `sample.name:x`). */
  nameOnly: boolean;
}

export interface SearchQuery {
  /** Every term must match (AND). */
  terms: SearchTerm[];
  /** Compared with the lower-cased name: an exact name match ranks first. */
  exactName: string;
}

export const SEARCH_LIMITS = { queryLength: 1024, terms: 16, words: 32 } as const;

/** What `scope=` accepts, and which index kinds each stands for. */
export const SearchKinds = [
  'project',
  'sample',
  'appresult',
  'run',
  'sample_file',
  'appresult_file',
  'run_file',
] as const;
export type SearchKind = (typeof SearchKinds)[number];

const SCOPES: Record<string, readonly SearchKind[]> = {
  projects: ['project'],
  samples: ['sample'],
  appresults: ['appresult'],
  runs: ['run'],
  files: ['sample_file', 'appresult_file', 'run_file'],
  sample_files: ['sample_file'],
  appresult_files: ['appresult_file'],
  run_files: ['run_file'],
};
export const SearchScopes = Object.keys(SCOPES);

/** `scope=samples,appresult_files` (case-insensitive, any spacing); absent or empty: everything. */
export function parseSearchScope(raw: string | undefined): SearchKind[] {
  if (raw === undefined || raw.trim() === '') return [...SearchKinds];
  const kinds = new Set<SearchKind>();
  for (const part of raw.split(',')) {
    const key = part.trim().toLowerCase();
    if (key === '') continue;
    const found = SCOPES[key];
    if (!found)
      throw badRequest(
        `Invalid query parameter scope: '${part.trim().slice(0, 40)}' is not one of ${SearchScopes.join(', ')}`,
      );
    for (const k of found) kinds.add(k);
  }
  return kinds.size === 0 ? [...SearchKinds] : [...kinds];
}

const FIELD = /^(?:([a-z_]+)\.)?([a-z_]+)$/i;

/**
 * Parses the Lucene-like query: words (all must match), `"quoted phrases"`, `field:value` with
 * field `name` or `<type>.name` (the hit's own name), `abc*` prefixes; a bare `AND` is allowed
 * and ignored. Anything else the engines would read as syntax is a 400, never a 500.
 */
export function parseSearchQuery(raw: string): SearchQuery {
  if (raw.length > SEARCH_LIMITS.queryLength)
    throw badRequest(
      `Invalid query parameter query: at most ${SEARCH_LIMITS.queryLength} characters`,
    );
  if (/[\u0000-\u001f\u007f-\u009f]/.test(raw))
    throw badRequest('Invalid query parameter query: must not contain control characters');
  const terms: SearchTerm[] = [];
  const bare: string[] = [];
  let i = 0;
  while (i < raw.length) {
    if (/\s/.test(raw[i]!)) {
      i += 1;
      continue;
    }
    // One token: [field:](word | "phrase")[*]
    let field: string | undefined;
    let value: string;
    let quoted = false;
    const rest = raw.slice(i);
    const fieldMatch = /^([A-Za-z_][A-Za-z_.]*):(?=\S)/.exec(rest);
    if (fieldMatch) {
      field = fieldMatch[1]!;
      i += fieldMatch[0].length;
    }
    if (raw[i] === '"') {
      const end = raw.indexOf('"', i + 1);
      if (end < 0) throw badRequest('Invalid query parameter query: unbalanced quote (")');
      value = raw.slice(i + 1, end);
      quoted = true;
      i = end + 1;
    } else {
      let end = i;
      while (end < raw.length && !/\s/.test(raw[end]!)) end += 1;
      value = raw.slice(i, end);
      if (value.includes('"'))
        throw badRequest('Invalid query parameter query: a quote (") must start a phrase');
      i = end;
    }
    let prefix = false;
    if (raw[i] === '*') {
      prefix = true;
      i += 1;
    } else if (!quoted && value.endsWith('*')) {
      prefix = true;
      value = value.replace(/\*+$/, '');
    }
    if (!quoted && field === undefined && (value === 'AND' || value === '&&')) continue;
    if (!quoted && field === undefined && ['OR', 'NOT', '||', '!'].includes(value))
      throw badRequest(
        `Invalid query parameter query: '${value}' is not supported (terms are ANDed)`,
      );
    let nameOnly = false;
    if (field !== undefined) {
      const m = FIELD.exec(field);
      if (!m || m[2]!.toLowerCase() !== 'name')
        throw badRequest(
          `Invalid query parameter query: unknown field '${field.slice(0, 40)}' (use name: or <type>.name:)`,
        );
      nameOnly = true;
    }
    const words = searchWords(value);
    if (words.length === 0) {
      if (prefix || quoted || field !== undefined)
        throw badRequest(`Invalid query parameter query: '${value.slice(0, 40)}' has no words`);
      continue; // punctuation alone, e.g. `-`
    }
    terms.push({ words, prefix, nameOnly });
    bare.push(value);
  }
  if (terms.length === 0)
    throw badRequest('Invalid query parameter query: give at least one word to search for');
  if (
    terms.length > SEARCH_LIMITS.terms ||
    terms.reduce((n, t) => n + t.words.length, 0) > SEARCH_LIMITS.words
  )
    throw badRequest(
      `Invalid query parameter query: at most ${SEARCH_LIMITS.terms} terms and ${SEARCH_LIMITS.words} words`,
    );
  return { terms, exactName: searchNameKey(bare.join(' ')) };
}
