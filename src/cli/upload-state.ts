import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What `seqhub run upload` remembers between tries of one folder to one hub: the run it created
 * and the multipart uploads under way (so a large file resumes at its parts, not from zero).
 */
export interface UploadState {
  version: 1;
  apiServer: string;
  folder: string;
  runId: string;
  /** Pending multipart uploads by file path, valid while the local file keeps size and mtime. */
  multipart: Record<string, { fileId: string; partSize: number; size: number; mtimeMs: number }>;
}

/**
 * The state file of `folder` (an absolute, resolved path) uploaded to `apiServer`: one small JSON
 * file per pair under `<config dir>/uploads/`, named by a hash of the pair.
 */
export function statePath(configDir: string, apiServer: string, folder: string): string {
  const key = createHash('sha256').update(`${apiServer}\n${folder}`).digest('hex').slice(0, 32);
  return join(configDir, 'uploads', `${key}.json`);
}

export async function loadState(
  path: string,
  apiServer: string,
  folder: string,
): Promise<UploadState | undefined> {
  let parsed: Partial<UploadState>;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<UploadState>;
  } catch {
    return undefined;
  }
  if (
    parsed.version !== 1 ||
    parsed.apiServer !== apiServer ||
    parsed.folder !== folder ||
    typeof parsed.runId !== 'string'
  )
    return undefined;
  return { ...(parsed as UploadState), multipart: parsed.multipart ?? {} };
}

/** Writes the state whole (temporary file, then rename), so a kill never leaves half a file. */
export async function saveState(path: string, state: UploadState): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(state), { mode: 0o600 });
  await rename(tmp, path);
}

export async function removeState(path: string): Promise<void> {
  await rm(path, { force: true });
}
