/**
 * JSON schemas and the response view of /api/v2/clients (Auth0's client object; spec section 2.1).
 * The response schemas are allow-lists: `client_secret_hash` has no entry, so it can never be serialized, and
 * `client_secret` has one only in the answers of create and rotate-secret (never PATCH, GET or the list).
 */
import type { Client } from '../../storage/repositories/clients.js';

const APP_TYPES = [
  'native',
  'spa',
  'regular_web',
  'non_interactive',
  'resource_server',
  'express_configuration',
  'sso_integration',
] as const;

/** Auth0's grant types (specification-conforming and Auth0 extensions); Baton serves the ones DESIGN section 2 names. */
const KNOWN_GRANT_TYPES = [
  'authorization_code',
  'implicit',
  'refresh_token',
  'client_credentials',
  'password',
  'http://auth0.com/oauth/grant-type/password-realm',
  'http://auth0.com/oauth/grant-type/mfa-oob',
  'http://auth0.com/oauth/grant-type/mfa-otp',
  'http://auth0.com/oauth/grant-type/mfa-recovery-code',
  'http://auth0.com/oauth/grant-type/passwordless/otp',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:openid:params:grant-type:ciba',
  'urn:ietf:params:oauth:grant-type:token-exchange',
] as const;

const SECRET_AUTH_METHODS = ['none', 'client_secret_post', 'client_secret_basic'] as const;
const CREDENTIAL_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384'] as const;
const TOKEN_EXCHANGE_TYPES = ['custom_authentication', 'on_behalf_of_token_exchange'] as const;
/** Auth0: a client's private_key_jwt method lists at most two credentials (two, for a rotation without downtime). */
const MAX_ENABLED_CREDENTIALS = 2;

/** Auth0's defaults when `grant_types` is omitted: machine-to-machine clients get client_credentials only. */
export function defaultGrantTypes(appType: string, isPublic: boolean): string[] {
  if (appType === 'non_interactive') return ['client_credentials'];
  const interactive = ['authorization_code', 'implicit', 'refresh_token'];
  return isPublic || appType === 'spa' || appType === 'native' ? interactive : [...interactive, 'client_credentials'];
}

export const credentialInputSchema = {
  type: 'object',
  required: ['credential_type', 'pem'],
  additionalProperties: false,
  properties: {
    credential_type: { type: 'string', enum: ['public_key'] },
    name: { type: 'string', maxLength: 128 },
    pem: { type: 'string', minLength: 1, maxLength: 16384 },
    alg: { type: 'string', enum: CREDENTIAL_ALGS },
  },
} as const;

const stringList = { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 1024 } } as const;

const tokenExchange = {
  type: 'object',
  required: ['allow_any_profile_of_type'],
  additionalProperties: false,
  properties: {
    allow_any_profile_of_type: {
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', enum: TOKEN_EXCHANGE_TYPES },
    },
  },
} as const;

const refreshToken = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rotation_type: { type: 'string', enum: ['rotating', 'non-rotating'] },
    expiration_type: { type: 'string', enum: ['expiring', 'non-expiring'] },
    leeway: { type: 'integer', minimum: 0 },
    token_lifetime: { type: 'integer', minimum: 1 },
    infinite_token_lifetime: { type: 'boolean' },
    idle_token_lifetime: { type: 'integer', minimum: 1 },
    infinite_idle_token_lifetime: { type: 'boolean' },
  },
} as const;

/** Auth0: fully defined credentials on create; on update, the ids of credentials created on the client. */
const authenticationMethods = <const I extends object>(credential: I) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['private_key_jwt'],
    properties: {
      private_key_jwt: {
        type: 'object',
        required: ['credentials'],
        additionalProperties: false,
        properties: {
          credentials: { type: 'array', minItems: 1, maxItems: MAX_ENABLED_CREDENTIALS, items: credential },
        },
      },
    },
  }) as const;

const createAuthenticationMethods = authenticationMethods(credentialInputSchema);
// On PATCH each item must be exactly `{id}`; the handler says so in words (clients.ts, inline keys).
const patchAuthenticationMethods = authenticationMethods({
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
});

