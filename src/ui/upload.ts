import { ApiError, type FileParentRef, type HubFile } from '../sdk/index.js';
import { currentUser, hub, session } from './session.js';

/**
 * Resumable uploads from the browser (issue 9): a multipart upload's file id is kept in
 * localStorage, keyed by the user, the target and the file's name, size and lastModified, so
 * dropping the same file again after a reload or a dropped connection sends only the parts the
 * hub does not hold yet (the SDK lists them: `GET files/{id}/parts`).
 */

/** What is kept per pending upload. */
interface Pending {
  fileId: string;
  /** The part size the upload was cut at: a resume must cut the same way. */
  partSize: number;
  /** When it was started (ms since the epoch), to forget it once the hub has swept it. */
  startedAt: number;
}

const PREFIX = 'seqhub:upload:';

/**
 * The hub sweeps multipart uploads left pending this long (src/app/server.ts
 * MULTIPART_GRACE_MS, 7 days): older records point at nothing and are dropped.
 */
const FORGET_AFTER_MS = 7 * 24 * 3600_000;

/** The localStorage key of one file dropped on one target by the signed-in user. */
export function pendingKey(userId: string, parent: FileParentRef, file: File): string {
  return `${PREFIX}${userId}:${parent.kind}/${parent.id}:${file.size}:${file.lastModified}:${file.name}`;
}

/** localStorage may be off (privacy settings) or full: uploads then simply do not resume. */
const storage = {
  get(key: string): Pending | undefined {
    try {
      const text = localStorage.getItem(key);
      const value = text ? (JSON.parse(text) as Partial<Pending>) : undefined;
      if (
        typeof value?.fileId === 'string' &&
        typeof value.partSize === 'number' &&
        value.partSize > 0 &&
        typeof value.startedAt === 'number'
      )
        return value as Pending;
    } catch {
      // Unreadable: treated as absent.
    }
    return undefined;
  },
  set(key: string, value: Pending): void {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch {
      // Storage off or full: this upload will not resume after a reload.
    }
  },
  remove(key: string): void {
    try {
      localStorage.removeItem(key);
    } catch {
      // Nothing to do.
    }
  },
};

/** Drops records of uploads the hub has swept by now. */
function forgetOld(now = Date.now()): void {
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const key = localStorage.key(i);
      if (!key?.startsWith(PREFIX)) continue;
      const pending = storage.get(key);
      if (!pending || now - pending.startedAt > FORGET_AFTER_MS) localStorage.removeItem(key);
    }
  } catch {
    // Storage off.
  }
}

export interface UploadEvents {
  /** A pending upload of this file was found: it continues from the parts the hub holds. */
  onResume?: () => void;
  /** Bytes done of the total (parts already on the hub count as done). */
  onProgress?: (done: number, total: number) => void;
  /** Bytes of a resumed upload that did not need sending again. */
  onReused?: (bytes: number) => void;
}

/**
 * Uploads `file` into `parent`: one request up to the hub's part size, else a multipart upload
 * that resumes the one an earlier page started for the same file. Failed parts are retried with
 * backoff by the SDK's transport (exponential, full jitter); when it gives up, the record stays
 * so that dropping the file again continues.
 */
export async function resumableUpload(
  parent: FileParentRef,
  file: File,
  events: UploadEvents = {},
): Promise<HubFile> {
  const { partSize: hubPartSize } = await session();
  forgetOld();
  const key = pendingKey(currentUser?.Id ?? '', parent, file);
  const pending = storage.get(key);
  if (pending) events.onResume?.();
  try {
    const done = await hub.uploadFile(parent, file, {
      name: file.name,
      partSize: pending?.partSize ?? hubPartSize,
      ...(pending && { resumeFileId: pending.fileId }),
      onMultipartStart: (fileId, partSize) =>
        storage.set(key, { fileId, partSize, startedAt: Date.now() }),
      ...(events.onProgress && { onProgress: events.onProgress }),
      ...(events.onReused && { onPartReused: events.onReused }),
    });
    storage.remove(key);
    return done;
  } catch (error) {
    // A refusal (the target is gone, no write access) will not get better by resuming.
    if (!canResume(error)) storage.remove(key);
    throw error;
  }
}

/**
 * True when an upload stopped for a reason that resuming can get past: anything but the hub's
 * final refusal (a 4xx other than an expired sign-in, a timeout or a rate limit). A lost
 * connection, a 5xx, a reload or a sign-in on the way all keep the upload to resume.
 */
export function canResume(error: unknown): boolean {
  if (!(error instanceof ApiError)) return true;
  return error.status >= 500 || [401, 408, 429].includes(error.status);
}
