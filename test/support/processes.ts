import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** The built `seqhub` entry point the e2e tests run as a child process. */
export const BIN = resolve('dist/app/main.js');

/**
 * This process's environment without any seqhub setting (the test runner's own database or
 * storage must not leak into a child hub or CLI), plus `extra`.
 */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !/^(SEQHUB_|DATABASE_URL$)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/**
 * Starts `seqhub serve` on a free port with `env` (over a clean environment); resolves once it
 * listens, with its URL and the admin token a first start prints. `args`: more flags
 * (`--no-workers`).
 */
export function serve(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ child: ChildProcess; url: string; token?: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {
      env: cleanEnv(env),
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      const url = /listening on (\S+)/.exec(out)?.[1];
      if (url) ok({ child, url, token: /admin access token: (\w+)/.exec(out)?.[1] });
    });
    child.on('exit', (code) => fail(new Error(`serve exited ${code}: ${err}`)));
  });
}
