import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { type ShareableKind } from '../../domain/index.js';
import * as present from '../presenters/resources.presenter.js';
import * as share from '../presenters/sharing.presenter.js';
import {
  Envelope,
  IdParams,
  ListEnvelope,
  ListQuery,
  errorResponses,
} from '../schemas/common.schema.js';
import { Project, Run } from '../schemas/resources.schema.js';
import {
  AuditEvent,
  Collaborator,
  LevelBody,
  LinkBody,
  OwnerBody,
  ShareBody,
  ShareLink,
} from '../schemas/sharing.schema.js';
import type { RouteDeps } from './deps.js';
import { ok, okList, pageRequest, presentContext } from './reply.js';

const level = (access: 'Read' | 'Write') => (access === 'Write' ? 'write' : 'read');
const IdQuery = ListQuery(['Id'] as const);
const UserParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
  userId: Type.String({ maxLength: 64 }),
});
const conflict = { 409: { $ref: 'ErrorEnvelope#' } } as const;

/**
 * Sharing of projects and runs, share links and audit logs (issue 4). The spec names no
 * endpoints for these; they follow the v1pre3 style (docs/api-choices.md "Sharing").
 */
export const sharingRoutes: FastifyPluginAsyncTypebox<RouteDeps> = async (
  app,
  { services, publicUrl },
) => {
  const sharing = services.sharing;
  const tags = ['Sharing'];

  for (const [collection, kind] of [
    ['projects', 'project'],
    ['runs', 'run'],
  ] as [string, ShareableKind][]) {
    const label = kind === 'project' ? 'project' : 'run';

    app.get(
      `/${collection}/:id/collaborators`,
      {
        schema: {
          tags,
          summary: `Users the ${label} is shared with (owner only)`,
          params: IdParams,
          querystring: IdQuery,
          response: { 200: ListEnvelope(Collaborator), ...errorResponses },
        },
      },
      async (request) => {
        const page = pageRequest(request.query, 'Id');
        const result = await sharing.collaborators(
          request.principal,
          kind,
          request.params.id,
          page,
        );
        return okList(result, page, share.collaborator);
      },
    );

    app.post(
      `/${collection}/:id/collaborators`,
      {
        schema: {
          tags,
          summary: `Share the ${label} with a user (by UserId or Email) at Read or Write; an existing collaborator's level is changed`,
          params: IdParams,
          body: ShareBody,
          response: { 200: Envelope(Collaborator), ...errorResponses },
        },
      },
      async (request) => {
        const b = request.body;
        const result = await sharing.share(
          request.principal,
          kind,
          request.params.id,
          { userId: b.UserId, email: b.Email },
          level(b.Access),
        );
        return ok(share.collaborator(result));
      },
    );

    app.post(
      `/${collection}/:id/collaborators/:userId`,
      {
        schema: {
          tags,
          summary: `Change a collaborator's level on the ${label}`,
          params: UserParams,
          body: LevelBody,
          response: { 200: Envelope(Collaborator), ...errorResponses },
        },
      },
      async (request) => {
        const result = await sharing.setLevel(
          request.principal,
          kind,
          request.params.id,
          request.params.userId,
          level(request.body.Access),
        );
        return ok(share.collaborator(result));
      },
    );

    app.delete(
      `/${collection}/:id/collaborators/:userId`,
      {
        schema: {
          tags,
          summary: `Stop sharing the ${label} with a user`,
          params: UserParams,
          response: { 200: Envelope(Type.String()), ...errorResponses },
        },
      },
      async (request) => {
        await sharing.revoke(request.principal, kind, request.params.id, request.params.userId);
        return ok(`User ${request.params.userId} no longer has access`);
      },
    );

    app.post(
      `/${collection}/:id/owner`,
      {
        schema: {
          tags,
          summary: `Transfer the ${label} to another user (by UserId or Email); the former owner keeps Write access`,
          params: IdParams,
          body: OwnerBody,
          response: {
            200: Envelope(kind === 'project' ? Project : Run),
            ...errorResponses,
            ...conflict,
          },
        },
      },
      async (request) => {
        const b = request.body;
        const result = await sharing.transfer(request.principal, kind, request.params.id, {
          userId: b.UserId,
          email: b.Email,
        });
        const ctx = presentContext(request, publicUrl);
        return ok(
          'experimentName' in result ? present.run(result, ctx) : present.project(result, ctx),
        );
      },
    );

    app.get(
      `/${collection}/:id/auditlog`,
      {
        schema: {
          tags,
          summary: `Audit log of the ${label}: sharing changes, links, downloads (owner only, newest first)`,
          params: IdParams,
          querystring: Type.Object({
            Offset: IdQuery.properties.Offset,
            Limit: IdQuery.properties.Limit,
          }),
          response: { 200: ListEnvelope(AuditEvent), ...errorResponses },
        },
      },
      async (request) => {
        const page = {
          ...pageRequest(request.query, 'Id'),
          sortDir: 'Desc' as const,
        };
        const result = await sharing.auditLog(request.principal, kind, request.params.id, page);
        return okList(result, page, share.auditEvent);
      },
    );
  }

  app.post(
    '/projects/:id/links',
    {
      schema: {
        tags,
        summary: 'Create a read-only share link; its Token is shown in this answer only',
        params: IdParams,
        body: LinkBody,
        response: { 200: Envelope(ShareLink), ...errorResponses },
      },
    },
    async (request) => {
      const { link, token } = await sharing.createLink(
        request.principal,
        request.params.id,
        request.body.Label,
      );
      return ok(share.shareLink(link, token));
    },
  );

  app.get(
    '/projects/:id/links',
    {
      schema: {
        tags,
        summary: "The project's share links, active and deactivated (owner only)",
        params: IdParams,
        querystring: IdQuery,
        response: { 200: ListEnvelope(ShareLink), ...errorResponses },
      },
    },
    async (request) => {
      const page = pageRequest(request.query, 'Id');
      const result = await sharing.links(request.principal, request.params.id, page);
      return okList(result, page, (l) => share.shareLink(l));
    },
  );

  app.delete(
    '/projects/:id/links/:linkId',
    {
      schema: {
        tags,
        summary: 'Deactivate a share link for good',
        params: Type.Object({
          id: Type.String({ maxLength: 64 }),
          linkId: Type.String({ maxLength: 64 }),
        }),
        response: { 200: Envelope(ShareLink), ...errorResponses },
      },
    },
    async (request) =>
      ok(
        share.shareLink(
          await sharing.deactivateLink(request.principal, request.params.id, request.params.linkId),
        ),
      ),
  );
};
