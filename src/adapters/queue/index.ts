export {
  DEFAULT_MAX_ATTEMPTS,
  EMBEDDED_JOB_CONCURRENCY,
  EmbeddedJobQueue,
  JobInterrupted,
  type EmbeddedQueueOptions,
} from './embedded.queue.js';
