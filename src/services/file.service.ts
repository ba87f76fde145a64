import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AppError,
  MAX_PART_NUMBER,
  UPLOAD_PARTS_PREFIX,
  badRequest,
  fileBlobKey,
  filePath,
  genomicKindOf,
  notFound,
  parseId,
  type AuditEvent,
  type FileParent,
  type FilePart,
  type FileRecord,
  type Page,
  type PageRequest,
} from '../domain/index.js';
import type { BlobStore, ByteRange, Clock, FileFilter, FileSort, Repositories } from '../ports.js';
import type { AccessService } from './access.service.js';
import { ChecksumStream, copied } from './checksums.js';
import { faultPoint } from './fault-points.js';
import type { Principal } from './principal.js';

export interface FileServiceOptions {
  /** Largest single-part upload; above it a 413 tells the client to use multipart. */
  maxSinglePartBytes: number;
  /** Largest part of a multipart upload (S3's own limit is 5 GiB). */
  maxPartBytes: number;
  /** How long a signed content URL works. */
  signedUrlTtlSeconds: number;
}

/** How often a running multipart assembly renews its claim (see complete()). */
const ASSEMBLY_HEARTBEAT_MS = 15_000;

const SIGNING_KEY_SETTING = 'url-signing-key';

/** What other parts of the hub learn from uploads. */
export interface FileEvents {
  /**
   * A file became complete (after its transaction committed). Genomic files arrive with
   * `indexStatus: 'pending'`; the indexer takes them from here (issue 7). Must not throw.
   */
  onFileCompleted?(file: FileRecord): void;
}

/** Completion status fields: a VCF/BAM starts its indexing as `pending` in the same statement. */
function indexingPatch(file: FileRecord): { indexStatus?: 'pending' } {
  return genomicKindOf(file.name) ? { indexStatus: 'pending' } : {};
}

/** Upload, assembly, download and cleanup of files (spec 2.9, 4.8-4.10). */
export class FileService {
  private signingKey: Buffer | undefined;

  constructor(
    private readonly repos: Repositories,
    private readonly access: AccessService,
    private readonly blobs: BlobStore,
    private readonly clock: Clock,
    readonly options: FileServiceOptions,
    private readonly events: FileEvents = {},
  ) {}

  /**
   * Single-part upload (spec 4.8): streams `body` through MD5 and SHA-256 into the blob store. The
   * file row exists (invisible, `pending`) only while bytes flow; it becomes `complete` in one
   * transaction with the parent's TotalSize, or is removed with its bytes on any failure.
   */
  async uploadSingle(
    principal: Principal,
    parent: { kind: FileParent; id: string },
    meta: {
      name: unknown;
      directory: unknown;
      contentType: string;
      contentLength: number | undefined;
    },
    body: Readable,
    signal?: AbortSignal,
  ): Promise<FileRecord> {
    const where = filePath(meta.name, meta.directory);
    const owner = await this.access.fileParent(principal, parent.kind, parent.id, 'create');
    if (meta.contentLength !== undefined && meta.contentLength > this.options.maxSinglePartBytes) {
      throw new AppError(
        'PayloadTooLarge',
        `A single-part upload may be at most ${this.options.maxSinglePartBytes} bytes: use multipart=true`,
      );
    }
    const file = await this.repos.files.create({
      parentKind: parent.kind,
      parentId: owner.id,
      ownerId: principal.user.id,
      projectId: owner.projectId,
      ...where,
      contentType: meta.contentType,
      multipart: false,
    });
    const key = fileBlobKey(file.id);
    const sums = new ChecksumStream({ sha256: true, maxBytes: this.options.maxSinglePartBytes });
    try {
      const written = this.blobs.write(key, sums, { signal });
      await copied(pipeline(body, sums, { signal }), written);
      faultPoint('upload.stored');
      const { md5, sha256, crc32 } = sums.digests();
      const completed = await this.repos.transaction(async (tx) => {
        const done = await tx.files.transition(file.id, 'pending', {
          uploadStatus: 'complete',
          size: sums.bytes,
          md5,
          sha256: sha256!,
          crc32,
          storageKey: key,
          ...indexingPatch(file),
        });
        if (!done) throw new AppError('Conflict', `File ${file.id} changed while it was uploaded`);
        await tx.files.addToParentSize(done, done.size);
        await tx.search.reindex('file', done.id); // search index (issue 5)
        return done;
      });
      faultPoint('upload.committed');
      this.events.onFileCompleted?.(completed);
      return completed;
    } catch (error) {
      body.resume();
      await this.blobs.delete([key]).catch(() => undefined);
      await this.repos.files.delete(file.id).catch(() => undefined);
      throw error;
    }
  }

