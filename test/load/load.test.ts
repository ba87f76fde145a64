import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { cleanEnv } from '../support/processes.js';

/**
 * A short run of the load bench (bench/load.mjs, issue 11): 200 concurrent clients with the
 * mixed workload (lists, gets, property writes, small uploads, downloads, region queries on a
 * VCF and a BAM) against a real `seqhub serve` for a few seconds, on SQLite and (when the suite
 * has one) PostgreSQL. No error response of any kind, and no error logged by the server. No
 * timing is asserted: the figures depend on the machine (the bench's 60 s run reports them).
 */

const SECONDS = 6;

interface LoadRun {
  db: string;
  errors: number;
  serverErrorLogLines: number;
  firstErrors: string[];
  classes: { class: string; requests: number; errors: number }[];
}

function runBench(
  db: 'sqlite' | 'postgres',
  results: string,
): Promise<{ code: number; out: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, ['bench/load.mjs'], {
      env: cleanEnv({
        BENCH_DB: db,
        BENCH_DURATION: String(SECONDS),
        BENCH_CLIENTS: '200',
        BENCH_RESULTS: results,
        ...(process.env.SEQHUB_TEST_POSTGRES_URL && {
          SEQHUB_BENCH_POSTGRES_URL: process.env.SEQHUB_TEST_POSTGRES_URL,
        }),
      }),
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => ok({ code: code ?? -1, out }));
  });
}

describe.each(backends())('200 concurrent clients, $kind', (backend) => {
  const dir = mkdtempSync(join(tmpdir(), 'seqhub-load-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gets no error response under the mixed workload', async () => {
    const results = join(dir, 'load.json');
    const { code, out } = await runBench(backend.kind, results);
    expect(code, out).toBe(0);
    const run = (JSON.parse(readFileSync(results, 'utf8')) as { runs: LoadRun[] }).runs[0]!;
    expect(run.db).toBe(backend.kind);
    expect(run.firstErrors).toEqual([]);
    expect(run.errors).toBe(0);
    expect(run.serverErrorLogLines).toBe(0);
    // Every class of request was exercised.
    for (const c of run.classes) expect(c.requests, c.class).toBeGreaterThan(0);
  }, 240_000);
});
