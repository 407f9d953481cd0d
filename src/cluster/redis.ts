/**
 * Every Redis connection Baton opens (DESIGN section 7; "Redis: what it holds and what happens when it is down" in
 * docs/deployment.md): one place sets how a client behaves while Redis is away, and watches its state.
 *
 * - Requests never wait for Redis to come back. ioredis would keep a command in its offline queue until it
 *   reconnects (observed: 3.5 s per request with `api.cache` while Redis was down); request-path clients have no
 *   offline queue, so a command fails at once while the connection is down, and a command already sent fails after
 *   COMMAND_TIMEOUT_MS when Redis stops answering. Callers then take their documented fallback (a cache miss, the
 *   in-memory throttling buckets, a missed invalidation republished later).
 * - One warning per client per outage, not one per reconnect attempt (ioredis emits `error` on each attempt, and
 *   prints "Unhandled error event" when nobody listens), and one info line when the client is ready again.
 * - `baton_redis_up{client}` reads `up` (ops/redis-metrics.ts); `onReconnect` tells the owner that the connection
 *   came back after an outage, so that it can drop what it may have missed (cluster/invalidation.ts).
 */
import { Redis, type RedisOptions } from 'ioredis';

/** Short bounds: a request waits at most this long on a Redis command; an unreachable host, this long to connect. */
const COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 2_000;
/** Reconnect attempts back off to at most this interval. */
const MAX_RECONNECT_DELAY_MS = 1_000;

/** The names in logs and in `baton_redis_up{client}`. */
export type RedisClientName = 'publisher' | 'subscriber' | 'cache' | 'throttle' | 'rate-limit';

/** The two lines an outage writes (a pino logger fits). */
export interface RedisEventLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface WatchedRedis {
  name: RedisClientName;
  client: Redis;
  /** True while the connection is ready for commands. */
  readonly up: boolean;
  /** Runs after the client is ready again following an outage (not on the first connect). */
  onReconnect(fn: () => void): void;
  close(): Promise<void>;
}

/** Outage lines as process warnings, for a client opened outside a context (tests of one component). */
export const processWarningLog: RedisEventLog = {
  warn: (_obj, msg) => process.emitWarning(msg),
  info: () => undefined,
};

/** Why each client exists, for the start-up error. */
const PURPOSE: Record<RedisClientName, string> = {
  publisher: 'cache invalidation',
  subscriber: 'cache invalidation',
  cache: 'api.cache',
  throttle: 'suspicious IP throttling',
  'rate-limit': 'the token exchange rate limit',
};

/** The Redis clients of one process, for metrics: their state, and the limiter decisions taken without Redis. */
export class RedisClients {
  private readonly clients: WatchedRedis[] = [];
  private readonly fallbackCounts = new Map<'throttle' | 'rate-limit', number>();

  constructor(private readonly log: RedisEventLog) {}

  /**
   * Opens a client and waits for its first connection (a node does not start without Redis when it is configured).
   * `subscriber`: the connection only subscribes; it keeps ioredis's offline queue so that re-subscribing after a
   * reconnect is never refused.
   */
  async connect(url: string, name: RedisClientName): Promise<WatchedRedis> {
    const options: RedisOptions = {
      lazyConnect: true,
      connectionName: `baton-${name}`,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      // A command in flight when the connection drops fails then, instead of being replayed after the reconnect.
      maxRetriesPerRequest: 0,
      enableOfflineQueue: name === 'subscriber',
      retryStrategy: (times) => Math.min(times * 100, MAX_RECONNECT_DELAY_MS),
    };
    const client = new Redis(url, options);
    const watched = watch(name, client, this.log);
    try {
      await client.connect();
    } catch (err) {
      client.disconnect();
      throw new Error(`cannot connect to Redis for ${PURPOSE[name]}: ${(err as Error).message}`, { cause: err });
    }
    this.clients.push(watched);
    return watched;
  }

  /** Each client's name and whether it is up now. */
  states(): Array<{ name: RedisClientName; up: boolean }> {
    return this.clients.map((c) => ({ name: c.name, up: c.up }));
  }

  /** A throttling or rate-limit decision taken on this node's memory because Redis did not answer. */
  recordFallback(limiter: 'throttle' | 'rate-limit'): void {
    this.fallbackCounts.set(limiter, (this.fallbackCounts.get(limiter) ?? 0) + 1);
  }

  /** Decisions taken without Redis since start, per limiter. */
  fallbacks(): Array<{ limiter: 'throttle' | 'rate-limit'; count: number }> {
    return [...this.fallbackCounts].map(([limiter, count]) => ({ limiter, count }));
  }
}

/** Follows a client's connection: one warning when an outage starts, one info when it ends. */
function watch(name: RedisClientName, client: Redis, log: RedisEventLog): WatchedRedis {
  let up = false;
  let everReady = false;
  let downSince: number | undefined;
  let closing = false;
  const reconnectListeners: Array<() => void> = [];
  const down = (err?: Error) => {
    up = false;
    if (closing || !everReady || downSince !== undefined) return;
    downSince = Date.now();
    log.warn({ redisClient: name, err: err?.message }, `Redis connection lost (${name}); retrying`);
  };
  // Listening to `error` is what keeps ioredis from printing each failed attempt as an unhandled error.
  client.on('error', (err: Error) => {
    if (client.status !== 'ready') down(err);
  });
  client.on('close', () => down());
  client.on('ready', () => {
    up = true;
    if (!everReady) {
      everReady = true;
      return;
    }
    if (downSince === undefined) return;
    log.info({ redisClient: name, downMs: Date.now() - downSince }, `Redis connection restored (${name})`);
    downSince = undefined;
    for (const fn of reconnectListeners) fn();
  });
  return {
    name,
    client,
    get up() {
      return up;
    },
    onReconnect: (fn) => void reconnectListeners.push(fn),
    async close() {
      closing = true;
      await client.quit().catch(() => client.disconnect());
    },
  };
}
