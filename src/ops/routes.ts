/** Operations: liveness, readiness (storage answers), Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import client from 'prom-client';
import type { AppContext } from '../context.js';
import { findGrant } from '../oauth/grants/index.js';

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
  return { registry, httpRequests, tokenRequests };
}

export type Metrics = ReturnType<typeof createMetrics>;

export async function opsRoutes(app: FastifyInstance, ctx: AppContext, metrics: Metrics): Promise<void> {
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (request, reply) => {
    try {
      await sql`select 1`.execute(ctx.storage.db);
      return { status: 'ok', storage: ctx.storage.dialect };
    } catch (err) {
      request.log.warn({ err }, 'readiness check failed');
      return reply.status(503).send({ status: 'unavailable', storage: ctx.storage.dialect });
    }
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('Content-Type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequests
      .labels(request.method, request.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
    if (request.routeOptions.url === '/oauth/token') {
      const grantType = (request.body as { grant_type?: unknown } | undefined)?.grant_type;
      // Only registered grant types become label values: a client cannot blow up the series count.
      const label = typeof grantType === 'string' && findGrant(grantType) ? grantType : 'other';
      metrics.tokenRequests.labels(label, String(reply.statusCode)).inc();
    }
  });
}
