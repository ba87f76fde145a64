import { randomBytes } from 'node:crypto';
import {
  AppError,
  badRequest,
  notFound,
  parseId,
  validText,
  type AuditRecord,
  type Page,
  type PageRequest,
  type Project,
  type Run,
  type Share,
  type ShareLevel,
  type ShareLink,
  type ShareableKind,
} from '../domain/index.js';
import type { Repositories } from '../ports.js';
import type { AccessService } from './access.service.js';
import { hashToken, normalizeEmail, type AuthService } from './auth.service.js';
import type { Principal } from './principal.js';

/** Share-link secrets: 40 hex characters (160 bits), so they never look like a 32-hex token. */
const LINK_TOKEN_BYTES = 20;

/** Names a user by id or by email (exactly one). */
export interface UserSelector {
  userId?: string | undefined;
  email?: string | undefined;
}

/**
 * Sharing of projects and runs, share links and the audit log (issue 4). Only the owner manages
 * any of it (AccessService.owned); every change lands in one transaction with its audit event.
 */
export class SharingService {
  constructor(
    private readonly repos: Repositories,
    private readonly access: AccessService,
    private readonly auth: AuthService,
  ) {}

  async collaborators(
    principal: Principal,
    kind: ShareableKind,
    rawId: string,
    page: PageRequest<'Id'>,
  ): Promise<Page<Share>> {
    const resource = await this.access.owned(principal, kind, rawId, 'read');
    return this.repos.shares.list(kind, resource.id, page);
  }

  /** Invites a user at `level`, or changes the level of one already invited. */
  async share(
    principal: Principal,
    kind: ShareableKind,
    rawId: string,
    who: UserSelector,
    level: ShareLevel,
  ): Promise<Share> {
    const resource = await this.access.owned(principal, kind, rawId, 'write');
    const user = await this.findUser(who);
    if (user.id === resource.ownerId)
      throw badRequest(`The owner already has full access to this ${kindLabel(kind)}`);
    return this.repos.transaction(async (tx) => {
      const before = await tx.shares.level(kind, resource.id, user.id);
      const share = await tx.shares.put(kind, resource.id, user.id, level);
      await tx.audit.record({
        actor: this.access.actor(principal),
        action: `${kind}.share.${before ? 'change' : 'add'}`,
        target: { kind: 'user', id: user.id },
        ...this.scopeOf(kind, resource.id),
        clientIp: principal.clientIp,
        details: before ? { level, previousLevel: before } : { level },
      });
      return share;
    });
  }

  /** Changes the level of an existing collaborator (404 when the user is not one). */
  async setLevel(
    principal: Principal,
    kind: ShareableKind,
    rawId: string,
    rawUserId: string,
    level: ShareLevel,
  ): Promise<Share> {
    const resource = await this.access.owned(principal, kind, rawId, 'write');
    const userId = parseId(rawUserId, 'User');
    if (!(await this.repos.shares.level(kind, resource.id, userId)))
      throw notFound(`User ${userId} is not a collaborator on this ${kindLabel(kind)}`);
    return this.share(principal, kind, rawId, { userId }, level);
  }

  async revoke(
    principal: Principal,
    kind: ShareableKind,
    rawId: string,
    rawUserId: string,
  ): Promise<void> {
    const resource = await this.access.owned(principal, kind, rawId, 'write');
    const userId = parseId(rawUserId, 'User');
    await this.repos.transaction(async (tx) => {
      const before = await tx.shares.level(kind, resource.id, userId);
      if (!before || !(await tx.shares.remove(kind, resource.id, userId)))
        throw notFound(`User ${userId} is not a collaborator on this ${kindLabel(kind)}`);
      await tx.audit.record({
        actor: this.access.actor(principal),
        action: `${kind}.share.remove`,
        target: { kind: 'user', id: userId },
        ...this.scopeOf(kind, resource.id),
        clientIp: principal.clientIp,
        details: { previousLevel: before },
      });
    });
    this.access.changed();
  }

