import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AppError, contentTypeOf } from '../domain/index.js';
import {
  ApiError,
  DEFAULT_PART_SIZE,
  SeqhubClient,
  isAbortError,
  mapConcurrent,
  type HubFile,
} from '../sdk/index.js';
import { fileBlob, md5Hex, md5OfFile } from '../sdk/node.js';
// run-folder.js alone, not the services index: a client command need not load every service.
import { readRunFolder } from '../services/run-folder.js';
import { runFolderSource } from './commands/run-import.js';
import { ProgressLine } from './progress.js';
import { CliError } from './runtime.js';
import { ExitCodes, cliErrorOf } from './exit-codes.js';
import { FILE_CONCURRENCY } from './transfer-common.js';
import { loadState, removeState, saveState, statePath, type UploadState } from './upload-state.js';

/** Largest metadata file read to check the folder before uploading (as the hub's own limit). */
const MAX_METADATA_BYTES = 1024 * 1024 * 1024;

export interface RunUploadOptions {
  folder: string;
  apiServer: string;
  accessToken: string;
  /** Where `uploads/` state files go (`~/.seqhub`). */
  configDir: string;
  partSize?: number;
  maxBytesPerSecond?: number;
  /** Writes the progress line (raw, with `\r`); undefined: no progress shown. */
  progress?: (text: string) => void;
  /** Informational lines (resume notes). */
  info: (line: string) => void;
  signal: AbortSignal;
}

export interface RunUploadResult {
  runId: string;
  filesUploaded: number;
  bytesUploaded: number;
  filesSkipped: number;
}

/**
 * `seqhub run upload`: checks the folder locally (as the hub will), finds the run a previous try
 * left `Uploading` (state file) or creates one, uploads the files the hub does not hold yet (same
 * path, size and MD5), several at once, and completes the run.
 */
export async function uploadRunFolder(options: RunUploadOptions): Promise<RunUploadResult> {
  try {
    return await upload(options);
  } catch (error) {
    throw asCliError(error, options);
  }
}

