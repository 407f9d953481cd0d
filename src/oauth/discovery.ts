/** OpenID Provider metadata (OpenID Connect Discovery 1.0 section 3) and the public JWKS. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { grantTypes } from './grants/index.js';
import { CLIENT_AUTH_METHODS } from './client-auth/index.js';

/** What these steps use of the context. */
type DiscoveryDeps = Pick<AppContext, 'config' | 'keys'>;

export function discoveryRoutes(app: FastifyInstance, ctx: DiscoveryDeps): void {
  const issuer = ctx.config.issuer;
  const metadata = {
    issuer,
    token_endpoint: `${issuer}oauth/token`,
    userinfo_endpoint: `${issuer}userinfo`,
    jwks_uri: `${issuer}.well-known/jwks.json`,
    revocation_endpoint: `${issuer}oauth/revoke`,
    grant_types_supported: grantTypes(),
    response_types_supported: ['token'],
    subject_types_supported: ['public'],
    scopes_supported: ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'],
    claims_supported: [
      'aud',
      'sub',
      'iss',
      'iat',
      'exp',
      'name',
      'given_name',
      'family_name',
      'nickname',
      'picture',
      'email',
      'email_verified',
      'phone_number',
      'phone_number_verified',
      'updated_at',
      'org_id',
      'org_name',
      'act',
    ],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    token_endpoint_auth_signing_alg_values_supported: [
      'RS256',
      'RS384',
      'RS512',
      'PS256',
      'PS384',
      'PS512',
      'ES256',
      'ES384',
    ],
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    id_token_signing_alg_values_supported: ['RS256', 'PS256', 'ES256'],
    request_parameter_supported: false,
  };
  app.get('/.well-known/openid-configuration', async (_req, reply) => {
    reply.header('Cache-Control', 'public, max-age=600');
    return metadata;
  });
  app.get('/.well-known/jwks.json', async (_req, reply) => {
    reply.header('Cache-Control', 'public, max-age=300');
    return ctx.keys.publicJwks();
  });
}
