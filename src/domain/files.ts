import { AppError, badRequest } from './errors.js';
import type { IndexStatus } from './genomics.js';

/** What a File belongs to (spec 2.9): a Project holds no files. */
export const FileParents = ['run', 'sample', 'appresult'] as const;
export type FileParent = (typeof FileParents)[number];

/**
 * `pending` while an upload is in progress (`assembling` while its parts are joined, shown as
 * pending), `complete` once visible; `aborted` is discarded.
 */
export type UploadStatus = 'pending' | 'assembling' | 'complete' | 'aborted';

export interface FileRecord {
  id: string;
  parentKind: FileParent;
  parentId: string;
  ownerId: string;
  /** The project of the parent Sample/AppResult: the scope that governs the file. */
  projectId: string | undefined;
  name: string;
  directory: string;
  /** `directory/name`, or `name` at the root (spec 2.9). */
  path: string;
  contentType: string;
  size: number;
  uploadStatus: UploadStatus;
  multipart: boolean;
  md5: string | undefined;
  sha256: string | undefined;
  /** CRC-32 (ISO-HDLC, as zlib), 8 hex digits; absent on files stored before it was kept. */
  crc32?: string | undefined;
  storageKey: string | undefined;
  createdAt: string;
  modifiedAt: string;
  /** VCF and BAM only (issue 7): where indexing stands, and why it failed. */
  indexStatus?: IndexStatus | undefined;
  indexMessage?: string | undefined;
}

export interface FilePart {
  number: number;
  size: number;
  md5: string;
  storageKey: string;
  createdAt: string;
}

/** Parts are numbered 1..10000, as in S3 and the BaseSpace multipart contract (spec 4.9). */
export const MAX_PART_NUMBER = 10000;
/** A file name is one path segment; 255 bytes is what every common file system allows. */
export const MAX_FILE_NAME_BYTES = 255;
/** Whole paths stay well inside S3's 1024-byte key limit after our own prefix. */
export const MAX_FILE_PATH_BYTES = 900;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function checkSegment(segment: string, what: string): void {
  if (segment === '' || segment === '.' || segment === '..') {
    throw badRequest(`${what} must not contain empty, '.' or '..' path segments`);
  }
  if (CONTROL.test(segment)) throw badRequest(`${what} must not contain NUL or control characters`);
  if (segment.includes('\\')) throw badRequest(`${what} must not contain backslashes`);
  if (Buffer.byteLength(segment) > MAX_FILE_NAME_BYTES) {
    throw badRequest(`${what}: a path segment is longer than ${MAX_FILE_NAME_BYTES} bytes`);
  }
}

/**
 * Validates an upload's `name` and `directory` and returns the normalized directory and Path.
 * Refused with 400: `..` or `.` segments, a leading `/`, NUL or control characters, backslashes,
 * a `/` inside the name. A trailing `/` on the directory is dropped.
 */
export function filePath(
  nameRaw: unknown,
  directoryRaw: unknown,
): { name: string; directory: string; path: string } {
  if (typeof nameRaw !== 'string' || nameRaw === '')
    throw badRequest('name is required: the file name');
  if (nameRaw.includes('/'))
    throw badRequest("name must not contain '/': put folders in directory");
  checkSegment(nameRaw, 'name');
  const dirText = directoryRaw === undefined || directoryRaw === null ? '' : String(directoryRaw);
  if (dirText.startsWith('/')) throw badRequest("directory must be relative: no leading '/'");
  const directory = dirText.replace(/\/+$/, '');
  if (directory !== '')
    for (const segment of directory.split('/')) checkSegment(segment, 'directory');
  const path = directory === '' ? nameRaw : `${directory}/${nameRaw}`;
  if (Buffer.byteLength(path) > MAX_FILE_PATH_BYTES)
    throw badRequest(`The file path is longer than ${MAX_FILE_PATH_BYTES} bytes`);
  return { name: nameRaw, directory, path };
}

/** `Extensions=.bam,vcf.gz` -> ['.bam', '.vcf.gz'] (leading dot optional, case-insensitive). */
export function parseExtensions(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw
    .split(',')
    .map((e) => e.trim().toLowerCase().replace(/^\.+/, ''))
    .filter((e) => e.length > 0)
    .map((e) => {
      if (e.length > 64 || /[\/\u0000-\u001f%_\\]/.test(e))
        throw badRequest(`Invalid extension '${e.slice(0, 64)}'`);
      return `.${e}`;
    });
}

/** `Content-Disposition: attachment` with an ASCII fallback and the RFC 5987 UTF-8 name. */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** Where a file's bytes live in the blob store: deterministic, so cleanup can find them. */
export function fileBlobKey(fileId: string): string {
  return `files/${fileId.slice(-2).padStart(2, '0')}/${fileId}`;
}

export const UPLOAD_PARTS_PREFIX = 'uploads/';

/**
 * Reads a `Range` header against a file of `size` bytes (RFC 9110 14.2). Returns undefined for
 * no range, several ranges, or a unit other than bytes (the whole file is sent); the inclusive,
 * 0-based range for one satisfiable range; throws a 416 for a malformed or unsatisfiable one.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!match) return undefined;
  const spec = match[1]!.trim();
  if (spec.includes(',')) return undefined;
  const unsatisfiable = () =>
    new AppError(
      'BASESPACE.FILES.RANGE_NOT_SATISFIABLE',
      `Range '${header.slice(0, 64)}' is not satisfiable for ${size} bytes`,
    );
  const m = /^(\d*)-(\d*)$/.exec(spec);
  if (!m || (m[1] === '' && m[2] === '')) throw unsatisfiable();
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || (m[2] !== '' && Number(m[2]) < start)) throw unsatisfiable();
  return { start, end };
}

const CONTENT_TYPES: Record<string, string> = {
  xml: 'application/xml',
  csv: 'text/csv',
  txt: 'text/plain',
  json: 'application/json',
  gz: 'application/gzip',
};

/** The Content-Type a run folder's file is stored with, from its extension (import and upload). */
export function contentTypeOf(name: string): string {
  return CONTENT_TYPES[name.split('.').pop()!.toLowerCase()] ?? 'application/octet-stream';
}
