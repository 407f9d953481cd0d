/**
 * Features of Auth0 that Baton does not have, answered as Auth0 answers a tenant without them, so that tools which
 * read the whole tenant (Auth0's Deploy CLI reads every one of these on export) see an empty or unavailable feature,
 * not an unknown path: an empty list in the shape Auth0 pages it, or Auth0's 403 for a deprecated or disabled
 * feature. Each route is authenticated and scoped like Auth0's. docs/migrating-from-auth0.md has the full table.
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { requireScope, typed } from '../plugin.js';
import { ApiError, forbidden } from '../errors.js';
import { listQuery, listResponseSchema, pagedResult, type PagingQuery } from './paging.js';
import { checkpointQueryProperties, checkpointResponseSchema } from './checkpoint.js';
import { idParams } from './params.js';
import { findOrg } from './organizations.js';

const anyItem = { type: 'object', additionalProperties: true } as const;

/** Rules and Hooks: Auth0 refuses them on tenants created after their end of life with this 403. */
const DEPRECATED = 'Insufficient privileges to use this deprecated feature';

/** Lists Auth0 pages with page/per_page/include_totals (the SDKs ask for totals): always empty here. */
const hydrate = { hydrate: { type: 'array', items: { type: 'string', maxLength: 64 } } } as const;
const PAGED_EMPTY: Array<{ path: string; scope: string; key: string; filters?: Record<string, object> }> = [
  {
    path: '/roles',
    scope: 'read:roles',
    key: 'roles',
    filters: { name_filter: { type: 'string', maxLength: 255 }, type: { type: 'string', maxLength: 32 } },
  },
  { path: '/forms', scope: 'read:forms', key: 'forms', filters: hydrate },
  { path: '/flows', scope: 'read:flows', key: 'flows', filters: { ...hydrate, synchronous: { type: 'boolean' } } },
  { path: '/flows/vault/connections', scope: 'read:flows_vault_connections', key: 'connections' },
  { path: '/self-service-profiles', scope: 'read:self_service_profiles', key: 'self_service_profiles' },
  { path: '/actions/modules', scope: 'read:actions', key: 'modules' },
  {
    path: '/prompts/rendering',
    scope: 'read:prompts',
    key: 'configs',
    filters: {
      fields: { type: 'string', maxLength: 1024 },
      include_fields: { type: 'boolean' },
      prompt: { type: 'string', maxLength: 64 },
      screen: { type: 'string', maxLength: 64 },
      rendering_mode: { type: 'string', enum: ['advanced', 'standard'] },
    },
  },
  { path: '/network-acls', scope: 'read:network_acls', key: 'network_acls' },
];

/** Lists Auth0 pages by checkpoint (`from`/`take`, answer `{<key>: [], next?}`): always empty here. */
const CHECKPOINT_EMPTY: Array<{ path: string; scope: string; key: string }> = [
  // The key is the one Auth0's SDKs read for this list (camel case, unlike the others).
  { path: '/event-streams', scope: 'read:event_streams', key: 'eventStreams' },
  { path: '/user-attribute-profiles', scope: 'read:user_attribute_profiles', key: 'user_attribute_profiles' },
  { path: '/connection-profiles', scope: 'read:connection_profiles', key: 'connection_profiles' },
  { path: '/rate-limit-policies', scope: 'read:rate_limit_policies', key: 'rate_limit_policies' },
  {
    path: '/connections-directory-provisionings',
    scope: 'read:directory_provisionings',
    key: 'directory_provisionings',
  },
];

/** Lists Auth0 answers whole, as a bare array or one keyed object. */
const PLAIN_EMPTY: Array<{ path: string; scope: string; key?: string }> = [
  { path: '/log-streams', scope: 'read:log_streams' },
  { path: '/custom-domains', scope: 'read:custom_domains' },
  { path: '/branding/phone/providers', scope: 'read:phone_providers', key: 'providers' },
  { path: '/branding/phone/templates', scope: 'read:phone_templates', key: 'templates' },
];

/** Features Auth0 answers with a 403 on a tenant whose plan does not include them. */
const NOT_ENABLED: Array<{ path: string; scope: string; message: string }> = [
  {
    path: '/attack-protection/bot-detection',
    scope: 'read:attack_protection',
    message: 'Bot Detection API is not enabled for this tenant.',
  },
  {
    path: '/attack-protection/captcha',
    scope: 'read:attack_protection',
    message: 'Captcha is not enabled for this tenant.',
  },
  {
    path: '/supplemental-signals',
    scope: 'read:attack_protection',
    message: 'Supplemental Signals are not enabled for this tenant.',
  },
];

/** Prompt partials need a custom domain on Auth0; Baton has none, so it answers as such a tenant does. */
const NEEDS_CUSTOM_DOMAIN = 'This feature requires at least one custom domain to be configured for the tenant.';
const promptParams = {
  type: 'object',
  required: ['prompt'],
  properties: { prompt: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export function absentFeatureRoutes(untyped: FastifyInstance, ctx: AppContext): void {
  const app = typed(untyped);
  // Baton does not tie client grants to organizations: an existing organization has none.
  app.get(
    '/organizations/:id/client-grants',
    {
      preHandler: requireScope('read:organization_client_grants'),
      schema: {
        params: idParams,
        querystring: listQuery({
          audience: { type: 'string', maxLength: 2048 },
          client_id: { type: 'string', maxLength: 64 },
          grant_ids: { type: 'array', items: { type: 'string', maxLength: 64 } },
        }),
        response: { 200: listResponseSchema('client_grants', anyItem) },
      },
    },
    async (request) => {
      await findOrg(ctx, request.params.id);
      return pagedResult('client_grants', [], 0, request.query as unknown as PagingQuery);
    },
  );
  app.get(
    '/prompts/:prompt/partials',
    { preHandler: requireScope('read:prompts'), schema: { params: promptParams } },
    () => {
      throw new ApiError(400, NEEDS_CUSTOM_DOMAIN);
    },
  );
  for (const { path, scope } of [
    { path: '/rules', scope: 'read:rules' },
    { path: '/rules-configs', scope: 'read:rules_configs' },
    { path: '/hooks', scope: 'read:hooks' },
  ]) {
    app.get(path, { preHandler: requireScope(scope) }, () => {
      throw new ApiError(403, DEPRECATED);
    });
  }
  for (const { path, scope, message } of NOT_ENABLED) {
    app.get(path, { preHandler: requireScope(scope) }, () => {
      throw forbidden(message, 'feature_not_enabled');
    });
  }
  for (const { path, scope, key, filters } of PAGED_EMPTY) {
    app.get(
      path,
      {
        preHandler: requireScope(scope),
        schema: { querystring: listQuery(filters ?? {}), response: { 200: listResponseSchema(key, anyItem) } },
      },
      (request) => pagedResult(key, [], 0, request.query as unknown as PagingQuery),
    );
  }
  for (const { path, scope, key } of CHECKPOINT_EMPTY) {
    app.get(
      path,
      {
        preHandler: requireScope(scope),
        schema: {
          querystring: { type: 'object', additionalProperties: false, properties: checkpointQueryProperties },
          response: { 200: checkpointResponseSchema(key, anyItem) },
        },
      },
      () => ({ [key]: [] }),
    );
  }
  for (const { path, scope, key } of PLAIN_EMPTY) {
    const list = { type: 'array', items: anyItem } as const;
    const response = key ? { type: 'object', required: [key], properties: { [key]: list } } : list;
    app.get(path, { preHandler: requireScope(scope), schema: { response: { 200: response } } }, () =>
      key ? { [key]: [] } : [],
    );
  }
}
