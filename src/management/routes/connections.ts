/**
 * /api/v2/connections: where users come from (DESIGN section 2). Strategy `auth0` is a database connection; any
 * other strategy (`oidc`, `samlp`, `google-oauth2`, `custom`, ...) is a named connection whose users arrive through
 * `setUserByConnection` (spec section 6.3). Clients are enabled through `enabled_clients` or
 * `PATCH /connections/{id}/clients` with Auth0's body `[{client_id, status}]`.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope, typed } from '../plugin.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { newConnectionId } from '../../storage/ids.js';
import { written } from '../../storage/repositories/outcome.js';
import { accepted } from '../refusals.js';
import type { Connection } from '../../storage/repositories/connections.js';
import { listQuery, listResponseSchema, pagedResult } from './paging.js';
import { openOptions, sealOptions } from './connection-secrets.js';
import { CONNECTION_NAME_PATTERN, CONNECTION_NAME_MAX_LENGTH } from '../../storage/repositories/connections.js';
import { checkpointQueryProperties, checkpointResponseSchema, isCheckpoint } from './checkpoint.js';
import { idParams } from './params.js';
import { deleteByIdRoute } from './delete-route.js';
import { fieldsQueryProperties, projectFields } from './fields.js';

const metadataSchema = {
  type: 'object',
  maxProperties: 10,
  additionalProperties: { type: 'string', maxLength: 255 },
  propertyNames: { maxLength: 255 },
} as const;

const mutable = {
  display_name: { type: 'string', minLength: 1, maxLength: 128 },
  options: { type: 'object', additionalProperties: true },
  enabled_clients: { type: 'array', maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 64 } },
  metadata: metadataSchema,
  // What Baton answers for these (present below), accepted back so that a read connection can be written again.
  is_domain_connection: { type: 'boolean' },
  realms: { type: 'array', maxItems: 10, items: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

const createBody = {
  type: 'object',
  required: ['name', 'strategy'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: CONNECTION_NAME_MAX_LENGTH, pattern: CONNECTION_NAME_PATTERN },
    // Any strategy name, but never a `|`: it is part of user ids.
    strategy: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9_-]+$' },
    ...mutable,
  },
} as const;

const patchBody = { type: 'object', additionalProperties: false, properties: mutable } as const;

const connectionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    display_name: { type: 'string' },
    strategy: { type: 'string' },
    options: { type: 'object', additionalProperties: true },
    enabled_clients: { type: 'array', items: { type: 'string' } },
    realms: { type: 'array', items: { type: 'string' } },
    is_domain_connection: { type: 'boolean' },
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

async function present(ctx: AppContext, c: Connection): Promise<Record<string, unknown>> {
  return {
    id: c.id,
    name: c.name,
    ...(c.display_name !== null ? { display_name: c.display_name } : {}),
    strategy: c.strategy,
    options: await openOptions(ctx.sealer, c.id, c.options),
    enabled_clients: c.enabled_clients,
    realms: [c.name],
    is_domain_connection: false,
    metadata: c.metadata,
  };
}

/**
 * `is_domain_connection` and `realms` are fixed in Baton: it has no login pages to offer a domain connection on,
 * and a connection's one realm is its name. The values Baton answers are accepted back; others are refused, never
 * silently dropped. Returns the body without them.
 */
function withoutFixedFields<B extends { is_domain_connection?: boolean; realms?: string[] }>(
  body: B,
  name: string,
): Omit<B, 'is_domain_connection' | 'realms'> {
  const { is_domain_connection, realms, ...rest } = body;
  if (is_domain_connection === true)
    throw badRequest(
      "Payload validation error: 'Baton has no login pages: a connection cannot be a domain connection' on property is_domain_connection.",
    );
  if (realms !== undefined && (realms.length !== 1 || realms[0] !== name))
    throw badRequest(`Payload validation error: 'a connection's only realm is its name (${name})' on property realms.`);
  return rest;
}

async function findConnection(ctx: AppContext, id: string): Promise<Connection> {
  const c = await ctx.repos.connections.get(id);
  if (!c) throw notFound('The connection does not exist', 'inexistent_connection');
  return c;
}

/** Enabled clients must name clients that exist. */
async function checkClients(ctx: AppContext, clientIds: string[] | undefined): Promise<void> {
  if (!clientIds) return;
  const unknown: string[] = [];
  for (const id of new Set(clientIds)) if (!(await ctx.repos.clients.get(id))) unknown.push(id);
  if (unknown.length) throw badRequest(`The client does not exist: ${unknown.join(', ')}`, 'inexistent_client');
}

const nameConflict = () => conflict('A connection with the same name already exists', 'connection_conflict');

