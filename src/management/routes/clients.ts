/**
 * /api/v2/clients: applications (spec section 2.1), with Auth0's paths, defaults and PATCH semantics.
 * Secrets: generated here, returned only by create, rotate-secret and a PATCH that makes a secretless client
 * confidential; stored as sha256Hex (DESIGN section 5). `token_endpoint_auth_method: none` is a public client
 * with no secret; `client_authentication_methods.private_key_jwt` makes it a private_key_jwt client.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope } from '../plugin.js';
import { badRequest, notFound } from '../errors.js';
import { newClientId, newClientSecret } from '../../storage/ids.js';
import { sha256Hex } from '../../keys/hashing.js';
import type { Client, ClientPatch, TokenEndpointAuthMethod } from '../../storage/repositories/clients.js';
import { listResponseSchema, pagedResult, pagingQueryProperties, type PagingQuery } from './paging.js';
import {
  clientResponseSchema,
  createClientBody,
  defaultGrantTypes,
  patchClientBody,
  presentClient,
  type ClientView,
} from './client-schemas.js';
import { clientCredentialRoutes, prepareCredential, type CredentialInput, type NewCredential } from './client-credentials.js';

interface ClientBody {
  name?: string;
  description?: string;
  app_type?: string;
  is_first_party?: boolean;
  oidc_conformant?: boolean;
  grant_types?: string[];
  token_endpoint_auth_method?: 'none' | 'client_secret_post' | 'client_secret_basic';
  client_authentication_methods?: { private_key_jwt: { credentials: CredentialInput[] } } | null;
  callbacks?: string[];
  allowed_origins?: string[];
  client_metadata?: Record<string, string>;
  token_exchange?: { allow_any_profile_of_type: string[] } | null;
  organization_usage?: 'deny' | 'allow' | 'require';
  organization_require_behavior?: string;
  jwt_configuration?: { alg?: string; lifetime_in_seconds?: number };
  refresh_token?: Record<string, unknown> | null;
  is_token_endpoint_ip_header_trusted?: boolean;
}

interface ListQuery extends PagingQuery {
  app_type?: string;
  is_global?: boolean;
  is_first_party?: boolean;
  fields?: string;
  include_fields?: boolean;
}

const isSecretMethod = (m: string) => m === 'client_secret_post' || m === 'client_secret_basic';
/** Fields copied as they are from a body to the stored client. */
const PLAIN_FIELDS = [
  'name', 'description', 'app_type', 'is_first_party', 'oidc_conformant', 'grant_types', 'callbacks', 'allowed_origins',
  'client_metadata', 'token_exchange', 'organization_usage', 'organization_require_behavior', 'refresh_token',
  'is_token_endpoint_ip_header_trusted',
] as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

async function prepareCredentials(b: ClientBody): Promise<NewCredential[] | undefined> {
  const methods = b.client_authentication_methods;
  if (!methods) return undefined;
  if (b.token_endpoint_auth_method !== undefined) {
    throw badRequest('token_endpoint_auth_method and client_authentication_methods cannot be set together', 'invalid_body');
  }
  return Promise.all(methods.private_key_jwt.credentials.map(prepareCredential));
}

/** `fields`/`include_fields` (Auth0): keep only (or drop) the listed fields. */
function selectFields(view: ClientView, fields: string | undefined, include: boolean | undefined): Record<string, unknown> {
  if (!fields) return view;
  const names = new Set(fields.split(',').map((f) => f.trim()).filter(Boolean));
  const keep = include !== false;
  return Object.fromEntries(Object.entries(view).filter(([k]) => names.has(k) === keep));
}

