import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { contentTypeOf } from '../domain/index.js';
import {
  ApiError,
  DEFAULT_PART_SIZE,
  mapConcurrent,
  type FileParentRef,
  type HubFile,
  type SeqhubClient,
} from '../sdk/index.js';
import { fileBlob, md5Hex, md5OfFile } from '../sdk/node.js';
import {
  createHolder,
  getAppSession,
  getHolder,
  holderFiles,
  setAppSessionStatus,
  type FileHolder,
} from '../sdk/transfer.js';
import { ProgressLine } from './progress.js';
import { ExitCodes } from './exit-codes.js';
import { FILE_CONCURRENCY } from './transfer-common.js';
import { CliError } from './runtime.js';

/** A local file and the path it takes in the sample or app result. */
export interface LocalFile {
  local: string;
  path: string;
  size: number;
  mtimeMs: number;
}

/** `*`, `?` and `**` globs (and `{a,b}`) as a RegExp over `/`-separated paths. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        out += '(?:.*/)?';
      } else out += '.*';
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '{') out += '(?:';
    else if (c === '}') out += ')';
    else if (c === ',' && out.includes('(?:')) out += '|';
    else out += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** A glob without `/` matches a file's name in any folder (as rsync and .gitignore do). */
function matcher(globs: string[]): (path: string) => boolean {
  const tests = globs.map((g) => ({ re: globToRegExp(g), anywhere: !g.includes('/') }));
  return (path) =>
    tests.some(({ re, anywhere }) => re.test(path) || (anywhere && re.test(basename(path))));
}

/**
 * The files of `paths`: a file goes to the top of the holder under its name, a folder's files
 * under the folder's name and their relative paths (as `cp -r`), walked recursively. Only files
 * matching an `include` glob (when any) and no `exclude` glob are kept. Every kept file must be
 * readable: a file that is not is refused here, before anything is created on the hub.
 */
export async function localFiles(
  cwd: string,
  paths: string[],
  include: string[],
  exclude: string[],
): Promise<LocalFile[]> {
  const included = include.length > 0 ? matcher(include) : () => true;
  const excluded = matcher(exclude);
  const files: LocalFile[] = [];
  const add = async (local: string, path: string) => {
    if (!included(path) || excluded(path)) return;
    const st = await stat(local);
    try {
      await access(local, constants.R_OK);
    } catch {
      throw new CliError(`cannot read '${local}': permission denied`, ExitCodes.badInput);
    }
    files.push({ local, path, size: st.size, mtimeMs: st.mtimeMs });
  };
  const walk = async (dir: string, root: string, prefix: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw new CliError(
        `cannot read folder '${dir}': ${(error as { code?: string }).code ?? 'error'}`,
        ExitCodes.badInput,
      );
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full, root, prefix);
      else if (e.isFile() || e.isSymbolicLink()) {
        const st = await stat(full).catch(() => undefined);
        if (st?.isFile()) await add(full, `${prefix}${relative(root, full).split(sep).join('/')}`);
      }
    }
  };
  for (const p of paths) {
    const local = resolve(cwd, p);
    const st = await stat(local).catch(() => undefined);
    if (!st) throw new CliError(`'${p}' does not exist`, ExitCodes.badInput);
    if (st.isDirectory()) await walk(local, local, `${basename(local)}/`);
    else await add(local, basename(local));
  }
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path))
      throw new CliError(
        `two local files would both be uploaded as '${f.path}'`,
        ExitCodes.badInput,
      );
    seen.add(f.path);
  }
  if (files.length === 0)
    throw new CliError('no files to upload (check the paths and --include/--exclude)', 2);
  return files;
}

/** Where the files go: a new sample or app result of a project, or an existing holder. */
export type UploadTarget =
  | { create: 'samples' | 'appresults'; projectId: string; name: string; description?: string }
  | { existing: FileParentRef };

export interface UploadFilesOptions {
  client: SeqhubClient;
  target: UploadTarget;
  files: LocalFile[];
  configDir: string;
  partSize?: number;
  progress?: (text: string) => void;
  info: (line: string) => void;
  signal: AbortSignal;
}

interface UploadFilesState {
  version: 1;
  holderId: string;
  /** Pending multipart uploads by path, valid while the local file keeps size and mtime. */
  multipart: Record<string, { fileId: string; partSize: number; size: number; mtimeMs: number }>;
}

export interface UploadFilesResult {
  holder: FileHolder;
  filesUploaded: number;
  filesSkipped: number;
  bytesUploaded: number;
}

/**
 * Uploads `files` into the target, resumably: a state file (per hub, target and set of local
 * paths) keeps the sample or app result created by an earlier try and its multipart uploads;
 * files the holder already holds with the same size and MD5 are skipped. A holder this command
 * created has its AppSession set Complete at the end (not before, so a resumed try can still add).
 */
