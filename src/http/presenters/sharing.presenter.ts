import {
  formatBaseSpaceDate as date,
  href,
  type AuditRecord,
  type Share,
  type ShareLink,
} from '../../domain/index.js';

/** Sharing wire shapes (issue 4), see http/schemas/sharing.schema.ts. */

const level = (l: Share['level']) => (l === 'write' ? ('Write' as const) : ('Read' as const));

export const collaborator = (s: Share) => ({
  Id: s.user.id,
  Href: `${href(s.resourceKind, s.resourceId)}/collaborators/${s.user.id}`,
  User: { Id: s.user.id, Href: href('user', s.user.id), Name: s.user.name, Email: s.user.email },
  Access: level(s.level),
  DateCreated: date(s.createdAt),
  DateModified: date(s.modifiedAt),
});

export const shareLink = (l: ShareLink, token?: string) => ({
  Id: l.id,
  Href: `${href('project', l.projectId)}/links/${l.id}`,
  Label: l.label,
  Access: 'Read' as const,
  IsActive: l.deactivatedAt === undefined,
  DateCreated: date(l.createdAt),
  ...(l.deactivatedAt !== undefined && { DateDeactivated: date(l.deactivatedAt) }),
  ...(token !== undefined && { Token: token }),
});

export const auditEvent = (e: AuditRecord) => ({
  Id: e.id,
  DateCreated: date(e.at),
  Action: e.action,
  Actor: { Kind: e.actor.kind, ...(e.actor.id !== undefined && { Id: e.actor.id }) },
  Target: { Kind: e.target.kind, Id: e.target.id },
  ...(e.projectId !== undefined && { ProjectId: e.projectId }),
  ...(e.runId !== undefined && { RunId: e.runId }),
  ...(e.clientIp !== undefined && { ClientIp: e.clientIp }),
  ...(e.details !== undefined && { Details: e.details }),
});
