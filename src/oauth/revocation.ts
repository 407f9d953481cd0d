/**
 * POST /oauth/revoke (RFC 7009): revokes a refresh token of the authenticated client. The answer is 200 whether or
 * not the token existed (section 2.2); access tokens are self-contained JWTs and are not revocable
 * (`unsupported_token_type` when the hint says so).
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { authenticateClient } from './client-auth/index.js';
import { parseParams } from './token-endpoint.js';
import { invalidRequest, OAuthError } from './errors.js';

/** What these steps use of the context. */
type RevocationDeps = Pick<AppContext, 'clock' | 'config' | 'configReads' | 'repos' | 'secretHasher'>;

export function revocationEndpoint(app: FastifyInstance, ctx: RevocationDeps): void {
  app.post('/oauth/revoke', async (request, reply) => {
    const params = parseParams(request.body, ctx.config.authApi);
    const client = await authenticateClient(ctx, request, params);
    if (!params.token) throw invalidRequest('Missing required parameter: token');
    if (params.token_type_hint === 'access_token') {
      throw new OAuthError(400, 'unsupported_token_type', 'Access tokens cannot be revoked; they expire');
    }
    await ctx.repos.refreshTokens.revoke(params.token, client.client_id);
    reply.header('Cache-Control', 'no-store');
    return reply.status(200).send();
  });
}
