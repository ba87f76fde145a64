import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type { Staging, StagingArea } from '../../ports.js';
import { LocalDemuxSink } from './local.run-folder.js';

/** Keys become folder names: letters, digits, `-` and `_` only. */
const KEY = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * Staging areas as folders under `<data dir>/staging`, whatever the storage kind: outputs are
 * appended there while a job runs and uploaded to the blob store only when it succeeds (S3 has
 * no append, and a local folder keeps half-made outputs out of the store).
 */
export class LocalStaging implements Staging {
  constructor(private readonly root: string) {}

  async open(key: string): Promise<StagingArea> {
    if (!KEY.test(key)) throw new Error(`bad staging key '${key}'`);
    const dir = join(this.root, key);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    return new LocalStagingArea(dir);
  }
}

class LocalStagingArea extends LocalDemuxSink implements StagingArea {
  constructor(private readonly dir: string) {
    super(dir);
  }

  async list(): Promise<{ name: string; size: number }[]> {
    const out: { name: string; size: number }[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const full = join(d, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.isFile())
          out.push({
            name: relative(this.dir, full).split(sep).join('/'),
            size: (await stat(full)).size,
          });
      }
    };
    await walk(this.dir);
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  open(name: string): Promise<Readable> {
    return Promise.resolve(createReadStream(join(this.dir, ...name.split('/'))));
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
