/**
 * /api/v2/resource-servers: the APIs tokens are issued for (spec section 2.2). Auth0 paths, fields and errors;
 * a resource server is addressed by its `id` or by its URL-encoded `identifier`. The system resource server (the
 * Management API itself) cannot be deleted, and only its `token_lifetime` and
 * `skip_consent_for_verifiable_first_party_clients` may change, as in Auth0.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope, typed } from '../plugin.js';
import { ApiError, badRequest, conflict, notFound } from '../errors.js';
import { SIGNING_ALGS, isSigningAlg } from '../../keys/key-set.js';
import { newResourceServerId } from '../../storage/ids.js';
import type {
  ResourceServer,
  ResourceServerPatch,
  ResourceServerScope,
} from '../../storage/repositories/resource-servers.js';
import { listResponseSchema, pagedResult, pagingQueryProperties } from './paging.js';
import { written } from '../../storage/repositories/outcome.js';
import { accepted } from '../refusals.js';
import { deleteByIdRoute } from './delete-route.js';

const DEFAULT_TOKEN_LIFETIME = 86400;
/** Auth0's ceiling for `token_lifetime` (30 days). */
const MAX_TOKEN_LIFETIME = 2592000;
const SYSTEM_MUTABLE = ['token_lifetime', 'skip_consent_for_verifiable_first_party_clients'];

const scopeSchema = {
  type: 'object',
  required: ['value'],
  additionalProperties: false,
  properties: {
    value: { type: 'string', minLength: 1, maxLength: 280, pattern: '^\\S+$' },
    description: { type: 'string', maxLength: 500 },
  },
} as const;

const mutableProperties = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  scopes: { type: 'array', maxItems: 1000, items: scopeSchema },
  signing_alg: { type: 'string' },
  token_lifetime: { type: 'integer', minimum: 1, maximum: MAX_TOKEN_LIFETIME },
  allow_offline_access: { type: 'boolean' },
  skip_consent_for_verifiable_first_party_clients: { type: 'boolean' },
} as const;

const createBody = {
  type: 'object',
  required: ['identifier'],
  additionalProperties: false,
  properties: { identifier: { type: 'string', minLength: 1, maxLength: 600 }, ...mutableProperties },
} as const;

const patchBody = { type: 'object', additionalProperties: false, properties: mutableProperties } as const;

/** Response schemas close their objects: nothing a handler adds by mistake is serialized (fast-json-stringify). */
const resourceServerSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    identifier: { type: 'string' },
    is_system: { type: 'boolean' },
    scopes: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: { value: { type: 'string' }, description: { type: 'string' } },
      },
    },
    signing_alg: { type: 'string' },
    token_lifetime: { type: 'integer' },
    allow_offline_access: { type: 'boolean' },
    skip_consent_for_verifiable_first_party_clients: { type: 'boolean' },
  },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } } as const;

function present(rs: ResourceServer) {
  return {
    id: rs.id,
    name: rs.name,
    identifier: rs.identifier,
    is_system: rs.is_system,
    scopes: rs.scopes,
    signing_alg: rs.signing_alg,
    token_lifetime: rs.token_lifetime,
    allow_offline_access: rs.allow_offline_access,
    skip_consent_for_verifiable_first_party_clients: rs.skip_consent_for_verifiable_first_party_clients,
  };
}

/** Baton signs with asymmetric keys only: an API's tokens must verify against the public JWKS. */
function checkSigningAlg(alg: string | undefined): void {
  if (alg === undefined || isSigningAlg(alg)) return;
  if (alg === 'HS256') {
    throw badRequest(
      `signing_alg HS256 is not supported: Baton signs access tokens with asymmetric keys only (${SIGNING_ALGS.join(', ')}).`,
    );
  }
  throw badRequest(
    `Payload validation error: 'No enum match for: ${alg}' on property signing_alg (one of ${SIGNING_ALGS.join(', ')}).`,
  );
}

function checkScopes(scopes: ResourceServerScope[] | undefined): void {
  if (!scopes) return;
  const seen = new Set<string>();
  for (const s of scopes) {
    if (seen.has(s.value))
      throw badRequest(`Payload validation error: 'Duplicate scope value: ${s.value}' on property scopes.`);
    seen.add(s.value);
  }
}

