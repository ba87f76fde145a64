import { ApiError } from './errors.js';
import type { HttpTransport } from './http.js';
import { mapConcurrent, type RateLimiter } from './limits.js';
import { fromFile, fromPart, type FilePart, type HubFile } from './types.js';

/** What files can be uploaded into: `POST {kind}/{id}/files`. */
export interface FileParentRef {
  kind: 'runs' | 'samples' | 'appresults';
  id: string;
}

/**
 * Part size of multipart uploads, and the size above which a file goes up in parts: 16 MiB keeps
 * a resumed upload's loss small and a part's memory (read whole to hash it) modest, while
 * 10,000 parts (spec 4.9) still reach 156 GiB.
 */
export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;

/**
 * Parts of one file in flight at once: 4 keep a long fat link busy despite one round trip per
 * part, and bound memory at 4 x part size per file.
 */
export const PART_CONCURRENCY = 4;

/** Most parts of one multipart upload (spec 4.9); past it the part size grows to fit. */
export const MAX_PARTS = 10_000;

/** Bytes of one upload done so far, of the total. */
export type ProgressCallback = (bytesDone: number, bytesTotal: number) => void;

export interface UploadOptions {
  /** The file's name (one path segment). */
  name: string;
  /** Relative directory in the parent (`InterOp`), default none. */
  directory?: string;
  /** Default: the Blob's type, else application/octet-stream. */
  contentType?: string;
  /** Part size; files larger than this go up in parts (default 16 MiB). */
  partSize?: number;
  /** Parts in flight at once (default PART_CONCURRENCY). */
  partConcurrency?: number;
  /**
   * MD5 (hex) of some bytes. When given, parts carry `Content-MD5` and resumed parts are kept only
   * when their MD5 matches; without it (browsers have no MD5 in WebCrypto) resumed parts are
   * matched by size alone.
   */
  md5?: (bytes: Uint8Array) => string | Promise<string>;
  /** A pending multipart upload of this same content to resume (its parts are reused). */
  resumeFileId?: string;
  /**
   * Called once a multipart upload exists, with its id and the part size it is cut at (larger
   * than asked when the file would need more than MAX_PARTS), so the caller can resume it.
   */
  onMultipartStart?: (fileId: string, partSize: number) => void | Promise<void>;
  /** Bytes done so far (parts reused from a resumed upload count as done). */
  onProgress?: ProgressCallback;
  /** A part of a resumed upload that the hub already held was kept: `bytes` were not sent. */
  onPartReused?: (bytes: number) => void;
  signal?: AbortSignal;
}

/**
 * Uploads `blob` as a file of `parent`: one `POST` for files up to the part size, else a multipart
 * upload (`multipart=true`, `PUT files/{id}/parts/{n}` with several parts at once,
 * `uploadstatus=complete`). Resolves with the complete file.
 */
export async function uploadFile(
  http: HttpTransport,
  limiter: RateLimiter | undefined,
  parent: FileParentRef,
  blob: Blob,
  options: UploadOptions,
): Promise<HubFile> {
  const asked = options.partSize ?? DEFAULT_PART_SIZE;
  if (!(asked > 0)) throw new RangeError('partSize must be positive');
  const partSize = Math.max(asked, Math.ceil(blob.size / MAX_PARTS));
  const contentType = options.contentType || blob.type || 'application/octet-stream';
  const where = { name: options.name, directory: options.directory ?? '' };
  const { signal } = options;
  options.onProgress?.(0, blob.size);
  if (blob.size <= partSize && options.resumeFileId === undefined) {
    await limiter?.acquire(blob.size, signal);
    const file = fromFile(
      await http.call('POST', `${parent.kind}/${parent.id}/files`, {
        query: where,
        body: blob,
        headers: { 'Content-Type': contentType },
        signal,
      }),
    );
    options.onProgress?.(blob.size, blob.size);
    return file;
  }

  let fileId = options.resumeFileId;
  let held = new Map<number, FilePart>();
  if (fileId !== undefined) {
    const resumed = await resumable(http, fileId, blob.size, signal);
    if (resumed?.complete) {
      options.onPartReused?.(blob.size);
      options.onProgress?.(blob.size, blob.size);
      return resumed.complete;
    }
    if (resumed) held = resumed.parts;
    else fileId = undefined;
  }
  if (fileId === undefined) {
    const started = fromFile(
      await http.call('POST', `${parent.kind}/${parent.id}/files`, {
        query: { ...where, multipart: 'true' },
        headers: { 'Content-Type': contentType },
        signal,
      }),
    );
    fileId = started.id;
    await options.onMultipartStart?.(fileId, partSize);
  }

  const count = Math.max(1, Math.ceil(blob.size / partSize));
  let done = 0;
  const numbers = Array.from({ length: count }, (_, i) => i + 1);
  await mapConcurrent(numbers, options.partConcurrency ?? PART_CONCURRENCY, async (n) => {
    const start = (n - 1) * partSize;
    const end = Math.min(blob.size, start + partSize);
    const have = held.get(n);
    if (have && have.size === end - start && !options.md5) {
      options.onPartReused?.(end - start);
      options.onProgress?.((done += end - start), blob.size);
      return;
    }
    signal?.throwIfAborted();
    const bytes = new Uint8Array(await blob.slice(start, end).arrayBuffer());
    const md5 = options.md5 ? await options.md5(bytes) : undefined;
    if (have && have.size === bytes.length && have.md5 === md5) {
      options.onPartReused?.(bytes.length);
      options.onProgress?.((done += bytes.length), blob.size);
      return;
    }
    await limiter?.acquire(bytes.length, signal);
    await http.call('PUT', `files/${fileId}/parts/${n}`, {
      body: bytes,
      headers: {
        'Content-Type': 'application/octet-stream',
        ...(md5 !== undefined && { 'Content-MD5': md5 }),
      },
      idempotent: true,
      signal,
    });
    options.onProgress?.((done += bytes.length), blob.size);
  });
  try {
    return fromFile(
      await http.call('POST', `files/${fileId}`, {
        query: { uploadstatus: 'complete' },
        idempotent: true,
        signal,
      }),
    );
  } catch (error) {
    // A completion that reached the hub, whose answer was lost (the API process died, the
    // connection broke): the retry finds the upload no longer pending. Complete at our size
    // is what we asked for.
    if (!(error instanceof ApiError) || error.errorCode !== 'BASESPACE.FILES.NOT_PENDING')
      throw error;
    const file = fromFile(await http.call('GET', `files/${fileId}`, { idempotent: true, signal }));
    if (file.uploadStatus === 'complete' && file.size === blob.size) return file;
    throw error;
  }
}

/**
 * The state of an earlier multipart upload: complete already (a crash after completing), pending
 * with the parts it holds, or undefined when it is gone, aborted or of another size.
 */
async function resumable(
  http: HttpTransport,
  fileId: string,
  size: number,
  signal: AbortSignal | undefined,
): Promise<{ complete?: HubFile; parts: Map<number, FilePart> } | undefined> {
  try {
    const file = fromFile(await http.call('GET', `files/${fileId}`, { idempotent: true, signal }));
    if (file.uploadStatus === 'complete')
      return file.size === size ? { complete: file, parts: new Map() } : undefined;
    if (file.uploadStatus !== 'pending') return undefined;
    const list = await http.call<{ Items?: Record<string, unknown>[] }>(
      'GET',
      `files/${fileId}/parts`,
      { idempotent: true, signal },
    );
    const parts = (list.Items ?? []).map(fromPart);
    return { parts: new Map(parts.map((p) => [p.number, p])) };
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 409))
      return undefined;
    throw error;
  }
}
