import { once } from 'node:events';
import os from 'node:os';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import {
  coverageBucketSizes,
  genomicKindOf,
  genomicsKey,
  type ContigCoverage,
  type ContigInfo,
  type FileRecord,
  type GenomicsManifest,
  type IndexStatus,
} from '../../domain/index.js';
import {
  FormatError,
  indexBam,
  indexBgzfVcf,
  isBgzf,
  isGzip,
  recompressAndIndexVcf,
} from '../../formats/index.js';
import type { BlobStore, JobQueue, Repositories } from '../../ports.js';
import { readBlobRange } from './blob-filehandle.js';

/** Pending files a starting hub queues per call (a stopped process may have left them pending). */
const RESUME_BATCH = 1000;

/** How often {@link GenomicsIndexer.idle} looks whether pending files remain. */
const IDLE_POLL_MS = 50;

/** The job that indexes one completed VCF/BAM upload (issue 7). */
export const INDEX_FILE_JOB = 'index-file';

export interface IndexFilePayload {
  fileId: string;
}

/**
 * Builds what region queries need beside a VCF or BAM (issue 7): a tabix or BAI index, the
 * header, and (BAM) coverage at every zoom level, in one pass over the file, then marks the file
 * `ready`, or `failed` with the reason. The work runs as an `index-file` job on the JobQueue
 * (any worker process, after a crash again from scratch): {@link onFileCompleted}, the one seam
 * the FileService calls, queues it. {@link indexFile} is idempotent and safe to re-run: its
 * outputs have fixed keys and the status changes last.
 */
export class GenomicsIndexer {
  constructor(
    private readonly repos: Repositories,
    private readonly blobs: BlobStore,
    private readonly queue: JobQueue,
    private readonly log: (message: string, error?: unknown) => void = () => undefined,
  ) {}

  /** Called once a file's upload is complete; does nothing for files that are not VCF/BAM. */
  readonly onFileCompleted = (file: FileRecord): void => {
    if (file.indexStatus === 'pending') void this.enqueue(file.id);
  };

  /**
   * Queues the file's indexing; at most one queued or active job per file. A queue that cannot
   * take it leaves the file pending, for {@link resumePending} at the next start.
   */
  async enqueue(fileId: string): Promise<void> {
    const payload: IndexFilePayload = { fileId };
    try {
      await this.queue.enqueue(INDEX_FILE_JOB, payload, { singletonKey: `index-file-${fileId}` });
    } catch (error) {
      this.log(`could not queue the indexing of file ${fileId}`, error);
    }
  }

  /** Queues the files left pending (the singleton key skips those already queued). */
  async resumePending(): Promise<number> {
    const files = await this.repos.files.listIndexPending(RESUME_BATCH);
    for (const f of files) await this.enqueue(f.id);
    return files.length;
  }

  /** Resolves once no complete file is pending indexing (for tests and tools). */
  async idle(signal?: AbortSignal): Promise<void> {
    while ((await this.repos.files.listIndexPending(1)).length > 0) {
      signal?.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
    }
  }

  /**
   * Indexes one file, idempotently: a file already `ready` is left alone; otherwise its outputs
   * are (re)written and the status set. Returns the status it ends in; undefined when the file is
   * not a complete VCF/BAM. An abort leaves the file pending for the next start.
   */
  async indexFile(fileId: string, signal?: AbortSignal): Promise<IndexStatus | undefined> {
    const file = await this.repos.files.findById(fileId);
    const kind = file && genomicKindOf(file.name);
    if (!file || !kind || file.uploadStatus !== 'complete') return undefined;
    if (file.indexStatus === 'ready') return 'ready';
    if (file.indexStatus !== 'pending')
      await this.repos.files.setIndexStatus(file.id, 'pending', undefined);
    try {
      if (file.size === 0 || !file.storageKey)
        throw new FormatError('the file is empty', { file: file.name });
      const manifest =
        kind === 'vcf' ? await this.indexVcf(file, signal) : await this.indexBam(file, signal);
      await this.put(genomicsKey(file.id, 'manifest.json'), Buffer.from(JSON.stringify(manifest)));
      await this.repos.files.setIndexStatus(file.id, 'ready', undefined);
      return 'ready';
    } catch (error) {
      if (signal?.aborted) throw error;
      const message =
        error instanceof FormatError
          ? error.message
          : `${file.name}: could not be indexed (${(error as Error).message})`;
      if (!(error instanceof FormatError)) this.log(`indexing file ${file.id} failed`, error);
      await this.repos.files.setIndexStatus(file.id, 'failed', message.slice(0, 1000));
      return 'failed';
    }
  }

