/**
 * The shared `api.cache` store (DESIGN section 7): one Redis hash per trigger namespace, field = key, value = JSON
 * `{value, expires_at}`. Expired fields are pruned on load; the hash itself expires with its last entry.
 */
import type { Redis } from 'ioredis';
import type { ActionCacheStore, CacheEntry, CacheOp } from './types.js';
import { enforceLimits } from './session.js';

export class RedisCacheStore implements ActionCacheStore {
  /**
   * `client` should fail fast while Redis is away (cluster/redis.ts): a run reads its namespace before it starts, and
   * the executor reads a failed load as an unavailable cache rather than waiting. `closeClient` replaces quitting
   * the client when its owner closes it (the process's Redis clients).
   */
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'baton:actions-cache:',
    private readonly now: () => number = Date.now,
    private readonly closeClient: () => Promise<unknown> = () => redis.quit(),
  ) {}

  private key(namespace: string): string {
    return `${this.prefix}${namespace}`;
  }

  async load(namespace: string): Promise<CacheEntry[]> {
    const raw = await this.redis.hgetall(this.key(namespace));
    const now = this.now();
    const out: CacheEntry[] = [];
    const expired: string[] = [];
    for (const [key, json] of Object.entries(raw)) {
      const rec = parseRecord(json);
      if (!rec || rec.expires_at <= now) expired.push(key);
      else out.push({ key, ...rec });
    }
    if (expired.length) await this.redis.hdel(this.key(namespace), ...expired);
    return out;
  }

  async apply(namespace: string, ops: CacheOp[]): Promise<void> {
    if (ops.length === 0) return;
    const k = this.key(namespace);
    const tx = this.redis.multi();
    let latest = 0;
    for (const op of ops) {
      if (op.op === 'set') {
        tx.hset(k, op.key, JSON.stringify({ value: op.value, expires_at: op.expires_at }));
        latest = Math.max(latest, op.expires_at);
      } else tx.hdel(k, op.key);
    }
    await tx.exec();
    // Concurrent runs may each have stayed within the limits; trim the union (spec 6.11: best effort).
    const { keep, drop } = enforceLimits(await this.load(namespace));
    if (drop.length) await this.redis.hdel(k, ...drop);
    const last = Math.max(latest, ...keep.map((e) => e.expires_at));
    if (last > 0) await this.redis.pexpireat(k, last);
  }

  async close(): Promise<void> {
    await this.closeClient().catch(() => this.redis.disconnect());
  }
}

function parseRecord(json: string): { value: string; expires_at: number } | null {
  try {
    const r = JSON.parse(json) as { value?: unknown; expires_at?: unknown };
    return typeof r.value === 'string' && typeof r.expires_at === 'number'
      ? { value: r.value, expires_at: r.expires_at }
      : null;
  } catch {
    return null;
  }
}
