// Runs bench/query-client.mjs in a child process (the process under test then spends its CPU on
// serving alone) and returns its {latencies, bytes}; throws when the client fails or any request
// answered a status outside `okStatuses`. Used by bench/genomics.mjs and bench/request-cost.mjs.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const client = join(dirname(fileURLToPath(import.meta.url)), 'query-client.mjs');

/**
 * @param {{url: string | string[], token: string, paths: string[], concurrency: number, okStatuses: number[], warmup?: string[]}} job
 * @param {() => unknown} [onMeasuring] called (and awaited) once the warm-up is done, before the
 *   first measured request: where the caller starts its own meters.
 */
export async function runQueryClient(job, onMeasuring) {
  const child = spawn(process.execPath, [client], { stdio: ['pipe', 'pipe', 'inherit', 'ipc'] });
  child.on('message', async (m) => {
    if (m !== 'measuring') return;
    await onMeasuring?.();
    child.send('go');
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  const exited = new Promise((ok) => child.on('close', ok));
  child.stdin.end(JSON.stringify(job));
  const code = await exited;
  if (code !== 0) throw new Error(`query client exited ${code}`);
  const { latencies, failures, bytes } = JSON.parse(out);
  if (failures.length) throw new Error(`queries failed: ${failures.slice(0, 3).join('; ')}`);
  return { latencies, bytes };
}
