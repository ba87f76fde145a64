import type { JobHandler } from '../ports.js';
import type { GenomicsIndexer, IndexFilePayload } from '../services/genomics/index-file.js';

/**
 * The `index-file` job (issue 7): indexes one completed VCF/BAM upload. Indexing is idempotent
 * and writes fixed keys, so a re-run after a crashed worker starts again from scratch; an abort
 * (queue stopping, lease lost) leaves the file pending for that re-run.
 */
export function indexFileJob(indexer: GenomicsIndexer): JobHandler {
  return {
    async run(payload, context) {
      await indexer.indexFile((payload as IndexFilePayload).fileId, context.signal);
    },
  };
}
