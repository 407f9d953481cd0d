/**
 * The Authentication API surface: form (and JSON) bodies, RFC 6749 errors, no internal detail in any response.
 */
import type { FastifyInstance, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import type { AppContext } from '../context.js';
import { OAuthError, asOAuthError } from './errors.js';
import { tokenEndpoint } from './token-endpoint.js';
import { discoveryRoutes } from './discovery.js';
import { revocationEndpoint } from './revocation.js';
import { userinfoEndpoint } from './userinfo.js';

export function oauthPlugin(ctx: AppContext) {
  return async (app: FastifyInstance) => {
    // C1: one body limit for every route and content type of this surface (JSON included), set on each route.
    const bodyLimit = ctx.config.authApi.bodyLimit;
    app.addHook('onRoute', (route) => {
      route.bodyLimit = Math.min(route.bodyLimit ?? bodyLimit, bodyLimit);
    });
    await app.register(formbody, { bodyLimit });
    app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      let e: OAuthError;
      const known = asOAuthError(err);
      if (known) e = known;
      else if (err.statusCode === 415)
        e = new OAuthError(
          400,
          'invalid_request',
          'Unsupported content type; use application/x-www-form-urlencoded or application/json',
        );
      else if (err.statusCode === 413) e = new OAuthError(413, 'invalid_request', 'Request body too large');
      else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
        e = new OAuthError(400, 'invalid_request', 'Malformed request body');
      else {
        request.log.error({ err }, 'authentication API error');
        e = new OAuthError(500, 'server_error', 'The server encountered an internal error.');
      }
      for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
      return reply.status(e.status).header('Cache-Control', 'no-store').header('Pragma', 'no-cache').send(e.toJSON());
    });
    discoveryRoutes(app, ctx);
    tokenEndpoint(app, ctx);
    revocationEndpoint(app, ctx);
    userinfoEndpoint(app, ctx);
  };
}