export async function uploadFiles(options: UploadFilesOptions): Promise<UploadFilesResult> {
  const { client, target, files, signal } = options;
  const http = client.http;
  await client.currentUser(signal);
  const key = createHash('sha256')
    .update(JSON.stringify([http.baseUrl, target, files.map((f) => f.local).sort()]))
    .digest('hex')
    .slice(0, 32);
  const stateFile = join(options.configDir, 'uploads', `files-${key}.json`);
  let state = await loadState(stateFile);
  let holder: FileHolder | undefined;
  if ('existing' in target) holder = await getHolder(http, target.existing, signal);
  else if (state) {
    try {
      holder = await getHolder(http, { kind: target.create, id: state.holderId }, signal);
      const session = holder.appSessionId
        ? await getAppSession(http, holder.appSessionId, signal)
        : undefined;
      if (session?.status === 'Complete') {
        await rm(stateFile, { force: true });
        return { holder, filesUploaded: 0, filesSkipped: files.length, bytesUploaded: 0 };
      }
      options.info(
        `resuming ${target.create === 'samples' ? 'sample' : 'app result'} ${holder.id}`,
      );
    } catch (error) {
      if (!(error instanceof ApiError && (error.status === 404 || error.status === 403)))
        throw error;
      holder = undefined;
    }
  }
  if (!holder && 'create' in target) {
    holder = await createHolder(
      http,
      target.create,
      target.projectId,
      {
        name: target.name,
        ...(target.description !== undefined && { description: target.description }),
      },
      signal,
    );
    state = { version: 1, holderId: holder.id, multipart: {} };
    await saveState(stateFile, state);
  }
  const into: FileHolder = holder!;
  const current: UploadFilesState = state ?? { version: 1, holderId: into.id, multipart: {} };
  let saving = Promise.resolve();
  const save = () => (saving = saving.then(() => saveState(stateFile, current)));

  const held = new Map<string, HubFile>();
  for await (const f of holderFiles(http, into, { signal })) held.set(f.path, f);
  const todo: LocalFile[] = [];
  const conflicts: string[] = [];
  await mapConcurrent(files, FILE_CONCURRENCY, async (file) => {
    const there = held.get(file.path);
    if (!there) todo.push(file);
    else if (there.size !== file.size || there.md5 !== (await md5OfFile(file.local, signal)))
      conflicts.push(file.path);
  });
  if (conflicts.length > 0)
    throw new CliError(
      `${conflicts.sort()[0]}${conflicts.length > 1 ? ` (and ${conflicts.length - 1} more)` : ''} is already in ${into.kind}/${into.id} with other content; files cannot be replaced`,
      ExitCodes.conflict,
    );
  todo.sort((a, b) => (a.path < b.path ? -1 : 1));
  const total = files.reduce((s, f) => s + f.size, 0);
  const doneBytes = total - todo.reduce((s, f) => s + f.size, 0);
  const progress = new ProgressLine(options.progress, {
    bytes: total,
    files: files.length,
    bytesDone: doneBytes,
    filesDone: files.length - todo.length,
  });
  let bytesUploaded = 0;
  const inner = new AbortController();
  const onAbort = () => inner.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await mapConcurrent(todo, FILE_CONCURRENCY, async (file) => {
      try {
        const slash = file.path.lastIndexOf('/');
        const prior = current.multipart[file.path];
        const resume =
          prior && prior.size === file.size && prior.mtimeMs === file.mtimeMs ? prior : undefined;
        let reported = 0;
        await client.uploadFile(into, await fileBlob(file.local), {
          name: file.path.slice(slash + 1),
          directory: slash < 0 ? '' : file.path.slice(0, slash),
          contentType: contentTypeOf(file.path),
          partSize: resume?.partSize ?? options.partSize ?? DEFAULT_PART_SIZE,
          ...(resume && { resumeFileId: resume.fileId }),
          md5: md5Hex,
          signal: inner.signal,
          onMultipartStart: async (fileId, cut) => {
            current.multipart[file.path] = {
              fileId,
              partSize: cut,
              size: file.size,
              mtimeMs: file.mtimeMs,
            };
            await save();
          },
          onPartReused: (bytes) => (bytesUploaded -= bytes),
          onProgress: (done) => {
            progress.addBytes(done - reported);
            bytesUploaded += done - reported;
            reported = done;
          },
        });
      } catch (error) {
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
  if ('create' in target && into.appSessionId)
    await setAppSessionStatus(http, into.appSessionId, 'Complete', 'uploaded by seqhub', signal);
  await rm(stateFile, { force: true });
  return {
    holder: into,
    filesUploaded: todo.length,
    filesSkipped: files.length - todo.length,
    bytesUploaded,
  };
}

async function loadState(path: string): Promise<UploadFilesState | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<UploadFilesState>;
    if (parsed.version !== 1 || typeof parsed.holderId !== 'string') return undefined;
    return { version: 1, holderId: parsed.holderId, multipart: parsed.multipart ?? {} };
  } catch {
    return undefined;
  }
}

/** Written whole (temporary file, then rename), so a kill never leaves half a state. */
async function saveState(path: string, state: UploadFilesState): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(state), { mode: 0o600 });
  await rename(tmp, path);
}
