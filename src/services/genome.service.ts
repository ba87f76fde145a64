import type { Readable } from 'node:stream';
import {
  badRequest,
  notFound,
  parseId,
  type Genome,
  type Page,
  type PageRequest,
} from '../domain/index.js';
import type { BlobStore, GenomeSort, JobQueue, Repositories } from '../ports.js';

/** The job that indexes a registered genome sequence (samtools faidx, the aligner's index). */
export const GENOME_INDEX_JOB = 'genome-index';

export interface GenomeIndexPayload {
  genomeId: string;
}

/** Blob names below a genome's sequence key. */
export const GENOME_FILES = {
  fasta: 'genome.fa',
  fai: 'genome.fa.fai',
  minimap2: 'genome.mmi',
} as const;

/** The genome catalog is public to every authenticated caller. */
export class GenomeService {
  constructor(
    private readonly repos: Repositories,
    private readonly blobs?: BlobStore,
    private readonly queue?: JobQueue,
  ) {}

  async get(rawId: string): Promise<Genome> {
    const id = parseId(rawId, 'Genome');
    const genome = await this.repos.genomes.findById(id);
    if (!genome) throw notFound(`Genome id '${id}' doesn't exist`);
    return genome;
  }

  list(page: PageRequest<GenomeSort>): Promise<Page<Genome>> {
    return this.repos.genomes.list(page);
  }

  /**
   * `seqhub admin genome add`: registers a genome with its FASTA. The genome is listed at once
   * (HasSequence false) and becomes usable by apps when the `genome-index` job has built the
   * FASTA index and the aligner index. A FASTA that cannot be stored leaves the genome `failed`.
   */
  async addWithSequence(
    input: { displayName: string; speciesName: string; source: string; build: string },
    fasta: Readable,
  ): Promise<Genome> {
    if (!this.blobs || !this.queue) throw new Error('genome add needs storage and a job queue');
    for (const [label, value] of Object.entries(input))
      if (!value.trim() || value.length > 255)
        throw badRequest(`${label} must be 1 to 255 characters`);
    const genome = await this.repos.genomes.createWithSequence({
      ...input,
      sequenceKey: (id) => `genomes/${id}/`,
    });
    const key = genome.sequence!.key;
    try {
      await this.blobs.write(`${key}${GENOME_FILES.fasta}`, fasta);
      await this.queue.enqueue(
        GENOME_INDEX_JOB,
        { genomeId: genome.id } satisfies GenomeIndexPayload,
        {
          singletonKey: `genome-${genome.id}`,
        },
      );
    } catch (error) {
      await this.repos.genomes.setSequenceStatus(
        genome.id,
        'failed',
        `the FASTA could not be stored: ${(error as Error).message}`.slice(0, 1000),
      );
      throw error;
    }
    return genome;
  }
}
