/**
 * In-process cache of the configuration the token endpoint reads on every request (clients, their credentials,
 * APIs, client grants, connections, deployed Action pointers, the post-login flow, tenant settings; DESIGN
 * section 5). Every successful Management API write publishes the `config` topic, which clears it on every node;
 * entries also expire a minute after they were loaded, a bound on staleness should a write bypass the API.
 *
 * Keys are partly request-derived (a claimed `client_id`, an `audience`, a connection name an Action chose), so
 * the cache is bounded (docs/security.md, C1): found entries in an LRU of `maxEntries`, misses in a separate, smaller
 * LRU of `maxMisses`, so a flood of unknown identifiers can neither grow the heap nor evict the entries that serve
 * real traffic. A key longer than `maxKeyLength` is never cached (callers validate identifiers' shape first; this is
 * the backstop).
 */
import { LRUCache } from 'lru-cache';

const CONFIG_CACHE_TTL_MS = 60_000;
const CONFIG_CACHE_MAX_ENTRIES = 10_000;
const CONFIG_CACHE_MAX_MISSES = 1_000;
const CONFIG_CACHE_MAX_KEY_LENGTH = 1_024;

export interface ConfigCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  maxMisses?: number;
  maxKeyLength?: number;
}

/** A resolved null or undefined: what a repository answers for an identifier it does not know. */
const isMiss = (value: unknown) => value === undefined || value === null;

export class ConfigCache {
  /** Found values, as settled promises. */
  private readonly entries: LRUCache<string, { value: Promise<unknown> }>;
  private readonly misses: LRUCache<string, { value: null | undefined }>;
  /** Reads in flight, shared by concurrent callers; a value moves to `entries` or `misses` once it settles. */
  private readonly pending: LRUCache<string, { value: Promise<unknown> }>;
  private readonly maxKeyLength: number;
  /** Bumped by clear(): a read that started before it is not cached after it. */
  private generation = 0;

  constructor(opts: ConfigCacheOptions = {}) {
    const ttl = opts.ttlMs ?? CONFIG_CACHE_TTL_MS;
    const maxEntries = opts.maxEntries ?? CONFIG_CACHE_MAX_ENTRIES;
    // ttl runs from insertion (updateAgeOnGet is off): a hot entry is still reloaded every `ttl`.
    this.entries = new LRUCache({ max: maxEntries, ttl });
    this.misses = new LRUCache({ max: opts.maxMisses ?? CONFIG_CACHE_MAX_MISSES, ttl });
    this.pending = new LRUCache({ max: maxEntries });
    this.maxKeyLength = opts.maxKeyLength ?? CONFIG_CACHE_MAX_KEY_LENGTH;
  }

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (key.length > this.maxKeyLength) return load();
    const hit = this.entries.get(key) ?? this.pending.get(key);
    if (hit) return hit.value as Promise<T>;
    const miss = this.misses.get(key);
    if (miss) return Promise.resolve(miss.value as T);
    const entry = { value: load() as Promise<unknown> };
    const generation = this.generation;
    this.pending.set(key, entry);
    const settle = () => {
      if (this.pending.peek(key) === entry) this.pending.delete(key);
      return generation === this.generation;
    };
    entry.value.then(
      (value) => {
        if (!settle()) return;
        if (isMiss(value)) this.misses.set(key, { value });
        else this.entries.set(key, entry);
      },
      // A failed read is not cached: the next request tries again.
      () => void settle(),
    );
    return entry.value as Promise<T>;
  }

  /** Entries and misses held now (for tests and metrics). */
  get size(): { entries: number; misses: number } {
    return { entries: this.entries.size, misses: this.misses.size };
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
    this.misses.clear();
    this.pending.clear();
  }
}
