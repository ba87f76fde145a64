import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AppSandbox, AppWorkspace, ExecOptions, ExecResult } from '../../ports.js';

const KEY = /^[A-Za-z0-9_-]{1,100}$/;
/** After SIGTERM a process tree gets this long to exit before SIGKILL (samtools flushes fast). */
const KILL_GRACE_MS = 2000;
/** A log line longer than this is cut: one runaway line must not fill the log table. */
const MAX_LINE = 4000;
/** The only PATH apps get: Debian's tools, nothing from the hub's own environment. */
const SAFE_PATH = '/usr/local/bin:/usr/bin:/bin';

/**
 * App working folders under `<data dir>/staging/apps` (issue 12). Each run gets its own folder
 * and runs `bash` there in a new process group, so a stop or a time limit ends every process it
 * started. The environment is built from scratch (no hub secrets: database URL, S3 keys, tokens),
 * and `ulimit -v` caps each process's address space (RLIMIT_AS; portable where cgroups are not
 * writable, see docs/apps.md).
 */
export class LocalAppSandbox implements AppSandbox {
  constructor(private readonly root: string) {}

  async open(key: string): Promise<AppWorkspace> {
    if (!KEY.test(key)) throw new Error(`bad workspace key '${key}'`);
    const dir = join(this.root, key);
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(dir, 'tmp'), { recursive: true });
    return new LocalWorkspace(dir);
  }
}

class LocalWorkspace implements AppWorkspace {
  constructor(private readonly dir: string) {}

  private path(rel: string): string {
    const full = resolve(this.dir, ...rel.split('/'));
    if (full !== this.dir && !full.startsWith(this.dir + sep))
      throw new Error(`path '${rel}' leaves the workspace`);
    return full;
  }

  async write(path: string, source: Readable, signal?: AbortSignal): Promise<number> {
    const full = this.path(path);
    await mkdir(dirname(full), { recursive: true });
    await pipeline(source, createWriteStream(full), { signal });
    return (await stat(full)).size;
  }

  async list(folder: string): Promise<{ name: string; size: number }[]> {
    const base = this.path(folder);
    const out: { name: string; size: number }[] = [];
    const walk = async (d: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(d, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const e of entries) {
        const full = join(d, e.name);
        // Symbolic links are not followed: an app must not publish files from outside its folder.
        if (e.isDirectory()) await walk(full);
        else if (e.isFile())
          out.push({
            name: relative(base, full).split(sep).join('/'),
            size: (await stat(full)).size,
          });
      }
    };
    await walk(base);
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  open(path: string): Promise<Readable> {
    return Promise.resolve(createReadStream(this.path(path)));
  }

  exec(script: string, options: ExecOptions): Promise<ExecResult> {
    const kb = Math.max(1, Math.floor(options.memoryBytes / 1024));
    const child = spawn('bash', ['-c', `ulimit -v ${kb} || exit 125\nexec bash -c "$0"`, script], {
      cwd: this.dir,
      detached: true, // its own process group: killing -pid ends the whole tree
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...options.env,
        PATH: SAFE_PATH,
        HOME: this.dir,
        TMPDIR: join(this.dir, 'tmp'),
        LC_ALL: 'C',
      },
    });
    let timedOut = false;
    let aborted = false;
    const killTree = () => {
      if (child.pid === undefined || child.exitCode !== null) return;
      const kill = (sig: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, sig);
        } catch {
          // already gone
        }
      };
      kill('SIGTERM');
      setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killTree();
    }, options.timeLimitMs);
    timer.unref();
    const onAbort = () => {
      aborted = true;
      killTree();
    };
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
    const lines = (stream: Readable) => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (rest + chunk).split(/\r?\n|\r/);
        rest = parts.pop() ?? '';
        if (rest.length > MAX_LINE) {
          options.onLine(rest.slice(0, MAX_LINE));
          rest = '';
        }
        for (const p of parts) options.onLine(p.slice(0, MAX_LINE));
      });
      return new Promise<void>((done) =>
        stream.on('end', () => {
          if (rest) options.onLine(rest.slice(0, MAX_LINE));
          done();
        }),
      );
    };
    const outputs = Promise.all([lines(child.stdout), lines(child.stderr)]);
    return new Promise<ExecResult>((done, fail) => {
      child.on('error', (error) => {
        clearTimeout(timer);
        options.signal.removeEventListener('abort', onAbort);
        fail(error);
      });
      child.on('close', (exitCode, exitSignal) => {
        clearTimeout(timer);
        options.signal.removeEventListener('abort', onAbort);
        // Children that outlived the shell (backgrounded by the script) go with it.
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // none left
        }
        void outputs.then(() => done({ exitCode, exitSignal, timedOut, aborted }));
      });
    });
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
