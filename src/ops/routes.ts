/**
 * Operations: liveness, readiness (storage answers), Prometheus metrics.
 * Where /metrics is served (L8): on the main listener when BATON_METRICS_PORT is unset (the default, for existing
 * scrapers; the server warns at start unless a token guards it), else only on a listener of its own
 * (buildMetricsServer, started by server.ts on BATON_METRICS_HOST, loopback by default); with BATON_METRICS_TOKEN,
 * wherever it is served, only to `Authorization: Bearer <token>` (RFC 6750; 401 and a challenge otherwise).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import client from 'prom-client';
import type { AppContext } from '../context.js';
import { findGrant } from '../oauth/grants/index.js';
import { loggerOptions } from './logger.js';
import { workerLink } from '../cluster/worker-link.js';

export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const httpRequests = new client.Histogram({
    name: 'baton_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const tokenRequests = new client.Counter({
    name: 'baton_token_requests_total',
    help: 'Token endpoint requests by grant type and HTTP status',
    labelNames: ['grant_type', 'status'] as const,
    registers: [registry],
  });
  // Under `--workers N`, /metrics answers for every process of the machine, summed (cluster/worker-link.ts).
  const link = workerLink();
  link?.shareMetrics(registry);
  const render = link ? () => link.clusterMetrics() : () => registry.metrics();
  return { registry, httpRequests, tokenRequests, render };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** What /metrics serves: a process's own metrics, or (the `--workers` primary) every process's, summed. */
export type MetricsSource = Pick<Metrics, 'render'> & { registry: { contentType: string } };

declare module 'fastify' {
  interface FastifyInstance {
    /** The registry and instruments of this app (app.ts decorates it). */
    metrics: Metrics;
  }
}

const CHALLENGE = 'Bearer realm="baton-metrics"';

/** A guard for BATON_METRICS_TOKEN: compares digests in constant time, so the token's length does not leak either. */
function bearerGuard(token: string) {
  const expected = createHash('sha256').update(token).digest();
  const refuse = (reply: FastifyReply, invalid: boolean) =>
    reply
      .status(401)
      .header('WWW-Authenticate', invalid ? `${CHALLENGE}, error="invalid_token"` : CHALLENGE)
      .header('Cache-Control', 'no-store')
      .send(
        invalid
          ? { error: 'invalid_token', error_description: 'The bearer token for /metrics is not valid' }
          : {
              error: 'unauthorized',
              error_description: 'GET /metrics needs Authorization: Bearer <BATON_METRICS_TOKEN>',
            },
      );
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined => {
    const auth = request.headers.authorization;
    const m = typeof auth === 'string' ? /^bearer(?:[ \t]+(.*))?$/i.exec(auth.trim()) : null;
    if (!m) return refuse(reply, false);
    const given = createHash('sha256')
      .update(m[1] ?? '')
      .digest();
    return timingSafeEqual(given, expected) ? undefined : refuse(reply, true);
  };
}

/** GET /metrics on `app`, behind the token when one is set. */
function metricsRoute(app: FastifyInstance, metrics: MetricsSource, token: string | undefined): void {
  const guard = token ? bearerGuard(token) : undefined;
  app.get('/metrics', async (request, reply) => {
    const refused = guard?.(request, reply);
    if (refused) return refused;
    let text: string;
    try {
      text = await metrics.render();
    } catch (err) {
      // `--workers`: a server process did not answer the primary in time (one that is starting, say).
      request.log.warn({ err }, 'metrics could not be collected');
      return reply
        .status(503)
        .header('Retry-After', '5')
        .send({ error: 'temporarily_unavailable', error_description: 'Metrics could not be collected; retry' });
    }
    reply.header('Content-Type', metrics.registry.contentType);
    return text;
  });
}

/** The metrics listener of BATON_METRICS_PORT: /metrics and nothing else (not listening yet; server.ts listens). */
export async function buildMetricsServer(
  ctx: { config: Pick<AppContext['config'], 'logLevel' | 'metrics'> },
  metrics: MetricsSource,
): Promise<FastifyInstance> {
  const app = Fastify({ logger: loggerOptions(ctx.config.logLevel) });
  metricsRoute(app, metrics, ctx.config.metrics.token);
  await app.ready();
  return app;
}

export function opsRoutes(app: FastifyInstance, ctx: AppContext, metrics: Metrics): void {
  app.get('/health/live', () => ({ status: 'ok' }));
  app.get('/health/ready', async (request, reply) => {
    // A graceful shutdown has begun (ops/shutdown.ts): load balancers stop sending before the listener closes.
    if (ctx.draining) return reply.status(503).send({ status: 'draining', storage: ctx.storage.dialect });
    try {
      await sql`select 1`.execute(ctx.storage.db);
    } catch (err) {
      request.log.warn({ err }, 'readiness check failed');
      return reply.status(503).send({ status: 'unavailable', storage: ctx.storage.dialect });
    }
    // Issue 13: as many audit entries wait for the database as this node may hold; it refuses token requests.
    if (ctx.logs.full() || ctx.logins.full())
      return reply.status(503).send({ status: 'unavailable', storage: ctx.storage.dialect, audit: 'backlog full' });
    return { status: 'ok', storage: ctx.storage.dialect };
  });
  if (ctx.config.metrics.port === undefined) metricsRoute(app, metrics, ctx.config.metrics.token);
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequests
      .labels(request.method, request.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
    if (request.routeOptions.url === '/oauth/token') {
      const grantType = (request.body as { grant_type?: unknown } | undefined)?.grant_type;
      // Only registered grant types become label values: a client cannot blow up the series count.
      const label = typeof grantType === 'string' && findGrant(grantType) ? grantType : 'other';
      metrics.tokenRequests.labels(label, String(reply.statusCode)).inc();
    }
    done();
  });
}
