/**
 * GET|POST /userinfo (OIDC Core section 5.3): the user's claims by the access token's scopes, plus `act` when the
 * token was issued to an actor (spec 9.5). The token must have been issued for the userinfo audience.
 * Errors per RFC 6750 section 3: 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { OAuthError } from './errors.js';
import { scopedUserClaims } from '../tokens/user-claims.js';

/** What these steps use of the context. */
type UserinfoDeps = Pick<AppContext, 'config' | 'repos' | 'tokens'>;

const invalidToken = (description: string) =>
  new OAuthError(401, 'invalid_token', description, undefined, {
    'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description}"`,
  });

function bearer(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (match) return match[1]!;
  const body = request.body as Record<string, unknown> | undefined;
  if (request.method === 'POST' && body && typeof body.access_token === 'string') return body.access_token;
  throw new OAuthError(401, 'invalid_request', 'Missing access token', undefined, { 'WWW-Authenticate': 'Bearer' });
}

export function userinfoEndpoint(app: FastifyInstance, ctx: UserinfoDeps): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = bearer(request);
    let payload;
    try {
      ({ payload } = await ctx.tokens.verify(token, { audience: `${ctx.config.issuer}userinfo` }));
    } catch {
      throw invalidToken('The access token is invalid or expired');
    }
    const user = typeof payload.sub === 'string' ? await ctx.repos.users.get(payload.sub) : undefined;
    if (!user) throw invalidToken('The user of the access token does not exist');
    if (user.blocked) throw invalidToken('user is blocked');
    const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
    reply.header('Cache-Control', 'no-store');
    return {
      sub: user.user_id,
      ...scopedUserClaims(user, scopes),
      ...(payload.org_id ? { org_id: payload.org_id, org_name: payload.org_name } : {}),
      ...(payload.act ? { act: payload.act } : {}),
    };
  };
  app.get('/userinfo', handler);
  app.post('/userinfo', handler);
}
