/**
 * Token buckets per IP (spec section 12.1: bucket size `max_attempts`, one attempt back every `rate` ms), kept in
 * memory for one process (an LRU of debts read against the injected clock), or rate-limiter-flexible's
 * RateLimiterRedis for several nodes.
 *
 * rate-limiter-flexible's own counters are fixed windows (all points come back at once when the window ends), which
 * would let an attacker spend `max_attempts` every `rate` ms instead of one attempt per `rate`. So the bucket is kept
 * as GCRA: a key's remaining time to live is its "debt", the time until the bucket is full again. Attempts used =
 * ceil(debt / rate); taking one adds `rate` to the debt; the bucket is empty when the debt exceeds
 * (max_attempts - 1) * rate. On Redis this runs as one Lua script (atomic across nodes, through the library's
 * customIncrTtlLuaScript); in memory, each take reads and writes at once.
 */
import { LRUCache } from 'lru-cache';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../clock.js';
import { RedisClients, processWarningLog } from '../cluster/redis.js';

export interface BucketStore {
  /**
   * Takes one attempt from the key's bucket. Returns the attempts used afterwards; `maxAttempts + 1` means the
   * bucket was already empty (nothing was taken).
   */
  take(key: string, maxAttempts: number, rateMs: number): Promise<number>;
  /** Attempts used now, 0 (full bucket) to maxAttempts (empty). */
  used(key: string, rateMs: number): Promise<number>;
  /** Refills the bucket at once (unblock). */
  clear(key: string): Promise<void>;
}

const usedFor = (debtMs: number, rateMs: number) => Math.ceil(Math.max(0, debtMs) / rateMs);

/** How many IPs' buckets one node keeps in memory; past it the least recently used is forgotten (a full bucket). */
const MEMORY_BUCKETS_MAX_KEYS = 100_000;

export class MemoryBuckets implements BucketStore {
  /** Per key, the time at which its bucket is full again (its debt is that time minus now). */
  private readonly fullAt: LRUCache<string, number>;

  constructor(
    private readonly clock: Clock = systemClock,
    maxKeys = MEMORY_BUCKETS_MAX_KEYS,
  ) {
    this.fullAt = new LRUCache({ max: maxKeys });
  }

  private debt(key: string, now: number): number {
    return Math.max(0, (this.fullAt.get(key) ?? now) - now);
  }

  // Each call reads and writes synchronously, so two concurrent takes cannot both read the old debt.
  take(key: string, maxAttempts: number, rateMs: number): Promise<number> {
    const now = this.clock.now();
    const debt = this.debt(key, now);
    if (usedFor(debt, rateMs) >= maxAttempts) return Promise.resolve(maxAttempts + 1);
    const next = debt + rateMs;
    this.fullAt.set(key, now + next);
    return Promise.resolve(usedFor(next, rateMs));
  }

  used(key: string, rateMs: number): Promise<number> {
    return Promise.resolve(usedFor(this.debt(key, this.clock.now()), rateMs));
  }

  clear(key: string): Promise<void> {
    this.fullAt.delete(key);
    return Promise.resolve();
  }

  /** When the key's bucket is full again; undefined: it is full (cluster/shared-buckets.ts mirrors this). */
  fullAtOf(key: string): number | undefined {
    return this.fullAt.get(key);
  }

  /** Sets the key's state as another process's store has it (undefined: full). */
  mirror(key: string, fullAt: number | undefined): void {
    if (fullAt === undefined) this.fullAt.delete(key);
    else this.fullAt.set(key, fullAt);
  }
}

/**
 * GCRA take as the library's increment script. ARGV: [points to take, duration in whole seconds, points (the
 * bucket size), duration in seconds (the rate, possibly fractional)]. Returns {used after, debt in ms}.
 */
const GCRA_TAKE_LUA = `
local rate = math.floor(tonumber(ARGV[4]) * 1000 + 0.5)
local max = tonumber(ARGV[3])
local debt = redis.call('pttl', KEYS[1])
if debt < 0 then debt = 0 end
local used = math.ceil(debt / rate)
if used >= max then return {max + 1, debt} end
debt = debt + rate * tonumber(ARGV[1])
used = math.ceil(debt / rate)
redis.call('set', KEYS[1], used, 'PX', debt)
return {used, debt}
`;

class RedisBuckets implements BucketStore {
  private readonly limiters = new Map<string, RateLimiterRedis>();

  constructor(
    private readonly client: Redis,
    private readonly keyPrefix: string,
  ) {}

