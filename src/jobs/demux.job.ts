import { pipeline } from 'node:stream/promises';
import { FINAL_STATUSES, isoNow, type AppSessionStatus } from '../domain/index.js';
import type { BlobStore, Clock, JobContext, JobHandler, Repositories, Staging } from '../ports.js';
import { ChecksumStream, copied } from '../services/checksums.js';
import { commitDemux, type StoredOutput } from '../services/demux-commit.js';
import { BlobRunFolder } from '../services/demux/blob-run-folder.js';
import { demultiplex } from '../services/demux/demux.engine.js';
import { prepareStoredRun, type DemuxJobPayload } from '../services/demux.service.js';

export interface DemuxJobDeps {
  repos: Repositories;
  blobs: BlobStore;
  staging: Staging;
  clock: Clock;
  /** Worker threads of the engine (default: one per CPU). */
  workers?: number | undefined;
  /** How often the job looks whether its AppSession was stopped (default 1 s). */
  watchMs?: number | undefined;
}

/** Progress goes to the AppSession at most this often (a tile of a large run takes seconds). */
const PROGRESS_EVERY_MS = 500;
/**
 * Staged files copied into storage at once: one S3 request's latency hides behind the others
 * (a 93-sample run has ~190 small files), few enough not to swamp 2 shared vCPUs (as run import).
 */
const UPLOAD_CONCURRENCY = 4;
/** StatusSummary is free text; a failure's message is cut to this length. */
const SUMMARY_MAX = 1000;

const isFinal = (status: AppSessionStatus) => FINAL_STATUSES.includes(status);

/** The StatusSummary of a failed job: the file and the problem when a file was at fault. */
export function failureSummary(error: unknown): string {
  // A FormatError's message names the file, the problem and the byte or line.
  const message = error instanceof Error ? error.message : String(error);
  const text = `Demultiplexing failed: ${message || 'unknown error'}`;
  return text.length > SUMMARY_MAX ? `${text.slice(0, SUMMARY_MAX - 1)}…` : text;
}

/**
 * The `demux` job: reads the run from the blob store, demultiplexes into a staging area, copies
 * the outputs into the blob store under keys of this attempt, and commits Samples, AppResult,
 * properties and `Complete` in one transaction. Every attempt starts from scratch (whatever an
 * earlier, crashed attempt staged or uploaded is removed first). A failure sets the AppSession
 * `NeedsAttention` with the file and problem; an AppSession stopped by its user (Aborted) aborts
 * the engine; either way nothing of the job stays behind.
 */
export function demuxJob(deps: DemuxJobDeps): JobHandler {
  const { repos, blobs, staging } = deps;
  const blobPrefix = (sessionId: string) => `demux/${sessionId}/`;

  return {
    async run(raw, context: JobContext) {
      const payload = raw as DemuxJobPayload;
      const sessionId = payload.appSessionId;
      const session = await repos.appSessions.findById(sessionId);
      // Complete: an earlier attempt committed and then its worker died; Aborted: stopped.
      if (!session || isFinal(session.status)) return;

      const earlier = await blobs.listOlderThan(blobPrefix(sessionId), new Date(8.64e15));
      await blobs.delete(earlier);
      const area = await staging.open(`demux-${sessionId}`);
      const controller = new AbortController();
      const forward = () => controller.abort(context.signal.reason);
      context.signal.addEventListener('abort', forward, { once: true });
      const watch = setInterval(() => {
        repos.appSessions.findById(sessionId).then(
          (s) => {
            if (!s || isFinal(s.status)) controller.abort(new Error('the AppSession was stopped'));
          },
          () => undefined,
        );
      }, deps.watchMs ?? 1000);
      watch.unref();
      const uploaded: string[] = [];
      let writes: Promise<unknown> = Promise.resolve();
      const summary = (text: string) => {
        writes = writes
          .then(() => repos.appSessions.update(sessionId, { statusSummary: text }))
          .then(
            (s) => {
              if (!s) controller.abort(new Error('the AppSession was stopped'));
            },
            () => undefined,
          );
        return writes;
      };
      try {
        await summary(`Reading run ${payload.runId}`);
        const { setup, files } = await prepareStoredRun(repos, blobs, payload.runId, payload);
        const tilesTotal = setup.tiles.tiles.filter((t) =>
          setup.plan.lanes.includes(t.lane),
        ).length;
        await summary(`Demultiplexing: 0 of ${tilesTotal} tiles`);
        let lastWrite = 0;
        const report = await demultiplex(
          new BlobRunFolder(blobs, files),
          setup.tiles,
          setup.planInput,
          area,
          {
            ...setup.names,
            withFailedReads: payload.withFailedReads,
            workers: deps.workers,
            signal: controller.signal,
            onProgress: (p) => {
              const now = deps.clock.now().getTime();
              if (p.tilesDone < p.tilesTotal && now - lastWrite < PROGRESS_EVERY_MS) return;
              lastWrite = now;
              void summary(`Demultiplexing: ${p.tilesDone} of ${p.tilesTotal} tiles`);
              writes = writes.then(() => context.progress(p)).catch(() => undefined);
            },
          },
        );
        await writes;
        controller.signal.throwIfAborted();
        await summary('Storing the outputs');
        const prefix = `${blobPrefix(sessionId)}${context.attempt}-${isoNow(deps.clock.now()).replace(/[^0-9]/g, '')}/`;
        const staged = await area.list();
        const outputs: StoredOutput[] = [];
        let next = 0;
        const upload = async () => {
          while (next < staged.length) {
            const { name } = staged[next++]!;
            controller.signal.throwIfAborted();
            const key = `${prefix}${name}`;
            const sums = new ChecksumStream({ sha256: true });
            uploaded.push(key);
            await copied(
              pipeline(await area.open(name), sums, { signal: controller.signal }),
              blobs.write(key, sums, { signal: controller.signal }),
            );
            const { md5, sha256, crc32 } = sums.digests();
            outputs.push({ name, storageKey: key, size: sums.bytes, md5, sha256: sha256!, crc32 });
          }
        };
        // Settled, not raced: on a failure every copy made is known before they are deleted.
        const copies = await Promise.allSettled(Array.from({ length: UPLOAD_CONCURRENCY }, upload));
        for (const c of copies) if (c.status === 'rejected') throw c.reason;
        outputs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        await area.remove(); // everything is in storage now; gone before Complete is visible
        // A worker that lost its lease (stalled past it) must not commit: the attempt that took
        // the job over removes this one's copies when it starts.
        controller.signal.throwIfAborted();
        await commitDemux(repos, payload, setup, report, outputs);
      } catch (error) {
        // Cleaned before the session says it failed: whoever sees NeedsAttention sees nothing left.
        await blobs.delete(uploaded).catch(() => undefined);
        await area.remove().catch(() => undefined);
        // Cancelled, lease lost or the hub stopping: the queue decides what happens next.
        if (context.signal.aborted) throw error;
        const now = await repos.appSessions.findById(sessionId);
        if (!now || isFinal(now.status)) return; // stopped by its user: nothing to report
        await writes;
        await repos.appSessions.update(sessionId, {
          status: 'NeedsAttention',
          statusSummary: failureSummary(error),
        });
        throw error;
      } finally {
        clearInterval(watch);
        context.signal.removeEventListener('abort', forward);
        await area.remove();
      }
    },

    async abandoned(raw, reason) {
      const payload = raw as DemuxJobPayload;
      await repos.appSessions.update(payload.appSessionId, {
        status: 'NeedsAttention',
        statusSummary: `Demultiplexing failed: ${reason}`,
      });
    },
  };
}
