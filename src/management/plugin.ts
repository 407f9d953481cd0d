/**
 * The Management API surface under /api/v2: its own JSON parsing, bearer authentication, scope checks and the
 * Auth0 error shape. Tokens are Baton's own, issued by client_credentials for the audience `{issuer}api/v2/`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyError, HookHandlerDoneFunction } from 'fastify';
import swagger from '@fastify/swagger';
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { AppContext } from '../context.js';
import { ApiError, errorResponseSchema, unauthorized, forbidden, serviceUnavailable } from './errors.js';
import { STORAGE_RETRY_AFTER_S, StorageUnavailableError } from '../storage/unavailable.js';
import { OPENAPI_PATH, openApiOptions } from './openapi.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified Management API caller. */
    management?: { clientId: string; scopes: Set<string> };
  }
  interface FastifyContextConfig {
    /** A route that answers without a token (the OpenAPI document only). */
    public?: boolean;
  }
}

export type RouteRegistrar = (app: FastifyInstance, ctx: AppContext) => Promise<void> | void;

/**
 * The route schemas type the handlers: request parts are inferred from them (json-schema-to-ts), and what a handler
 * returns must fit the response schema. Types only: validation stays Fastify's ajv, so its messages do not change.
 */
export const typed = (app: FastifyInstance) => app.withTypeProvider<JsonSchemaToTsProvider>();

// The scope checks are synchronous hooks: Fastify's hook runner turns a throw into the error reply.

/** preHandler: the caller's token must carry at least one of the scopes (Auth0: "expected any of"). */
export function requireScope(...scopes: string[]) {
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const granted = request.management?.scopes;
    if (!granted || !scopes.some((s) => granted.has(s))) {
      throw forbidden(`Insufficient scope; expected any of: ${scopes.join(', ')}.`);
    }
    done();
  };
}

/** preHandler: the caller's token must carry every scope `needs` names for this request (Auth0's PATCH /clients). */
export function requireEveryScope(needs: (request: FastifyRequest) => string[]) {
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const granted = request.management?.scopes;
    for (const scope of needs(request)) {
      if (!granted?.has(scope)) throw forbidden(`Insufficient scope; expected any of: ${scope}.`);
    }
    done();
  };
}

async function authenticate(ctx: AppContext, request: FastifyRequest): Promise<void> {
  const header = request.headers.authorization;
  if (!header) throw unauthorized('Missing authentication');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw unauthorized('Bad HTTP authentication header format', 'Bearer');
  try {
    const { payload } = await ctx.tokens.verify(match[1]!, { audience: ctx.managementAudience });
    if (typeof payload.gty !== 'string' || payload.gty !== 'client-credentials') {
      throw unauthorized('Client is not global.');
    }
    const scopes = new Set(typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : []);
    request.management = { clientId: typeof payload.azp === 'string' ? payload.azp : '', scopes };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED') throw unauthorized('Expired token received for JSON Web Token validation');
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' || code === 'ERR_JWKS_NO_MATCHING_KEY')
      throw unauthorized('Invalid token', 'invalid_signature');
    throw unauthorized('Invalid token');
  }
}

/** Maps Fastify's schema validation errors to Auth0's messages. */
function validationMessage(err: FastifyError): ApiError {
  const first = err.validation?.[0];
  const where = err.validationContext ?? 'body';
  let detail = first?.message ?? err.message;
  const params: Record<string, unknown> = first?.params ?? {};
  if (first?.keyword === 'additionalProperties')
    detail = `Additional properties not allowed: ${String(params.additionalProperty)}`;
  if (first?.keyword === 'required') detail = `Missing required property: ${String(params.missingProperty)}`;
  const path = first?.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
  const onProperty = path ? ` on property ${path}` : '';
  if (where === 'querystring')
    return new ApiError(400, `Query validation error: '${detail}'${onProperty}.`, 'invalid_query_string');
  if (where === 'params') return new ApiError(400, `Path validation error: '${detail}'${onProperty}.`, 'invalid_uri');
  return new ApiError(400, `Payload validation error: '${detail}'${onProperty}.`, 'invalid_body');
}

export function managementPlugin(ctx: AppContext, routes: RouteRegistrar[]) {
  return async (app: FastifyInstance) => {
    // Every route answers its errors in Auth0's shape (the error handler below): its response schemas say so, for
    // the OpenAPI document. Added before swagger's own hook, which collects the schemas as each route registers.
    app.addHook('onRoute', (route) => {
      const schema = (route.schema ??= {});
      const response = (schema.response ??= {}) as Record<string, unknown>;
      response['4xx'] ??= errorResponseSchema;
    });
    // Before the routes: it collects each route's schemas as it is registered (management/openapi.ts).
    await app.register(swagger, openApiOptions(ctx));
    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.config.public !== true) await authenticate(ctx, request);
    });
    // A successful write may change configuration the token endpoint caches: clear it on every node before the
    // caller sees the answer, so its next request runs on the new configuration.
    app.addHook('onSend', async (request, reply) => {
      if (request.method !== 'GET' && request.method !== 'HEAD' && reply.statusCode < 400) {
        await ctx.invalidation.publish('config');
      }
    });
    app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      let apiError: ApiError;
      if (err instanceof ApiError) apiError = err;
      else if (err instanceof StorageUnavailableError) {
        reply.header('Retry-After', String(STORAGE_RETRY_AFTER_S));
        apiError = serviceUnavailable();
      } else if (err.validation) apiError = validationMessage(err);
      else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
        // Fastify's own client errors: bad JSON, wrong content type, body too large.
        apiError = new ApiError(
          err.statusCode,
          err.statusCode === 415 ? 'Unsupported Media Type' : 'Invalid request payload JSON format',
          err.statusCode === 415 ? 'unsupported_media_type' : 'invalid_body',
        );
      } else {
        request.log.error({ err }, 'management API error');
        apiError = new ApiError(500, 'Internal error');
      }
      if (apiError.statusCode === 401) reply.header('WWW-Authenticate', 'Bearer');
      return reply.status(apiError.statusCode).send(apiError.toJSON());
    });
    app.setNotFoundHandler((request, reply) => {
      reply.status(404).send(new ApiError(404, 'Not Found').toJSON());
    });
    for (const register of routes) await register(app, ctx);
    // Public, as Auth0's: it describes shapes, never data, and Baton's source is open anyway.
    app.get(OPENAPI_PATH, { config: { public: true }, schema: { hide: true } }, (_request, reply) =>
      reply.send(app.swagger()),
    );
  };
}
