import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AppError,
  RUN_IMPORTING,
  badRequest,
  contentTypeOf,
  fileBlobKey,
  filePath,
  isoNow,
  scopeGrantsGlobally,
  scopedIds,
  validName,
  type FileRecord,
  type Page,
  type PageRequest,
  type Run,
} from '../domain/index.js';
import type { BlobStore, Clock, NewRun, Repositories, RunFilter, RunSort } from '../ports.js';
import type { AccessService } from './access.service.js';
import { ChecksumStream, copied as copiedInto } from './checksums.js';
import type { Principal } from './principal.js';
import { readRunFolder, type ReadRunFile } from './run-folder.js';

/** A run folder to import: its files (relative `/` paths) and a way to open each one. */
export interface RunFolderSource {
  files: readonly { path: string; size: number }[];
  open(path: string): Promise<Readable>;
}

/**
 * Files copied at once by an import: enough to keep a local disk or an S3 connection pool busy
 * while one file's MD5/SHA-256 runs, few enough that 2 shared vCPUs are not swamped.
 */
const IMPORT_CONCURRENCY = 4;

/** Largest metadata or InterOp file read into memory for parsing (a NovaSeq S4 QMetrics is ~0.5 GiB). */
const MAX_METADATA_BYTES = 1024 * 1024 * 1024;

