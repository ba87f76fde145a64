// `seqhub download` against curl on the same signed URLs, in the same run, through the real
// `seqhub serve` on local storage: one large file (2 GiB) against one `curl -o`, and 1,000 small
// files against `curl` run once per file in a shell-style loop. Prints the throughput ratios.
// See bench/README.md. Spawns the built CLI (../dist): run through `npm run bench` (or
// `BENCH=download npm run bench`), which builds first.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const main = resolve(process.env.BENCH_DIST?.trim() || join(root, 'dist'), 'app/main.js');

const intEnv = (name, fallback) => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a whole number, got '${raw}'`);
  return n;
};
const MiB = 1024 ** 2;
const settings = {
  largeBytes: intEnv('BENCH_DOWNLOAD_LARGE_BYTES', 2048 * MiB),
  smallFiles: intEnv('BENCH_DOWNLOAD_SMALL_FILES', 1000),
  smallBytes: intEnv('BENCH_DOWNLOAD_SMALL_BYTES', 16 * 1024),
  runs: intEnv('BENCH_RUNS', 3),
  dir: process.env.BENCH_FILES_DIR?.trim() || os.tmpdir(),
};
const TARGET_LARGE = 0.9; // our throughput / curl's
const TARGET_SMALL = 3; // our throughput / curl-in-a-loop's

const log = (line) => process.stdout.write(`${line}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const children = new Set();
const work = mkdtempSync(join(settings.dir, 'seqhub-bench-download-'));
const cleanUp = () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
};
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => {
    cleanUp();
    process.exit(130);
  });

// CPU seconds (user + system) of each large download's client, through /usr/bin/time when the
// machine has it, and of the hub while it serves, from /proc/<pid>/stat: on a shared 2-vCPU
// machine walls vary 2x from run to run, CPU per GiB is what compares.
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const CLK_TCK = 100; // Linux's USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s
const cpuOf = (pid) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
};