/** The properties create accepts. */
const createProperties = {
  name: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[^<>]+$' },
  description: { type: 'string', maxLength: 140 },
  app_type: { type: 'string', enum: APP_TYPES },
  is_first_party: { type: 'boolean' },
  oidc_conformant: { type: 'boolean' },
  grant_types: { type: 'array', uniqueItems: true, items: { type: 'string', enum: KNOWN_GRANT_TYPES } },
  token_endpoint_auth_method: { type: 'string', enum: SECRET_AUTH_METHODS },
  client_authentication_methods: createAuthenticationMethods,
  callbacks: stringList,
  allowed_origins: stringList,
  client_metadata: {
    type: 'object',
    maxProperties: 10,
    propertyNames: { maxLength: 255 },
    additionalProperties: { type: 'string', maxLength: 255 },
  },
  // `null` is what a client without one reads back (presentClient); accepted so that it can be written again.
  token_exchange: { anyOf: [tokenExchange, { type: 'null' }] },
  organization_usage: { type: 'string', enum: ['deny', 'allow', 'require'] },
  organization_require_behavior: { type: 'string', enum: ['no_prompt', 'pre_login_prompt', 'post_login_prompt'] },
  jwt_configuration: {
    type: 'object',
    additionalProperties: false,
    properties: {
      alg: { type: 'string', enum: ['RS256', 'PS256', 'ES256'] },
      lifetime_in_seconds: { type: 'integer', minimum: 1, maximum: 2592000 },
    },
  },
  refresh_token: refreshToken,
  is_token_endpoint_ip_header_trusted: { type: 'boolean' },
} as const;

/**
 * The properties update accepts: create's, with credential ids instead of keys, and `null` allowed where PATCH may
 * clear (Auth0 `...OrNull`). The overridden keys keep their place, so the schema lists them in the same order.
 */
const patchProperties = {
  ...createProperties,
  client_authentication_methods: { anyOf: [patchAuthenticationMethods, { type: 'null' }] },
  refresh_token: { anyOf: [refreshToken, { type: 'null' }] },
} as const;

export const createClientBody = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: createProperties,
} as const;
export const patchClientBody = { type: 'object', additionalProperties: false, properties: patchProperties } as const;

const anyObject = { type: 'object', additionalProperties: true } as const;

export const clientResponseSchema = {
  type: 'object',
  properties: {
    tenant: { type: 'string' },
    client_id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    app_type: { type: 'string' },
    is_first_party: { type: 'boolean' },
    oidc_conformant: { type: 'boolean' },
    global: { type: 'boolean' },
    grant_types: { type: 'array', items: { type: 'string' } },
    token_endpoint_auth_method: { type: 'string' },
    client_authentication_methods: {
      type: 'object',
      properties: {
        private_key_jwt: {
          type: 'object',
          properties: {
            credentials: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' } } } },
          },
        },
      },
    },
    callbacks: { type: 'array', items: { type: 'string' } },
    allowed_origins: { type: 'array', items: { type: 'string' } },
    client_metadata: { type: 'object', additionalProperties: { type: 'string' } },
    token_exchange: {
      anyOf: [
        { type: 'object', properties: { allow_any_profile_of_type: { type: 'array', items: { type: 'string' } } } },
        { type: 'null' },
      ],
    },
    organization_usage: { type: 'string' },
    organization_require_behavior: { type: 'string' },
    jwt_configuration: {
      type: 'object',
      properties: { alg: { type: 'string' }, lifetime_in_seconds: { type: 'integer' } },
    },
    refresh_token: anyObject,
    is_token_endpoint_ip_header_trusted: { type: 'boolean' },
  },
} as const;

/** The answer of create and rotate-secret, the only two that return the secret (test/management/openapi.test.ts). */
export const clientWithSecretResponseSchema = {
  type: 'object',
  properties: { ...clientResponseSchema.properties, client_secret: { type: 'string' } },
} as const;

export interface ClientView extends Record<string, unknown> {
  client_id: string;
  client_secret?: string;
}

/** Auth0's client object; credentials are listed by id only. */
export function presentClient(c: Client, tenant: string, credentialIds: string[], secret?: string): ClientView {
  const view: ClientView = {
    tenant,
    client_id: c.client_id,
    name: c.name,
    description: c.description,
    app_type: c.app_type,
    is_first_party: c.is_first_party,
    oidc_conformant: c.oidc_conformant,
    global: c.global,
    grant_types: c.grant_types,
    token_endpoint_auth_method: c.token_endpoint_auth_method,
    callbacks: c.callbacks,
    allowed_origins: c.allowed_origins,
    client_metadata: c.client_metadata,
    token_exchange: c.token_exchange,
    jwt_configuration: c.jwt_configuration,
    is_token_endpoint_ip_header_trusted: c.is_token_endpoint_ip_header_trusted,
  };
  if (c.token_endpoint_auth_method === 'private_key_jwt') {
    view.client_authentication_methods = { private_key_jwt: { credentials: credentialIds.map((id) => ({ id })) } };
  }
  if (c.organization_usage) view.organization_usage = c.organization_usage;
  if (c.organization_require_behavior) view.organization_require_behavior = c.organization_require_behavior;
  if (c.refresh_token) view.refresh_token = c.refresh_token;
  if (secret) view.client_secret = secret;
  return view;
}
