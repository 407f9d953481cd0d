/**
 * /api/v2/clients: applications (spec section 2.1), with Auth0's paths, defaults and PATCH semantics.
 * Secrets: generated here and returned only by create and rotate-secret (`update:client_keys`), never by PATCH:
 * a client PATCHed to a secret method without a secret has none until rotate-secret issues one (issue 10, H1).
 * Stored peppered (crypto/hashing.ts). `token_endpoint_auth_method: none` is a public client with no secret;
 * `client_authentication_methods.private_key_jwt` makes it a private_key_jwt client: keys inline on create, on
 * PATCH the ids of credentials created through /clients/{id}/credentials (`update:client_credentials`).
 * The global client (the admin client bootstrap creates) keeps its authentication method, credentials, grant types
 * and existence: Baton manages it at start. Every write is a `sapi` tenant log entry; a refused change to the global
 * client is a `fapi` one.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireEveryScope, requireScope, typed } from '../plugin.js';
import { badRequest, notFound } from '../errors.js';
import { newClientId, newClientSecret } from '../../storage/ids.js';
import type { Client, ClientPatch, TokenEndpointAuthMethod } from '../../storage/repositories/clients.js';
import { listQuery, listResponseSchema, pagedResult } from './paging.js';
import {
  clientResponseSchema,
  clientWithSecretResponseSchema,
  createClientBody,
  defaultGrantTypes,
  patchClientBody,
  presentClient,
  type ClientView,
} from './client-schemas.js';
import { clientCredentialRoutes } from './client-credentials.js';
import {
  PLAIN_FIELDS,
  credentialIds,
  isSecretMethod,
  patchScopes,
  prepareCredentials,
  sameSet,
} from './client-bodies.js';
import { projectFields } from './fields.js';
import { idParams } from './params.js';
import { deleteByIdRoute } from './delete-route.js';
import { clientAudit, globalImmutable, refuseForGlobal } from './client-audit.js';

const readQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { fields: { type: 'string' }, include_fields: { type: 'boolean' } },
} as const;

export function clientRoutes(untyped: FastifyInstance, ctx: AppContext): void {
  const app = typed(untyped);
  const audit = clientAudit(ctx);
  const hasher = ctx.secretHasher;
  const view = async (c: Client, secret?: string): Promise<ClientView> => {
    const ids =
      c.token_endpoint_auth_method === 'private_key_jwt'
        ? (await ctx.repos.clients.credentials(c.client_id)).map((k) => k.id)
        : [];
    return presentClient(c, ctx.config.tenant, ids, secret);
  };
  const load = async (id: string): Promise<Client> => {
    const client = await ctx.repos.clients.get(id);
    if (!client) throw notFound('The client does not exist', 'inexistent_client');
    return client;
  };

  app.post(
    '/clients',
    {
      preHandler: requireScope('create:clients'),
      schema: { body: createClientBody, response: { 201: clientWithSecretResponseSchema } },
    },
    async (request, reply) => {
      const b = request.body;
      const credentials = await prepareCredentials(b);
      const method: TokenEndpointAuthMethod = credentials
        ? 'private_key_jwt'
        : (b.token_endpoint_auth_method ?? 'client_secret_post');
      const secret = isSecretMethod(method) ? newClientSecret() : undefined;
      const appType = b.app_type ?? 'regular_web';
      const client = await ctx.repos.clients.create(
        {
          client_id: newClientId(),
          name: b.name,
          description: b.description ?? '',
          app_type: appType,
          is_first_party: b.is_first_party ?? true,
          oidc_conformant: b.oidc_conformant ?? true,
          client_secret_hash: secret ? hasher.hash(secret) : null,
          token_endpoint_auth_method: method,
          grant_types: b.grant_types ?? defaultGrantTypes(appType, method === 'none'),
          callbacks: b.callbacks ?? [],
          allowed_origins: b.allowed_origins ?? [],
          client_metadata: b.client_metadata ?? {},
          token_exchange: b.token_exchange ?? null,
          organization_usage: b.organization_usage ?? null,
          organization_require_behavior: b.organization_require_behavior ?? null,
          jwt_configuration: { alg: 'RS256', lifetime_in_seconds: 36000, ...b.jwt_configuration },
          refresh_token: b.refresh_token ?? null,
          is_token_endpoint_ip_header_trusted: b.is_token_endpoint_ip_header_trusted ?? false,
          global: false,
        },
        credentials ?? [],
      );
      audit(request, { type: 'sapi', description: 'Create a client', statusCode: 201, body: b });
      return reply.status(201).send(await view(client, secret));
    },
  );

  app.get(
    '/clients',
    {
      preHandler: requireScope('read:clients'),
      schema: {
        querystring: listQuery({
          app_type: { type: 'string', maxLength: 500 },
          is_global: { type: 'boolean' },
          is_first_party: { type: 'boolean' },
          fields: { type: 'string', maxLength: 1000 },
          include_fields: { type: 'boolean' },
        }),
        response: { 200: listResponseSchema('clients', clientResponseSchema) },
      },
    },
    async (request) => {
      const q = request.query;
      const { clients, total } = await ctx.repos.clients.list({
        page: q.page,
        perPage: q.per_page,
        ...(q.app_type
          ? {
              appType: q.app_type
                .split(',')
                .map((t) => t.trim())
                .filter(Boolean),
            }
          : {}),
        ...(q.is_global !== undefined ? { isGlobal: q.is_global } : {}),
        ...(q.is_first_party !== undefined ? { isFirstParty: q.is_first_party } : {}),
      });
      const views = await Promise.all(clients.map(async (c) => projectFields(await view(c), q)));
      return pagedResult('clients', views, total, q);
    },
  );

  app.get(
    '/clients/:id',
    {
      preHandler: requireScope('read:clients'),
      schema: {
        params: idParams,
        querystring: readQuery,
        response: { 200: clientResponseSchema },
      },
    },
    async (request) => projectFields(await view(await load(request.params.id)), request.query),
  );

  app.patch(
    '/clients/:id',
    {
      preHandler: requireEveryScope((request) => patchScopes(request.body)),
      schema: { params: idParams, body: patchClientBody, response: { 200: clientResponseSchema } },
    },
    async (request) => {
      const current = await load(request.params.id);
      const b = request.body ?? {};
      const enable = credentialIds(b);
      const patch: ClientPatch = {};
      for (const f of PLAIN_FIELDS) if (b[f] !== undefined) (patch as Record<string, unknown>)[f] = b[f];
      if (b.jwt_configuration) patch.jwt_configuration = { ...current.jwt_configuration, ...b.jwt_configuration };

      let method: TokenEndpointAuthMethod = current.token_endpoint_auth_method;
      if (enable) method = 'private_key_jwt';
      else if (b.token_endpoint_auth_method) method = b.token_endpoint_auth_method;
      else if (b.client_authentication_methods === null && current.token_endpoint_auth_method === 'private_key_jwt') {
        throw badRequest(
          'Removing client_authentication_methods requires a token_endpoint_auth_method in the same request',
          'invalid_body',
        );
      }
      if (current.global) {
        // Values equal to the current ones are no change: a tool that sends the whole object is not refused.
        const noMethods =
          b.client_authentication_methods === null && current.token_endpoint_auth_method !== 'private_key_jwt';
        if (b.client_authentication_methods !== undefined && !noMethods)
          throw refuseForGlobal(audit, request, globalImmutable('client_authentication_methods'), b);
        if (method !== current.token_endpoint_auth_method)
          throw refuseForGlobal(audit, request, globalImmutable('token_endpoint_auth_method'), b);
        if (b.grant_types && !sameSet(b.grant_types, current.grant_types))
          throw refuseForGlobal(audit, request, globalImmutable('grant_types'), b);
      }
      if (enable) {
        const known = new Set((await ctx.repos.clients.allCredentials(current.client_id)).map((c) => c.id));
        const unknown = enable.find((id) => !known.has(id));
        if (unknown) {
          throw badRequest(
            `The client has no credential ${unknown}: create it with POST /api/v2/clients/${current.client_id}/credentials first`,
            'invalid_body',
          );
        }
      }
      if (method !== current.token_endpoint_auth_method) {
        patch.token_endpoint_auth_method = method;
        // Leaving the secret methods drops the secret. Coming back issues none here: PATCH never returns a secret,
        // so `update:clients` cannot mint one (H1); POST /clients/{id}/rotate-secret (update:client_keys) does.
        if (!isSecretMethod(method)) patch.client_secret_hash = null;
      }
      const updated = await ctx.repos.clients.update(
        current.client_id,
        patch,
        enable ?? (b.client_authentication_methods === null ? [] : undefined),
      );
      if (!updated) throw notFound('The client does not exist', 'inexistent_client');
      audit(request, { type: 'sapi', description: 'Update a client', statusCode: 200, body: b });
      return view(updated);
    },
  );

  app.post(
    '/clients/:id/rotate-secret',
    {
      preHandler: requireScope('update:client_keys'),
      schema: { params: idParams, response: { 200: clientWithSecretResponseSchema } },
    },
    async (request) => {
      const current = await load(request.params.id);
      if (!isSecretMethod(current.token_endpoint_auth_method)) {
        throw badRequest(
          `The client authenticates with ${current.token_endpoint_auth_method} and has no client secret to rotate`,
          'invalid_operation',
        );
      }
      const secret = newClientSecret();
      const updated = await ctx.repos.clients.update(current.client_id, { client_secret_hash: hasher.hash(secret) });
      if (!updated) throw notFound('The client does not exist', 'inexistent_client');
      audit(request, { type: 'sapi', description: 'Rotate a client secret', statusCode: 200 });
      return view(updated, secret);
    },
  );

  deleteByIdRoute(untyped, {
    path: '/clients/:id',
    scope: 'delete:clients',
    remove: async (id, request) => {
      const current = await load(id);
      if (current.global)
        throw refuseForGlobal(audit, request, 'The global client cannot be deleted through the Management API');
      if (!(await ctx.repos.clients.delete(current.client_id)))
        throw notFound('The client does not exist', 'inexistent_client');
      audit(request, { type: 'sapi', description: 'Delete a client', statusCode: 204 });
    },
  });

  clientCredentialRoutes(app, ctx, audit);
}
