/**
 * /api/v2/organizations (spec sections 6.5 and 7.3, DESIGN D6): CRUD, lookup by name, members
 * (`{members: [user_id]}`) and enabled connections (`assign_membership_on_login`). Auth0's shapes and scopes.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope } from '../plugin.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { newOrganizationId } from '../../storage/ids.js';
import {
  OrganizationExistsError,
  type Organization,
  type OrganizationPatch,
} from '../../storage/repositories/organizations.js';
import { listResponseSchema, pagedResult, pagingQueryProperties, type PagingQuery } from './paging.js';
import {
  checkpointQueryProperties,
  checkpointResponseSchema,
  isCheckpoint,
  type CheckpointQuery,
} from './checkpoint.js';
import { idParams } from './params.js';

const mutable = {
  name: { type: 'string', minLength: 1, maxLength: 50, pattern: '^[a-z0-9_-]+$' },
  display_name: { type: 'string', minLength: 1, maxLength: 255 },
  metadata: {
    type: 'object',
    maxProperties: 25,
    additionalProperties: { type: 'string', maxLength: 255 },
    propertyNames: { maxLength: 255 },
  },
  branding: {
    type: 'object',
    additionalProperties: false,
    properties: {
      logo_url: { type: 'string', format: 'uri', maxLength: 2000 },
      colors: {
        type: 'object',
        additionalProperties: false,
        required: ['primary', 'page_background'],
        properties: {
          primary: { type: 'string', pattern: '^#[0-9a-fA-F]{6}$' },
          page_background: { type: 'string', pattern: '^#[0-9a-fA-F]{6}$' },
        },
      },
    },
  },
} as const;

const enabledConnectionBody = {
  type: 'object',
  required: ['connection_id'],
  additionalProperties: false,
  properties: {
    connection_id: { type: 'string', minLength: 1, maxLength: 64 },
    assign_membership_on_login: { type: 'boolean' },
  },
} as const;

const orgSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    display_name: { type: 'string' },
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
    branding: { type: 'object', additionalProperties: true },
  },
} as const;

const memberSchema = {
  type: 'object',
  properties: {
    user_id: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    picture: { type: 'string' },
  },
} as const;

const enabledConnectionSchema = {
  type: 'object',
  properties: {
    connection_id: { type: 'string' },
    assign_membership_on_login: { type: 'boolean' },
    connection: { type: 'object', properties: { name: { type: 'string' }, strategy: { type: 'string' } } },
  },
} as const;

const connParams = {
  type: 'object',
  required: ['id', 'connectionId'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 64 },
    connectionId: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;
const membersBody = {
  type: 'object',
  required: ['members'],
  additionalProperties: false,
  properties: {
    members: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'string', minLength: 1, maxLength: 300 } },
  },
} as const;

interface OrgBody {
  name?: string;
  display_name?: string;
  metadata?: Record<string, string>;
  branding?: Record<string, unknown>;
}

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

async function findOrg(ctx: AppContext, id: string): Promise<Organization> {
  const o = await ctx.repos.organizations.get(id);
  if (!o) throw orgNotFound();
  return o;
}

export async function organizationRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const orgs = ctx.repos.organizations;

  app.post<{
    Body: OrgBody & {
      name: string;
      enabled_connections?: Array<{ connection_id: string; assign_membership_on_login?: boolean }>;
    };
  }>(
    '/organizations',
    {
      preHandler: requireScope('create:organizations'),
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            ...mutable,
            enabled_connections: { type: 'array', maxItems: 10, items: enabledConnectionBody },
          },
        },
        response: { 201: orgSchema },
      },
    },
    async (request, reply) => {
      const b = request.body;
      for (const c of b.enabled_connections ?? []) {
        if (!(await ctx.repos.connections.get(c.connection_id)))
          throw badRequest('The connection does not exist.', 'inexistent_connection');
      }
      try {
        const o = await orgs.create({
          id: newOrganizationId(),
          name: b.name,
          display_name: b.display_name ?? null,
          metadata: b.metadata ?? {},
          branding: b.branding ?? null,
        });
        for (const c of b.enabled_connections ?? [])
          await orgs.enableConnection(o.id, c.connection_id, c.assign_membership_on_login ?? false);
        return reply.status(201).send(present(o));
      } catch (err) {
        if (err instanceof OrganizationExistsError) throw nameConflict();
        throw err;
      }
    },
  );

  app.get<{ Querystring: PagingQuery & CheckpointQuery }>(
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
              listResponseSchema('organizations', orgSchema),
              checkpointResponseSchema('organizations', orgSchema),
            ],
          },
        },
      },
    },
    async (request) => {
      const q = request.query;
      if (isCheckpoint(q)) {
        const { organizations, next } = await orgs.listAfter({
          take: q.take ?? 50,
          ...(q.from !== undefined ? { from: q.from } : {}),
        });
        return { organizations: organizations.map(present), ...(next ? { next } : {}) };
      }
      const { organizations, total } = await orgs.list({ page: q.page, perPage: q.per_page });
      return pagedResult('organizations', organizations.map(present), total, q);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/organizations/:id',
    {
      preHandler: requireScope('read:organizations'),
      schema: { params: idParams, response: { 200: orgSchema } },
    },
    async (request) => present(await findOrg(ctx, request.params.id)),
  );

  app.get<{ Params: { name: string } }>(
    '/organizations/name/:name',
    {
      preHandler: requireScope('read:organizations'),
      schema: {
        params: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 50 } },
        },
        response: { 200: orgSchema },
      },
    },
    async (request) => {
      const o = await orgs.getByName(request.params.name);
      if (!o) throw orgNotFound();
      return present(o);
    },
  );

  app.patch<{ Params: { id: string }; Body: OrgBody }>(
    '/organizations/:id',
    {
      preHandler: requireScope('update:organizations'),
      schema: {
        params: idParams,
        body: { type: 'object', additionalProperties: false, properties: mutable },
        response: { 200: orgSchema },
      },
    },
    async (request) => {
      await findOrg(ctx, request.params.id);
      try {
        const updated = await orgs.update(request.params.id, (request.body ?? {}) as OrganizationPatch);
        if (!updated) throw orgNotFound();
        return present(updated);
      } catch (err) {
        if (err instanceof OrganizationExistsError) throw nameConflict();
        throw err;
      }
    },
  );

  // Auth0 answers 204 whether or not the organization existed.
  app.delete<{ Params: { id: string } }>(
    '/organizations/:id',
    {
      preHandler: requireScope('delete:organizations'),
      schema: { params: idParams },
    },
    async (request, reply) => {
      await orgs.delete(request.params.id);
      return reply.status(204).send();
    },
  );

  app.get<{
    Params: { id: string };
    Querystring: PagingQuery & CheckpointQuery & { fields?: string; include_fields?: boolean };
  }>(
    '/organizations/:id/members',
    {
      preHandler: requireScope('read:organization_members'),
      schema: {
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...pagingQueryProperties,
            ...checkpointQueryProperties,
            fields: { type: 'string' },
            include_fields: { type: 'boolean', default: true },
          },
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
        const { members, next } = await orgs.listMembers(request.params.id, {
          take: q.take ?? 50,
          ...(q.from !== undefined ? { from: q.from } : {}),
        });
        const fields = q.fields ? new Set(q.fields.split(',').map((f) => f.trim())) : undefined;
        const projected = fields
          ? members.map((m) =>
              Object.fromEntries(Object.entries(m).filter(([k]) => fields.has(k) === (q.include_fields !== false))),
            )
          : members;
        return { members: projected, ...(next ? { next } : {}) };
      }
      const { members, total } = await orgs.listMembers(request.params.id, { page: q.page, perPage: q.per_page });
      return pagedResult('members', members, total, q);
    },
  );

  app.post<{ Params: { id: string }; Body: { members: string[] } }>(
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

  app.delete<{ Params: { id: string }; Body: { members: string[] } }>(
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

  app.get<{ Params: { id: string }; Querystring: PagingQuery }>(
    '/organizations/:id/enabled_connections',
    {
      preHandler: requireScope('read:organization_connections'),
      schema: {
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, properties: pagingQueryProperties },
        response: { 200: listResponseSchema('enabled_connections', enabledConnectionSchema) },
      },
    },
    async (request) => {
      await findOrg(ctx, request.params.id);
      const q = request.query;
      const all = await orgs.enabledConnections(request.params.id);
      return pagedResult(
        'enabled_connections',
        all.slice(q.page * q.per_page, (q.page + 1) * q.per_page),
        all.length,
        q,
      );
    },
  );

  app.post<{ Params: { id: string }; Body: { connection_id: string; assign_membership_on_login?: boolean } }>(
    '/organizations/:id/enabled_connections',
    {
      preHandler: requireScope('create:organization_connections'),
      schema: { params: idParams, body: enabledConnectionBody, response: { 201: enabledConnectionSchema } },
    },
    async (request, reply) => {
      await findOrg(ctx, request.params.id);
      const { connection_id, assign_membership_on_login = false } = request.body;
      if (!(await orgs.enableConnection(request.params.id, connection_id, assign_membership_on_login))) {
        throw badRequest('The connection does not exist.', 'inexistent_connection');
      }
      return reply.status(201).send(await orgs.enabledConnection(request.params.id, connection_id));
    },
  );

  app.get<{ Params: { id: string; connectionId: string } }>(
    '/organizations/:id/enabled_connections/:connectionId',
    {
      preHandler: requireScope('read:organization_connections'),
      schema: { params: connParams, response: { 200: enabledConnectionSchema } },
    },
    async (request) => {
      await findOrg(ctx, request.params.id);
      const c = await orgs.enabledConnection(request.params.id, request.params.connectionId);
      if (!c) throw notFound('The connection is not enabled for this organization', 'inexistent_connection');
      return c;
    },
  );

  app.patch<{ Params: { id: string; connectionId: string }; Body: { assign_membership_on_login: boolean } }>(
    '/organizations/:id/enabled_connections/:connectionId',
    {
      preHandler: requireScope('update:organization_connections'),
      schema: {
        params: connParams,
        body: {
          type: 'object',
          required: ['assign_membership_on_login'],
          additionalProperties: false,
          properties: { assign_membership_on_login: { type: 'boolean' } },
        },
        response: { 200: enabledConnectionSchema },
      },
    },
    async (request) => {
      await findOrg(ctx, request.params.id);
      const { id, connectionId } = request.params;
      if (!(await orgs.updateEnabledConnection(id, connectionId, request.body.assign_membership_on_login))) {
        throw notFound('The connection is not enabled for this organization', 'inexistent_connection');
      }
      return orgs.enabledConnection(id, connectionId);
    },
  );

  app.delete<{ Params: { id: string; connectionId: string } }>(
    '/organizations/:id/enabled_connections/:connectionId',
    {
      preHandler: requireScope('delete:organization_connections'),
      schema: { params: connParams },
    },
    async (request, reply) => {
      await findOrg(ctx, request.params.id);
      if (!(await orgs.disableConnection(request.params.id, request.params.connectionId))) {
        throw notFound('The connection is not enabled for this organization', 'inexistent_connection');
      }
      return reply.status(204).send();
    },
  );
}