  /**
   * Gives the project or run to another user. The former owner stays on as a WRITE collaborator
   * (nothing is lost by a mistaken transfer; the new owner may revoke that). The new owner's own
   * share, if any, is dropped. A project name the new owner already has is a 409.
   */
  async transfer(
    principal: Principal,
    kind: ShareableKind,
    rawId: string,
    who: UserSelector,
  ): Promise<Project | Run> {
    const resource = await this.access.owned(principal, kind, rawId, 'write');
    const user = await this.findUser(who);
    if (user.id === resource.ownerId) return resource;
    await this.repos.transaction(async (tx) => {
      await tx.shares.remove(kind, resource.id, user.id);
      const moved =
        kind === 'project'
          ? await tx.projects.setOwner(resource.id, resource.ownerId, user.id)
          : await tx.runs.setOwner(resource.id, resource.ownerId, user.id);
      if (moved !== 'moved') {
        throw new AppError(
          'Conflict',
          moved === 'name-taken'
            ? `The new owner already has a project named '${resource.name}'`
            : `This ${kindLabel(kind)} has just changed hands; reload it`,
        );
      }
      await tx.shares.put(kind, resource.id, resource.ownerId, 'write');
      await tx.audit.record({
        actor: this.access.actor(principal),
        action: `${kind}.owner.transfer`,
        target: { kind: 'user', id: user.id },
        ...this.scopeOf(kind, resource.id),
        clientIp: principal.clientIp,
        details: { previousOwner: resource.ownerId, newOwner: user.id },
      });
    });
    this.access.changed();
    return kind === 'project'
      ? (await this.repos.projects.findById(resource.id))!
      : (await this.repos.runs.findById(resource.id))!;
  }

  /** A new read-only link to the project; its secret is in the answer, and only there. */
  async createLink(
    principal: Principal,
    rawProjectId: string,
    rawLabel: unknown,
  ): Promise<{ link: ShareLink; token: string }> {
    const project = await this.access.owned(principal, 'project', rawProjectId, 'write');
    const label = validText(rawLabel ?? '', 'Label');
    const token = randomBytes(LINK_TOKEN_BYTES).toString('hex');
    const link = await this.repos.transaction(async (tx) => {
      const created = await tx.shareLinks.create({
        projectId: project.id,
        tokenHash: hashToken(token),
        createdBy: principal.user.id,
        label,
      });
      await tx.audit.record({
        actor: this.access.actor(principal),
        action: 'project.link.create',
        target: { kind: 'link', id: created.id },
        projectId: project.id,
        clientIp: principal.clientIp,
      });
      return created;
    });
    return { link, token };
  }

  async links(
    principal: Principal,
    rawProjectId: string,
    page: PageRequest<'Id'>,
  ): Promise<Page<ShareLink>> {
    const project = await this.access.owned(principal, 'project', rawProjectId, 'read');
    return this.repos.shareLinks.list(project.id, page);
  }

  /** Deactivates a link for good (idempotent); it stops working at once in this process. */
  async deactivateLink(
    principal: Principal,
    rawProjectId: string,
    rawLinkId: string,
  ): Promise<ShareLink> {
    const project = await this.access.owned(principal, 'project', rawProjectId, 'write');
    const linkId = parseId(rawLinkId, 'Link');
    const done = await this.repos.transaction(async (tx) => {
      const found = await tx.shareLinks.deactivate(project.id, linkId);
      if (!found) throw notFound(`Link id '${linkId}' doesn't exist`);
      await tx.audit.record({
        actor: this.access.actor(principal),
        action: 'project.link.deactivate',
        target: { kind: 'link', id: linkId },
        projectId: project.id,
        clientIp: principal.clientIp,
      });
      return found;
    });
    this.auth.forget(done.tokenHash);
    this.access.changed();
    return done.link;
  }

  /** The audit log of a project or run, newest first; its owner's alone. */
  async auditLog(
    principal: Principal,
    kind: ShareableKind,
    rawId: string,
    page: { offset: number; limit: number },
  ): Promise<Page<AuditRecord>> {
    const resource = await this.access.owned(principal, kind, rawId, 'read');
    return this.repos.audit.list({ kind, id: resource.id }, page);
  }

  private scopeOf(kind: ShareableKind, id: string) {
    return kind === 'project' ? { projectId: id } : { runId: id };
  }

  private async findUser(who: UserSelector) {
    if ((who.userId === undefined) === (who.email === undefined))
      throw badRequest('Name the user by exactly one of UserId or Email');
    const user =
      who.userId !== undefined
        ? await this.repos.users.findById(parseId(who.userId, 'User'))
        : await this.repos.users.findByEmail(normalizeEmail(who.email!));
    if (!user) throw notFound('No such user');
    return user;
  }
}

const kindLabel = (kind: ShareableKind) => (kind === 'project' ? 'project' : 'run');