/** `run`, with the program's CPU seconds (NaN without /usr/bin/time). */
async function timed(cmd, args, env = {}) {
  if (!TIME) return { ...(await run(cmd, args, env)), cpu: NaN };
  const file = join(work, 'time.txt');
  const r = await run(TIME, ['-o', file, '-f', '%U %S', cmd, ...args], env);
  const [user, sys] = readFileSync(file, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  return { ...r, cpu: user + sys };
}

/** Runs a program to completion; resolves with stdout and wall-clock seconds. */
function run(cmd, args, env = {}) {
  return new Promise((ok, fail) => {
    const started = performance.now();
    const child = spawn(cmd, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (err = (err + c).slice(-4000)));
    child.once('error', fail);
    child.once('close', (code) => {
      children.delete(child);
      if (code === 0) ok({ out, s: (performance.now() - started) / 1000 });
      else fail(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${err}`));
    });
  });
}

function startHub(dataDir) {
  const child = spawn(process.execPath, [main, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: { PATH: process.env.PATH, HOME: work, SEQHUB_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c) => {
      out += c;
      const token = /admin access token: (\S+)/.exec(out)?.[1];
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (token && url) ok({ token, url, pid: child.pid });
    });
    child.once('exit', (code) => fail(new Error(`hub exited ${code}`)));
  });
}

/** A file of `bytes` random-looking bytes (one random block repeated: cheap to make). */
function makeFile(path, bytes) {
  const block = randomBytes(Math.min(bytes, 64 * MiB));
  const fd = openSync(path, 'w');
  for (let at = 0; at < bytes; at += block.length)
    writeSync(fd, block, 0, Math.min(block.length, bytes - at));
  closeSync(fd);
}

const md5 = async (path) => {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MiB })) hash.update(chunk);
  return hash.digest('hex');
};

const hub = await startHub(join(work, 'data'));
const env = {
  SEQHUB_API_SERVER: hub.url,
  SEQHUB_ACCESS_TOKEN: hub.token,
  SEQHUB_CONFIG_DIR: join(work, 'config'),
};
const api = async (method, path, body) => {
  const res = await fetch(`${hub.url}/v1pre3/${path}`, {
    method,
    headers: { 'x-access-token': hub.token, 'content-type': 'application/json' },
    ...(body && { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()).Response;
};
const seqhub = (args) => run(process.execPath, [main, ...args], env);
const seqhubTimed = (args) => timed(process.execPath, [main, ...args], env);
const signedUrls = async (files) => {
  const urls = [];
  for (const f of files)
    urls.push((await api('GET', `files/${f.Id}/content?redirect=meta`)).HrefContent);
  return urls;
};

log(
  `download: ${settings.largeBytes / MiB} MiB file, ${settings.smallFiles} x ${settings.smallBytes} B files, ${settings.runs} runs each, hub ${hub.url}`,
);
const project = (await api('POST', 'projects', { Name: 'bench' })).Id;
const src = join(work, 'src');
mkdirSync(join(src, 'small'), { recursive: true });
makeFile(join(src, 'large.bin'), settings.largeBytes);
for (let i = 0; i < settings.smallFiles; i++)
  makeFile(join(src, 'small', `f${String(i).padStart(5, '0')}.bin`), settings.smallBytes);
/** Uploads a file or folder as a new AppResult of the bench project; its id. */
const uploadAppResult = async (name, path) =>
  (
    await seqhub([
      'upload',
      'appresult',
      '--project',
      project,
      '--name',
      name,
      path,
      '--terse',
      '-q',
    ])
  ).out.trim();
const largeId = await uploadAppResult('large', join(src, 'large.bin'));
// BENCH_DOWNLOAD_SMALL_FILES=0 measures the large file alone.
const smallId = settings.smallFiles > 0 && (await uploadAppResult('small', join(src, 'small')));
const largeFile = (await api('GET', `appresults/${largeId}/files`)).Items[0];
const smallFiles = smallId
  ? (await api('GET', `appresults/${smallId}/files?Limit=1000`)).Items
  : [];
for (let offset = smallFiles.length; offset < settings.smallFiles; offset += 1000)
  smallFiles.push(
    ...(await api('GET', `appresults/${smallId}/files?Limit=1000&Offset=${offset}`)).Items,
  );
const sourceMd5 = await md5(join(src, 'large.bin'));

const results = { large: { curl: [], ours: [] }, small: { curl: [], ours: [] } };
const cpu = { client: { curl: [], ours: [] }, hub: { curl: [], ours: [] } };
const GiB = settings.largeBytes / 1024 ** 3;
for (let r = 0; r < settings.runs; r++) {
  // Alternating who goes first keeps the page cache and a busy neighbour from favouring one.
  const order = r % 2 === 0 ? ['curl', 'ours'] : ['ours', 'curl'];
  for (const who of order) {
    const out = join(work, `large-${who}-${r}`);
    mkdirSync(out);
    let s;
    let client;
    const hubBefore = cpuOf(hub.pid);
    if (who === 'curl') {
      const [url] = await signedUrls([largeFile]);
      ({ s, cpu: client } = await timed('curl', ['-sS', '-f', '-o', join(out, 'large.bin'), url]));
    } else
      ({ s, cpu: client } = await seqhubTimed([
        'download',
        'file',
        '--id',
        largeFile.Id,
        '-o',
        out,
        '-q',
      ]));
    const served = cpuOf(hub.pid) - hubBefore;
    if ((await md5(join(out, 'large.bin'))) !== sourceMd5) throw new Error(`${who}: large differs`);
    rmSync(out, { recursive: true });
    results.large[who].push(s);
    cpu.client[who].push(client / GiB);
    cpu.hub[who].push(served / GiB);
    log(
      `  large ${who.padEnd(4)} run ${r + 1}: ${s.toFixed(2)} s (${(settings.largeBytes / MiB / s).toFixed(0)} MiB/s), CPU-s per GiB: client ${(client / GiB).toFixed(2)}, hub ${(served / GiB).toFixed(2)}`,
    );
  }
  if (smallFiles.length === 0) continue;
  for (const who of order) {
    const out = join(work, `small-${who}-${r}`);
    mkdirSync(out);
    let s;
    if (who === 'curl') {
      const urls = await signedUrls(smallFiles);
      const started = performance.now();
      for (let i = 0; i < urls.length; i++)
        await run('curl', ['-sS', '-f', '-o', join(out, smallFiles[i].Name), urls[i]]);
      s = (performance.now() - started) / 1000;
    } else ({ s } = await seqhub(['download', 'appresult', '--id', smallId, '-o', out, '-q']));
    rmSync(out, { recursive: true });
    results.small[who].push(s);
    log(
      `  small ${who.padEnd(4)} run ${r + 1}: ${s.toFixed(2)} s (${(smallFiles.length / s).toFixed(0)} files/s)`,
    );
  }
}
const largeRatio = median(results.large.curl) / median(results.large.ours);
log(
  `download large CPU-s per GiB (medians): seqhub client ${median(cpu.client.ours).toFixed(2)}, hub ${median(cpu.hub.ours).toFixed(2)}; curl ${median(cpu.client.curl).toFixed(2)}, hub ${median(cpu.hub.curl).toFixed(2)}`,
);
const verdict = (ok) => (ok ? 'PASS' : 'FAIL <<<<<<<<<<');
log(
  `download large: seqhub ${median(results.large.ours).toFixed(2)} s, curl ${median(results.large.curl).toFixed(2)} s: ${largeRatio.toFixed(2)}x curl (target >= ${TARGET_LARGE}x) ${verdict(largeRatio >= TARGET_LARGE)}`,
);
const smallRatio = median(results.small.curl) / median(results.small.ours);
if (smallFiles.length > 0)
  log(
    `download small: seqhub ${median(results.small.ours).toFixed(2)} s, curl loop ${median(results.small.curl).toFixed(2)} s: ${smallRatio.toFixed(2)}x curl-in-a-loop (target >= ${TARGET_SMALL}x) ${verdict(smallRatio >= TARGET_SMALL)}`,
  );
for (const c of children) c.kill('SIGTERM');
