export {
  DEFAULT_MAX_ATTEMPTS,
  EMBEDDED_JOB_CONCURRENCY,
  EmbeddedJobQueue,
  JobInterrupted,
  type EmbeddedQueueOptions,
} from './embedded.queue.js';
export {
  DEFAULT_RETRY_DELAY_SECONDS,
  PGBOSS_JOB_CONCURRENCY,
  PGBOSS_SCHEMA,
  PgBossJobQueue,
  type PgBossQueueOptions,
} from './pgboss.queue.js';
