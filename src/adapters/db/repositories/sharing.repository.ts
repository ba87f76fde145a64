import type { Kysely } from 'kysely';
import type {
  AuditEvent,
  AuditRecord,
  Page,
  PageRequest,
  Share,
  ShareLevel,
  ShareLink,
  ShareableKind,
} from '../../../domain/index.js';
import type { AuditLog, ShareLinkRepository, ShareRepository } from '../../../ports.js';
import type { Database } from '../schema.js';
import { countAll, optId, optStr, pageOf, toId } from './common.js';

export class KyselyShareRepository implements ShareRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => string,
  ) {}

  async level(
    kind: ShareableKind,
    resourceId: string,
    userId: string,
  ): Promise<ShareLevel | undefined> {
    const row = await this.db
      .selectFrom('shares')
      .select('level')
      .where('resource_kind', '=', kind)
      .where('resource_id', '=', resourceId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row?.level as ShareLevel | undefined;
  }

  private select() {
    return this.db
      .selectFrom('shares as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select([
        's.resource_kind',
        's.resource_id',
        's.level',
        's.created_at',
        's.modified_at',
        'u.id as user_id',
        'u.name',
        'u.email',
      ]);
  }

  async list(
    kind: ShareableKind,
    resourceId: string,
    page: PageRequest<'Id'>,
  ): Promise<Page<Share>> {
    const base = this.db
      .selectFrom('shares')
      .where('resource_kind', '=', kind)
      .where('resource_id', '=', resourceId);
    const rows = this.select()
      .where('s.resource_kind', '=', kind)
      .where('s.resource_id', '=', resourceId)
      .orderBy('s.id', page.sortDir === 'Desc' ? 'desc' : 'asc')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return pageOf(base.select(countAll).executeTakeFirst(), rows, mapShare);
  }

  async put(
    kind: ShareableKind,
    resourceId: string,
    userId: string,
    level: ShareLevel,
  ): Promise<Share> {
    const at = this.now();
    await this.db
      .insertInto('shares')
      .values({
        resource_kind: kind,
        resource_id: resourceId,
        user_id: userId,
        level,
        created_at: at,
        modified_at: at,
      })
      .onConflict((oc) =>
        oc
          .columns(['resource_kind', 'resource_id', 'user_id'])
          .doUpdateSet({ level, modified_at: at }),
      )
      .execute();
    const row = await this.select()
      .where('s.resource_kind', '=', kind)
      .where('s.resource_id', '=', resourceId)
      .where('s.user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return mapShare(row);
  }

  async remove(kind: ShareableKind, resourceId: string, userId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('shares')
      .where('resource_kind', '=', kind)
      .where('resource_id', '=', resourceId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function mapShare(r: {
  resource_kind: string;
  resource_id: number | string;
  level: string;
  created_at: string;
  modified_at: string;
  user_id: number | string;
  name: string;
  email: string;
}): Share {
  return {
    resourceKind: r.resource_kind as ShareableKind,
    resourceId: toId(r.resource_id),
    user: { id: toId(r.user_id), name: r.name, email: r.email },
    level: r.level as ShareLevel,
    createdAt: r.created_at,
    modifiedAt: r.modified_at,
  };
}

export class KyselyShareLinkRepository implements ShareLinkRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => string,
  ) {}

  async create(input: {
    projectId: string;
    tokenHash: string;
    createdBy: string;
    label: string;
  }): Promise<ShareLink> {
    const row = await this.db
      .insertInto('share_links')
      .values({
        project_id: input.projectId,
        token_hash: input.tokenHash,
        created_by: input.createdBy,
        label: input.label,
        created_at: this.now(),
        deactivated_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return mapLink(row);
  }

  async findActiveByHash(tokenHash: string): Promise<ShareLink | undefined> {
    const row = await this.db
      .selectFrom('share_links')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('deactivated_at', 'is', null)
      .executeTakeFirst();
    return row && mapLink(row);
  }

  async list(projectId: string, page: PageRequest<'Id'>): Promise<Page<ShareLink>> {
    const base = this.db.selectFrom('share_links').where('project_id', '=', projectId);
    const rows = base
      .selectAll()
      .orderBy('id', page.sortDir === 'Desc' ? 'desc' : 'asc')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return pageOf(base.select(countAll).executeTakeFirst(), rows, mapLink);
  }

  async deactivate(
    projectId: string,
    linkId: string,
  ): Promise<{ link: ShareLink; tokenHash: string } | undefined> {
    await this.db
      .updateTable('share_links')
      .set({ deactivated_at: this.now() })
      .where('id', '=', linkId)
      .where('project_id', '=', projectId)
      .where('deactivated_at', 'is', null)
      .execute();
    const row = await this.db
      .selectFrom('share_links')
      .selectAll()
      .where('id', '=', linkId)
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    return row && { link: mapLink(row), tokenHash: row.token_hash };
  }
}

function mapLink(r: {
  id: number | string;
  project_id: number | string;
  created_by: number | string;
  label: string;
  created_at: string;
  deactivated_at: string | null;
}): ShareLink {
  return {
    id: toId(r.id),
    projectId: toId(r.project_id),
    createdBy: toId(r.created_by),
    label: r.label,
    createdAt: r.created_at,
    deactivatedAt: optStr(r.deactivated_at),
  };
}

export class KyselyAuditLog implements AuditLog {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => string,
  ) {}

  async record(event: AuditEvent): Promise<void> {
    await this.db
      .insertInto('audit_events')
      .values({
        at: this.now(),
        actor_kind: event.actor.kind,
        actor_id: event.actor.id ?? null,
        action: event.action,
        target_kind: event.target.kind,
        target_id: event.target.id,
        project_id: event.projectId ?? null,
        run_id: event.runId ?? null,
        client_ip: event.clientIp ?? null,
        details: event.details ? JSON.stringify(event.details) : null,
      })
      .execute();
  }

  async list(
    scope: { kind: ShareableKind; id: string },
    page: { offset: number; limit: number },
  ): Promise<Page<AuditRecord>> {
    const column = scope.kind === 'project' ? 'project_id' : 'run_id';
    const base = this.db.selectFrom('audit_events').where(column, '=', scope.id);
    const rows = base
      .selectAll()
      .orderBy('id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return pageOf(base.select(countAll).executeTakeFirst(), rows, (r) => ({
      id: toId(r.id),
      at: r.at,
      actor: {
        kind: r.actor_kind as AuditEvent['actor']['kind'],
        id: optId(r.actor_id),
      },
      action: r.action,
      target: { kind: r.target_kind, id: r.target_id },
      projectId: optId(r.project_id),
      runId: optId(r.run_id),
      clientIp: optStr(r.client_ip),
      details: r.details
        ? (JSON.parse(r.details) as Record<string, string | number | boolean>)
        : undefined,
    }));
  }
}