  /** One limiter per (bucket size, rate): the script reads both from the limiter's own options. */
  private limiter(maxAttempts: number, rateMs: number): RateLimiterRedis {
    const id = `${maxAttempts}:${rateMs}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: this.client,
        keyPrefix: this.keyPrefix,
        points: maxAttempts,
        duration: rateMs / 1000,
        customIncrTtlLuaScript: GCRA_TAKE_LUA,
        // Fail fast instead of queueing while Redis is away; the throttle then fails open (see throttle.ts).
        rejectIfRedisNotReady: true,
      });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  async take(key: string, maxAttempts: number, rateMs: number): Promise<number> {
    try {
      const res = await this.limiter(maxAttempts, rateMs).consume(key, 1);
      return res.consumedPoints;
    } catch (err) {
      // The library rejects with a RateLimiterRes when more than `points` are used: the bucket was empty.
      if (err instanceof RateLimiterRes) return err.consumedPoints;
      throw err;
    }
  }

  /**
   * The bucket's debt is the key's remaining TTL (the script above sets it with PX), so one PTTL answers: the
   * library's `get` reads value and TTL in a MULTI, four commands on every exchange's check. A missing key (-2)
   * is an unused bucket. The client fails fast while Redis is away (cluster/redis.ts); FallbackBuckets takes over.
   */
  async used(key: string, rateMs: number): Promise<number> {
    const debtMs = await this.client.pttl(this.limiter(1, rateMs).getKey(key));
    return debtMs > 0 ? usedFor(debtMs, rateMs) : 0;
  }

  async clear(key: string): Promise<void> {
    await this.limiter(1, 1000).delete(key);
  }
}

/** Store failures as a process warning, at most one every `ms` (a fault would otherwise warn on every request). */
export function warnEvery(what: string, ms: number): (err: unknown) => void {
  let last = 0;
  return (err) => {
    if (Date.now() - last < ms) return;
    last = Date.now();
    process.emitWarning(`${what}: ${(err as Error)?.message ?? String(err)}`);
  };
}

/** An unblock that reached this node's buckets but not the shared ones (Redis did not answer). */
export class SharedBucketsUnavailable extends Error {
  override name = 'SharedBucketsUnavailable';
  constructor(opts: { cause: unknown }) {
    super('the shared throttling buckets (Redis) did not answer', opts);
  }
}

/**
 * Redis buckets with a per-node fallback (DESIGN section 7): while Redis cannot answer, each decision is taken on
 * this node's in-memory buckets instead, so throttling degrades to per-node limits (an attacker spread over N nodes
 * gets up to N times the budget) rather than to no limit at all, and never to refusing everyone (failing closed
 * would turn a Redis outage into a token endpoint outage). Memory counts start empty and are not merged back: when
 * Redis returns, the shared buckets decide again. `onFallback` sees each decision taken without Redis.
 */
class FallbackBuckets implements BucketStore {
  constructor(
    private readonly shared: BucketStore,
    private readonly local: BucketStore,
    private readonly onFallback: (err: unknown) => void,
  ) {}

  async take(key: string, maxAttempts: number, rateMs: number): Promise<number> {
    try {
      return await this.shared.take(key, maxAttempts, rateMs);
    } catch (err) {
      this.onFallback(err);
      return this.local.take(key, maxAttempts, rateMs);
    }
  }

  async used(key: string, rateMs: number): Promise<number> {
    try {
      return await this.shared.used(key, rateMs);
    } catch (err) {
      this.onFallback(err);
      return this.local.used(key, rateMs);
    }
  }

  /** Refills both: an unblock during an outage frees this node at once, and fails if Redis keeps the block. */
  async clear(key: string): Promise<void> {
    await this.local.clear(key);
    try {
      await this.shared.clear(key);
    } catch (err) {
      throw new SharedBucketsUnavailable({ cause: err });
    }
  }
}

export interface SharedBucketOptions {
  /** Shared buckets in Redis; memory only when absent. */
  redisUrl?: string | undefined;
  /** The process's Redis clients (logs and metrics); a standalone set when absent (tests). */
  redis?: RedisClients | undefined;
  name: 'throttle' | 'rate-limit';
  keyPrefix: string;
  clock: Clock;
  /** The buckets to decide on without Redis (and while Redis is away): this process's memory when absent. */
  local?: BucketStore | undefined;
  /** A Redis failure while the connection is up (Redis answering too slowly): the outage itself is logged once. */
  onError: (err: unknown) => void;
}

/** The bucket store of a limiter: memory on one node, Redis with the per-node fallback when BATON_REDIS_URL is set. */
export async function openBuckets(
  opts: SharedBucketOptions,
): Promise<{ store: BucketStore; close: () => Promise<void> }> {
  const local = opts.local ?? new MemoryBuckets(opts.clock);
  if (!opts.redisUrl) return { store: local, close: () => Promise.resolve() };
  const clients = opts.redis ?? new RedisClients(processWarningLog);
  const redis = await clients.connect(opts.redisUrl, opts.name);
  const onFallback = (err: unknown) => {
    clients.recordFallback(opts.name);
    if (redis.up) opts.onError(err);
  };
  return {
    store: new FallbackBuckets(new RedisBuckets(redis.client, opts.keyPrefix), local, onFallback),
    close: () => redis.close(),
  };
}
