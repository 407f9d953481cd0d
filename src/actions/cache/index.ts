/** `api.cache` stores (spec section 6.11): Redis when BATON_REDIS_URL is set, otherwise in process. */
import { MemoryCacheStore } from './memory-store.js';
import { RedisCacheStore } from './redis-store.js';
import type { ActionCacheStore } from './types.js';
import type { RedisClients } from '../../cluster/redis.js';

export * from './types.js';
export { CacheSession } from './session.js';
export { MemoryCacheStore, RedisCacheStore };

export async function createActionCacheStore(
  redisUrl: string | undefined,
  redis: RedisClients,
): Promise<ActionCacheStore> {
  if (!redisUrl) return new MemoryCacheStore();
  const client = await redis.connect(redisUrl, 'cache');
  return new RedisCacheStore(client.client, undefined, undefined, () => client.close());
}
