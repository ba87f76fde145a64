import {
  AppError,
  badRequest,
  type AppResult,
  type Project,
  type Run,
  type Sample,
  parseHref,
  truncateForMessage,
  type ResourceReference,
} from '../domain/index.js';
import type { Repositories } from '../ports.js';
import { AccessService } from './access.service.js';
import type { Principal } from './principal.js';

/** A client may link a result to many inputs, but not to an unbounded list. */
export const MAX_REFERENCES = 1000;

export interface ReferenceInput {
  rel?: unknown;
  type?: unknown;
  hrefContent?: unknown;
}

const REFERABLE = ['sample', 'appresult', 'project', 'run'] as const;

const unresolved = (href: string) =>
  new AppError(
    'BASESPACE.REFERENCES.NOT_RESOLVED',
    `Reference '${truncateForMessage(href)}' does not resolve to anything you can see`,
  );

/**
 * Validates `References` (spec 2.8, 4.4) and checks that each names a resource the caller may
 * browse. A malformed href is a 400; a well-formed one naming nothing visible is a 409, like
 * unresolved property references (spec 5.2).
 */
export async function resolveReferences(
  repos: Repositories,
  principal: Principal,
  input: readonly ReferenceInput[] | undefined,
): Promise<ResourceReference[]> {
  if (!input) return [];
  if (input.length > MAX_REFERENCES)
    throw badRequest(`At most ${MAX_REFERENCES} References are allowed`);
  const out: ResourceReference[] = [];
  for (const ref of input) {
    if (typeof ref.hrefContent !== 'string')
      throw badRequest('Each Reference needs HrefContent, an href string');
    const parsed = parseHref(ref.hrefContent);
    const kind = parsed?.kind;
    if (!parsed || !REFERABLE.includes(kind as (typeof REFERABLE)[number])) {
      throw badRequest(
        `Reference HrefContent '${truncateForMessage(ref.hrefContent)}' is not a sample, appresult, project or run href`,
      );
    }
    if (
      ref.type !== undefined &&
      (typeof ref.type !== 'string' || ref.type.toLowerCase() !== kind)
    ) {
      throw badRequest(
        `Reference Type '${truncateForMessage(String(ref.type))}' does not match its HrefContent`,
      );
    }
    const rel = ref.rel === undefined ? 'using' : ref.rel;
    if (
      typeof rel !== 'string' ||
      rel.length === 0 ||
      rel.length > 64 ||
      /[\u0000-\u001f]/.test(rel)
    ) {
      throw badRequest('Reference Rel must be a short string');
    }
    if (!/^[1-9]\d{0,18}$/.test(parsed.id)) throw unresolved(ref.hrefContent);
    const kindTyped = kind as (typeof REFERABLE)[number];
    // Visible to the caller by the one access rule (owned or shared, and in the token's scope).
    const found = await lookupFull(repos, kindTyped, parsed.id);
    if (!found || !(await new AccessService(repos).canBrowse(principal, found))) {
      throw unresolved(ref.hrefContent);
    }
    if (!out.some((r) => r.kind === kindTyped && r.id === parsed.id && r.rel === rel)) {
      out.push({ rel, kind: kindTyped, id: parsed.id });
    }
  }
  return out;
}

/** Reads `HrefGenome` (`v1pre3/genomes/4`) into a genome id that exists. */
export async function resolveGenome(
  repos: Repositories,
  hrefGenome: unknown,
): Promise<string | undefined> {
  if (hrefGenome === undefined || hrefGenome === null || hrefGenome === '') return undefined;
  if (typeof hrefGenome !== 'string') throw badRequest('HrefGenome must be a string');
  const parsed = parseHref(hrefGenome);
  if (!parsed || parsed.kind !== 'genome')
    throw badRequest(`HrefGenome '${truncateForMessage(hrefGenome)}' is not a genome href`);
  if (!/^[1-9]\d{0,18}$/.test(parsed.id) || !(await repos.genomes.findById(parsed.id)))
    throw unresolved(hrefGenome);
  return parsed.id;
}

export type ReferencedContent =
  | { kind: 'sample'; value: Sample }
  | { kind: 'appresult'; value: AppResult }
  | { kind: 'project'; value: Project }
  | { kind: 'run'; value: Run };

/** A stored reference with the object it names, when the caller may still browse it. */
export interface ExpandedReference {
  ref: ResourceReference;
  content?: ReferencedContent | undefined;
}

export async function expandReferences(
  repos: Repositories,
  principal: Principal,
  refs: readonly ResourceReference[],
): Promise<ExpandedReference[]> {
  const access = new AccessService(repos);
  return Promise.all(
    refs.map(async (ref): Promise<ExpandedReference> => {
      if (ref.kind === 'file') return { ref };
      const found = await lookupFull(repos, ref.kind, ref.id);
      const visible = found && (await access.canBrowse(principal, found));
      return visible ? { ref, content: found } : { ref };
    }),
  );
}

async function lookupFull(
  repos: Repositories,
  kind: (typeof REFERABLE)[number],
  id: string,
): Promise<ReferencedContent | undefined> {
  switch (kind) {
    case 'sample': {
      const value = await repos.samples.findById(id);
      return value && { kind, value };
    }
    case 'appresult': {
      const value = await repos.appResults.findById(id);
      return value && { kind, value };
    }
    case 'project': {
      const value = await repos.projects.findById(id);
      return value && { kind, value };
    }
    case 'run': {
      const value = await repos.runs.findById(id);
      return value && { kind, value };
    }
  }
}
