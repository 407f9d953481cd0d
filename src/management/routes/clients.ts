/**
 * /api/v2/clients: applications (spec section 2.1), with Auth0's paths, defaults and PATCH semantics.
 * Secrets: generated here and returned only by create and rotate-secret (`update:client_keys`), never by PATCH:
 * a client PATCHed to a secret method without a secret has none until rotate-secret issues one (issue 10, H1).
 * Stored peppered (keys/hashing.ts). `token_endpoint_auth_method: none` is a public client with no secret;
 * `client_authentication_methods.private_key_jwt` makes it a private_key_jwt client: keys inline on create, on
 * PATCH the ids of credentials created through /clients/{id}/credentials (`update:client_credentials`).
 * The global client (the admin client bootstrap creates) keeps its authentication method, credentials, grant types
 * and existence: Baton manages it at start. Every write is a `sapi` tenant log entry; a refused change to the global
 * client is a `fapi` one.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireEveryScope, requireScope } from '../plugin.js';
import { badRequest, notFound } from '../errors.js';
import { newClientId, newClientSecret } from '../../storage/ids.js';
import { secretHasher } from '../../keys/hashing.js';
import type { Client, ClientPatch, TokenEndpointAuthMethod } from '../../storage/repositories/clients.js';
import { listResponseSchema, pagedResult, pagingQueryProperties, type PagingQuery } from './paging.js';
import {
  clientResponseSchema,
  clientWithSecretResponseSchema,
  createClientBody,
  defaultGrantTypes,
  patchClientBody,
  presentClient,
  type ClientView,
} from './client-schemas.js';
import {
  clientCredentialRoutes,
  prepareCredential,
  type CredentialInput,
  type NewCredential,
} from './client-credentials.js';
import { idParams } from './params.js';
import { clientAudit, globalImmutable, refuseForGlobal } from './client-audit.js';

interface ClientBody {
  name?: string;
  description?: string;
  app_type?: string;
  is_first_party?: boolean;
  oidc_conformant?: boolean;
  grant_types?: string[];
  token_endpoint_auth_method?: 'none' | 'client_secret_post' | 'client_secret_basic';
  /** Inline keys on create; `{id}` items on PATCH. */
  client_authentication_methods?: {
    private_key_jwt: { credentials: Array<CredentialInput | { id?: unknown }> };
  } | null;
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
  'name',
  'description',
  'app_type',
  'is_first_party',
  'oidc_conformant',
  'grant_types',
  'callbacks',
  'allowed_origins',
  'client_metadata',
  'token_exchange',
  'organization_usage',
  'organization_require_behavior',
  'refresh_token',
  'is_token_endpoint_ip_header_trusted',
] as const;

const BOTH_METHODS = 'token_endpoint_auth_method and client_authentication_methods cannot be set together';
const INLINE_ON_PATCH =
  'client_authentication_methods.private_key_jwt.credentials takes the ids of credentials created with POST /api/v2/clients/{id}/credentials; keys inline are accepted on create only';

async function prepareCredentials(b: ClientBody): Promise<NewCredential[] | undefined> {
  const methods = b.client_authentication_methods;
  if (!methods) return undefined;
  if (b.token_endpoint_auth_method !== undefined) throw badRequest(BOTH_METHODS, 'invalid_body');
  return Promise.all((methods.private_key_jwt.credentials as CredentialInput[]).map(prepareCredential));
}

/** PATCH: the credential ids to enable; each item must be exactly `{id}` (Auth0's update shape). */
function credentialIds(b: ClientBody): string[] | undefined {
  const methods = b.client_authentication_methods;
  if (!methods) return undefined;
  if (b.token_endpoint_auth_method !== undefined) throw badRequest(BOTH_METHODS, 'invalid_body');
  const items = methods.private_key_jwt.credentials;
  if (items.some((i) => Object.keys(i).length !== 1 || typeof (i as { id?: unknown }).id !== 'string'))
    throw badRequest(INLINE_ON_PATCH, 'invalid_body');
  return [...new Set(items.map((i) => (i as { id: string }).id))];
}

/**
 * PATCH's scopes by what the body changes (Auth0): `update:clients` for the client's settings,
 * `update:client_credentials` for client_authentication_methods. A secret never changes through PATCH.
 */
function patchScopes(body: unknown): string[] {
  const keys = Object.keys(body ?? {});
  const needs: string[] = [];
  if (keys.length === 0 || keys.some((k) => k !== 'client_authentication_methods')) needs.push('update:clients');
  if (keys.includes('client_authentication_methods')) needs.push('update:client_credentials');
  return needs;
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && new Set([...a, ...b]).size === new Set(a).size;

/** `fields`/`include_fields` (Auth0): keep only (or drop) the listed fields. */
function selectFields(
  view: ClientView,
  fields: string | undefined,
  include: boolean | undefined,
): Record<string, unknown> {
  if (!fields) return view;
  const names = new Set(
    fields
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean),
  );
  const keep = include !== false;
  return Object.fromEntries(Object.entries(view).filter(([k]) => names.has(k) === keep));
}

export function clientRoutes(app: FastifyInstance, ctx: AppContext): void {
  const audit = clientAudit(ctx);
  const hasher = secretHasher(ctx.config);
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

  app.post<{ Body: ClientBody & { name: string } }>(
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

  app.get<{ Querystring: ListQuery }>(
    '/clients',
    {
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
      const views = await Promise.all(
        clients.map(async (c) => selectFields(await view(c), q.fields, q.include_fields)),
      );
      return pagedResult('clients', views, total, q);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { fields?: string; include_fields?: boolean } }>(
    '/clients/:id',
    {
      preHandler: requireScope('read:clients'),
      schema: {
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { fields: { type: 'string' }, include_fields: { type: 'boolean' } },
        },
        response: { 200: clientResponseSchema },
      },
    },
    async (request) =>
      selectFields(await view(await load(request.params.id)), request.query.fields, request.query.include_fields),
  );

  app.patch<{ Params: { id: string }; Body: ClientBody }>(
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

  app.post<{ Params: { id: string } }>(
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

  app.delete<{ Params: { id: string } }>(
    '/clients/:id',
    {
      preHandler: requireScope('delete:clients'),
      schema: { params: idParams },
    },
    async (request, reply) => {
      const current = await load(request.params.id);
      if (current.global)
        throw refuseForGlobal(audit, request, 'The global client cannot be deleted through the Management API');
      if (!(await ctx.repos.clients.delete(current.client_id)))
        throw notFound('The client does not exist', 'inexistent_client');
      audit(request, { type: 'sapi', description: 'Delete a client', statusCode: 204 });
      return reply.status(204).send();
    },
  );

  clientCredentialRoutes(app, ctx, audit);
}
