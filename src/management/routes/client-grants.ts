/**
 * /api/v2/client-grants: which client may get `client_credentials` tokens for which API, with which scopes
 * (the authorization client_credentials checks, see oauth/grants/client-credentials.ts). Auth0 paths and errors;
 * one grant per (client_id, audience). Unlike Auth0, Baton refuses scopes the API does not define, so a typo
 * fails at configuration time instead of at the token endpoint.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope, typed } from '../plugin.js';
import { badRequest, conflict, forbidden, notFound } from '../errors.js';
import { newClientGrantId } from '../../storage/ids.js';
import type { ClientGrant } from '../../storage/repositories/client-grants.js';
import { listResponseSchema, pagedResult, pagingQueryProperties } from './paging.js';
import { checkpointOf, checkpointQueryProperties, checkpointResponseSchema, isCheckpoint } from './checkpoint.js';
import { written } from '../../storage/repositories/outcome.js';
import { accepted } from '../refusals.js';
import { idParams } from './params.js';
import { deleteByIdRoute } from './delete-route.js';

const scopeArray = {
  type: 'array',
  maxItems: 1000,
  uniqueItems: true,
  items: { type: 'string', minLength: 1, maxLength: 280 },
} as const;

const grantSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    client_id: { type: 'string' },
    audience: { type: 'string' },
    scope: { type: 'array', items: { type: 'string' } },
  },
} as const;

const grantConflict = () => conflict('Client grant already exists', 'client_grant_conflict');

/**
 * L1 (docs/security.md): the global admin client's grant for the Management API is Baton's to manage (bootstrap
 * restores it at every start), like the client itself: narrowing or deleting it through the API would lock the
 * operator out until the next start.
 */
async function refuseIfGlobalManagementGrant(ctx: AppContext, grant: ClientGrant): Promise<void> {
  if (grant.audience !== ctx.managementAudience) return;
  const client = await ctx.repos.clients.get(grant.client_id);
  if (client?.global) {
    throw forbidden(
      "The global client's grant for the Management API cannot be changed through the Management API",
      'operation_not_supported',
    );
  }
}

/** The API must define every scope of a grant (spec section 2.2: scopes come from the API). */
async function checkScopesDefined(ctx: AppContext, audience: string, scope: string[]): Promise<void> {
  const api = await ctx.repos.resourceServers.getByIdentifier(audience);
  if (!api) throw notFound(`No resource server found by specified audience: ${audience}`, 'inexistent_resource_server');
  const defined = new Set(api.scopes.map((s) => s.value));
  const unknown = scope.filter((s) => !defined.has(s));
  if (unknown.length) {
    throw badRequest(`Scopes not defined by the resource server ${audience}: ${unknown.join(', ')}`, 'invalid_scope');
  }
}

export function clientGrantRoutes(untyped: FastifyInstance, ctx: AppContext): void {
  const app = typed(untyped);
  app.post(
    '/client-grants',
    {
      preHandler: requireScope('create:client_grants'),
      schema: {
        body: {
          type: 'object',
          required: ['client_id', 'audience', 'scope'],
          additionalProperties: false,
          properties: {
            client_id: { type: 'string', minLength: 1, maxLength: 64 },
            audience: { type: 'string', minLength: 1, maxLength: 600 },
            scope: scopeArray,
          },
        },
        response: { 201: grantSchema },
      },
    },
    async (request, reply) => {
      const { client_id, audience, scope } = request.body;
      if (!(await ctx.repos.clients.get(client_id))) throw notFound('Client not found', 'inexistent_client');
      await checkScopesDefined(ctx, audience, scope);
      if (await ctx.repos.clientGrants.find(client_id, audience)) throw grantConflict();
      // The repository's create throws on a duplicate (test/storage pins it): written() is the same outcome.
      const grant = accepted(
        await written(() => ctx.repos.clientGrants.create({ id: newClientGrantId(), client_id, audience, scope })),
        {
          duplicate: grantConflict,
        },
      );
      return reply.status(201).send(grant);
    },
  );

  app.get(
    '/client-grants',
    {
      preHandler: requireScope('read:client_grants'),
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...pagingQueryProperties,
            ...checkpointQueryProperties,
            audience: { type: 'string' },
            client_id: { type: 'string' },
          },
        },
        response: {
          200: {
            anyOf: [
              listResponseSchema('client_grants', grantSchema),
              checkpointResponseSchema('client_grants', grantSchema),
            ],
          },
        },
      },
    },
    async (request) => {
      const q = request.query;
      // Auth0 pages client grants by checkpoint too (`from`/`take`; the Deploy CLI reads them so).
      if (isCheckpoint(q)) {
        return ctx.repos.clientGrants.listAfter({
          ...checkpointOf(q),
          ...(q.client_id ? { clientId: q.client_id } : {}),
          ...(q.audience ? { audience: q.audience } : {}),
        });
      }
      const { client_grants, total } = await ctx.repos.clientGrants.list({
        page: q.page,
        perPage: q.per_page,
        ...(q.client_id ? { clientId: q.client_id } : {}),
        ...(q.audience ? { audience: q.audience } : {}),
      });
      return pagedResult('client_grants', client_grants, total, q);
    },
  );

  app.get(
    '/client-grants/:id',
    {
      preHandler: requireScope('read:client_grants'),
      schema: { params: idParams, response: { 200: grantSchema } },
    },
    async (request) => {
      const grant = await ctx.repos.clientGrants.get(request.params.id);
      if (!grant) throw notFound('The client grant does not exist', 'inexistent_client_grant');
      return grant;
    },
  );

  app.patch(
    '/client-grants/:id',
    {
      preHandler: requireScope('update:client_grants'),
      schema: {
        params: idParams,
        body: { type: 'object', additionalProperties: false, properties: { scope: scopeArray } },
        response: { 200: grantSchema },
      },
    },
    async (request) => {
      const grant = await ctx.repos.clientGrants.get(request.params.id);
      if (!grant) throw notFound('The client grant does not exist', 'inexistent_client_grant');
      const scope = request.body?.scope;
      if (scope === undefined) return grant;
      await refuseIfGlobalManagementGrant(ctx, grant);
      await checkScopesDefined(ctx, grant.audience, scope);
      return (await ctx.repos.clientGrants.updateScope(grant.id, scope)) ?? grant;
    },
  );

  deleteByIdRoute(untyped, {
    path: '/client-grants/:id',
    scope: 'delete:client_grants',
    remove: async (id) => {
      const grant = await ctx.repos.clientGrants.get(id);
      if (grant) await refuseIfGlobalManagementGrant(ctx, grant);
      if (!(await ctx.repos.clientGrants.delete(id))) {
        throw notFound('The client grant does not exist', 'inexistent_client_grant');
      }
    },
  });
}