  /** Multipart step 1 (spec 4.9): a pending file that takes parts. */
  async initMultipart(
    principal: Principal,
    parent: { kind: FileParent; id: string },
    meta: { name: unknown; directory: unknown; contentType: string },
  ): Promise<FileRecord> {
    const where = filePath(meta.name, meta.directory);
    const owner = await this.access.fileParent(principal, parent.kind, parent.id, 'create');
    return this.repos.files.create({
      parentKind: parent.kind,
      parentId: owner.id,
      ownerId: principal.user.id,
      projectId: owner.projectId,
      ...where,
      contentType: meta.contentType,
      multipart: true,
    });
  }

  /**
   * A multipart upload still taking parts, or (`assembling: true`, for a completion) one whose
   * parts are being joined already.
   */
  private async pendingMultipart(
    principal: Principal,
    fileId: string,
    assembling = false,
  ): Promise<FileRecord> {
    const file = await this.access.file(principal, fileId, 'create');
    const open =
      file.uploadStatus === 'pending' || (assembling && file.uploadStatus === 'assembling');
    if (!file.multipart || !open) {
      throw new AppError(
        'BASESPACE.FILES.NOT_PENDING',
        file.uploadStatus === 'complete'
          ? `File ${file.id} is complete and cannot change`
          : `File ${file.id} is not a multipart upload in progress`,
      );
    }
    if (file.parentKind !== 'run') {
      const parent =
        file.parentKind === 'sample'
          ? await this.repos.samples.findById(file.parentId)
          : await this.repos.appResults.findById(file.parentId);
      if (parent) await this.access.assertWorkable(parent.appSessionId);
    }
    return file;
  }

  /**
   * Multipart step 2: stores part `n`. Parts may come in any order, concurrently, and again (the
   * last one wins). A `Content-MD5` that does not match discards the part with a 400.
   */
  async putPart(
    principal: Principal,
    fileId: string,
    rawNumber: string,
    body: Readable,
    contentMd5: string | undefined,
    contentLength: number | undefined,
    signal?: AbortSignal,
  ): Promise<FilePart> {
    const number = Number(rawNumber);
    if (!/^\d{1,5}$/.test(rawNumber) || number < 1 || number > MAX_PART_NUMBER) {
      throw badRequest(
        `Part number must be 1 to ${MAX_PART_NUMBER}, not '${rawNumber.slice(0, 20)}'`,
      );
    }
    const expectedMd5 = contentMd5 === undefined ? undefined : decodeContentMd5(contentMd5);
    const file = await this.pendingMultipart(principal, fileId);
    if (contentLength !== undefined && contentLength > this.options.maxPartBytes) {
      throw new AppError(
        'PayloadTooLarge',
        `A part may be at most ${this.options.maxPartBytes} bytes`,
      );
    }
    const key = `${UPLOAD_PARTS_PREFIX}${file.id}/${number}-${randomBytes(6).toString('hex')}`;
    const sums = new ChecksumStream({ sha256: false, maxBytes: this.options.maxPartBytes });
    let stored = false;
    try {
      await copied(pipeline(body, sums, { signal }), this.blobs.write(key, sums, { signal }));
      stored = true;
      faultPoint('part.stored');
      const { md5 } = sums.digests();
      if (expectedMd5 !== undefined && expectedMd5 !== md5) {
        throw new AppError(
          'BASESPACE.FILES.CHECKSUM_MISMATCH',
          `Content-MD5 of part ${number} does not match the bytes received (got ${md5})`,
        );
      }
      const part: FilePart = {
        number,
        size: sums.bytes,
        md5,
        storageKey: key,
        createdAt: this.clock.now().toISOString(),
      };
      const replaced = await this.repos.files.putPart(file.id, part);
      // A complete or abort may have won the race while the bytes flowed: then the part is moot.
      const now = await this.repos.files.findById(file.id);
      if (now?.uploadStatus !== 'pending') {
        throw new AppError(
          'BASESPACE.FILES.NOT_PENDING',
          `File ${file.id} is no longer taking parts`,
        );
      }
      if (replaced && replaced !== key) await this.blobs.delete([replaced]).catch(() => undefined);
      return part;
    } catch (error) {
      body.resume();
      if (stored || error instanceof AppError)
        await this.blobs.delete([key]).catch(() => undefined);
      throw error;
    }
  }

