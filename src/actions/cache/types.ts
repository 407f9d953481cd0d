/**
 * `api.cache` (spec section 6.11, DESIGN D13): a short-lived, best-effort string cache, one namespace per trigger.
 * A run works on a snapshot of its namespace loaded before the run (so `get`/`set`/`delete` are synchronous, as in
 * Auth0) and its writes are applied to the store after the run.
 */

/** Auth0's Actions cache limits (spec section 6.11). */
export const CACHE_LIMITS = {
  maxEntries: 20,
  maxKeyBytes: 64,
  maxValueBytes: 4096,
  maxTotalBytes: 8192,
  defaultTtlMs: 15 * 60_000,
  maxTtlMs: 24 * 60 * 60_000,
} as const;

/** What `api.cache.get` returns: the value and its maximum expiry in ms since the epoch. */
export interface CacheRecord {
  value: string;
  expires_at: number;
}

export interface CacheEntry extends CacheRecord {
  key: string;
}

export type CacheOp = { op: 'set'; key: string; value: string; expires_at: number } | { op: 'delete'; key: string };

/** `CacheWriteResult` of `set`/`delete`. */
export type CacheWriteResult = { type: 'success'; record?: CacheRecord } | { type: 'error'; code: CacheErrorCode };

type CacheErrorCode =
  | 'invalid_key'
  | 'invalid_value'
  | 'invalid_options'
  | 'key_too_large'
  | 'value_too_large'
  | 'too_many_entries'
  | 'namespace_too_large'
  | 'not_found'
  /** The store did not answer when the run started (Redis down): nothing this run writes could be kept. */
  | 'unavailable';

/** One backing store (in memory or Redis); namespaces are trigger ids, and `test:<trigger>` for test runs. */
export interface ActionCacheStore {
  /** The live (unexpired) entries of a namespace. */
  load(namespace: string): Promise<CacheEntry[]>;
  /** Applies a run's writes in order; entries beyond the limits are dropped, soonest-expiring first. */
  apply(namespace: string, ops: CacheOp[]): Promise<void>;
  close(): Promise<void>;
}
