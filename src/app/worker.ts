import type { Config } from '../config/index.js';
import { openHub } from './hub.js';

export interface RunningWorker {
  /** Stops taking jobs, hands running ones back to the queue, and closes the database. */
  close(): Promise<void>;
}

/**
 * `seqhub worker`: the job handlers of a hub without its HTTP API (issue 10), for scale-out
 * next to `serve --no-workers` processes on one PostgreSQL. `log` gets one line per job taken
 * (an operator, or a test, sees which worker holds which job) and per job failure.
 */
export async function startWorker(
  config: Config,
  log: (line: string) => void,
): Promise<RunningWorker> {
  const hub = await openHub(config);
  try {
    await hub.startWorkers(
      (error) => log(`job failed: ${(error as Error)?.message ?? String(error)}`),
      (job) =>
        log(`job ${job.name} ${job.id} started (attempt ${job.attempt}, pid ${process.pid})`),
    );
  } catch (error) {
    await hub.close();
    throw error;
  }
  // Indexing a stopped process left pending (issue 7) is queued again, as `serve` does.
  void hub.services.indexer
    .resumePending()
    .catch((error: unknown) =>
      log(`resuming indexing failed: ${(error as Error)?.message ?? String(error)}`),
    );
  return { close: () => hub.close() };
}