  /** The parts received so far, so an interrupted client sends only the rest. */
  async listParts(
    principal: Principal,
    fileId: string,
  ): Promise<{ file: FileRecord; parts: FilePart[] }> {
    const file = await this.access.file(principal, fileId, 'browse');
    return {
      file,
      parts: file.uploadStatus === 'complete' ? [] : await this.repos.files.listParts(file.id),
    };
  }

  /** Multipart step 3, or abort: `uploadstatus=complete|aborted` (spec 4.9). */
  async setUploadStatus(
    principal: Principal,
    fileId: string,
    status: unknown,
  ): Promise<FileRecord> {
    const wanted = typeof status === 'string' ? status.trim().toLowerCase() : undefined;
    if (wanted !== 'complete' && wanted !== 'aborted') {
      throw badRequest(`uploadstatus must be 'complete' or 'aborted'`);
    }
    const current = await this.access.file(principal, fileId, 'create');
    // Completing a complete file again is harmless (clients retry); it changes nothing.
    if (current.uploadStatus === 'complete' && wanted === 'complete') return current;
    const file = await this.pendingMultipart(principal, fileId, wanted === 'complete');
    return wanted === 'complete' ? this.complete(file) : this.abort(file);
  }

  /**
   * Joins the parts into the file. `pending` -> `assembling` closes the upload to parts. A file
   * found `assembling` already is joined again alongside: its parts can no longer change, so both
   * assemblies write the same bytes to the same key (blob writes are all-or-nothing), the first
   * to finish completes the file and the other answers with it. This is what lets a client whose
   * completion died with an API process (kill -9, a lost machine) retry at once through another
   * process, instead of finding the file stuck until the sweeper's grace period.
   */
  private async complete(file: FileRecord): Promise<FileRecord> {
    if (file.uploadStatus === 'pending') {
      const claimed = await this.repos.files.transition(file.id, 'pending', {
        uploadStatus: 'assembling',
      });
      if (!claimed) {
        const now = await this.repos.files.findById(file.id);
        if (now?.uploadStatus === 'complete') return now;
        if (now?.uploadStatus !== 'assembling')
          throw new AppError(
            'BASESPACE.FILES.NOT_PENDING',
            `File ${file.id} is not pending any more`,
          );
      }
    }
    faultPoint('complete.claimed');
    // The heartbeat: the claim's modified time moves on while the bytes are assembled, so the
    // sweeper (which sends assemblies silent for its grace period back to pending) never takes a
    // long one for a dead one.
    const heartbeat = setInterval(() => {
      void this.repos.files
        .transition(file.id, 'assembling', { uploadStatus: 'assembling' })
        .catch(() => undefined);
    }, ASSEMBLY_HEARTBEAT_MS).unref();
    const key = fileBlobKey(file.id);
    try {
      const parts = await this.repos.files.listParts(file.id);
      const missing = missingParts(parts);
      if (missing.length > 0) {
        throw new AppError(
          'BASESPACE.FILES.UPLOAD_INCOMPLETE',
          parts.length === 0
            ? `File ${file.id} has no parts yet`
            : `File ${file.id} is missing part(s) ${summarize(missing)} of 1..${parts.at(-1)!.number}`,
        );
      }
      const sums = new ChecksumStream({ sha256: true });
      await copied(
        pipeline(Readable.from(this.concatenate(parts)), sums),
        this.blobs.write(key, sums),
      );
      faultPoint('complete.assembled');
      const { md5, sha256, crc32 } = sums.digests();
      clearInterval(heartbeat);
      const done = await this.repos.transaction(async (tx) => {
        const completed = await tx.files.transition(file.id, 'assembling', {
          uploadStatus: 'complete',
          size: sums.bytes,
          md5,
          sha256: sha256!,
          crc32,
          storageKey: key,
          ...indexingPatch(file),
        });
        if (!completed) return undefined;
        await tx.files.addToParentSize(completed, completed.size);
        await tx.files.deleteParts(file.id);
        await tx.search.reindex('file', completed.id); // search index (issue 5)
        return completed;
      });
      // Not ours to commit: the catch below answers with the file when another assembly of
      // the same parts completed it first.
      if (!done) throw new AppError('Conflict', `File ${file.id} changed while it was assembled`);
      faultPoint('complete.committed');
      await this.blobs.delete(parts.map((p) => p.storageKey)).catch(() => undefined);
      this.events.onFileCompleted?.(done);
      return done;
    } catch (error) {
      clearInterval(heartbeat);
      // An assembly alongside that won (its commit, or its removal of the parts this one was
      // reading) is not a failure: its file is ours too.
      const now = await this.repos.files.findById(file.id).catch(() => undefined);
      if (now?.uploadStatus === 'complete') return now;
      await this.repos.files
        .transition(file.id, 'assembling', { uploadStatus: 'pending' })
        .catch(() => undefined);
      throw error;
    }
  }

