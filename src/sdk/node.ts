/**
 * Node-only helpers of the SDK (`seqhub/node`): local files as Blobs and MD5 with node:crypto.
 * The browser-safe core never imports this module.
 */
import { createHash } from 'node:crypto';
import { createReadStream, openAsBlob } from 'node:fs';

/** A local file as a Blob that reads from disk as it is sent (never the whole file in memory). */
export function fileBlob(path: string, type?: string): Promise<Blob> {
  return openAsBlob(path, type === undefined ? {} : { type });
}

/** MD5 of some bytes, hex: give it to `UploadOptions.md5`. */
export function md5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** MD5 of a local file, hex, streamed. */
export async function md5OfFile(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path, signal ? { signal } : {}))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export {
  ChecksumError,
  DEFAULT_RANGE_SIZE,
  RANGE_CONCURRENCY,
  WHOLE_FILE_MAX,
  downloadFile,
  type DownloadOptions,
  type DownloadResult,
} from './transfer-node.js';