/** Auth0 accepts the `id` or the (URL-encoded) `identifier` in the path. */
async function findResourceServer(ctx: AppContext, idOrIdentifier: string): Promise<ResourceServer> {
  const rs =
    (await ctx.repos.resourceServers.get(idOrIdentifier)) ??
    (await ctx.repos.resourceServers.getByIdentifier(idOrIdentifier));
  if (!rs) throw notFound('The resource server does not exist', 'inexistent_resource_server');
  return rs;
}

const identifierConflict = () =>
  conflict('A resource server with the same identifier already exists', 'resource_server_conflict');

export function resourceServerRoutes(untyped: FastifyInstance, ctx: AppContext): void {
  const app = typed(untyped);
  app.post(
    '/resource-servers',
    {
      preHandler: requireScope('create:resource_servers'),
      schema: { body: createBody, response: { 201: resourceServerSchema } },
    },
    async (request, reply) => {
      const b = request.body;
      checkSigningAlg(b.signing_alg);
      checkScopes(b.scopes);
      if (await ctx.repos.resourceServers.getByIdentifier(b.identifier)) throw identifierConflict();
      // The repository's create throws on a taken identifier (test/storage pins it): written() is the same outcome.
      const rs = accepted(
        await written(() =>
          ctx.repos.resourceServers.create({
            id: newResourceServerId(),
            identifier: b.identifier,
            name: b.name ?? b.identifier,
            scopes: b.scopes ?? [],
            signing_alg: b.signing_alg ?? 'RS256',
            token_lifetime: b.token_lifetime ?? DEFAULT_TOKEN_LIFETIME,
            allow_offline_access: b.allow_offline_access ?? false,
            skip_consent_for_verifiable_first_party_clients: b.skip_consent_for_verifiable_first_party_clients ?? false,
            is_system: false,
          }),
        ),
        { duplicate: identifierConflict },
      );
      return reply.status(201).send(present(rs));
    },
  );

  app.get(
    '/resource-servers',
    {
      preHandler: requireScope('read:resource_servers'),
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...pagingQueryProperties, identifiers: { type: 'array', items: { type: 'string' } } },
        },
        response: { 200: listResponseSchema('resource_servers', resourceServerSchema) },
      },
    },
    async (request) => {
      const q = request.query;
      const opts = { page: q.page, perPage: q.per_page, ...(q.identifiers ? { identifiers: q.identifiers } : {}) };
      const { resource_servers, total } = await ctx.repos.resourceServers.list(opts);
      return pagedResult('resource_servers', resource_servers.map(present), total, q);
    },
  );

  app.get(
    '/resource-servers/:id',
    {
      preHandler: requireScope('read:resource_servers'),
      schema: { params: idParams, response: { 200: resourceServerSchema } },
    },
    async (request) => present(await findResourceServer(ctx, request.params.id)),
  );

  app.patch(
    '/resource-servers/:id',
    {
      preHandler: requireScope('update:resource_servers'),
      schema: { params: idParams, body: patchBody, response: { 200: resourceServerSchema } },
    },
    async (request) => {
      const rs = await findResourceServer(ctx, request.params.id);
      const b = request.body ?? {};
      if (rs.is_system) {
        const refused = Object.keys(b).filter((k) => !SYSTEM_MUTABLE.includes(k));
        if (refused.length) {
          throw new ApiError(
            403,
            `The system resource server only allows updating ${SYSTEM_MUTABLE.join(' and ')}; refused: ${refused.join(', ')}.`,
            'operation_not_supported',
          );
        }
      }
      checkSigningAlg(b.signing_alg);
      checkScopes(b.scopes);
      const patch: ResourceServerPatch = {};
      for (const k of Object.keys(mutableProperties) as (keyof typeof b)[]) {
        if (b[k] !== undefined) (patch as Record<string, unknown>)[k] = b[k];
      }
      const updated = await ctx.repos.resourceServers.update(rs.id, patch);
      if (!updated) throw notFound('The resource server does not exist', 'inexistent_resource_server');
      return present(updated);
    },
  );

  deleteByIdRoute(untyped, {
    path: '/resource-servers/:id',
    scope: 'delete:resource_servers',
    params: idParams,
    remove: async (id) => {
      const rs = await findResourceServer(ctx, id);
      if (rs.is_system)
        throw new ApiError(403, 'The system resource server cannot be deleted.', 'operation_not_supported');
      await ctx.repos.resourceServers.delete(rs.id);
    },
  });
}