  private async *concatenate(parts: readonly FilePart[]): AsyncGenerator<Buffer> {
    for (const part of parts) {
      for await (const chunk of await this.blobs.read(part.storageKey)) yield chunk as Buffer;
    }
  }

  private async abort(file: FileRecord): Promise<FileRecord> {
    const aborted = await this.repos.files.transition(file.id, 'pending', {
      uploadStatus: 'aborted',
    });
    if (!aborted)
      throw new AppError('BASESPACE.FILES.NOT_PENDING', `File ${file.id} is not pending any more`);
    const parts = await this.repos.files.listParts(file.id);
    await this.repos.files.deleteParts(file.id);
    await this.blobs
      .delete([...parts.map((p) => p.storageKey), fileBlobKey(file.id)])
      .catch(() => undefined);
    return aborted;
  }

  get(principal: Principal, fileId: string): Promise<FileRecord> {
    return this.access.file(principal, fileId, 'browse');
  }

  async list(
    principal: Principal,
    parent: { kind: FileParent; id: string },
    filter: FileFilter,
    page: PageRequest<FileSort>,
  ): Promise<Page<FileRecord>> {
    const owner = await this.access.fileParent(principal, parent.kind, parent.id, 'browse');
    return this.repos.files.list(parent.kind, owner.id, filter, page);
  }

  /**
   * A complete file the caller may download (`read` access), for the content routes. The
   * download is recorded in the audit log (issue 4).
   */
  async readable(principal: Principal, fileId: string): Promise<FileRecord> {
    const file = await this.downloadable(principal, fileId);
    await this.audit(file, 'file.download', this.access.actor(principal), principal.clientIp);
    return file;
  }

  private async downloadable(principal: Principal, fileId: string): Promise<FileRecord> {
    const file = await this.access.file(principal, fileId, 'read');
    if (file.uploadStatus !== 'complete')
      throw notFound(`File ${file.id} has no content until its upload is complete`);
    return file;
  }

