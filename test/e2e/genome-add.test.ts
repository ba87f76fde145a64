import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, serve } from '../support/processes.js';

/**
 * `seqhub admin genome add` as an operator runs it (the built bin, real processes): the genome
 * is listed at once without sequence, and a `serve` started afterwards indexes it (samtools
 * faidx, minimap2) until `HasSequence` is true; a file that is no FASTA ends `failed`.
 */
const FASTA = fileURLToPath(new URL('../fixtures/apps/chr20.fa', import.meta.url));

describe('seqhub admin genome add', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seqhub-genome-add-'));
  const env = { SEQHUB_DATA_DIR: join(dir, 'data') };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const seqhub = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: cleanEnv(env),
      encoding: 'utf8',
      timeout: 90_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('registers the FASTA; serve indexes it; bad input fails clearly', async () => {
    const added = seqhub([
      'admin',
      'genome',
      'add',
      '--fasta',
      FASTA,
      '--name',
      'chr20 slice',
      '--species',
      'Homo sapiens',
      '--build',
      'hs37d5-slice',
    ]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toBe('31\n');
    writeFileSync(join(dir, 'not.fa'), 'this is not a FASTA file\n');
    const bogus = seqhub([
      'admin',
      'genome',
      'add',
      '--fasta',
      'not.fa',
      '--name',
      'x',
      '--species',
      'y',
    ]);
    expect(bogus.stdout).toBe('32\n');
    const missing = seqhub([
      'admin',
      'genome',
      'add',
      '--fasta',
      'nope.fa',
      '--name',
      'x',
      '--species',
      'y',
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('no such file: nope.fa');
    const noName = seqhub(['admin', 'genome', 'add', '--fasta', FASTA, '--species', 'y']);
    expect(noName.code).not.toBe(0);
    expect(noName.stderr).toContain('--name');

    const { child, url, token } = await serve(env);
    try {
      const get = async (id: string) =>
        (
          (await (
            await fetch(`${url}/v1pre3/genomes/${id}`, { headers: { 'x-access-token': token! } })
          ).json()) as any
        ).Response;
      const until = Date.now() + 60_000;
      let g = await get('31');
      let b = await get('32');
      while (g.SequenceStatus === 'indexing' || b.SequenceStatus === 'indexing') {
        if (Date.now() > until) throw new Error('not indexed');
        await new Promise((r) => setTimeout(r, 100));
        [g, b] = [await get('31'), await get('32')];
      }
      expect(g).toMatchObject({
        Id: '31',
        DisplayName: 'chr20 slice',
        SpeciesName: 'Homo sapiens',
        Build: 'hs37d5-slice',
        Source: 'Custom',
        HasSequence: true,
        SequenceStatus: 'ready',
      });
      expect(b).toMatchObject({ HasSequence: false, SequenceStatus: 'failed' });
    } finally {
      child.kill('SIGTERM');
    }
  }, 120_000);
});
