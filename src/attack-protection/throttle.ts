/**
 * Suspicious IP Throttling for Custom Token Exchange (spec section 12): stage `pre-custom-token-exchange`, a token
 * bucket per IP that only `api.access.rejectInvalidSubjectToken()` drains (`recordInvalidSubjectToken`); while an IP's
 * bucket is empty, every CTE request from it is refused with 429 `too_many_attempts` before the Action runs
 * (`isBlocked`, called by the pipeline), unless the IP is allowlisted, the feature is disabled, or the `block` shield
 * is off (monitoring mode: the `limit_mu` event is still emitted).
 *
 * Buckets live in memory, or in Redis when BATON_REDIS_URL is set so that every node sees the same counts
 * (DESIGN section 7). While Redis is unreachable each node counts in its own memory (buckets.ts FallbackBuckets):
 * throttling degrades to per-node limits, counted in `baton_throttle_fallback_total`; an outage of the shared store
 * must not take the token endpoint down with it, nor leave it with no limit at all.
 *
 * Settings are read from the settings table and cached in process; `update` refreshes this node's cache at once,
 * other nodes within SETTINGS_TTL_MS (or at once through `reload()` when cluster invalidation calls it).
 */
import { OAuthError } from '../oauth/errors.js';
import { systemClock, type Clock } from '../clock.js';
import type { SettingsRepository } from '../storage/repositories/settings.js';
import { openBuckets, warnEvery } from './buckets.js';
import type { RedisClients } from '../cluster/redis.js';
import { sharedBuckets } from '../cluster/shared-buckets.js';
import { DEFAULT_IPV6_PREFIX, buildAllowlist, isAllowlisted, normalizeIp, throttleKey } from './ip.js';
import { CTE_STAGE, SETTINGS_KEY, loadSettings, type Shield, type SuspiciousIpThrottlingSettings } from './settings.js';

/** Spec section 4.4 / 10 E5: the exact text Auth0 returns. */
const TOO_MANY_ATTEMPTS_DESCRIPTION =
  'We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator.';

/** The 429 the token endpoint returns for a throttled IP. */
export function tooManyAttempts(ip: string): OAuthError {
  return new OAuthError(
    429,
    'too_many_attempts',
    TOO_MANY_ATTEMPTS_DESCRIPTION,
    `IP ${ip} is blocked by suspicious IP throttling (${CTE_STAGE})`,
  );
}

const SETTINGS_TTL_MS = 10_000;

/** Emitted once when an IP's bucket becomes empty (the `limit_mu` moment). */
export interface IpBlockedEvent {
  /** The address whose rejection emptied the bucket. */
  ip: string;
  /** The IPv6 network the bucket covers (`2001:db8:1:2::/64`), when the bucket is wider than the address. */
  ip_range?: string;
  stage: typeof CTE_STAGE;
  max_attempts: number;
  rate: number;
  shields: Shield[];
  /** True when the `block` shield is on, i.e. requests are now refused; false in monitoring mode. */
  enforced: boolean;
  date: string;
}

export interface SuspiciousIpThrottle {
  /** The current settings (cached). */
  settings(): Promise<SuspiciousIpThrottlingSettings>;
  /** Stores already-validated settings (see settingsProblem) and applies them at once on this node. */
  save(settings: SuspiciousIpThrottlingSettings): Promise<void>;
  /** Drops the cached settings (another node changed them). */
  reload(): void;
  /** True when a CTE request from `ip` must get 429 now. */
  isBlocked(ip: string): Promise<boolean>;
  /** Same as isBlocked: the pipeline's check before the Action. */
  check(ip: string): Promise<boolean>;
  /** One `rejectInvalidSubjectToken` from `ip`; returns whether the IP's bucket is now empty. */
  recordInvalidSubjectToken(ip: string): Promise<{ empty: boolean }>;
  /** Refills the IP's bucket, i.e. an IPv6 address's whole network (DELETE /anomaly/blocks/ips/{ip}). */
  unblock(ip: string): Promise<void>;
  /** Subscribes to "bucket became empty"; returns the unsubscribe function. */
  onBlocked(listener: (event: IpBlockedEvent) => void): () => void;
  close(): Promise<void>;
}

export interface ThrottleOptions {
  settings: SettingsRepository;
  /** Shared buckets in Redis; memory when absent. */
  redisUrl?: string | undefined;
  /** The process's Redis clients (outage logs, metrics); a standalone set when absent. */
  redis?: RedisClients | undefined;
  /** Redis key prefix (tests isolate themselves with their own). */
  keyPrefix?: string;
  /** Listener failures and Redis failures while connected; defaults to a process warning at most every 30 s. */
  onError?: (err: unknown) => void;
  settingsTtlMs?: number;
  /** IPv6 addresses share a bucket per network of this prefix length (BATON_THROTTLE_IPV6_PREFIX); default 64. */
  ipv6Prefix?: number;
  /** The time the in-memory buckets and the settings cache read; the system clock by default. */
  clock?: Clock;
}

