/**
 * Redis in /metrics (docs/deployment.md, "Redis: what it holds and what happens when it is down"):
 * `baton_redis_up{client}` is 1 while a connection is ready, 0 during an outage; `baton_throttle_fallback_total
 * {limiter}` counts the throttling and rate-limit decisions a node took on its own memory because Redis did not
 * answer (attack-protection/buckets.ts FallbackBuckets). Both are read from the context when scraped.
 */
import client from 'prom-client';
import type { RedisClients } from '../cluster/redis.js';

export function registerRedisMetrics(registry: client.Registry, redis: RedisClients): void {
  new client.Gauge({
    name: 'baton_redis_up',
    help: 'Whether each Redis connection of this process is ready (1) or down (0)',
    labelNames: ['client'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { name, up } of redis.states()) this.labels(name).set(up ? 1 : 0);
    },
  });
  new client.Counter({
    name: 'baton_throttle_fallback_total',
    help: 'Throttling and rate-limit decisions taken on this node alone because Redis did not answer',
    labelNames: ['limiter'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { limiter, count } of redis.fallbacks()) this.labels(limiter).inc(count);
    },
  });
}
