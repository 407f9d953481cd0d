/** `api.cache` stores (spec section 6.11): Redis when BATON_REDIS_URL is set, otherwise in process. */
import { MemoryCacheStore } from './memory-store.js';
import { RedisCacheStore } from './redis-store.js';
import type { ActionCacheStore } from './types.js';

export * from './types.js';
export { CacheSession } from './session.js';
export { MemoryCacheStore, RedisCacheStore };

export function createActionCacheStore(redisUrl: string | undefined): ActionCacheStore {
  return redisUrl ? new RedisCacheStore(redisUrl) : new MemoryCacheStore();
}
