import { createReadStream } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { RunFolderSource } from '../../services/index.js';
import { CliError } from '../runtime.js';

/**
 * Lists every regular file under `root` (symlinks to files are followed, as instrument output
 * copied with `cp -s` uses them; symlinked folders are not, so a loop cannot be walked forever).
 */
export async function runFolderSource(root: string): Promise<RunFolderSource> {
  let top;
  try {
    top = await lstat(root);
  } catch {
    throw new CliError(`run folder '${root}' does not exist`);
  }
  if (!top.isDirectory()) throw new CliError(`'${root}' is not a folder`);
  const files: { path: string; size: number }[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() || e.isSymbolicLink()) {
        const st = e.isSymbolicLink() ? await stat(full) : await lstat(full);
        if (st.isFile())
          files.push({ path: relative(root, full).split(sep).join('/'), size: st.size });
      }
    }
  };
  await walk(root);
  return {
    files,
    open: async (path) => createReadStream(join(root, ...path.split('/'))),
  };
}