  /** Records a download of `file`, for the owner of its project (or run) to read. */
  private audit(
    file: FileRecord,
    action: string,
    actor: AuditEvent['actor'],
    clientIp: string | undefined,
  ): Promise<void> {
    return this.repos.audit.record({
      actor,
      action,
      target: { kind: 'file', id: file.id },
      ...(file.parentKind === 'run' ? { runId: file.parentId } : { projectId: file.projectId }),
      clientIp,
    });
  }

  /**
   * A complete file named by a signed URL, checked against its signature and expiry. The use is
   * audited (actor `signed-url`: whoever holds the URL; its issue was audited with its user).
   */
  async signedReadable(
    rawId: string,
    expires: string,
    signature: string,
    clientIp?: string,
  ): Promise<FileRecord> {
    const id = parseId(rawId, 'File');
    await this.verifySignature(`files/${id}/content`, expires, signature);
    const file = await this.repos.files.findById(id);
    if (!file || file.uploadStatus !== 'complete') throw notFound(`File id '${id}' doesn't exist`);
    await this.audit(file, 'file.download', { kind: 'signed-url' }, clientIp);
    return file;
  }

  /** A complete file by id, for callers that checked a signature instead of a principal. */
  async internalFile(rawId: string): Promise<FileRecord> {
    const id = parseId(rawId, 'File');
    const file = await this.repos.files.findById(id);
    if (!file || file.uploadStatus !== 'complete') throw notFound(`File id '${id}' doesn't exist`);
    return file;
  }

  /** Streams the file's bytes, or the inclusive range of them. */
  content(file: FileRecord, range?: ByteRange): Promise<Readable> {
    if (file.size === 0) return Promise.resolve(Readable.from([]));
    return this.blobs.read(file.storageKey!, range);
  }

  /**
   * A URL that downloads the file with no auth header until it expires (spec 4.10): the store's
   * own pre-signed URL (S3), or an HMAC-signed URL of this hub (local storage).
   */
  async contentUrl(
    principal: Principal,
    fileId: string,
    origin: string,
  ): Promise<{ url: string; expires: Date }> {
    const file = await this.downloadable(principal, fileId);
    await this.audit(file, 'file.download.url', this.access.actor(principal), principal.clientIp);
    const ttl = this.options.signedUrlTtlSeconds;
    const expires = new Date(this.clock.now().getTime() + ttl * 1000);
    const presigned =
      file.size > 0
        ? await this.blobs.presignedUrl(file.storageKey!, {
            expiresInSeconds: ttl,
            fileName: file.name,
            contentType: file.contentType,
          })
        : undefined;
    if (presigned) return { url: presigned, expires };
    const exp = String(Math.floor(expires.getTime() / 1000));
    const sig = this.sign(file.id, exp, await this.key()).toString('base64url');
    return {
      url: `${origin}/v1pre3/files/${file.id}/content?expires=${exp}&signature=${sig}`,
      expires,
    };
  }

  private sign(fileId: string, expires: string, key: Buffer): Buffer {
    return this.signWith(`files/${fileId}/content`, expires, key);
  }

  private signWith(subject: string, expires: string, key: Buffer): Buffer {
    return createHmac('sha256', key).update(`${subject}:${expires}`).digest();
  }

  /**
   * A signature over `subject` valid until `expires` (unix seconds), with the hub-wide key: for
   * other self-authorising URLs of this hub (htsget data slices, issue 7).
   */
  async signature(subject: string, expires: string): Promise<string> {
    return this.signWith(subject, expires, await this.key()).toString('base64url');
  }

