/**
 * buildApp: the HTTP server over a context, without listening (tests use `inject` or listen on port 0).
 * Two surfaces on one port, each an encapsulated Fastify plugin with its own parsers, auth and error shape.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { AppContext } from './context.js';
import { oauthPlugin } from './oauth/plugin.js';
import { managementPlugin } from './management/plugin.js';
import { managementRoutes } from './management/routes/index.js';
import { opsRoutes, createMetrics } from './ops/routes.js';
import { loggerOptions } from './ops/logger.js';
import { registerAuditMetrics } from './ops/audit-metrics.js';
import { registerRedisMetrics } from './ops/redis-metrics.js';

export interface BuildAppOptions {
  /** pino options or false; tests pass `false`. */
  logger?: boolean | Record<string, unknown>;
  /** Serve HTTPS with this PEM key and certificate (tests; production terminates TLS in front of Baton). */
  https?: { key: string; cert: string };
}

export async function buildApp(ctx: AppContext, opts: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.https ? { https: opts.https } : {}),
    logger: opts.logger === undefined ? loggerOptions(ctx.config.logLevel) : opts.logger,
    trustProxy: ctx.config.trustProxy,
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
    bodyLimit: 1024 * 1024,
    // M5 (docs/security.md): a request must arrive whole within its timeouts, an idle kept-alive socket closes, and
    // the number of open connections is capped, so slow or silent clients cannot hold sockets forever.
    requestTimeout: ctx.config.http.requestTimeoutMs,
    keepAliveTimeout: ctx.config.http.keepAliveTimeoutMs,
    // Node checks both request timeouts on this interval (30 s by default): check every second.
    http: { headersTimeout: ctx.config.http.headersTimeoutMs, connectionsCheckingInterval: 1000 },
    // API identifiers are URLs and appear URL-encoded in paths (GET /resource-servers/{identifier}).
    routerOptions: { maxParamLength: 2048 },
  });
  app.server.maxConnections = ctx.config.http.maxConnections;
  const metrics = createMetrics();
  registerAuditMetrics(metrics.registry, { logs: ctx.logs, logins: ctx.logins });
  registerRedisMetrics(metrics.registry, ctx.redis);
  app.decorate('metrics', metrics);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // While draining (ops/shutdown.ts) kept-alive connections end with this response: the client reconnects elsewhere.
    if (ctx.draining) reply.header('connection', 'close');
  });
  opsRoutes(app, ctx, metrics);
  await app.register(oauthPlugin(ctx));
  await app.register(managementPlugin(ctx, managementRoutes), { prefix: '/api/v2' });
  return app;
}
