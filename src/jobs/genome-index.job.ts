import type { AppSandbox, BlobStore, JobHandler, Repositories } from '../ports.js';
import { GENOME_FILES, type GenomeIndexPayload } from '../services/index.js';

export interface GenomeIndexJobDeps {
  repos: Repositories;
  blobs: BlobStore;
  sandbox: AppSandbox;
}

/** Indexing a genome may take this long (minimap2 indexes GRCh38 in ~3 min on 2 cores). */
const TIME_LIMIT_MS = 4 * 3600 * 1000;
/** minimap2 -x sr needs ~11 GB for a human genome; the limit leaves room above it. */
const MEMORY_BYTES = 24 * 1024 ** 3;
const MESSAGE_MAX = 1000;

const SCRIPT = `set -euo pipefail
samtools faidx ${GENOME_FILES.fasta}
minimap2 -x sr -d ${GENOME_FILES.minimap2} ${GENOME_FILES.fasta}
`;

/**
 * The `genome-index` job (issue 12): builds the FASTA index (samtools faidx) and the aligner's
 * index (minimap2, short-read preset) of a registered genome sequence, stores them beside the
 * FASTA, then marks the sequence `ready`; a FASTA the tools reject marks it `failed` with their
 * last words. Idempotent: a re-run rebuilds both and the status changes last.
 */
export function genomeIndexJob(deps: GenomeIndexJobDeps): JobHandler {
  const { repos, blobs, sandbox } = deps;
  return {
    async run(raw, context) {
      const { genomeId } = raw as GenomeIndexPayload;
      const genome = await repos.genomes.findById(genomeId);
      if (!genome?.sequence || genome.sequence.status === 'ready') return;
      const key = genome.sequence.key;
      const ws = await sandbox.open(`genome-${genome.id}`);
      const lines: string[] = [];
      try {
        await ws.write(
          GENOME_FILES.fasta,
          await blobs.read(`${key}${GENOME_FILES.fasta}`),
          context.signal,
        );
        const result = await ws.exec(SCRIPT, {
          env: {},
          timeLimitMs: TIME_LIMIT_MS,
          memoryBytes: MEMORY_BYTES,
          signal: context.signal,
          onLine: (line) => {
            if (line.trim()) lines.push(line.trim());
            if (lines.length > 20) lines.shift();
          },
        });
        context.signal.throwIfAborted();
        const files = await ws.list('.');
        const made = (name: string) => files.some((f) => f.name === name && f.size > 0);
        if (result.exitCode !== 0 || !made(GENOME_FILES.fai) || !made(GENOME_FILES.minimap2)) {
          const why = lines.filter((l) => !l.startsWith('[M::')).pop() ?? lines.pop() ?? '';
          await repos.genomes.setSequenceStatus(
            genome.id,
            'failed',
            `indexing failed (${result.timedOut ? 'time limit' : `exit code ${result.exitCode}`})${why ? `: ${why}` : ''}`.slice(
              0,
              MESSAGE_MAX,
            ),
          );
          return;
        }
        for (const name of [GENOME_FILES.fai, GENOME_FILES.minimap2])
          await blobs.write(`${key}${name}`, await ws.open(name), { signal: context.signal });
        await repos.genomes.setSequenceStatus(genome.id, 'ready', undefined);
      } finally {
        await ws.remove().catch(() => undefined);
      }
    },
  };
}