async function upload(options: RunUploadOptions): Promise<RunUploadResult> {
  const { signal } = options;
  const source = await runFolderSource(options.folder).catch((error: unknown) => {
    throw error instanceof CliError ? new CliError(error.message, ExitCodes.badInput) : error;
  });
  const root = await realpath(options.folder);
  const facts = await readRunFolder(
    source.files.map((f) => f.path),
    async (path) => {
      const file = source.files.find((f) => f.path === path);
      if (!file) return undefined;
      if (file.size > MAX_METADATA_BYTES)
        throw new CliError(
          `${path} is larger than ${MAX_METADATA_BYTES} bytes`,
          ExitCodes.badInput,
        );
      return new Uint8Array(await readFile(join(root, ...path.split('/'))));
    },
  );
  const client = new SeqhubClient({
    baseUrl: options.apiServer,
    accessToken: options.accessToken,
    maxUploadBytesPerSecond: options.maxBytesPerSecond,
  });
  await client.currentUser(signal);

  const stateFile = statePath(options.configDir, client.http.baseUrl, root);
  let state = await loadState(stateFile, client.http.baseUrl, root);
  let runId: string | undefined;
  let resumed = false;
  if (state) {
    try {
      const run = await client.getRun(state.runId, signal);
      if (run.status === 'Complete') {
        await removeState(stateFile);
        return {
          runId: run.id,
          filesUploaded: 0,
          bytesUploaded: 0,
          filesSkipped: source.files.length,
        };
      }
      if (run.status === 'Uploading') {
        runId = run.id;
        resumed = true;
      }
    } catch (error) {
      if (!(error instanceof ApiError && (error.status === 404 || error.status === 403)))
        throw error;
    }
  }
  if (runId === undefined) {
    const run = await client.createRun(
      {
        name: facts.patch.name ?? basename(root),
        ...(facts.patch.experimentName !== undefined && {
          experimentName: facts.patch.experimentName,
        }),
      },
      signal,
    );
    runId = run.id;
    state = { version: 1, apiServer: client.http.baseUrl, folder: root, runId, multipart: {} };
    await saveState(stateFile, state);
  }
  const current: UploadState = state!;
  // Saves one at a time, in order, so a slower earlier write never replaces a later one.
  let saving = Promise.resolve();
  const save = () => (saving = saving.then(() => saveState(stateFile, current)));

  const held = new Map<string, HubFile>();
  for await (const f of client.listRunFiles(runId, { signal })) held.set(f.path, f);
  const todo: { path: string; size: number }[] = [];
  let skippedBytes = 0;
  const conflicts: string[] = [];
  await mapConcurrent(source.files, FILE_CONCURRENCY, async (file) => {
    const there = held.get(file.path);
    if (!there) return;
    const local = join(root, ...file.path.split('/'));
    if (there.size !== file.size || there.md5 !== (await md5OfFile(local, signal)))
      conflicts.push(file.path);
  });
  if (conflicts.length > 0)
    throw new CliError(
      `${conflicts.sort()[0]}${conflicts.length > 1 ? ` (and ${conflicts.length - 1} more)` : ''} on the hub (run ${runId}) differs from the local file; a run's uploaded files cannot be replaced`,
      ExitCodes.conflict,
    );
  for (const file of source.files) {
    if (held.has(file.path)) skippedBytes += file.size;
    else todo.push(file);
  }
  if (resumed)
    options.info(
      `resuming run ${runId}: ${source.files.length - todo.length} of ${source.files.length} files already on the hub`,
    );

  const total = source.files.reduce((sum, f) => sum + f.size, 0);
  const progress = new ProgressLine(options.progress, {
    bytes: total,
    files: source.files.length,
    bytesDone: skippedBytes,
    filesDone: source.files.length - todo.length,
  });
  let bytesUploaded = 0;
  const id = runId;
  const inner = new AbortController();
  const onAbort = () => inner.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const uploadOne = async (path: string) => {
    const local = join(root, ...path.split('/'));
    const st = await stat(local);
    const slash = path.lastIndexOf('/');
    // A multipart upload a previous try started resumes with its part size, if the file is unchanged.
    const prior = current.multipart[path];
    const resume =
      prior && prior.size === st.size && prior.mtimeMs === st.mtimeMs ? prior : undefined;
    const partSize = resume?.partSize ?? options.partSize ?? DEFAULT_PART_SIZE;
    let reported = 0;
    await client.uploadRunFile(id, await fileBlob(local), {
      name: path.slice(slash + 1),
      directory: slash < 0 ? '' : path.slice(0, slash),
      contentType: contentTypeOf(path),
      partSize,
      ...(resume && { resumeFileId: resume.fileId }),
      md5: md5Hex,
      signal: inner.signal,
      onMultipartStart: async (fileId, cut) => {
        current.multipart[path] = { fileId, partSize: cut, size: st.size, mtimeMs: st.mtimeMs };
        await save();
      },
      onPartReused: (bytes) => (bytesUploaded -= bytes),
      onProgress: (done) => {
        progress.addBytes(done - reported);
        bytesUploaded += done - reported;
        reported = done;
      },
    });
  };
  try {
    await mapConcurrent(todo, FILE_CONCURRENCY, async (file) => {
      try {
        await uploadOne(file.path);
      } catch (error) {
        // The first failure stops the other uploads at once instead of letting them run on.
        inner.abort(error);
        throw error;
      }
      progress.fileDone();
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
    progress.finish();
    await saving.catch(() => undefined);
  }
  await client.completeRunUpload(id, signal);
  await removeState(stateFile);
  return {
    runId: id,
    filesUploaded: todo.length,
    bytesUploaded,
    filesSkipped: source.files.length - todo.length,
  };
}

/** One clear line and the exit code that says what kind of failure it was (docs/cli.md). */
function asCliError(error: unknown, options: RunUploadOptions): unknown {
  if (error instanceof CliError) return error;
  if (isAbortError(error) || options.signal.aborted)
    return new CliError(
      'interrupted; the run stays Uploading: run the same command again to resume',
      ExitCodes.interrupted,
    );
  if (error instanceof AppError)
    return new CliError(
      error.message,
      error.httpStatus < 500 ? ExitCodes.badInput : ExitCodes.unexpected,
    );
  if (error instanceof ApiError && error.errorCode === 'BASESPACE.RUNS.FOLDER_INVALID')
    return new CliError(
      `${error.message || error.errorCode} (HTTP ${error.status} ${error.errorCode})`,
      ExitCodes.badInput,
    );
  return cliErrorOf(error);
}
