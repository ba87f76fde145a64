import type { Migration } from 'kysely';
import type { DbKind } from '../schema.js';
import { coreMigration } from './0001-core.js';
import { genomeCatalogMigration } from './0002-genome-catalog.js';
import { filesMigration } from './0003-files.js';
import { propertiesMigration } from './0004-properties.js';
import { searchMigration } from './0005-search.js';
import { searchSpeedMigration } from './0006-search-speed.js';
import { sharingMigration } from './0007-sharing.js';
import { oauthMigration } from './0008-oauth.js';
import { runsMigration } from './0009-runs.js';
import { searchVisibilityMigration } from './0010-search-visibility.js';
import { jobsMigration } from './0011-jobs.js';
import { searchWordsMigration } from './0012-search-words.js';
import { genomicsMigration } from './0013-genomics.js';
import { appsMigration } from './0014-apps.js';
import { fileCrc32Migration } from './0015-file-crc32.js';

/** Numbered migrations, applied in name order at start. Never edit one that has shipped: add the next. */
export function allMigrations(kind: DbKind): Record<string, Migration> {
  return {
    '0001-core': coreMigration(kind),
    '0002-genome-catalog': genomeCatalogMigration,
    '0003-files': filesMigration(kind),
    '0004-properties': propertiesMigration(kind),
    '0005-search': searchMigration(kind),
    '0006-search-speed': searchSpeedMigration(kind),
    '0007-sharing': sharingMigration(kind),
    '0008-oauth': oauthMigration(kind),
    '0009-runs': runsMigration,
    '0010-search-visibility': searchVisibilityMigration,
    '0011-jobs': jobsMigration(kind),
    '0012-search-words': searchWordsMigration(kind),
    '0013-genomics': genomicsMigration,
    '0014-apps': appsMigration(kind),
    '0015-file-crc32': fileCrc32Migration,
  };
}
