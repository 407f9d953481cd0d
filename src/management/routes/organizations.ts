/**
 * /api/v2/organizations (spec sections 6.5 and 7.3, DESIGN D6): CRUD and lookup by name, Auth0's shapes and
 * scopes. Members and enabled connections have their own files (organization-members.ts,
 * organization-connections.ts); the schemas are in organization-schemas.ts.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope, typed } from '../plugin.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { newOrganizationId } from '../../storage/ids.js';
import type { Organization } from '../../storage/repositories/organizations.js';
import { accepted } from '../refusals.js';
import { listResponseSchema, pagedResult, pagingQueryProperties } from './paging.js';
import { checkpointOf, checkpointQueryProperties, checkpointResponseSchema, isCheckpoint } from './checkpoint.js';
import { idParams } from './params.js';
import { deleteByIdRoute } from './delete-route.js';
import {
  createOrganizationBody,
  nameParams,
  organizationSchema,
  patchOrganizationBody,
} from './organization-schemas.js';

function present(o: Organization) {
  return {
    id: o.id,
    name: o.name,
    ...(o.display_name !== null ? { display_name: o.display_name } : {}),
    metadata: o.metadata,
    ...(o.branding ? { branding: o.branding } : {}),
  };
}

const orgNotFound = () => notFound('No organization found by that id or name', 'inexistent_organization');
const nameConflict = () => conflict('An organization with this name already exists.', 'conflict');
export const connectionMissing = () => badRequest('The connection does not exist.', 'inexistent_connection');

export async function findOrg(ctx: AppContext, id: string): Promise<Organization> {
  const o = await ctx.repos.organizations.get(id);
  if (!o) throw orgNotFound();
  return o;
}

export function organizationRoutes(untyped: FastifyInstance, ctx: AppContext): void {
  const app = typed(untyped);
  const orgs = ctx.repos.organizations;

  app.post(
    '/organizations',
    {
      preHandler: requireScope('create:organizations'),
      schema: { body: createOrganizationBody, response: { 201: organizationSchema } },
    },
    async (request, reply) => {
      const b = request.body;
      for (const c of b.enabled_connections ?? []) {
        if (!(await ctx.repos.connections.get(c.connection_id))) throw connectionMissing();
      }
      const o = accepted(
        await orgs.create({
          id: newOrganizationId(),
          name: b.name,
          display_name: b.display_name ?? null,
          metadata: b.metadata ?? {},
          branding: b.branding ?? null,
        }),
        { duplicate: nameConflict },
      );
      for (const c of b.enabled_connections ?? []) {
        accepted(await orgs.enableConnection(o.id, c.connection_id, c.assign_membership_on_login ?? false), {
          missing_reference: connectionMissing,
        });
      }
      return reply.status(201).send(present(o));
    },
  );

  app.get(
    '/organizations',
    {
      preHandler: requireScope('read:organizations'),
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...pagingQueryProperties, ...checkpointQueryProperties },
        },
        response: {
          200: {
            anyOf: [
              listResponseSchema('organizations', organizationSchema),
              checkpointResponseSchema('organizations', organizationSchema),
            ],
          },
        },
      },
    },
    async (request) => {
      const q = request.query;
      if (isCheckpoint(q)) {
        const { organizations, next } = await orgs.listAfter(checkpointOf(q));
        return { organizations: organizations.map(present), ...(next ? { next } : {}) };
      }
      const { organizations, total } = await orgs.list({ page: q.page, perPage: q.per_page });
      return pagedResult('organizations', organizations.map(present), total, q);
    },
  );

  app.get(
    '/organizations/:id',
    {
      preHandler: requireScope('read:organizations'),
      schema: { params: idParams, response: { 200: organizationSchema } },
    },
    async (request) => present(await findOrg(ctx, request.params.id)),
  );

  app.get(
    '/organizations/name/:name',
    {
      preHandler: requireScope('read:organizations'),
      schema: { params: nameParams, response: { 200: organizationSchema } },
    },
    async (request) => {
      const o = await orgs.getByName(request.params.name);
      if (!o) throw orgNotFound();
      return present(o);
    },
  );

  app.patch(
    '/organizations/:id',
    {
      preHandler: requireScope('update:organizations'),
      schema: { params: idParams, body: patchOrganizationBody, response: { 200: organizationSchema } },
    },
    async (request) => {
      await findOrg(ctx, request.params.id);
      const updated = accepted(await orgs.update(request.params.id, request.body ?? {}), { duplicate: nameConflict });
      if (!updated) throw orgNotFound();
      return present(updated);
    },
  );

  // Auth0 answers 204 whether or not the organization existed.
  deleteByIdRoute(untyped, {
    path: '/organizations/:id',
    scope: 'delete:organizations',
    remove: async (id) => {
      await orgs.delete(id);
    },
  });
}