export function connectionRoutes(untyped: FastifyInstance, ctx: AppContext): void {
  const app = typed(untyped);
  app.post(
    '/connections',
    {
      preHandler: requireScope('create:connections'),
      schema: { body: createBody, response: { 201: connectionSchema } },
    },
    async (request, reply) => {
      const b = withoutFixedFields(request.body, request.body.name);
      await checkClients(ctx, b.enabled_clients);
      if (await ctx.repos.connections.getByName(b.name)) throw nameConflict();
      const id = newConnectionId();
      const options = await sealOptions(ctx.sealer, id, b.options ?? {});
      // The repository's create returns the connection (test/storage uses it): written() gives the route the outcome.
      const c = accepted(
        await written(() =>
          ctx.repos.connections.create({
            id,
            name: b.name,
            strategy: b.strategy,
            display_name: b.display_name ?? null,
            options,
            enabled_clients: b.enabled_clients ?? [],
            metadata: b.metadata ?? {},
          }),
        ),
        { duplicate: nameConflict },
      );
      return reply.status(201).send(await present(ctx, c));
    },
  );

  app.get(
    '/connections',
    {
      preHandler: requireScope('read:connections'),
      schema: {
        querystring: listQuery({
          ...checkpointQueryProperties,
          strategy: { type: 'array', items: { type: 'string' } },
          name: { type: 'string' },
          ...fieldsQueryProperties,
        }),
        response: {
          200: {
            anyOf: [
              listResponseSchema('connections', connectionSchema),
              checkpointResponseSchema('connections', connectionSchema),
            ],
          },
        },
      },
    },
    async (request) => {
      const q = request.query;
      const filters = {
        ...(q.strategy ? { strategy: q.strategy } : {}),
        ...(q.name !== undefined ? { name: q.name } : {}),
      };
      if (isCheckpoint(q)) {
        const { connections, next } = await ctx.repos.connections.listAfter({
          ...filters,
          take: q.take ?? 50,
          ...(q.from !== undefined ? { from: q.from } : {}),
        });
        const presented = await Promise.all(connections.map(async (c) => projectFields(await present(ctx, c), q)));
        return { connections: presented, ...(next ? { next } : {}) };
      }
      const { connections, total } = await ctx.repos.connections.list({
        page: q.page,
        perPage: q.per_page,
        ...(q.strategy ? { strategy: q.strategy } : {}),
        ...(q.name !== undefined ? { name: q.name } : {}),
      });
      const presented = await Promise.all(connections.map(async (c) => projectFields(await present(ctx, c), q)));
      return pagedResult('connections', presented, total, q);
    },
  );

  app.get(
    '/connections/:id',
    {
      preHandler: requireScope('read:connections'),
      schema: { params: idParams, response: { 200: connectionSchema } },
    },
    async (request) => present(ctx, await findConnection(ctx, request.params.id)),
  );

  app.patch(
    '/connections/:id',
    {
      preHandler: requireScope('update:connections'),
      schema: { params: idParams, body: patchBody, response: { 200: connectionSchema } },
    },
    async (request) => {
      const existing = await findConnection(ctx, request.params.id);
      const b = withoutFixedFields(request.body ?? {}, existing.name);
      await checkClients(ctx, b.enabled_clients);
      // Auth0 replaces `options` and `metadata` as a whole.
      const patch = b.options ? { ...b, options: await sealOptions(ctx.sealer, request.params.id, b.options) } : b;
      const updated = await ctx.repos.connections.update(request.params.id, patch);
      if (!updated) throw notFound('The connection does not exist', 'inexistent_connection');
      return present(ctx, updated);
    },
  );

  deleteByIdRoute(untyped, {
    path: '/connections/:id',
    scope: 'delete:connections',
    remove: async (id) => {
      if (!(await ctx.repos.connections.delete(id)))
        throw notFound('The connection does not exist', 'inexistent_connection');
    },
  });

  app.get(
    '/connections/:id/clients',
    {
      preHandler: requireScope('read:connections'),
      schema: {
        params: idParams,
        querystring: { type: 'object', additionalProperties: false, properties: checkpointQueryProperties },
        response: {
          200: checkpointResponseSchema('clients', { type: 'object', properties: { client_id: { type: 'string' } } }),
        },
      },
    },
    async (request) => {
      const c = await findConnection(ctx, request.params.id);
      const ids = [...c.enabled_clients].sort();
      const after = request.query.from !== undefined ? ids.filter((id) => id > request.query.from!) : ids;
      const take = request.query.take ?? 50;
      const page = after.slice(0, take);
      return {
        clients: page.map((client_id) => ({ client_id })),
        ...(after.length > take ? { next: page[page.length - 1] } : {}),
      };
    },
  );

  app.patch(
    '/connections/:id/clients',
    {
      preHandler: requireScope('update:connections'),
      schema: {
        params: idParams,
        body: {
          type: 'array',
          minItems: 1,
          maxItems: 50,
          items: {
            type: 'object',
            required: ['client_id', 'status'],
            additionalProperties: false,
            properties: { client_id: { type: 'string', minLength: 1, maxLength: 64 }, status: { type: 'boolean' } },
          },
        },
      },
    },
    async (request, reply) => {
      await findConnection(ctx, request.params.id);
      await checkClients(
        ctx,
        request.body.filter((c) => c.status).map((c) => c.client_id),
      );
      const updated = await ctx.repos.connections.setClientStatus(request.params.id, request.body);
      if (!updated) throw notFound('The connection does not exist', 'inexistent_connection');
      return reply.status(204).send();
    },
  );
}
