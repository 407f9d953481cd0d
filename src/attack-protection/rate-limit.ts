/**
 * An optional tenant-wide rate limit on Custom Token Exchange requests (spec section 13 and E22): Auth0 limits CTE
 * requests per tenant (for instance a burst of 15 and 15 per second on Enterprise); a self-hosted Baton has no such
 * limit unless the operator sets BATON_TOKEN_EXCHANGE_RATE (requests per second) and, optionally,
 * BATON_TOKEN_EXCHANGE_BURST. Every exchange is an Action run, so this is what keeps a client with valid credentials
 * from running the operator's Action as often as it likes.
 *
 * One token bucket for the tenant, of `burst` requests, refilled at `rate` per second, in the same GCRA stores as
 * Suspicious IP Throttling (buckets.ts): memory on one node, Redis when BATON_REDIS_URL is set, so the limit is the
 * tenant's across nodes. A request over the limit gets 429 `too_many_requests` with `X-RateLimit-Limit` (the burst),
 * `X-RateLimit-Remaining` (0), `X-RateLimit-Reset` (Unix time at which the bucket is full again) and `Retry-After`,
 * before its parameters are read or its Action runs. While Redis is unreachable each node applies the limit on its own
 * memory, like the throttle (buckets.ts FallbackBuckets): N nodes then allow up to N times the tenant's rate.
 */
import { OAuthError } from '../oauth/errors.js';
import { systemClock, type Clock } from '../clock.js';
import { openBuckets, warnEvery } from './buckets.js';
import type { RedisClients } from '../cluster/redis.js';
import { sharedBuckets } from '../cluster/shared-buckets.js';

export const TOO_MANY_REQUESTS_DESCRIPTION = 'Too many token exchange requests. Retry later.';
const KEY = 'tenant';

export interface ExchangeRateLimitOptions {
  /** Requests per second, sustained. */
  ratePerSecond: number;
  /** Bucket size: requests that may arrive at once. */
  burst: number;
  redisUrl?: string | undefined;
  /** The process's Redis clients (outage logs, metrics); a standalone set when absent. */
  redis?: RedisClients | undefined;
  /** Redis key prefix (tests isolate themselves with their own). */
  keyPrefix?: string;
  /** Redis failures while connected; defaults to a process warning at most every 30 s. */
  onError?: (err: unknown) => void;
  /** The time the in-memory bucket and the report interval read; the system clock by default. */
  clock?: Clock;
}

interface RateLimitRefusal {
  error: OAuthError;
  /** Refusals on this node since the last one reported (the `api_limit` log entry counts them); 0: do not log. */
  toReport: number;
}

export interface ExchangeRateLimit {
  readonly ratePerSecond: number;
  readonly burst: number;
  /** Takes one request from the tenant's bucket: undefined when allowed, else the 429 to answer. */
  take(): Promise<RateLimitRefusal | undefined>;
  close(): Promise<void>;
}

/** At most one `api_limit` log entry per this many ms on a node; the entry counts the refusals it stands for. */
export const REPORT_EVERY_MS = 1000;

export async function createExchangeRateLimit(opts: ExchangeRateLimitOptions): Promise<ExchangeRateLimit> {
  const onError = opts.onError ?? warnEvery('token exchange rate limit', 30_000);
  const clock = opts.clock ?? systemClock;
  const rateMs = Math.max(1, Math.round(1000 / opts.ratePerSecond));
  const prefix = `${opts.keyPrefix ?? 'baton:rl'}:token-exchange`;
  const { store: buckets, close } = await openBuckets({
    redisUrl: opts.redisUrl,
    redis: opts.redis,
    name: 'rate-limit',
    keyPrefix: prefix,
    clock,
    onError,
    // Under `--workers` the processes of a machine share the primary's buckets (cluster/shared-buckets.ts).
    local: sharedBuckets(prefix, clock),
  });
  let unreported = 0;
  let lastReport = 0;

  return {
    ratePerSecond: opts.ratePerSecond,
    burst: opts.burst,
    async take() {
      const used = await buckets.take(KEY, opts.burst, rateMs);
      if (used <= opts.burst) return undefined;
      // The bucket is empty: it is full again after burst * rateMs, and has room for one more after about rateMs.
      const now = clock.now();
      const headers = {
        'X-RateLimit-Limit': String(opts.burst),
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(Math.ceil((now + opts.burst * rateMs) / 1000)),
        'Retry-After': String(Math.max(1, Math.ceil(rateMs / 1000))),
      };
      const error = new OAuthError(
        429,
        'too_many_requests',
        TOO_MANY_REQUESTS_DESCRIPTION,
        `token exchange rate limit: ${opts.burst} at once, ${opts.ratePerSecond} per second`,
        headers,
      );
      unreported++;
      if (now - lastReport < REPORT_EVERY_MS) return { error, toReport: 0 };
      lastReport = now;
      const toReport = unreported;
      unreported = 0;
      return { error, toReport };
    },
    close,
  };
}
