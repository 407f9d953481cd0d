/**
 * client_credentials (RFC 6749 section 4.4), authorized by client grants as in Auth0: the client needs a grant for
 * the audience; the token carries the requested scopes that the grant allows, or all of them when none are asked.
 * Only confidential clients may use it (RFC 6749 section 4.4: "MUST only be used by confidential clients"): a
 * public client (`token_endpoint_auth_method: none`) gets 403 `unauthorized_client`, whatever its grant_types say.
 */
import type { Grant } from './types.js';
import { accessDenied, unauthorizedClient } from '../errors.js';
import { resolveAudience, splitScope } from './audience.js';
import { mintAccessToken } from '../../tokens/access-token.js';

export const clientCredentialsGrant: Grant = {
  grantType: 'client_credentials',
  audited: false,
  parameters: ['audience', 'scope'],
  async handle(ctx, { params, client }) {
    if (client.token_endpoint_auth_method === 'none') {
      throw unauthorizedClient(
        "Grant type 'client_credentials' requires a confidential client; this client is public (token_endpoint_auth_method: none).",
      );
    }
    const api = await resolveAudience(ctx, params.audience);
    const clientGrant = await ctx.configReads.clientGrant(client.client_id, api.identifier);
    if (!clientGrant) {
      throw accessDenied(
        `Client is not authorized to access "${api.identifier}". You need to create a "client-grant" associated to this API.`,
      );
    }
    const requested = splitScope(params.scope);
    const notGranted = requested.filter((s) => !clientGrant.scope.includes(s));
    if (notGranted.length) throw accessDenied(`Client has not been granted scopes: ${notGranted.join(', ')}`);
    const scopes = requested.length ? requested : clientGrant.scope;
    const minted = await mintAccessToken(ctx, api, {
      sub: `${client.client_id}@clients`,
      aud: api.identifier,
      client_id: client.client_id,
      scope: scopes.join(' '),
      gty: 'client-credentials',
    });
    return {
      access_token: minted.token,
      token_type: 'Bearer',
      expires_in: minted.expiresIn,
      ...(scopes.length ? { scope: scopes.join(' ') } : {}),
    };
  },
};
