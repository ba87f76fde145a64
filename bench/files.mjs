// Single-stream upload and download of one big file (2 GiB) through the real `seqhub serve` on
// local storage, next to `cp` of the same file on the same disk and nginx serving the same stored
// file on loopback, in the same run; plus the server's RSS growth during each transfer.
// See bench/README.md for the methodology. Spawns the built CLI (../dist): run through
// `npm run bench` (or `BENCH=files npm run bench`), which builds first.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  readdirSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

const intEnv = (name, fallback) => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return n;
};

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const settings = {
  fileBytes: intEnv('BENCH_FILE_BYTES', 2 * GiB),
  runs: intEnv('BENCH_RUNS', 5),
  /** Parent of the bench's temp dir: source file, copies, the hub's data dir, nginx's files. */
  dir: process.env.BENCH_FILES_DIR?.trim() || os.tmpdir(),
  nginx: process.env.BENCH_NGINX?.trim() || '/usr/sbin/nginx',
  /** The hub to measure: another build's main.js for before/after comparisons. */
  hubMain: resolve(process.env.BENCH_HUB_MAIN?.trim() || join(root, 'dist/app/main.js')),
};
const TARGET_UPLOAD_RATIO = 0.5; // ours / (cp + fsync of the copy)
const TARGET_DOWNLOAD_RATIO = 0.7; // ours / nginx
const TARGET_RSS_GROWTH_MB = 100;
const RANDOM_BLOCK = 64 * MiB;
const resultsFile = join(here, 'results', 'files.json');
/** Extra node flags for the served hub, e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);

const log = (line) => process.stdout.write(`${line}\n`);
const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;
const mbps = (bytes, s) => bytes / 1e6 / s;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

// ---------------------------------------------------------------------------------------------
// Clean-up: child processes and the temp dir (several GiB) go away even when the bench fails
// ---------------------------------------------------------------------------------------------

/** child -> signal that stops it (nginx's master must get SIGTERM, or its workers outlive it). */
const children = new Map();
let work;
function cleanUp() {
  for (const [child, signal] of children) child.kill(signal);
  children.clear();
  if (work) rmSync(work, { recursive: true, force: true });
  work = undefined;
}
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    cleanUp();
    process.exit(130);
  });
}

function stopper(child, signal) {
  return () =>
    new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => {
        children.delete(child);
        done();
      });
      child.kill(signal);
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
}

/** Spawns the hub and resolves once it printed its admin token and `listening on http://...`. */
function startHub(dataDir) {
  const child = spawn(
    process.execPath,
    [...nodeArgs, settings.hubMain, 'serve', '--port', '0', '--data-dir', dataDir],
    {
      cwd: root,
      env: { ...process.env, SEQHUB_LOG_LEVEL: 'silent', SEQHUB_STORAGE: 'local' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.set(child, 'SIGKILL');
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const ready = new Promise((resolveReady, reject) => {
    let stdout = '';
    const timer = setTimeout(
      () => reject(new Error(`hub did not start in 60 s\n${stderr}`)),
      60_000,
    );
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      const token = /admin access token: (\S+)/.exec(stdout);
      const url = /listening on (http:\/\/\S+)/.exec(stdout);
      if (token && url) {
        clearTimeout(timer);
        resolveReady({ token: token[1], url: url[1] });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      reject(new Error(`hub exited (${code ?? signal}) before listening\n${stderr}`));
    });
  });
  return { ready, pid: child.pid, stop: stopper(child, 'SIGTERM'), stderr: () => stderr };
}

const GNU_TIME = '/usr/bin/time';
const haveTime = existsSync(GNU_TIME);

/**
 * Runs a command to completion; resolves with its stdout, the wall-clock seconds it took and
 * (through GNU time, when installed) the CPU seconds it used.
 */
function run(cmd, args, { stdout = 'pipe', onStdout, timed = false } = {}) {
  const timeFile =
    timed && haveTime ? join(work, `time-${process.hrtime.bigint()}.txt`) : undefined;
  if (timeFile) [cmd, args] = [GNU_TIME, ['-f', '%U %S', '-o', timeFile, cmd, ...args]];
  return new Promise((resolveRun, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', stdout, 'pipe'] });
    children.set(child, 'SIGKILL');
    let out = '';
    let err = '';
    if (child.stdout) {
      if (onStdout) child.stdout.on('data', onStdout);
      else child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    }
    child.stderr.setEncoding('utf8').on('data', (c) => (err = (err + c).slice(-4000)));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const s = (performance.now() - started) / 1000;
      children.delete(child);
      if (code !== 0)
        reject(new Error(`${cmd} ${args.join(' ')} failed (${code ?? signal}): ${err}`));
      else {
        let cpuS;
        if (timeFile) {
          const [user, system] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number);
          rmSync(timeFile);
          cpuS = user + system;
        }
        resolveRun({ out, s, cpuS });
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// /proc: RSS, peak RSS and CPU time of a process
// ---------------------------------------------------------------------------------------------

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

function memKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** Resets VmHWM to the current RSS (Linux >= 4.0, same user or root). False if not possible. */
let peakResets = false;
function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const { rss, hwm } = memKb(pid);
    return hwm - rss < 1024; // within 1 MB: the reset took
  } catch {
    return false;
  }
}

/** Minor page faults of a process so far: a fresh buffer costs one per 4 KiB page touched. */
function minorFaults(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
}

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime
}

/** CPU seconds spent in processes (user + system) on all CPUs since boot. */
function machineSeconds() {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system] = ticks.map(Number);
  return (user + nice + system) / CLK_TCK;
}

/** CPU seconds of kernel threads (children of kthreadd): writeback of dirty pages, mostly. */
function kernelThreadSeconds() {
  let sum = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (pid === '2' || fields[1] === '2')
        sum += (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
    } catch {
      // gone meanwhile
    }
  }
  return sum;
}

