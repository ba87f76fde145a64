import {
  scopeGrantsGlobally,
  scopedIds,
  type AppResult,
  type AppSession,
  type FileRecord,
  type Page,
  type PageRequest,
  type Project,
  type Run,
  type Sample,
} from '../domain/index.js';
import { parseSearchQuery, parseSearchScope, type SearchKind } from '../domain/search.js';
import type { Repositories, SearchAccess, SearchSort } from '../ports.js';
import type { AccessService } from './access.service.js';
import type { Principal } from './principal.js';

/** One hit, loaded: exactly one of the resource fields is set, by `kind`. */
export type SearchItem = { kind: SearchKind; score: number } & (
  | { kind: 'project'; project: Project }
  | { kind: 'sample'; sample: Sample }
  | { kind: 'appresult'; appResult: AppResult; session: AppSession | undefined }
  | { kind: 'run'; run: Run }
  | { kind: 'sample_file' | 'appresult_file' | 'run_file'; file: FileRecord }
);

/**
 * `GET search` (spec 3.12; docs/api-choices.md "Search"): the resources the caller owns or has
 * been shared, that the token may browse, nothing else, not even in TotalCount: visibility and
 * scope are conditions of the index query itself.
 */
export class SearchService {
  constructor(
    private readonly repos: Repositories,
    private readonly access: AccessService,
  ) {}

  async search(
    principal: Principal,
    input: { query: string; scope: string | undefined },
    page: PageRequest<SearchSort>,
  ): Promise<Page<SearchItem>> {
    const query = parseSearchQuery(input.query);
    const kinds = parseSearchScope(input.scope);
    const s = principal.scope;
    const access: SearchAccess = scopeGrantsGlobally(s, 'browse')
      ? { global: true }
      : {
          global: false,
          projectIds: scopedIds(s, 'browse', 'project'),
          runIds: scopedIds(s, 'browse', 'run'),
          sampleIds: scopedIds(s, 'browse', 'sample'),
          appResultIds: scopedIds(s, 'browse', 'appresult'),
        };
    const found = await this.repos.search.search(
      query,
      { viewer: this.access.viewer(principal), kinds, access },
      page,
    );
    const loaded = await Promise.all(found.items.map((hit) => this.load(hit.kind, hit.id)));
    const items: SearchItem[] = [];
    found.items.forEach((hit, i) => {
      const item = loaded[i];
      // The index is written with its resource; a hit whose row is gone is left out. Who may see
      // a hit is decided by the index query (the visibility rule of issue 4), not here.
      if (item) items.push({ ...item, score: hit.score });
    });
    return { totalCount: found.totalCount, items };
  }

  private async load(kind: SearchKind, id: string): Promise<SearchItem | undefined> {
    switch (kind) {
      case 'project': {
        const project = await this.repos.projects.findById(id);
        return project && { kind, score: 0, project };
      }
      case 'sample': {
        const sample = await this.repos.samples.findById(id);
        return sample && { kind, score: 0, sample };
      }
      case 'appresult': {
        const appResult = await this.repos.appResults.findById(id);
        if (!appResult) return undefined;
        const session = await this.repos.appSessions.findById(appResult.appSessionId);
        return { kind, score: 0, appResult, session };
      }
      case 'run': {
        const run = await this.repos.runs.findById(id);
        return run && { kind, score: 0, run };
      }
      default: {
        const file = await this.repos.files.findById(id);
        return file && file.uploadStatus === 'complete' ? { kind, score: 0, file } : undefined;
      }
    }
  }
}
