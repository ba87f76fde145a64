import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import * as present from '../presenters/genomics.presenter.js';
import { coverageAnswers, coverageJson } from '../presenters/coverage-json.presenter.js';
import { variantAnswers, variantWriter } from '../presenters/variant-json.presenter.js';
import { Envelope, IdParams, ListEnvelope, errorResponses } from '../schemas/common.schema.js';
import {
  Coverage,
  CoverageMeta,
  CoverageQuery,
  HeaderQuery,
  RegionParams,
  Variant,
  VariantHeader,
  VariantQuery,
} from '../schemas/genomics.schema.js';
import type { RouteDeps } from './deps.js';
import { ok, okAround, okList } from './reply.js';
import { DEFAULT_LIMIT } from '../../domain/index.js';
import { MAX_VARIANT_PAGE, type BufferPool } from '../../services/index.js';

const TextBody = Type.String({ description: 'VCF text (Format=vcf)' });

/**
 * Variants and coverage of indexed VCF/BAM files (spec 3.9, 3.10, 4.11, 4.12): canonical
 * `variantset/{id}` and `coverage/{id}` paths, and the `files/{id}/variants|coverage` aliases.
 */
export const genomicsRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (app, { services }) => {
  const tags = ['Genomics'];
  const g = () => services.genomics;

  for (const path of ['/variantset/:id', '/files/:id/variants']) {
    app.get(
      path,
      {
        schema: {
          tags,
          summary: 'VCF header: metadata, INFO/FORMAT/FILTER/contig legends, samples',
          params: IdParams,
          querystring: HeaderQuery,
          response: { 200: Envelope(VariantHeader), ...errorResponses },
        },
      },
      async (request, reply) => {
        const set = await g().variantSet(request.principal, request.params.id);
        if (request.query.Format === 'vcf') {
          return reply.type('text/plain; charset=utf-8').send(set.manifest.header);
        }
        return ok(present.variantHeader(set.file.id, set.info));
      },
    );
  }

  for (const path of ['/variantset/:id/variants/:chrom', '/files/:id/variants/:chrom']) {
    app.get(
      path,
      {
        schema: {
          tags,
          summary:
            'Records overlapping StartPos..EndPos (1-based, inclusive), paged (at most 1000); 404 when none',
          params: RegionParams,
          querystring: VariantQuery,
          response: {
            200: {
              description: 'The records (JSON), or their VCF lines (Format=vcf)',
              content: {
                'application/json': { schema: ListEnvelope(Variant) },
                'text/plain': { schema: TextBody },
              },
            },
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const page = {
          offset: q.Offset ?? 0,
          limit: Math.min(q.Limit ?? DEFAULT_LIMIT, MAX_VARIANT_PAGE),
          descending: q.SortDir === 'Desc',
        };
        const result = await g().variants(
          request.principal,
          request.params.id,
          request.params.chrom,
          q.StartPos,
          q.EndPos,
          page,
        );
        if (q.Format === 'vcf') {
          reply.raw.once('finish', result.release);
          return reply.type('text/plain; charset=utf-8').send(result.vcf);
        }
        // The records' JSON is written straight from the VCF bytes (variant-json.presenter.ts)
        // between the two halves of the page's envelope.
        const list = okList(
          { items: [], totalCount: result.totalCount },
          {
            offset: page.offset,
            limit: page.limit,
            sortBy: 'Position',
            sortDir: page.descending ? 'Desc' : 'Asc',
          },
          () => null,
        ).Response;
        const [head, tail] = okAround({ ...list, DisplayedCount: result.count }, 'Items');
        return sendPooledJson(reply, variantAnswers, (into) => {
          const body = variantWriter(result.header).page(result.vcf, head, tail, into);
          result.release();
          return body;
        });
      },
    );
  }

  for (const path of ['/coverage/:id/:chrom', '/files/:id/coverage/:chrom']) {
    app.get(
      path,
      {
        schema: {
          tags,
          summary:
            'Mean depth per bucket over StartPos..EndPos (1-based, inclusive), widened to whole buckets',
          params: RegionParams,
          querystring: CoverageQuery,
          response: { 200: Envelope(Coverage), ...errorResponses },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const answer = await g().coverage(
          request.principal,
          request.params.id,
          request.params.chrom,
          {
            startPos: q.StartPos,
            endPos: q.EndPos,
            zoomLevel: q.zoomLevel,
            bucketSize: q.BucketSize,
          },
        );
        // The means are printed straight into the answer between the envelope's halves
        // (coverage-json.presenter.ts).
        const [head, tail] = okAround(present.coverage(request.params.id, answer), 'MeanCoverage');
        return sendPooledJson(reply, coverageAnswers, (into) =>
          coverageJson(head, answer.means, tail, into),
        );
      },
    );
  }

  for (const path of ['/coverage/:id/:chrom/meta', '/files/:id/coverage/:chrom/meta']) {
    app.get(
      path,
      {
        schema: {
          tags,
          summary: 'Highest per-base depth on the chromosome and the smallest bucket',
          params: RegionParams,
          response: { 200: Envelope(CoverageMeta), ...errorResponses },
        },
      },
      async (request) => {
        const m = await g().coverageMeta(
          request.principal,
          request.params.id,
          request.params.chrom,
        );
        return ok({
          Id: request.params.id,
          Chrom: m.name,
          MaxCoverage: m.maxCoverage,
          CoverageGranularity: m.granularity,
          Length: m.length,
          BucketSizes: m.levels.map((l) => l.bucketSize),
        });
      },
    );
  }
};

/**
 * Sends the JSON `write` puts into a buffer of `pool` (a view of it, or a larger buffer of its
 * own), the buffer given back once the socket has taken the answer.
 */
function sendPooledJson(
  reply: FastifyReply,
  pool: BufferPool,
  write: (into: Buffer) => Buffer,
): FastifyReply {
  const into = pool.take();
  const body = write(into);
  reply.raw.once('finish', () => pool.give(into));
  return reply.type('application/json; charset=utf-8').send(body);
}