async function readAll(stream: Readable, limit: number, what: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      stream.destroy();
      throw badRequest(`${what} is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

export class RunService {
  constructor(
    private readonly repos: Repositories,
    private readonly access: AccessService,
    private readonly blobs: BlobStore,
    private readonly clock: Clock,
  ) {}

  get(principal: Principal, id: string): Promise<Run> {
    return this.access.run(principal, id, 'browse');
  }

  list(
    principal: Principal,
    filter: Omit<RunFilter, 'ids'>,
    page: PageRequest<RunSort>,
  ): Promise<Page<Run>> {
    const ids = scopeGrantsGlobally(principal.scope, 'browse')
      ? undefined
      : scopedIds(principal.scope, 'browse', 'run');
    return this.repos.runs.listVisible(this.access.viewer(principal), { ...filter, ids }, page);
  }

  /** Records a run (no files). Used by operators and tests. */
  createRecord(input: NewRun): Promise<Run> {
    return this.repos.transaction(async (tx) => {
      const run = await tx.runs.create(input);
      await tx.search.reindex('run', run.id); // search index (issue 5)
      return run;
    });
  }

  /** The stored InterOp summary and the run it belongs to (`GET runs/{id}/sequencingstats`). */
  async sequencingStats(principal: Principal, id: string): Promise<{ run: Run; stats: unknown }> {
    const run = await this.access.run(principal, id, 'browse');
    return { run, stats: await this.repos.runs.sequencingStats(run.id) };
  }

  /**
   * `POST runs`: a new run in `Uploading`, whose files the client then uploads with the file
   * routes (`POST runs/{id}/files`), finishing with `completeUpload`. Takes a global `create`
   * (or `write`) grant: the spec's `create` on runs means "upload a run".
   */
  async createForUpload(
    principal: Principal,
    input: { name: unknown; experimentName: unknown },
  ): Promise<Run> {
    if (!scopeGrantsGlobally(principal.scope, 'create'))
      throw new AppError('Forbidden', 'Sorry but this requires CREATE access to upload a Run.');
    const name = validName(input.name, 'Name');
    const experimentName =
      input.experimentName === undefined || input.experimentName === null
        ? name
        : validName(input.experimentName, 'ExperimentName');
    const run = await this.repos.runs.create(
      blankRun({
        ownerId: principal.user.id,
        name,
        experimentName,
        status: 'Uploading',
        uploadStartedAt: isoNow(this.clock.now()),
      }),
    );
    await this.repos.search.reindex('run', run.id);
    return run;
  }

  /**
   * `uploadstatus=complete`: reads RunInfo, RunParameters, the sample sheet and InterOp from the
   * uploaded files and sets the run's fields and metrics in one statement, moving it from
   * Uploading to Complete. A folder that does not read is a 400 and the run stays Uploading (the
   * client may upload a fixed file and complete again).
   */
  async completeUpload(principal: Principal, id: string): Promise<Run> {
    const run = await this.access.run(principal, id, 'write');
    if (run.status === 'Complete') return run;
    if (run.status !== 'Uploading')
      throw new AppError(
        'BASESPACE.RUNS.NOT_UPLOADING',
        `Run ${run.id} is ${run.status}, not Uploading`,
      );
    const files = await this.allFiles(run.id);
    const byPath = new Map(files.map((f) => [f.path, f]));
    const read: ReadRunFile = async (path) => {
      const file = byPath.get(path);
      if (!file?.storageKey) return undefined;
      return readAll(await this.blobs.read(file.storageKey), MAX_METADATA_BYTES, path);
    };
    const facts = await readRunFolder([...byPath.keys()], read);
    const done = await this.repos.transaction(async (tx) => {
      const updated = await tx.runs.update(run.id, 'Uploading', {
        ...facts.patch,
        status: 'Complete',
        uploadCompletedAt: isoNow(this.clock.now()),
      });
      if (!updated)
        throw new AppError(
          'BASESPACE.RUNS.NOT_UPLOADING',
          `Run ${run.id} changed while it was completed`,
        );
      await tx.search.reindex('run', run.id);
      return updated;
    });
    return done;
  }

  /**
   * `seqhub admin run import`: reads the folder's metadata first (a bad folder writes nothing),
   * copies every file into storage as pending (invisible) files of an `Importing` (invisible)
   * run, then one transaction completes the files and the run. On any failure the copies, the
   * file rows and the run are removed; a crash leaves only invisible rows and objects that the
   * sweeper removes.
   */
  async importFolder(
    ownerId: string,
    source: RunFolderSource,
    options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<Run> {
    const sizes = new Map(source.files.map((f) => [f.path, f.size]));
    const facts = await readRunFolder([...sizes.keys()], async (path) =>
      sizes.has(path) ? readAll(await source.open(path), MAX_METADATA_BYTES, path) : undefined,
    );
    const places = source.files.map((f) => {
      const slash = f.path.lastIndexOf('/');
      return {
        ...f,
        ...filePath(f.path.slice(slash + 1), slash < 0 ? '' : f.path.slice(0, slash)),
      };
    });
    const now = isoNow(this.clock.now());
    const run = await this.repos.runs.create(
      blankRun({
        ownerId,
        name: facts.patch.name ?? facts.details.runFolder ?? 'run',
        experimentName: facts.patch.experimentName ?? facts.patch.name ?? 'run',
        status: RUN_IMPORTING,
        uploadStartedAt: now,
      }),
    );
    const copied: { file: FileRecord; key: string; sums: ChecksumStream }[] = [];
    try {
      let next = 0;
      let done = 0;
      const worker = async () => {
        while (next < places.length) {
          const place = places[next++]!;
          options.signal?.throwIfAborted();
          const file = await this.repos.files.create({
            parentKind: 'run',
            parentId: run.id,
            ownerId,
            projectId: undefined,
            name: place.name,
            directory: place.directory,
            path: place.path,
            contentType: contentTypeOf(place.name),
            multipart: false,
          });
          const key = fileBlobKey(file.id);
          const sums = new ChecksumStream({ sha256: true });
          copied.push({ file, key, sums });
          const body = await source.open(place.path);
          await copiedInto(
            pipeline(body, sums, { signal: options.signal }),
            this.blobs.write(key, sums, { signal: options.signal }),
          );
          options.onProgress?.(++done, places.length);
        }
      };
      await Promise.all(Array.from({ length: IMPORT_CONCURRENCY }, worker));
      return await this.repos.transaction(async (tx) => {
        for (const { file, key, sums } of copied) {
          const { md5, sha256, crc32 } = sums.digests();
          const complete = await tx.files.transition(file.id, 'pending', {
            uploadStatus: 'complete',
            size: sums.bytes,
            md5,
            sha256: sha256!,
            crc32,
            storageKey: key,
          });
          if (!complete)
            throw new AppError('Conflict', `File ${file.path} changed while it was imported`);
          await tx.files.addToParentSize(complete, complete.size);
          await tx.search.reindex('file', complete.id);
        }
        const updated = await tx.runs.update(run.id, RUN_IMPORTING, {
          ...facts.patch,
          status: 'Complete',
          uploadCompletedAt: isoNow(this.clock.now()),
        });
        if (!updated) throw new AppError('Conflict', `Run ${run.id} changed while it was imported`);
        await tx.search.reindex('run', run.id);
        return updated;
      });
    } catch (error) {
      await this.blobs.delete(copied.map((c) => c.key)).catch(() => undefined);
      for (const { file } of copied) await this.repos.files.delete(file.id).catch(() => undefined);
      await this.repos.runs.deleteImporting(run.id).catch(() => undefined);
      throw error;
    }
  }

  private async allFiles(runId: string): Promise<FileRecord[]> {
    const out: FileRecord[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await this.repos.files.list(
        'run',
        runId,
        {},
        { offset, limit: 1000, sortBy: 'Id', sortDir: 'Asc' },
      );
      out.push(...page.items);
      if (page.items.length < 1000) return out;
    }
  }
}

/** A run before anything is read from its folder: what upload and import start from. */
export function blankRun(
  start: Pick<NewRun, 'ownerId' | 'name' | 'experimentName' | 'status' | 'uploadStartedAt'>,
): NewRun {
  return {
    ...start,
    number: undefined,
    platformName: undefined,
    instrumentName: undefined,
    instrumentType: undefined,
    instrumentSerialNumber: undefined,
    flowcellBarcode: undefined,
    reagentBarcode: undefined,
    workflow: undefined,
    numCyclesRead1: undefined,
    numCyclesRead2: undefined,
    numCyclesIndex1: undefined,
    numCyclesIndex2: undefined,
    uploadCompletedAt: undefined,
    totalSize: 0,
  };
}