export async function createSuspiciousIpThrottle(opts: ThrottleOptions): Promise<SuspiciousIpThrottle> {
  const onError = opts.onError ?? warnEvery('suspicious IP throttling', 30_000);
  const ttl = opts.settingsTtlMs ?? SETTINGS_TTL_MS;
  const clock = opts.clock ?? systemClock;
  const prefix = `${opts.keyPrefix ?? 'baton:sit'}:${CTE_STAGE}`;
  const { store: buckets, close } = await openBuckets({
    redisUrl: opts.redisUrl,
    redis: opts.redis,
    name: 'throttle',
    keyPrefix: prefix,
    clock,
    onError,
    // Under `--workers` the processes of a machine share the primary's buckets (cluster/shared-buckets.ts).
    local: sharedBuckets(prefix, clock),
  });
  const listeners = new Set<(event: IpBlockedEvent) => void>();

  let cached:
    | { at: number; value: Promise<{ s: SuspiciousIpThrottlingSettings; allow: ReturnType<typeof buildAllowlist> }> }
    | undefined;
  const current = () => {
    if (!cached || clock.now() - cached.at > ttl) {
      const value = loadSettings(opts.settings).then((s) => ({ s, allow: buildAllowlist(s.allowlist) }));
      const entry = { at: clock.now(), value };
      cached = entry;
      value.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.value;
  };
  const ipv6Prefix = opts.ipv6Prefix ?? DEFAULT_IPV6_PREFIX;
  // The allowlist is matched against the address itself, the bucket is the address's (IPv6: its network's).
  const addressOf = (ip: string) => normalizeIp(ip) ?? ip;
  const bucketOf = (ip: string) => throttleKey(ip, ipv6Prefix) ?? ip;

  const isBlocked = async (ip: string): Promise<boolean> => {
    const { s, allow } = await current();
    if (!s.enabled || !s.shields.includes('block')) return false;
    if (isAllowlisted(allow, addressOf(ip))) return false;
    const stage = s.stage[CTE_STAGE];
    return (await buckets.used(bucketOf(ip), stage.rate)) >= stage.max_attempts;
  };

  return {
    settings: async () => (await current()).s,
    async save(settings) {
      await opts.settings.set(SETTINGS_KEY, settings);
      cached = { at: clock.now(), value: Promise.resolve({ s: settings, allow: buildAllowlist(settings.allowlist) }) };
    },
    reload() {
      cached = undefined;
    },
    isBlocked,
    check: isBlocked,
    async recordInvalidSubjectToken(ip) {
      const { s, allow } = await current();
      const address = addressOf(ip);
      if (!s.enabled || isAllowlisted(allow, address)) return { empty: false };
      const stage = s.stage[CTE_STAGE];
      const bucket = bucketOf(ip);
      const used = await buckets.take(bucket, stage.max_attempts, stage.rate);
      // Exactly the take that emptied the bucket reports it; later ones (used > max) found it empty already.
      if (used === stage.max_attempts) {
        const event: IpBlockedEvent = {
          ip: address,
          ...(bucket !== address ? { ip_range: bucket } : {}),
          stage: CTE_STAGE,
          max_attempts: stage.max_attempts,
          rate: stage.rate,
          shields: s.shields,
          enforced: s.shields.includes('block'),
          date: new Date().toISOString(),
        };
        for (const listener of listeners) {
          try {
            listener(event);
          } catch (err) {
            onError(err);
          }
        }
      }
      return { empty: used >= stage.max_attempts };
    },
    async unblock(ip) {
      await buckets.clear(bucketOf(ip));
    },
    onBlocked(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await close();
    },
  };
}

/** The tenant log entry for an IP that Suspicious IP Throttling now blocks (spec section 11.1, `limit_mu`). */
export function limitMuLogEntry(event: IpBlockedEvent): {
  type: 'limit_mu';
  date: string;
  ip: string;
  description: string;
  details: Record<string, unknown>;
} {
  return {
    type: 'limit_mu',
    date: event.date,
    ip: event.ip,
    description: event.enforced
      ? 'Blocked IP address: too many invalid subject tokens in Custom Token Exchange'
      : 'IP address would be blocked (monitoring mode): too many invalid subject tokens in Custom Token Exchange',
    details: {
      flow: 'custom-token-exchange',
      stage: event.stage,
      max_attempts: event.max_attempts,
      rate: event.rate,
      shields: event.shields,
      ...(event.ip_range ? { ip_range: event.ip_range } : {}),
    },
  };
}
