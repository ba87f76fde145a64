export {
  openDatabase,
  migrateToLatest,
  migrationStatus,
  isUniqueViolation,
  type DbConfig,
  type DbHandle,
} from './connect.js';
export { kyselyRepositories } from './repositories/index.js';
export type { Database, DbKind } from './schema.js';
