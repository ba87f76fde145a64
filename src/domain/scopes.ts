import { badRequest } from './errors.js';

/**
 * BaseSpace scope strings (spec 1.4): clauses joined by ", ", each `<access> <type> <id>` or
 * `<access> global`, e.g. `browse global, read project 12`. An empty scope grants only
 * `users/current`.
 */
export const Accesses = ['browse', 'read', 'create', 'write', 'audit'] as const;
export type Access = (typeof Accesses)[number];

export const ScopeTargets = ['project', 'run', 'sample', 'appresult'] as const;
export type ScopeTarget = (typeof ScopeTargets)[number];

export type ScopeClause =
  | { access: Access; target: 'global' }
  | { access: Access; target: ScopeTarget; id: string }
  /**
   * `create projects` (or `create project` with no id): may create new projects. Our reading of
   * an UNCONFIRMED scope, docs/api-choices.md.
   */
  | { access: 'create'; target: 'projects' }
  /** `audit user`, `audit domain`: history feeds; parsed, granted nothing else. */
  | { access: 'audit'; target: 'user' | 'domain' };

export type Scope = readonly ScopeClause[];

/** What `seqhub admin token create` grants when no --scope is given: everything a user can do. */
export const FULL_ACCESS_SCOPE = 'write global, create projects';

/** Which accesses a granted access implies (spec 1.4 table). */
const IMPLIES: Record<Access, readonly Access[]> = {
  browse: ['browse'],
  read: ['read', 'browse'],
  create: ['create'],
  write: ['write', 'create', 'read', 'browse'],
  audit: ['audit'],
};

/** Parses a scope string; throws a 400 naming the bad clause. Case-insensitive, commas with any spacing. */
export function parseScope(text: string): Scope {
  const clauses: ScopeClause[] = [];
  for (const raw of text.split(',')) {
    const words = raw.trim().toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    const [access, target, id] = words as [string, string | undefined, string | undefined];
    const bad = () => badRequest(`Invalid scope clause '${raw.trim()}'`);
    if (!(Accesses as readonly string[]).includes(access) || words.length > 3 || !target) {
      throw bad();
    }
    const a = access as Access;
    if (target === 'global' && words.length === 2) {
      clauses.push({ access: a, target: 'global' });
    } else if (
      (target === 'projects' || target === 'project') &&
      a === 'create' &&
      words.length === 2
    ) {
      clauses.push({ access: 'create', target: 'projects' });
    } else if ((target === 'user' || target === 'domain') && a === 'audit' && words.length === 2) {
      clauses.push({ access: 'audit', target });
    } else if (
      (ScopeTargets as readonly string[]).includes(target) &&
      id &&
      /^[1-9]\d{0,18}$/.test(id)
    ) {
      clauses.push({ access: a, target: target as ScopeTarget, id });
    } else {
      throw bad();
    }
  }
  return clauses;
}

/** Canonical text of a scope (what we store and print). */
export function formatScope(scope: Scope): string {
  return scope
    .map((c) => ('id' in c ? `${c.access} ${c.target} ${c.id}` : `${c.access} ${c.target}`))
    .join(', ');
}

/** The thing an access check is about. Samples and AppResults inherit from their project. */
export interface ScopeSubject {
  type: ScopeTarget;
  id: string;
  projectId?: string | undefined;
}

/** Does the scope grant `need` on `subject`? Ownership is checked separately, by the service. */
export function scopeGrants(scope: Scope, need: Access, subject: ScopeSubject): boolean {
  return scope.some((c) => {
    if (!IMPLIES[c.access].includes(need)) return false;
    if (c.target === 'global') return true;
    if (!('id' in c)) return false;
    if (c.target === subject.type && c.id === subject.id) return true;
    return c.target === 'project' && subject.projectId !== undefined && c.id === subject.projectId;
  });
}

/** Does the scope grant `need` on every resource of a kind (a `global` clause)? */
export function scopeGrantsGlobally(scope: Scope, need: Access): boolean {
  return scope.some((c) => c.target === 'global' && IMPLIES[c.access].includes(need));
}

/** Project ids the scope names with an access implying `need` (for filtering lists). */
export function scopedIds(scope: Scope, need: Access, target: ScopeTarget): string[] {
  return scope.flatMap((c) =>
    'id' in c && c.target === target && IMPLIES[c.access].includes(need) ? [c.id] : [],
  );
}

/**
 * May this token create new projects? `create projects`, or any `global` clause implying create
 * (scripts written for BaseSpace create projects with `create global`, spec 1.4).
 */
export function canCreateProjects(scope: Scope): boolean {
  return scope.some((c) => c.target === 'projects') || scopeGrantsGlobally(scope, 'create');
}