/** Processes whose parent is `pid` (nginx's workers). */
function childPids(pid) {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] === String(pid);
      } catch {
        return false;
      }
    });
}

/**
 * Runs one transfer and measures around it: RSS growth of the serving process (peak during the
 * transfer minus RSS before; `rssPid`), CPU seconds of the server(s) in `cpuPids`, of the client
 * (`result.clientCpuS`), of kernel threads, and of everything else on the machine (`otherCpus`:
 * CPUs other jobs kept busy on average, which skews MB/s on a small machine).
 */
async function measured({ rssPid, cpuPids = [] }, transfer) {
  if (rssPid && peakResets) resetPeak(rssPid);
  const before = rssPid && memKb(rssPid);
  const faults0 = rssPid && minorFaults(rssPid);
  const sum = () => cpuPids.reduce((acc, pid) => acc + cpuSeconds(pid), 0);
  const cpu0 = sum();
  const kernel0 = kernelThreadSeconds();
  const self0 = process.cpuUsage();
  const machine0 = machineSeconds();
  const result = await transfer();
  const machine = machineSeconds() - machine0;
  const self = process.cpuUsage(self0);
  const kernel = kernelThreadSeconds() - kernel0;
  const server = sum() - cpu0;
  const after = rssPid && memKb(rssPid);
  const faults = rssPid && minorFaults(rssPid) - faults0;
  const ours = server + kernel + (self.user + self.system) / 1e6 + (result.clientCpuS ?? NaN);
  const other = (machine - ours) / result.s;
  return {
    ...result,
    serverCpuS: round(server, 2),
    kernelThreadsCpuS: round(kernel, 2),
    otherCpus: Number.isNaN(other) ? undefined : round(Math.max(0, other), 2),
    ...(rssPid && {
      rssBeforeMB: round(before.rss / 1024),
      peakRssMB: round(after.hwm / 1024),
      rssGrowthMB: round((after.hwm - before.rss) / 1024),
      serverMinorFaults: faults,
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// The steps
// ---------------------------------------------------------------------------------------------

/** Writes `bytes` of random-looking data (a 64 MiB random block, repeated) and returns its MD5. */
function makeSourceFile(path, bytes) {
  const block = randomBytes(Math.min(RANDOM_BLOCK, bytes));
  const md5 = createHash('md5');
  const fd = openSync(path, 'w');
  try {
    for (let left = bytes; left > 0;) {
      const chunk = left >= block.length ? block : block.subarray(0, left);
      writeSync(fd, chunk);
      md5.update(chunk);
      left -= chunk.length;
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return md5.digest('hex');
}

/** Flushes all dirty pages so every timed transfer starts from the same clean state. */
const syncAll = () => run('sync', []);

/** `cp` of the source to a new file on the same disk, then fsync of the copy (`sync FILE`). */
async function timeCp(source, copy) {
  const cp = await run('cp', [source, copy], { timed: true });
  // `sync FILE` is fsync(2) on that file, what the hub does to its temp file before the rename.
  const fsync = await run('sync', [copy], { timed: true });
  const bytes = settings.fileBytes;
  return {
    s: round(cp.s + fsync.s, 3),
    cpS: round(cp.s, 3),
    fsyncS: round(fsync.s, 3),
    cpMBps: round(mbps(bytes, cp.s)),
    cpFsyncMBps: round(mbps(bytes, cp.s + fsync.s)),
    clientCpuS: cp.cpuS === undefined ? undefined : round(cp.cpuS + fsync.cpuS, 2),
  };
}

async function api(hub, method, path, body) {
  const res = await fetch(`${hub.url}/v1pre3${path}`, {
    method,
    headers: { 'x-access-token': hub.token, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json.Response;
}

async function upload(hub, appResultId, source, name, md5) {
  const url = `${hub.url}/v1pre3/appresults/${appResultId}/files?name=${name}&directory=`;
  const responseFile = join(work, 'upload-response.json');
  // -T streams the file (and sets Content-Length); --data-binary @file would read it into memory
  // first. -X POST overrides -T's PUT. `Expect:` skips the 100-continue round trip.
  const { out, s, cpuS } = await run(
    'curl',
    [
      '-sS',
      '-X',
      'POST',
      '-T',
      source,
      '-H',
      'Content-Type: application/octet-stream',
      '-H',
      'Expect:',
      '-H',
      `x-access-token: ${hub.token}`,
      '-o',
      responseFile,
      '-w',
      '%{http_code} %{speed_upload}',
      url,
    ],
    { timed: true },
  );
  const [code, curlSpeed] = out.trim().split(' ');
  const text = readFileSync(responseFile, 'utf8');
  if (code !== '200') throw new Error(`upload answered ${code}: ${text}`);
  const file = JSON.parse(text).Response;
  if (file.Size !== settings.fileBytes || file.ETag !== md5)
    throw new Error(
      `upload stored Size ${file.Size}, ETag ${file.ETag}; expected ${settings.fileBytes}, ${md5}`,
    );
  return {
    fileId: file.Id,
    s: round(s, 3),
    MBps: round(mbps(settings.fileBytes, s)),
    curlMBps: round(Number(curlSpeed) / 1e6),
    clientCpuS: cpuS && round(cpuS, 2),
  };
}

async function download(url, headers = []) {
  const { out, s, cpuS } = await run(
    'curl',
    [
      '-sS',
      '-o',
      '/dev/null',
      ...headers.flatMap((h) => ['-H', h]),
      '-w',
      '%{http_code} %{size_download} %{speed_download}',
      url,
    ],
    { timed: true },
  );
  const [code, size, curlSpeed] = out.trim().split(' ');
  if (code !== '200' || Number(size) !== settings.fileBytes)
    throw new Error(`GET ${url} answered ${code} with ${size} bytes`);
  return {
    s: round(s, 3),
    MBps: round(mbps(settings.fileBytes, s)),
    curlMBps: round(Number(curlSpeed) / 1e6),
    clientCpuS: cpuS && round(cpuS, 2),
  };
}

/** Downloads once more, untimed, and checks the bytes' MD5. */
async function verifyDownload(url, headers, md5) {
  const hash = createHash('md5');
  await run('curl', ['-sS', ...headers.flatMap((h) => ['-H', h]), url], {
    onStdout: (chunk) => hash.update(chunk),
  });
  const got = hash.digest('hex');
  if (got !== md5) throw new Error(`GET ${url}: content MD5 ${got}, expected ${md5}`);
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForPort(port, child, label) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${label} exited (${child.exitCode})`);
    const ok = await new Promise((done) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${label} not listening on ${port} after 20 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * nginx as Debian ships it (nginx.conf: worker_processes auto, sendfile on, tcp_nopush on),
 * reduced to one static server on loopback whose root is the hub's blob directory, so it serves
 * the very file (inode) the hub stored. Everything it writes stays in the bench's temp dir.
 */
async function startNginx(blobRoot) {
  const dir = join(work, 'nginx');
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes auto;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events {
  worker_connections 768;
}
http {
  sendfile on;
  tcp_nopush on;
  types_hash_max_size 2048;
  default_type application/octet-stream;
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${blobRoot};
  }
}
`,
  );
  const child = spawn(settings.nginx, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.set(child, 'SIGTERM'); // the master stops its workers on SIGTERM
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
  child.once('exit', () => children.delete(child));
  try {
    await waitForPort(port, child, 'nginx');
  } catch (error) {
    throw new Error(`${error.message}\n${stderr}`);
  }
  const version = spawnSync(settings.nginx, ['-v'], { encoding: 'utf8' }).stderr.trim();
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    stop: stopper(child, 'SIGTERM'),
    version,
  };
}

/** Where the hub's local store keeps a file's bytes (src/domain/files.ts fileBlobKey). */
const blobKeyOf = (fileId) => `files/${fileId.slice(-2).padStart(2, '0')}/${fileId}`;

function dfLine(path) {
  const out = spawnSync('df', ['-P', '-T', path], { encoding: 'utf8' }).stdout.trim().split('\n');
  const [source, type, , , , , mount] = out.at(-1).split(/\s+/);
  return { source, type, mount };
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main() {
  const started = performance.now();
  log(
    `files bench: ${(settings.fileBytes / MiB).toFixed(0)} MiB file, ${settings.runs} runs of each transfer`,
  );
  work = mkdtempSync(join(settings.dir, 'seqhub-bench-files-'));
  chmodSync(work, 0o755); // nginx's workers run as another user when started by root
  const source = join(work, 'source.bin');
  const copy = join(work, 'copy.bin');
  const dataDir = join(work, 'hub');
  mkdirSync(dataDir);

  // Same disk: cp's copy, the hub's blobs and the source all live under `work`.
  const disk = dfLine(work);
  if (statSync(work).dev !== statSync(dataDir).dev) throw new Error('data dir on another disk');
  const freeBytes = Number(
    spawnSync('df', ['-B1', '--output=avail', work], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .at(-1),
  );
  const needed = settings.fileBytes * (settings.runs + 2) + 256 * MiB;
  if (freeBytes < needed)
    throw new Error(`${work} has ${freeBytes} bytes free; the bench needs about ${needed}`);
  log(`  disk: ${work} on ${disk.source} (${disk.type}, mounted on ${disk.mount})`);

  let t = performance.now();
  const md5 = makeSourceFile(source, settings.fileBytes);
  log(`  source file written and fsynced in ${seconds(t)} (md5 ${md5})`);

  // Start the hub and give it a project and an AppResult to upload into.
  const hubProcess = startHub(dataDir);
  const hub = { ...(await hubProcess.ready), pid: hubProcess.pid };
  const project = await api(hub, 'POST', '/projects', { Name: 'bench-files' });
  const appResult = await api(hub, 'POST', `/projects/${project.Id}/appresults`, { Name: 'r' });
  peakResets = resetPeak(hub.pid);
  if (!peakResets)
    log('  note: cannot reset VmHWM (/proc/<pid>/clear_refs): RSS growth is peak-since-start');
  const describe = (m) =>
    `server CPU ${m.serverCpuS} s, RSS +${m.rssGrowthMB} MB, other jobs ${m.otherCpus ?? '?'} CPUs`;

  // Uploads against cp (+ fsync), alternating; which goes first alternates too. Every transfer
  // starts after a global `sync`, so none pays for the previous one's dirty pages.
  const cps = [];
  const uploads = [];
  for (let r = 0; r < settings.runs; r++) {
    const doCp = async () => {
      await syncAll();
      cps.push(await measured({}, () => timeCp(source, copy)));
      rmSync(copy);
    };
    const doUpload = async () => {
      await syncAll();
      uploads.push(
        await measured({ rssPid: hub.pid, cpuPids: [hub.pid] }, () =>
          upload(hub, appResult.Id, source, `big-${r + 1}.bin`, md5),
        ),
      );
      // Like cp's copy, the stored bytes go once measured (the last upload stays for the
      // downloads): every write then starts with the same free memory. On this VM, page cache
      // carved from memory that was just freed costs far less than fresh pages: cp measured
      // ~5 GB/s right after a delete, ~0.5-0.7 GB/s right after a 2 GiB upload had consumed them.
      if (r < settings.runs - 1) rmSync(join(dataDir, 'blobs', blobKeyOf(uploads.at(-1).fileId)));
    };
    if (r % 2 === 0) await doCp().then(doUpload);
    else await doUpload().then(doCp);
    const c = cps.at(-1);
    const u = uploads.at(-1);
    log(
      `  run ${r + 1}: cp ${c.cpMBps} MB/s, cp+fsync ${c.cpFsyncMBps} MB/s (other jobs ${c.otherCpus ?? '?'} CPUs); upload ${u.MBps} MB/s (${describe(u)})`,
    );
  }

  // Downloads of the last stored file: hub against nginx serving that same blob file.
  const fileId = uploads.at(-1).fileId;
  const blobRoot = join(dataDir, 'blobs');
  const blobKey = blobKeyOf(fileId);
  if (statSync(join(blobRoot, blobKey)).size !== settings.fileBytes)
    throw new Error(`stored blob ${blobKey} not found where expected`);
  const hubUrl = `${hub.url}/v1pre3/files/${fileId}/content`;
  const hubHeaders = [`x-access-token: ${hub.token}`];
  let nginx;
  if (existsSync(settings.nginx)) nginx = await startNginx(blobRoot);
  else log(`  note: no nginx at ${settings.nginx} (BENCH_NGINX): download reference skipped`);
  const nginxUrl = nginx && `${nginx.url}/${blobKey}`;
  await syncAll();
  // One untimed pass each: checks the bytes and leaves both starting from a warm page cache.
  await verifyDownload(hubUrl, hubHeaders, md5);
  if (nginx) await verifyDownload(nginxUrl, [], md5);
  log(`  downloads verified (MD5 of the bytes from the hub${nginx ? ' and from nginx' : ''})`);

  const hubDownloads = [];
  const nginxDownloads = [];
  for (let r = 0; r < settings.runs; r++) {
    const doHub = async () =>
      hubDownloads.push(
        await measured({ rssPid: hub.pid, cpuPids: [hub.pid] }, () => download(hubUrl, hubHeaders)),
      );
    const doNginx = async () => {
      if (!nginx) return;
      const pids = [nginx.pid, ...childPids(nginx.pid)];
      nginxDownloads.push(await measured({ cpuPids: pids }, () => download(nginxUrl)));
    };
    if (r % 2 === 0) await doHub().then(doNginx);
    else await doNginx().then(doHub);
    const h = hubDownloads.at(-1);
    const n = nginxDownloads.at(-1);
    log(
      `  run ${r + 1}: download ${h.MBps} MB/s (${describe(h)})` +
        (n
          ? `; nginx ${n.MBps} MB/s (nginx CPU ${n.serverCpuS} s, other jobs ${n.otherCpus ?? '?'} CPUs)`
          : ''),
    );
  }
  await nginx?.stop();
  await hubProcess.stop();

  // Figures and checks.
  const cpMBps = median(cps.map((c) => c.cpMBps));
  const cpFsyncMBps = median(cps.map((c) => c.cpFsyncMBps));
  const uploadMBps = median(uploads.map((u) => u.MBps));
  const downloadMBps = median(hubDownloads.map((d) => d.MBps));
  const nginxMBps = nginx ? median(nginxDownloads.map((d) => d.MBps)) : undefined;
  const uploadRss = Math.max(...uploads.map((u) => u.rssGrowthMB));
  const downloadRss = Math.max(...hubDownloads.map((d) => d.rssGrowthMB));
  const uploadRatio = uploadMBps / cpFsyncMBps;
  const downloadRatio = nginxMBps && downloadMBps / nginxMBps;
  const checks = {
    upload: uploadRatio >= TARGET_UPLOAD_RATIO,
    download: downloadRatio === undefined ? undefined : downloadRatio >= TARGET_DOWNLOAD_RATIO,
    uploadRss: uploadRss < TARGET_RSS_GROWTH_MB,
    downloadRss: downloadRss < TARGET_RSS_GROWTH_MB,
  };
  const verdict = (ok) => (ok === undefined ? 'n/a' : ok ? 'PASS' : '**FAIL**');
  const f = (x) => (x === undefined ? '-' : x.toFixed(1).padStart(7));
  log('');
  log(`medians of ${settings.runs} runs, MB/s = 10^6 bytes/s over wall-clock time`);
  log('| measure                           |    ours |     ref |  ratio | target   | result   |');
  log('| --------------------------------- | ------: | ------: | -----: | -------- | -------- |');
  log(
    `| upload MB/s vs cp + fsync of copy | ${f(uploadMBps)} | ${f(cpFsyncMBps)} | ${uploadRatio.toFixed(2).padStart(6)} | >= ${TARGET_UPLOAD_RATIO}x  | ${verdict(checks.upload).padEnd(8)} |`,
  );
  log(
    `| (upload MB/s vs plain cp)         | ${f(uploadMBps)} | ${f(cpMBps)} | ${(uploadMBps / cpMBps).toFixed(2).padStart(6)} |          |          |`,
  );
  log(
    `| download MB/s vs nginx            | ${f(downloadMBps)} | ${f(nginxMBps)} | ${downloadRatio === undefined ? '     -' : downloadRatio.toFixed(2).padStart(6)} | >= ${TARGET_DOWNLOAD_RATIO}x  | ${verdict(checks.download).padEnd(8)} |`,
  );
  log(
    `| server RSS growth MB, upload      | ${f(uploadRss)} |         |        | < ${TARGET_RSS_GROWTH_MB} MB | ${verdict(checks.uploadRss).padEnd(8)} |`,
  );
  log(
    `| server RSS growth MB, download    | ${f(downloadRss)} |         |        | < ${TARGET_RSS_GROWTH_MB} MB | ${verdict(checks.downloadRss).padEnd(8)} |`,
  );
  log(
    '(the upload ratio uses cp + fsync of the copy: the hub fsyncs its file before the rename, plain cp leaves it in the page cache)',
  );
  const perGiB = (runs, key) => {
    const values = runs.map((x) => x[key]).filter((x) => x !== undefined);
    return values.length ? round(median(values) / (settings.fileBytes / GiB), 2) : undefined;
  };
  const cpu = {
    upload: { server: perGiB(uploads, 'serverCpuS'), client: perGiB(uploads, 'clientCpuS') },
    cp: { client: perGiB(cps, 'clientCpuS') },
    download: {
      server: perGiB(hubDownloads, 'serverCpuS'),
      client: perGiB(hubDownloads, 'clientCpuS'),
    },
    nginx: {
      server: perGiB(nginxDownloads, 'serverCpuS'),
      client: perGiB(nginxDownloads, 'clientCpuS'),
    },
  };
  const g = (x) => (x === undefined ? '-' : x.toFixed(2));
  log(
    `CPU s/GiB (medians): upload: hub ${g(cpu.upload.server)}, curl ${g(cpu.upload.client)}; cp + sync ${g(cpu.cp.client)}; ` +
      `download: hub ${g(cpu.download.server)}, curl ${g(cpu.download.client)}; nginx ${g(cpu.nginx.server)}, curl ${g(cpu.nginx.client)}`,
  );
  const otherCpus = Math.max(
    0,
    ...[...cps, ...uploads, ...hubDownloads, ...nginxDownloads].map((x) => x.otherCpus ?? 0),
  );
  if (otherCpus > 0.2) {
    log(
      `note: other jobs kept up to ${otherCpus.toFixed(2)} of the ${os.cpus().length} CPUs busy during a measured transfer;`,
    );
    log(
      '      MB/s (and the ratios, when the two sides were hit unequally) suffer. Re-run on a quiet machine.',
    );
  }

  mkdirSync(dirname(resultsFile), { recursive: true });
  const report = {
    benchmark: 'files',
    date: new Date().toISOString(),
    totalSeconds: Math.round((performance.now() - started) / 1000),
    machine: {
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGiB: round(os.totalmem() / GiB),
      disk,
      curl: spawnSync('curl', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0],
      cp: spawnSync('cp', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0],
      nginx: nginx?.version,
    },
    settings: { ...settings, serverNodeArgs: nodeArgs, peakResets },
    targets: {
      uploadRatioVsCpFsync: TARGET_UPLOAD_RATIO,
      downloadRatioVsNginx: TARGET_DOWNLOAD_RATIO,
      rssGrowthMB: TARGET_RSS_GROWTH_MB,
    },
    summary: {
      uploadMBps,
      cpMBps,
      cpFsyncMBps,
      uploadRatioVsCp: round(uploadMBps / cpMBps, 2),
      uploadRatioVsCpFsync: round(uploadRatio, 2),
      downloadMBps,
      nginxMBps,
      downloadRatioVsNginx: downloadRatio && round(downloadRatio, 2),
      uploadRssGrowthMB: uploadRss,
      downloadRssGrowthMB: downloadRss,
      cpuSecondsPerGiB: cpu,
      maxOtherCpus: otherCpus,
      checks,
    },
    runs: { cp: cps, upload: uploads, download: hubDownloads, nginx: nginxDownloads },
  };
  writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
  log(`results: ${resultsFile.replace(`${root}/`, '')} (took ${seconds(started)})`);
}

try {
  await main();
} finally {
  cleanUp();
}