  /** Throws `BASESPACE.FILES.SIGNATURE_INVALID` unless `signature` signs `subject` and is current. */
  async verifySignature(subject: string, expires: string, signature: string): Promise<void> {
    const expected = this.signWith(subject, expires, await this.key());
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AppError(
        'BASESPACE.FILES.SIGNATURE_INVALID',
        'The signed URL is not valid (altered or not ours)',
      );
    }
    if (!/^\d{1,12}$/.test(expires) || Number(expires) * 1000 < this.clock.now().getTime()) {
      throw new AppError(
        'BASESPACE.FILES.SIGNATURE_INVALID',
        'The signed URL has expired: ask for a new one',
      );
    }
  }

  /** The hub-wide URL-signing key: made once, kept in the database so every process shares it. */
  private async key(): Promise<Buffer> {
    if (!this.signingKey) {
      const value = await this.repos.settings.putIfAbsent(
        SIGNING_KEY_SETTING,
        randomBytes(32).toString('hex'),
      );
      this.signingKey = Buffer.from(value, 'hex');
    }
    return this.signingKey;
  }

  /**
   * Removes what interrupted uploads left behind, once nothing has touched it for `graceMs`:
   * half-written blobs, single-part uploads that never finished, parts no file refers to, and
   * multipart uploads idle for `multipartGraceMs`. Assemblies cut short go back to pending.
   */
  async sweep(options: {
    graceMs: number;
    multipartGraceMs: number;
  }): Promise<{ files: number; blobs: number }> {
    const now = this.clock.now().getTime();
    const before = new Date(now - options.graceMs);
    const beforeIso = before.toISOString();
    let files = 0;
    const blobs: string[] = [];
    for (const f of await this.repos.files.stale('pending', beforeIso, false, 10_000)) {
      blobs.push(fileBlobKey(f.id));
      await this.repos.files.delete(f.id);
      files++;
    }
    for (const f of await this.repos.files.stale('assembling', beforeIso, true, 10_000)) {
      await this.repos.files.transition(f.id, 'assembling', { uploadStatus: 'pending' });
    }
    const idleBefore = new Date(now - options.multipartGraceMs).toISOString();
    for (const f of await this.repos.files.stale('pending', idleBefore, true, 10_000)) {
      if (await this.repos.files.transition(f.id, 'pending', { uploadStatus: 'aborted' })) {
        blobs.push(
          ...(await this.repos.files.listParts(f.id)).map((p) => p.storageKey),
          fileBlobKey(f.id),
        );
        await this.repos.files.deleteParts(f.id);
        files++;
      }
    }
    blobs.push(...(await this.blobs.listOlderThan('tmp/', before)));
    const partKeys = await this.blobs.listOlderThan(UPLOAD_PARTS_PREFIX, before);
    const byFile = new Map<string, string[]>();
    for (const k of partKeys) {
      const fileId = k.slice(UPLOAD_PARTS_PREFIX.length).split('/')[0]!;
      byFile.set(fileId, [...(byFile.get(fileId) ?? []), k]);
    }
    for (const [fileId, keys] of byFile) {
      const live = new Set((await this.repos.files.listParts(fileId)).map((p) => p.storageKey));
      blobs.push(...keys.filter((k) => !live.has(k)));
    }
    await this.blobs.delete(blobs);
    return { files, blobs: blobs.length };
  }
}

/** Part numbers missing from 1..max. */
function missingParts(parts: readonly FilePart[]): number[] {
  if (parts.length === 0) return [1];
  const have = new Set(parts.map((p) => p.number));
  const missing: number[] = [];
  for (let n = 1; n <= parts.at(-1)!.number; n++) if (!have.has(n)) missing.push(n);
  return missing;
}

function summarize(numbers: number[]): string {
  return numbers.length > 20
    ? `${numbers.slice(0, 20).join(', ')} and ${numbers.length - 20} more`
    : numbers.join(', ');
}

/** `Content-MD5` is base64 of the 16 digest bytes (RFC 1864); some clients send hex. */
function decodeContentMd5(value: string): string {
  const v = value.trim();
  if (/^[0-9a-fA-F]{32}$/.test(v)) return v.toLowerCase();
  const bytes = Buffer.from(v, 'base64');
  if (bytes.length !== 16)
    throw badRequest('Content-MD5 must be the base64 of a 16-byte MD5 digest');
  return bytes.toString('hex');
}
