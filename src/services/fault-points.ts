/**
 * Crash points for the kill -9 tests (issue 11, test/e2e/faults-crash.test.ts). Inert unless a
 * point is armed, which only `SEQHUB_FAULT_POINT=<name>[:<n>]` does (src/app/hub.ts): then the
 * n-th time (default the first) the code passes `faultPoint(name)`, the process sends itself
 * SIGKILL, exactly as a power cut or the OOM killer would stop it there. No cleanup, no reply.
 *
 * The names, each where a crash leaves the most to repair:
 * - `upload.stored`: a single-part upload's bytes are in the blob store, the file row is pending.
 * - `upload.committed`: the file is complete in the database; the client has no answer.
 * - `part.stored`: a part's bytes are stored, the part row is not written.
 * - `complete.claimed`: a multipart file is marked assembling; nothing is assembled.
 * - `complete.assembled`: the whole file is in the blob store; the database still says assembling.
 * - `complete.committed`: the file is complete; the parts' blobs are not deleted yet.
 * - `properties.written`: inside a property write's transaction: properties written, the search
 *   index not yet.
 * - `job.started` / `job.finished`: a job was taken / its handler returned, before the queue hears.
 */
export const FAULT_POINTS = [
  'upload.stored',
  'upload.committed',
  'part.stored',
  'complete.claimed',
  'complete.assembled',
  'complete.committed',
  'properties.written',
  'job.started',
  'job.finished',
] as const;

export type FaultPoint = (typeof FAULT_POINTS)[number];

let armed: { name: FaultPoint; remaining: number } | undefined;

/** Arms `spec` (`name` or `name:n`); throws on an unknown name so a typo cannot pass silently. */
export function armFaultPoint(spec: string): void {
  const [name, count] = spec.split(':');
  if (!FAULT_POINTS.includes(name as FaultPoint))
    throw new Error(
      `SEQHUB_FAULT_POINT: unknown point '${name}'; one of ${FAULT_POINTS.join(', ')}`,
    );
  const n = count === undefined ? 1 : Number(count);
  if (!Number.isInteger(n) || n < 1) throw new Error(`SEQHUB_FAULT_POINT: bad count '${count}'`);
  armed = { name: name as FaultPoint, remaining: n };
}

/** Kills this process when `name` is the armed point and its count is reached; else nothing. */
export function faultPoint(name: FaultPoint): void {
  if (armed?.name !== name || --armed.remaining > 0) return;
  process.kill(process.pid, 'SIGKILL');
}
