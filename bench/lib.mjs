// What several benches share: child processes that are always reaped, and `seqhub serve` started
// on a data folder, its URL read from its `listening on http://...` line.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// Child processes: always reaped, even when the bench fails half way.
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  });
}

/**
 * Spawns `node args...` (in the repository's root unless `cwd`) and resolves `url` once it prints
 * `listening on http://...`; rejects when it exits first or stays silent for 60 s.
 */
export function startProcess(label, args, env, cwd = root) {
  const child = spawn(process.execPath, args, {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const url = new Promise((resolveUrl, reject) => {
    let stdout = '';
    const timer = setTimeout(
      () => reject(new Error(`${label} did not start within 60 s\n${stderr}`)),
      60_000,
    );
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      reject(new Error(`${label} exited (${code ?? signal}) before listening\n${stderr}`));
    });
  });
  const stop = () =>
    new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => {
        children.delete(child);
        done();
      });
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  return { url, stop, stderr: () => stderr, pid: child.pid };
}

/** The arguments of `seqhub serve` (built, in `dist/`) on 127.0.0.1, any port, over `dataDir`. */
export function serveArgs(dataDir, ...extra) {
  return [
    join(root, 'dist/app/main.js'),
    'serve',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--data-dir',
    dataDir,
    ...extra,
  ];
}
