/**
 * The cache as one run sees it: a snapshot of the trigger's namespace with Auth0's limits enforced on every write
 * (spec section 6.11). Runs inside the sandbox worker; its `ops()` are applied to the store after the run.
 * Only the last write of each key is kept (issue 10 H2): a loop of a million writes leaves at most one operation
 * per key of the snapshot or of the live entries (each at most CACHE_LIMITS.maxEntries), not a million.
 */
import { CACHE_LIMITS, type CacheEntry, type CacheOp, type CacheRecord, type CacheWriteResult } from './types.js';

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

export class CacheSession {
  private readonly entries = new Map<string, CacheRecord>();
  /** The pending write of each key, in the order keys were first written. */
  private readonly log = new Map<string, CacheOp>();
  /** Keys the store held when the run started: only their deletion needs to reach the store. */
  private readonly stored = new Set<string>();

  /** True when the store could not be read: reads miss and writes fail, as the run's writes could not be stored. */
  private readonly down: boolean;

  constructor(
    snapshot: CacheEntry[],
    private readonly now: () => number = Date.now,
    opts: { unavailable?: boolean } = {},
  ) {
    this.down = opts.unavailable ?? false;
    for (const e of snapshot) {
      this.entries.set(e.key, { value: e.value, expires_at: e.expires_at });
      this.stored.add(e.key);
    }
  }

  /**
   * The session of a run whose store did not answer (Redis down; DESIGN section 7): `get` misses and `set`/`delete`
   * return `{type: "error", code: "unavailable"}`, which Auth0's templates treat as a miss (spec 6.11).
   */
  static unavailable(now: () => number = Date.now): CacheSession {
    return new CacheSession([], now, { unavailable: true });
  }

  get(key: unknown): CacheRecord | undefined {
    if (typeof key !== 'string') return undefined;
    const rec = this.entries.get(key);
    if (!rec) return undefined;
    if (rec.expires_at <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return { ...rec };
  }

  set(key: unknown, value: unknown, options?: unknown): CacheWriteResult {
    if (typeof key !== 'string' || key.length === 0) return { type: 'error', code: 'invalid_key' };
    if (utf8Length(key) > CACHE_LIMITS.maxKeyBytes) return { type: 'error', code: 'key_too_large' };
    if (typeof value !== 'string') return { type: 'error', code: 'invalid_value' };
    if (utf8Length(value) > CACHE_LIMITS.maxValueBytes) return { type: 'error', code: 'value_too_large' };
    const expires = this.expiry(options);
    if (expires === null) return { type: 'error', code: 'invalid_options' };
    if (this.down) return { type: 'error', code: 'unavailable' };
    this.purgeExpired();
    if (!this.entries.has(key) && this.entries.size >= CACHE_LIMITS.maxEntries)
      return { type: 'error', code: 'too_many_entries' };
    const total = this.totalBytes(key) + utf8Length(key) + utf8Length(value);
    if (total > CACHE_LIMITS.maxTotalBytes) return { type: 'error', code: 'namespace_too_large' };
    const record = { value, expires_at: expires };
    this.entries.set(key, record);
    this.log.set(key, { op: 'set', key, ...record });
    return { type: 'success', record: { ...record } };
  }

  delete(key: unknown): CacheWriteResult {
    if (typeof key !== 'string' || key.length === 0) return { type: 'error', code: 'invalid_key' };
    if (this.down) return { type: 'error', code: 'unavailable' };
    const had = this.get(key) !== undefined;
    this.entries.delete(key);
    if (!had) return { type: 'error', code: 'not_found' };
    // A key this run created and deleted again never has to reach the store.
    if (this.stored.has(key)) this.log.set(key, { op: 'delete', key });
    else this.log.delete(key);
    return { type: 'success' };
  }

  /** The writes to apply to the store: the last one of each key. */
  ops(): CacheOp[] {
    return [...this.log.values()];
  }

  /** `ttl` (relative ms) and `expires_at` (absolute ms): the earlier wins; default 15 min, capped at 24 h. */
  private expiry(options: unknown): number | null {
    const now = this.now();
    const max = now + CACHE_LIMITS.maxTtlMs;
    if (options === undefined || options === null) return now + CACHE_LIMITS.defaultTtlMs;
    if (typeof options !== 'object' || Array.isArray(options)) return null;
    const { ttl, expires_at } = options as { ttl?: unknown; expires_at?: unknown };
    const candidates: number[] = [];
    for (const [v, abs] of [
      [ttl, false],
      [expires_at, true],
    ] as const) {
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return null;
      candidates.push(abs ? v : now + v);
    }
    const at = candidates.length ? Math.min(...candidates) : now + CACHE_LIMITS.defaultTtlMs;
    if (at <= now) return null;
    return Math.min(Math.floor(at), max);
  }

  private purgeExpired(): void {
    const now = this.now();
    for (const [k, r] of this.entries) if (r.expires_at <= now) this.entries.delete(k);
  }

  private totalBytes(except: string): number {
    let n = 0;
    for (const [k, r] of this.entries) if (k !== except) n += utf8Length(k) + utf8Length(r.value);
    return n;
  }
}

/** Keeps a namespace within the limits after concurrent writers: drops the soonest-expiring entries first. */
export function enforceLimits(entries: CacheEntry[]): { keep: CacheEntry[]; drop: string[] } {
  const sorted = [...entries].sort((a, b) => b.expires_at - a.expires_at);
  const keep: CacheEntry[] = [];
  const drop: string[] = [];
  let total = 0;
  for (const e of sorted) {
    const size = utf8Length(e.key) + utf8Length(e.value);
    if (keep.length < CACHE_LIMITS.maxEntries && total + size <= CACHE_LIMITS.maxTotalBytes) {
      keep.push(e);
      total += size;
    } else drop.push(e.key);
  }
  return { keep, drop };
}
