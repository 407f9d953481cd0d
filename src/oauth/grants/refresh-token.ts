/**
 * refresh_token (RFC 6749 section 6): an opaque token, stored hashed, bound to its client. The CTE Action does
 * not run again; post-login runs with protocol `oauth2-refresh-token` (spec 9.4). Tokens are not rotated (Auth0's
 * default non-rotating refresh tokens); a narrower `scope` may be asked (RFC 6749 section 6).
 */
import type { Grant } from './types.js';
import { invalidGrant, invalidRequest, invalidScope } from '../errors.js';
import { splitScope, resourceServerByIdentifier } from './audience.js';
import { issueTokens } from '../../tokens/issue.js';
import { runPostLogin } from './post-login.js';

export const refreshTokenGrant: Grant = {
  grantType: 'refresh_token',
  parameters: ['refresh_token', 'scope'],
  async handle(ctx, { params, client, ip, userAgent, http }) {
    if (!params.refresh_token) throw invalidRequest('Missing required parameter: refresh_token');
    const record = await ctx.repos.refreshTokens.findActive(params.refresh_token);
    if (!record || record.client_id !== client.client_id) throw invalidGrant('Unknown or invalid refresh token.');
    const user = await ctx.repos.users.get(record.user_id);
    if (!user) throw invalidGrant('Unknown or invalid refresh token.', 'the user of the refresh token no longer exists');
    if (user.blocked) throw invalidGrant('user is blocked');
    const api = await resourceServerByIdentifier(ctx, record.audience);
    if (!api) throw invalidGrant('Unknown or invalid refresh token.', 'the API of the refresh token no longer exists');

    const requested = splitScope(params.scope);
    const notGranted = requested.filter((s) => !record.data.scopes.includes(s));
    if (notGranted.length) throw invalidScope(`Scopes not granted to the refresh token: ${notGranted.join(' ')}`);
    const scopes = requested.length ? requested : record.data.scopes;
    const org = record.org_id ? await ctx.repos.organizations.get(record.org_id) : undefined;

    const post = await runPostLogin(ctx, {
      protocol: 'oauth2-refresh-token',
      client,
      api,
      user,
      org,
      scopes,
      requestedScopes: scopes,
      body: { grant_type: 'refresh_token', ...(params.scope ? { scope: params.scope } : {}) },
      ip,
      userAgent,
      hostname: http.hostname,
    });
    await ctx.repos.refreshTokens.touch(record.id);
    const issued = await issueTokens(ctx, {
      client,
      api,
      user,
      // The refresh grant never returns a new refresh token: drop offline_access from what it mints.
      scopes: post.scopes.filter((s) => s === 'offline_access' || record.data.scopes.includes(s)),
      org: org ? { id: org.id, name: org.name } : undefined,
      noRefreshToken: true,
      accessTokenClaims: post.accessTokenClaims,
      idTokenClaims: post.idTokenClaims,
    });
    return issued.response;
  },
};
