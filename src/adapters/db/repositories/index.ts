import type { Kysely } from 'kysely';
import type { Repositories } from '../../../ports.js';
import type { Database, DbKind } from '../schema.js';
import { KyselyAppResultRepository } from './appresult.repository.js';
import { KyselyAppSessionRepository } from './appsession.repository.js';
import { KyselyFileRepository, KyselySettingsRepository } from './file.repository.js';
import { KyselyAppSessionLogRepository, KyselyGenomeRepository } from './genome.repository.js';
import { KyselyOAuthRepository, KyselyWebAuthRepository } from './oauth.repository.js';
import { KyselyPropertyRepository } from './property.repository.js';
import { KyselyProjectRepository } from './project.repository.js';
import { KyselyRunRepository } from './run.repository.js';
import { KyselySampleRepository } from './sample.repository.js';
import { KyselySearchRepository } from './search.repository.js';
import {
  KyselyAuditLog,
  KyselyShareLinkRepository,
  KyselyShareRepository,
} from './sharing.repository.js';
import { KyselyTokenRepository, KyselyUserRepository } from './user.repository.js';

/**
 * All repositories over one Kysely handle (the database, or an open transaction). `customPlans`:
 * PostgreSQL's custom-plan connections (DbHandle), for search outside transactions.
 */
export function kyselyRepositories(
  db: Kysely<Database>,
  kind: DbKind,
  now: () => string,
  customPlans?: Kysely<Database>,
): Repositories {
  return {
    users: new KyselyUserRepository(db, now),
    tokens: new KyselyTokenRepository(db, now),
    projects: new KyselyProjectRepository(db, now),
    appSessions: new KyselyAppSessionRepository(db, now, kind),
    appResults: new KyselyAppResultRepository(db, now),
    samples: new KyselySampleRepository(db, now, kind),
    runs: new KyselyRunRepository(db, now),
    genomes: new KyselyGenomeRepository(db),
    appSessionLogs: new KyselyAppSessionLogRepository(db),
    files: new KyselyFileRepository(db, now),
    settings: new KyselySettingsRepository(db),
    properties: new KyselyPropertyRepository(db, now),
    search: new KyselySearchRepository(db, kind, db.isTransaction ? undefined : customPlans),
    oauth: new KyselyOAuthRepository(db, now),
    webAuth: new KyselyWebAuthRepository(db, now),
    shares: new KyselyShareRepository(db, now),
    shareLinks: new KyselyShareLinkRepository(db, now),
    audit: new KyselyAuditLog(db, now),
    transaction: (work) =>
      db.isTransaction
        ? work(kyselyRepositories(db, kind, now, customPlans))
        : db.transaction().execute((trx) => work(kyselyRepositories(trx, kind, now))),
  };
}
