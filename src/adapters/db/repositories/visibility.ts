import { sql, type RawBuilder } from 'kysely';
import type { Ownership, Viewer } from '../../../ports.js';

/**
 * The one visibility rule of lists and search, in SQL: ids of the projects (or runs) a viewer may
 * see. A user sees what they own (`projects_owner_created_ix`, `runs_owner_ix`) and what is shared
 * with them (`shares_user_ix`); a share link sees its project. Both arms are index range scans,
 * joined by UNION ALL (an owner is never also a collaborator), so the cost follows the viewer's
 * own objects, never the table size. AccessService answers the same question for one object.
 */
export function visibleIds(
  kind: 'project' | 'run',
  viewer: Viewer,
  ownership: Ownership = 'all',
): RawBuilder<unknown> {
  if (viewer.kind === 'link') {
    // CAST: PostgreSQL compares bigint ids with bigint, not with an untyped parameter.
    return kind === 'project' && ownership !== 'owned'
      ? sql`SELECT CAST(${viewer.projectId} AS bigint)`
      : sql`SELECT CAST(NULL AS bigint) WHERE 1 = 0`;
  }
  const table = sql.table(kind === 'project' ? 'projects' : 'runs');
  const owned = sql`SELECT id FROM ${table} WHERE owner_id = ${viewer.userId}`;
  const shared = sql`SELECT resource_id FROM shares WHERE user_id = ${viewer.userId}
    AND resource_kind = ${sql.lit(kind)}`;
  if (ownership === 'owned') return owned;
  if (ownership === 'shared') return shared;
  return sql`${owned} UNION ALL ${shared}`;
}
