import {
  scopeGrantsGlobally,
  scopedIds,
  type Page,
  type PageRequest,
  type Run,
} from '../domain/index.js';
import type { NewRun, Repositories, RunFilter, RunSort } from '../ports.js';
import type { AccessService } from './access.service.js';
import type { Principal } from './principal.js';

export class RunService {
  constructor(
    private readonly repos: Repositories,
    private readonly access: AccessService,
  ) {}

  get(principal: Principal, id: string): Promise<Run> {
    return this.access.run(principal, id, 'browse');
  }

  list(
    principal: Principal,
    filter: Omit<RunFilter, 'ids'>,
    page: PageRequest<RunSort>,
  ): Promise<Page<Run>> {
    const ids = scopeGrantsGlobally(principal.scope, 'browse')
      ? undefined
      : scopedIds(principal.scope, 'browse', 'run');
    return this.repos.runs.listVisible(this.access.viewer(principal), { ...filter, ids }, page);
  }

  /** Records a run (no files: ingest is the runs issue). Used by operators and tests. */
  createRecord(input: NewRun): Promise<Run> {
    return this.repos.transaction(async (tx) => {
      const run = await tx.runs.create(input);
      await tx.search.reindex('run', run.id); // search index (issue 5)
      return run;
    });
  }
}
