/**
 * POST /oauth/token, as a list of named steps:
 * parseParams (duplicates, limits) → resolveGrant → checkAuditBacklog → authenticateClient (a failure is logged by the grant) →
 * checkClientMayUseGrant → grant.handle.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { OAuthError, invalidRequest, storageUnavailable, unsupportedGrantType, unauthorizedClient } from './errors.js';
import { authenticateClient } from './client-auth/index.js';
import { findGrant } from './grants/index.js';
import type { Grant, TokenParams } from './grants/types.js';
import type { Client } from '../storage/repositories/clients.js';
import { clientIp } from './request-ip.js';
import { checkParameterLimits, type ParameterLimits } from './limits.js';

/**
 * RFC 6749 section 3.2: parameters must not be included more than once; values must be strings; each is bounded
 * (oauth/limits.ts) before anything uses it.
 */
export function parseParams(body: unknown, limits: ParameterLimits): TokenParams {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw invalidRequest('Request body must be a form or a JSON object');
  const params: TokenParams = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (Array.isArray(value)) throw invalidRequest(`Duplicate parameter: ${key}`);
    if (value === undefined || value === null) continue;
    if (typeof value === 'number' || typeof value === 'boolean') params[key] = String(value);
    else if (typeof value === 'string') params[key] = value;
    else throw invalidRequest(`Parameter ${key.length > 64 ? `${key.slice(0, 64)}...` : key} must be a string`);
  }
  checkParameterLimits(params, limits);
  return params;
}

function resolveGrant(params: TokenParams): Grant {
  const grantType = params.grant_type;
  if (!grantType) throw invalidRequest('Missing required parameter: grant_type');
  const grant = findGrant(grantType);
  if (!grant) throw unsupportedGrantType(`Unsupported grant type: ${grantType}`);
  return grant;
}

/**
 * Issue 13: a request whose grant writes tenant log entries (or login counts) is refused while this node holds as
 * many unwritten ones as it may (the database refuses or is slow), rather than answered without its entry.
 */
function checkAuditBacklog(ctx: AppContext, grant: Grant): void {
  if (grant.audited && (ctx.logs.full() || ctx.logins.full()))
    throw storageUnavailable('the audit backlog is full: tenant log entries wait for the database');
}

/** Auth0 clients list the grants they may use in `grant_types`. */
function checkClientMayUseGrant(client: Client, grant: Grant): void {
  if (!client.grant_types.includes(grant.grantType)) {
    throw unauthorizedClient(`Grant type '${grant.grantType}' not allowed for the client.`);
  }
}

export function tokenEndpoint(app: FastifyInstance, ctx: AppContext): void {
  app.post('/oauth/token', async (request: FastifyRequest, reply) => {
    const params = parseParams(request.body, ctx.config.authApi);
    const grant = resolveGrant(params);
    checkAuditBacklog(ctx, grant);
    let client: Client;
    try {
      client = await authenticateClient(ctx, request, params);
    } catch (err) {
      if (err instanceof OAuthError) grant.onClientAuthFailed?.(ctx, request, params, err);
      throw err;
    }
    checkClientMayUseGrant(client, grant);
    const result = await grant.handle(ctx, {
      params,
      client,
      ip: clientIp(request, client),
      userAgent: request.headers['user-agent'],
      http: request,
    });
    reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
    return result;
  });
}
