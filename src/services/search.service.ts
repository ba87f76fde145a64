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
import type { Repositories, SearchAccess, SearchHit, SearchSort } from '../ports.js';
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
    const loaded = await this.load(found.items);
    const items: SearchItem[] = [];
    for (const hit of found.items) {
      const item = loaded.get(`${hit.kind}:${hit.id}`);
      // The index is written with its resource; a hit whose row is gone is left out. Who may see
      // a hit is decided by the index query (the visibility rule of issue 4), not here.
      if (item) items.push({ ...item, score: hit.score });
    }
    return { totalCount: found.totalCount, items };
  }

  /** The page's resources: one query per kind present (not one per hit), keyed `kind:id`. */
  private async load(hits: readonly SearchHit[]): Promise<Map<string, SearchItem>> {
    const idsOf = (...kinds: SearchKind[]) =>
      hits.filter((h) => kinds.includes(h.kind)).map((h) => h.id);
    const fileKinds: SearchKind[] = ['sample_file', 'appresult_file', 'run_file'];
    const [projects, samples, appResults, runs, files] = await Promise.all([
      this.repos.projects.findByIds(idsOf('project')),
      this.repos.samples.findByIds(idsOf('sample')),
      this.repos.appResults.findByIds(idsOf('appresult')),
      this.repos.runs.findByIds(idsOf('run')),
      this.repos.files.findByIds(idsOf(...fileKinds)),
    ]);
    const sessions = await this.repos.appSessions.findByIds(appResults.map((r) => r.appSessionId));
    const sessionById = new Map(sessions.map((s) => [s.id, s]));
    const out = new Map<string, SearchItem>();
    for (const project of projects)
      out.set(`project:${project.id}`, { kind: 'project', score: 0, project });
    for (const sample of samples)
      out.set(`sample:${sample.id}`, { kind: 'sample', score: 0, sample });
    for (const appResult of appResults)
      out.set(`appresult:${appResult.id}`, {
        kind: 'appresult',
        score: 0,
        appResult,
        session: sessionById.get(appResult.appSessionId),
      });
    for (const run of runs) out.set(`run:${run.id}`, { kind: 'run', score: 0, run });
    for (const file of files) {
      if (file.uploadStatus !== 'complete') continue;
      const kind = `${file.parentKind}_file` as SearchKind;
      out.set(`${kind}:${file.id}`, { kind, score: 0, file } as SearchItem);
    }
    return out;
  }
}
