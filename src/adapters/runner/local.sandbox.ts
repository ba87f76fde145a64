import { execFile, spawn } from 'node:child_process';
import { createReadStream, createWriteStream, lstatSync, readlinkSync } from 'node:fs';
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

/** Where a run's folder appears inside the bubblewrap sandbox. */
const SANDBOX_DIR = '/work';

/**
 * How apps are walled off from the hub (SEQHUB_APP_ISOLATION, docs/apps.md):
 * - `bwrap`: each run in a bubblewrap sandbox (Debian `bubblewrap`): new user, PID, network, IPC
 *   and UTS namespaces, no capabilities; the file system holds only `/usr` (read-only, with the
 *   merged-/usr links), a few files of `/etc` the tools need, a private `/tmp`, and the run's own
 *   folder at `/work`. The app cannot read the hub's database, blobs, settings or other runs,
 *   cannot see other processes, and has no network (not even the hub on 127.0.0.1).
 * - `process`: its own process group and an environment built from nothing, as the hub's OS user
 *   (it could read what that user can read): for machines without user namespaces.
 */
export type AppIsolation = 'bwrap' | 'process';

/** The `/etc` entries tools need (Debian alternatives such as awk, the loader cache, time zone). */
const ETC_ENTRIES = ['/etc/alternatives', '/etc/ld.so.cache', '/etc/localtime'];

/** bubblewrap's arguments for a run folder: the file system described at {@link AppIsolation}. */
function bwrapArgs(dir: string): string[] {
  const args = ['--unshare-all', '--die-with-parent', '--hostname', 'seqhub-app'];
  args.push('--ro-bind', '/usr', '/usr');
  // Merged /usr (Debian 12): /bin, /lib... are links into /usr; elsewhere they are folders.
  for (const top of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    let link: string | undefined;
    try {
      if (lstatSync(top).isSymbolicLink()) link = readlinkSync(top);
    } catch {
      continue; // not on this machine
    }
    if (link !== undefined) args.push('--symlink', link, top);
    else args.push('--ro-bind', top, top);
  }
  for (const entry of ETC_ENTRIES) args.push('--ro-bind-try', entry, entry);
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  args.push('--bind', dir, SANDBOX_DIR, '--chdir', SANDBOX_DIR);
  return args;
}

/**
 * Whether bubblewrap is installed and may create its namespaces here (a container may forbid
 * user namespaces): runs `true` in the same sandbox an app gets.
 */
export function bwrapWorks(): Promise<boolean> {
  return new Promise((done) => {
    execFile(
      'bwrap',
      [...bwrapArgs('/tmp'), '/usr/bin/true'],
      { timeout: 10_000, env: { PATH: SAFE_PATH } },
      (error) => done(!error),
    );
  });
}

/**
 * App working folders under `<data dir>/staging/apps` (issue 12). Each run gets its own folder
 * and runs `bash` there in a new process group, so a stop or a time limit ends every process it
 * started; with `bwrap` isolation inside a sandbox that sees nothing else ({@link AppIsolation}).
 * The environment is built from scratch (no hub secrets: database URL, S3 keys, tokens), and
 * `ulimit -v` caps each process's address space (RLIMIT_AS; portable where cgroups are not
 * writable, see docs/apps.md).
 */
export class LocalAppSandbox implements AppSandbox {
  constructor(
    private readonly root: string,
    readonly isolation: AppIsolation = 'process',
  ) {}

  async open(key: string): Promise<AppWorkspace> {
    if (!KEY.test(key)) throw new Error(`bad workspace key '${key}'`);
    const dir = join(this.root, key);
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(dir, 'tmp'), { recursive: true });
    return new LocalWorkspace(dir, this.isolation);
  }
}

class LocalWorkspace implements AppWorkspace {
  constructor(
    private readonly dir: string,
    private readonly isolation: AppIsolation,
  ) {}

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
    const bash = ['bash', '-c', `ulimit -v ${kb} || exit 125\nexec bash -c "$0"`, script];
    const sandboxed = this.isolation === 'bwrap';
    const home = sandboxed ? SANDBOX_DIR : this.dir;
    const [command, ...args] = sandboxed ? ['bwrap', ...bwrapArgs(this.dir), ...bash] : bash;
    // With bwrap the tree is the sandbox's: bwrap stays in this process group, its PID namespace
    // dies with its first process, and --die-with-parent ends it if bwrap itself is killed.
    const child = spawn(command!, args, {
      cwd: this.dir,
      detached: true, // its own process group: killing -pid ends the whole tree
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...options.env,
        PATH: SAFE_PATH,
        HOME: home,
        TMPDIR: `${home}/tmp`,
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
