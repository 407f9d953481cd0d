/**
 * /api/v2/organizations/{id}/members: Auth0's `{members: [user_id]}` bodies; the list pages by `page`/`per_page`
 * or by checkpoint (`from`/`take`, with `fields` projection there).
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope, typed } from '../plugin.js';
import { badRequest } from '../errors.js';
import { listResponseSchema, pagedResult, pagingQueryProperties } from './paging.js';
import { checkpointOf, checkpointQueryProperties, checkpointResponseSchema, isCheckpoint } from './checkpoint.js';
import { fieldsQueryProperties, projectFields } from './fields.js';
import { idParams } from './params.js';
import { memberSchema, membersBody } from './organization-schemas.js';
import { findOrg } from './organizations.js';

export function organizationMemberRoutes(untyped: FastifyInstance, ctx: AppContext): void {
  const app = typed(untyped);
  const orgs = ctx.repos.organizations;

  app.get(
    '/organizations/:id/members',
    {
      preHandler: requireScope('read:organization_members'),
      schema: {
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...pagingQueryProperties, ...checkpointQueryProperties, ...fieldsQueryProperties },
        },
        response: {
          200: {
            anyOf: [listResponseSchema('members', memberSchema), checkpointResponseSchema('members', memberSchema)],
          },
        },
      },
    },
    async (request) => {
      await findOrg(ctx, request.params.id);
      const q = request.query;
      if (isCheckpoint(q)) {
        const { members, next } = await orgs.listMembers(request.params.id, checkpointOf(q));
        return { members: members.map((m) => projectFields(m, q)), ...(next ? { next } : {}) };
      }
      const { members, total } = await orgs.listMembers(request.params.id, { page: q.page, perPage: q.per_page });
      return pagedResult('members', members, total, q);
    },
  );

  app.post(
    '/organizations/:id/members',
    {
      preHandler: requireScope('create:organization_members'),
      schema: { params: idParams, body: membersBody },
    },
    async (request, reply) => {
      await findOrg(ctx, request.params.id);
      const { missing } = await orgs.addMembers(request.params.id, request.body.members);
      if (missing.length) throw badRequest(`One or more users do not exist: ${missing.join(', ')}`, 'inexistent_user');
      return reply.status(204).send();
    },
  );

  app.delete(
    '/organizations/:id/members',
    {
      preHandler: requireScope('delete:organization_members'),
      schema: { params: idParams, body: membersBody },
    },
    async (request, reply) => {
      await findOrg(ctx, request.params.id);
      await orgs.removeMembers(request.params.id, request.body.members);
      return reply.status(204).send();
    },
  );
}
