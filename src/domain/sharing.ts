import type { Access } from './scopes.js';

/**
 * Sharing (issue 4): a project or a run is shared with other users at READ or WRITE; everything
 * in a project (samples, app results, their files and AppSessions) follows its project.
 */
export const ShareLevels = ['read', 'write'] as const;
export type ShareLevel = (typeof ShareLevels)[number];

/** What may be shared on its own. */
export type ShareableKind = 'project' | 'run';

/** A caller's standing on a project or run: its owner, a collaborator, or (undefined) nobody. */
export type Right = 'owner' | ShareLevel;

/**
 * Which accesses each standing allows; the token's scope must allow them too. Only the owner
 * manages sharing and links or reads the audit log (those check `right === 'owner'`).
 */
const RIGHT_ALLOWS: Record<Right, readonly Access[]> = {
  owner: ['browse', 'read', 'create', 'write', 'audit'],
  write: ['browse', 'read', 'create', 'write'],
  read: ['browse', 'read'],
};

export function rightAllows(right: Right, need: Access): boolean {
  return RIGHT_ALLOWS[right].includes(need);
}

/** A user's share of a project or run. */
export interface Share {
  resourceKind: ShareableKind;
  resourceId: string;
  user: { id: string; name: string; email: string };
  level: ShareLevel;
  createdAt: string;
  modifiedAt: string;
}

/** A read-only link to a project; its secret is stored hashed and shown once, at creation. */
export interface ShareLink {
  id: string;
  projectId: string;
  createdBy: string;
  label: string;
  createdAt: string;
  deactivatedAt: string | undefined;
}

/** `Read`/`write`/`WRITE` -> the level, or undefined. */
export function parseShareLevel(raw: unknown): ShareLevel | undefined {
  if (typeof raw !== 'string') return undefined;
  const v = raw.trim().toLowerCase();
  return (ShareLevels as readonly string[]).includes(v) ? (v as ShareLevel) : undefined;
}

/**
 * One audit event (issue 4): who, what, where from; when is set on recording. The shape is
 * general so that other parts (OAuth grants) record through the same port: `action` is a dotted
 * verb (`project.share.add`, `file.download`, `token.create`), `target` what it acted on.
 */
export interface AuditEvent {
  actor: {
    kind: 'user' | 'link' | 'signed-url' | 'system';
    /** User id, link id; absent for `system` (the admin CLI) and signed URLs. */
    id?: string | undefined;
  };
  action: string;
  target: { kind: string; id: string };
  /** The project whose owner may read this event, if any. */
  projectId?: string | undefined;
  /** The run whose owner may read this event, if any. */
  runId?: string | undefined;
  clientIp?: string | undefined;
  /** Small facts about the change (level, new owner, scope); never secrets. */
  details?: Record<string, string | number | boolean> | undefined;
}

export interface AuditRecord extends AuditEvent {
  id: string;
  at: string;
}
