import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DEFAULT_LIMIT } from '../../domain/index.js';
import { SEARCH_LIMITS, SearchScopes } from '../../domain/search.js';
import type { SearchItem } from '../../services/index.js';
import * as present from '../presenters/resources.presenter.js';
import { ListEnvelope, ListQuery, errorResponses } from '../schemas/common.schema.js';
import {
  AppResultCompact,
  File,
  ProjectCompact,
  RunCompact,
  SampleCompact,
} from '../schemas/resources.schema.js';
import type { RouteDeps } from './deps.js';
import { ok } from './reply.js';

export const SearchSorts = ['Score', 'Name', 'DateCreated'] as const;

const opt = Type.Optional;
/** One hit: `Type` names the one resource key that is present (docs/api-choices.md "Search"). */
const SearchHit = Type.Object({
  Type: Type.String({
    description: 'Project, Sample, AppResult, Run, SampleFile, AppResultFile or RunFile',
  }),
  Score: Type.Number({
    description: '1000 for an exact (case-insensitive) name match, plus the engine relevance',
  }),
  Project: opt(ProjectCompact),
  Sample: opt(SampleCompact),
  AppResult: opt(AppResultCompact),
  Run: opt(RunCompact),
  SampleFile: opt(File),
  AppResultFile: opt(File),
  RunFile: opt(File),
});

function presentHit(item: SearchItem) {
  const Score = item.score;
  switch (item.kind) {
    case 'project':
      return { Type: 'Project', Score, Project: present.projectCompact(item.project) };
    case 'sample':
      return { Type: 'Sample', Score, Sample: present.sampleCompact(item.sample) };
    case 'appresult':
      return {
        Type: 'AppResult',
        Score,
        AppResult: present.appResultCompact(item.appResult, item.session),
      };
    case 'run':
      return { Type: 'Run', Score, Run: present.runCompact(item.run) };
    case 'sample_file':
      return { Type: 'SampleFile', Score, SampleFile: present.file(item.file) };
    case 'appresult_file':
      return { Type: 'AppResultFile', Score, AppResultFile: present.file(item.file) };
    case 'run_file':
      return { Type: 'RunFile', Score, RunFile: present.file(item.file) };
  }
}

export const searchRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  app.get(
    '/search',
    {
      schema: {
        tags: ['Search'],
        summary: "Full-text search over the caller's projects, samples, app results, runs, files",
        querystring: Type.Object({
          query: Type.String({
            maxLength: SEARCH_LIMITS.queryLength,
            description:
              'Words (all must match), "quoted phrases", name:x or <type>.name:x, prefix abc*',
          }),
          scope: opt(
            Type.String({
              maxLength: 256,
              description: `Comma list of ${SearchScopes.join(', ')}; default all`,
            }),
          ),
          ...ListQuery(SearchSorts).properties,
        }),
        response: { 200: ListEnvelope(SearchHit), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const sortBy = q.SortBy ?? 'Score';
      const page = {
        offset: q.Offset ?? 0,
        limit: q.Limit ?? DEFAULT_LIMIT,
        sortBy,
        // Best first by default: Score descending; names and dates ascending like every list.
        sortDir: q.SortDir ?? (sortBy === 'Score' ? 'Desc' : 'Asc'),
      } as const;
      const result = await services.search.search(
        request.principal,
        { query: q.query, scope: q.scope },
        page,
      );
      const items = result.items.map(presentHit);
      return ok({
        Items: items,
        DisplayedCount: items.length,
        TotalCount: result.totalCount,
        Offset: page.offset,
        Limit: page.limit,
        SortDir: page.sortDir,
        SortBy: page.sortBy,
      });
    },
  );
};