  private async indexVcf(file: FileRecord, signal?: AbortSignal): Promise<GenomicsManifest> {
    const key = file.storageKey!;
    const head = await readBlobRange(this.blobs, key, 0, Math.min(file.size, 64));
    let result;
    let dataKey = key;
    let dataSize = file.size;
    if (isBgzf(head)) {
      result = await indexBgzfVcf(abortable(await this.blobs.read(key), signal), file.name);
    } else {
      // Plain text or ordinary gzip: re-compressed to BGZF beside the upload, as `bgzip` would.
      const raw = await this.blobs.read(key);
      const text = isGzip(head) ? raw.pipe(createGunzip()) : raw;
      if (text !== raw) raw.on('error', (e) => text.destroy(e));
      dataKey = genomicsKey(file.id, 'data.vcf.gz');
      const out = new PassThrough();
      const written = this.blobs.write(dataKey, out, { signal });
      try {
        const r = await recompressAndIndexVcf(
          gunzipErrors(abortable(text, signal), file.name),
          async (block) => {
            if (!out.write(block)) await once(out, 'drain');
          },
          file.name,
        );
        out.end();
        await written;
        result = r;
        dataSize = r.size;
      } catch (error) {
        // Without the error: the store may not listen yet, and the error is ours to throw.
        out.destroy();
        await written.catch(() => undefined);
        throw error;
      }
    }
    const indexKey = genomicsKey(file.id, 'index.tbi');
    await this.put(indexKey, result.tbi);
    return {
      version: 1,
      kind: 'vcf',
      dataKey,
      dataSize,
      indexKey,
      header: result.header,
      contigs: vcfContigs(result.header, result.contigs),
      firstRecord: result.firstRecord,
      records: result.records,
    };
  }

  private async indexBam(file: FileRecord, signal?: AbortSignal): Promise<GenomicsManifest> {
    // Coverage streams out one reference at a time (a human genome's level-0 alone is ~90 MB).
    const coverageKey = genomicsKey(file.id, 'coverage.f32');
    const out = new PassThrough();
    const written = this.blobs.write(coverageKey, out, { signal });
    const coverage: ContigCoverage[] = [];
    let offset = 0;
    let result;
    try {
      result = await indexBam(
        abortable(await this.blobs.read(file.storageKey!), signal),
        async (ref, c) => {
          const stored = c.levels.map((level) => {
            const info = { bucketSize: level.bucketSize, offset, count: level.means.length };
            offset += level.means.byteLength;
            return { info, bytes: level.means };
          });
          coverage[ref] = {
            name: '',
            length: c.length,
            maxCoverage: c.maxCoverage,
            levels:
              stored.length > 0
                ? stored.map((x) => x.info)
                : coverageBucketSizes(c.length).map((bucketSize) => ({
                    bucketSize,
                    offset: -1,
                    count: Math.ceil(c.length / bucketSize),
                  })),
          };
          for (const { bytes } of stored) {
            const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
            if (!out.write(littleEndian(buffer))) await once(out, 'drain');
          }
        },
        file.name,
      );
      out.end();
      await written;
    } catch (error) {
      // Without the error: the store may not listen yet, and the error is ours to throw.
      out.destroy();
      await written.catch(() => undefined);
      throw error;
    }
    const refs = result.refs;
    coverage.forEach((c, i) => {
      c.name = refs[i]!.name;
    });
    const indexKey = genomicsKey(file.id, 'index.bai');
    await this.put(indexKey, result.bai);
    return {
      version: 1,
      kind: 'bam',
      dataKey: file.storageKey!,
      dataSize: file.size,
      indexKey,
      header: result.headerText,
      contigs: refs.map((r) => ({ name: r.name, length: r.length })),
      firstRecord: result.firstRecord,
      records: result.records,
      coverageKey,
      coverage,
    };
  }

  private async put(key: string, bytes: Buffer): Promise<void> {
    await this.blobs.write(key, Readable.from([bytes]));
  }
}

/** The header's `##contig` lines (with lengths), then any contig only the records name. */
function vcfContigs(header: string, seen: readonly string[]): ContigInfo[] {
  const contigs: ContigInfo[] = [];
  const names = new Set<string>();
  for (const line of header.split('\n')) {
    if (!line.startsWith('##contig=<')) continue;
    const id = /[<,]ID=([^,>]+)/.exec(line)?.[1];
    const length = /[<,]length=(\d+)/.exec(line)?.[1];
    if (id && !names.has(id)) {
      names.add(id);
      contigs.push({ name: id, length: length === undefined ? undefined : Number(length) });
    }
  }
  for (const name of seen) if (!names.has(name)) contigs.push({ name, length: undefined });
  return contigs;
}

/** Float32 bytes in little-endian order, whatever the machine's (the object is portable). */
function littleEndian(bytes: Buffer): Buffer {
  return os.endianness() === 'LE' ? Buffer.from(bytes) : Buffer.from(bytes).swap32();
}

async function* abortable(
  source: AsyncIterable<Uint8Array>,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    signal?.throwIfAborted();
    yield chunk;
  }
}

/** A gzip stream that does not inflate is the file's fault: a FormatError, not a crash. */
async function* gunzipErrors(
  source: AsyncIterable<Uint8Array>,
  file: string,
): AsyncGenerator<Uint8Array> {
  try {
    yield* source;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code?.startsWith('Z_')) {
      throw new FormatError(`gzip data does not inflate: ${(error as Error).message}`, { file });
    }
    throw error;
  }
}