export async function clientRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const view = async (c: Client, secret?: string): Promise<ClientView> => {
    const ids = c.token_endpoint_auth_method === 'private_key_jwt' ? (await ctx.repos.clients.credentials(c.client_id)).map((k) => k.id) : [];
    return presentClient(c, ctx.config.tenant, ids, secret);
  };
  const load = async (id: string): Promise<Client> => {
    const client = await ctx.repos.clients.get(id);
    if (!client) throw notFound('The client does not exist', 'inexistent_client');
    return client;
  };

  app.post<{ Body: ClientBody & { name: string } }>('/clients', {
    preHandler: requireScope('create:clients'),
    schema: { body: createClientBody, response: { 201: clientResponseSchema } },
  }, async (request, reply) => {
    const b = request.body;
    const credentials = await prepareCredentials(b);
    const method: TokenEndpointAuthMethod = credentials ? 'private_key_jwt' : (b.token_endpoint_auth_method ?? 'client_secret_post');
    const secret = isSecretMethod(method) ? newClientSecret() : undefined;
    const appType = b.app_type ?? 'regular_web';
    const client = await ctx.repos.clients.create({
      client_id: newClientId(),
      name: b.name,
      description: b.description ?? '',
      app_type: appType,
      is_first_party: b.is_first_party ?? true,
      oidc_conformant: b.oidc_conformant ?? true,
      client_secret_hash: secret ? sha256Hex(secret) : null,
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
    }, credentials ?? []);
    return reply.status(201).send(await view(client, secret));
  });

  app.get<{ Querystring: ListQuery }>('/clients', {
    preHandler: requireScope('read:clients'),
    schema: {
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          ...pagingQueryProperties,
          app_type: { type: 'string', maxLength: 500 },
          is_global: { type: 'boolean' },
          is_first_party: { type: 'boolean' },
          fields: { type: 'string', maxLength: 1000 },
          include_fields: { type: 'boolean' },
        },
      },
      response: { 200: listResponseSchema('clients', clientResponseSchema) },
    },
  }, async (request) => {
    const q = request.query;
    const { clients, total } = await ctx.repos.clients.list({
      page: q.page,
      perPage: q.per_page,
      ...(q.app_type ? { appType: q.app_type.split(',').map((t) => t.trim()).filter(Boolean) } : {}),
      ...(q.is_global !== undefined ? { isGlobal: q.is_global } : {}),
      ...(q.is_first_party !== undefined ? { isFirstParty: q.is_first_party } : {}),
    });
    const views = await Promise.all(clients.map(async (c) => selectFields(await view(c), q.fields, q.include_fields)));
    return pagedResult('clients', views, total, q);
  });

  app.get<{ Params: { id: string }; Querystring: { fields?: string; include_fields?: boolean } }>('/clients/:id', {
    preHandler: requireScope('read:clients'),
    schema: {
      params: idParams,
      querystring: { type: 'object', additionalProperties: false, properties: { fields: { type: 'string' }, include_fields: { type: 'boolean' } } },
      response: { 200: clientResponseSchema },
    },
  }, async (request) => selectFields(await view(await load(request.params.id)), request.query.fields, request.query.include_fields));

  app.patch<{ Params: { id: string }; Body: ClientBody }>('/clients/:id', {
    preHandler: requireScope('update:clients'),
    schema: { params: idParams, body: patchClientBody, response: { 200: clientResponseSchema } },
  }, async (request) => {
    const current = await load(request.params.id);
    const b = request.body ?? {};
    const credentials = await prepareCredentials(b);
    const patch: ClientPatch = {};
    for (const f of PLAIN_FIELDS) if (b[f] !== undefined) (patch as Record<string, unknown>)[f] = b[f];
    if (b.jwt_configuration) patch.jwt_configuration = { ...current.jwt_configuration, ...b.jwt_configuration };

    let method: TokenEndpointAuthMethod = current.token_endpoint_auth_method;
    if (credentials) method = 'private_key_jwt';
    else if (b.token_endpoint_auth_method) method = b.token_endpoint_auth_method;
    else if (b.client_authentication_methods === null && current.token_endpoint_auth_method === 'private_key_jwt') {
      throw badRequest('Removing client_authentication_methods requires a token_endpoint_auth_method in the same request', 'invalid_body');
    }
    let secret: string | undefined;
    if (method !== current.token_endpoint_auth_method) {
      patch.token_endpoint_auth_method = method;
      if (!isSecretMethod(method)) patch.client_secret_hash = null;
      else if (!current.client_secret_hash) {
        // Becoming confidential: the client needs a secret now, and this is the only time it is shown.
        secret = newClientSecret();
        patch.client_secret_hash = sha256Hex(secret);
      }
    }
    const removeCredentials = b.client_authentication_methods === null ? [] : undefined;
    const updated = await ctx.repos.clients.update(current.client_id, patch, credentials ?? removeCredentials);
    if (!updated) throw notFound('The client does not exist', 'inexistent_client');
    return view(updated, secret);
  });

  app.post<{ Params: { id: string } }>('/clients/:id/rotate-secret', {
    preHandler: requireScope('update:client_keys'),
    schema: { params: idParams, response: { 200: clientResponseSchema } },
  }, async (request) => {
    const current = await load(request.params.id);
    if (!isSecretMethod(current.token_endpoint_auth_method)) {
      throw badRequest(`The client authenticates with ${current.token_endpoint_auth_method} and has no client secret to rotate`, 'invalid_operation');
    }
    const secret = newClientSecret();
    const updated = await ctx.repos.clients.update(current.client_id, { client_secret_hash: sha256Hex(secret) });
    if (!updated) throw notFound('The client does not exist', 'inexistent_client');
    return view(updated, secret);
  });

  app.delete<{ Params: { id: string } }>('/clients/:id', {
    preHandler: requireScope('delete:clients'),
    schema: { params: idParams },
  }, async (request, reply) => {
    if (!(await ctx.repos.clients.delete(request.params.id))) throw notFound('The client does not exist', 'inexistent_client');
    return reply.status(204).send();
  });

  await clientCredentialRoutes(app, ctx);
}
