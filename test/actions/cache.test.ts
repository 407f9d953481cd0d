import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import {
  CacheSession,
  CACHE_LIMITS,
  MemoryCacheStore,
  RedisCacheStore,
  type ActionCacheStore,
} from '../../src/actions/cache/index.js';
import { executor, run } from './helpers.js';
import { freePort } from '../helpers/child-server.js';
import { mayUseCache } from '../../src/actions/runtime/index.js';

const NOW = 1_800_000_000_000;
const session = (entries: Array<{ key: string; value: string; expires_at: number }> = []) =>
  new CacheSession(entries, () => NOW);

describe('api.cache limits (spec 6.11)', () => {
  test('set stores a string for 15 minutes by default and get returns {value, expires_at}', () => {
    const s = session();
    assert.deepEqual(s.set('k', 'v'), { type: 'success', record: { value: 'v', expires_at: NOW + 15 * 60_000 } });
    assert.deepEqual(s.get('k'), { value: 'v', expires_at: NOW + 15 * 60_000 });
    assert.equal(s.get('missing'), undefined);
    assert.deepEqual(s.ops(), [{ op: 'set', key: 'k', value: 'v', expires_at: NOW + 15 * 60_000 }]);
  });

  test('ttl and expires_at: the earlier wins; lifetimes are capped at 24 hours; bad options are refused', () => {
    const s = session();
    assert.equal(
      (s.set('a', 'v', { ttl: 1000, expires_at: NOW + 500 }) as { record: { expires_at: number } }).record.expires_at,
      NOW + 500,
    );
    assert.equal((s.set('b', 'v', { ttl: 1000 }) as { record: { expires_at: number } }).record.expires_at, NOW + 1000);
    assert.equal(
      (s.set('c', 'v', { ttl: 48 * 3600_000 }) as { record: { expires_at: number } }).record.expires_at,
      NOW + CACHE_LIMITS.maxTtlMs,
    );
    assert.deepEqual(s.set('d', 'v', { ttl: -1 }), { type: 'error', code: 'invalid_options' });
    assert.deepEqual(s.set('d', 'v', { expires_at: NOW - 1 }), { type: 'error', code: 'invalid_options' });
    assert.deepEqual(s.set('d', 'v', 'soon'), { type: 'error', code: 'invalid_options' });
  });

  test('key at most 64 bytes, value a string of at most 4 kB', () => {
    const s = session();
    assert.equal(s.set('k'.repeat(64), 'v').type, 'success');
    assert.deepEqual(s.set('k'.repeat(65), 'v'), { type: 'error', code: 'key_too_large' });
    assert.deepEqual(s.set('é'.repeat(33), 'v'), { type: 'error', code: 'key_too_large' });
    assert.deepEqual(s.set('', 'v'), { type: 'error', code: 'invalid_key' });
    assert.deepEqual(s.set('v', 42), { type: 'error', code: 'invalid_value' });
    assert.equal(s.set('big', 'x'.repeat(4096)).type, 'success');
    assert.deepEqual(s.set('bigger', 'x'.repeat(4097)), { type: 'error', code: 'value_too_large' });
  });

  test('at most 20 entries and 8 kB in all; replacing a key does not count twice', () => {
    const s = session();
    for (let i = 0; i < 20; i++) assert.equal(s.set(`k${i}`, 'v').type, 'success');
    assert.deepEqual(s.set('k20', 'v'), { type: 'error', code: 'too_many_entries' });
    assert.equal(s.set('k0', 'replaced').type, 'success');
    const t = session();
    assert.equal(t.set('a', 'x'.repeat(4000)).type, 'success');
    assert.equal(t.set('b', 'x'.repeat(4000)).type, 'success');
    assert.deepEqual(t.set('c', 'x'.repeat(200)), { type: 'error', code: 'namespace_too_large' });
    assert.equal(t.set('b', 'x'.repeat(4000)).type, 'success');
  });

  test('expired entries are not returned and delete reports whether something was removed', () => {
    const s = session([
      { key: 'old', value: 'v', expires_at: NOW - 1 },
      { key: 'live', value: 'v', expires_at: NOW + 10 },
    ]);
    assert.equal(s.get('old'), undefined);
    assert.deepEqual(s.delete('live'), { type: 'success' });
    assert.deepEqual(s.delete('live'), { type: 'error', code: 'not_found' });
    assert.deepEqual(s.ops(), [{ op: 'delete', key: 'live' }]);
  });
});

/** The same behaviour through the sandbox, for one store. */
function storeSuite(name: string, make: () => Promise<ActionCacheStore>) {
  describe(`api.cache through the runtime (${name})`, () => {
    let store: ActionCacheStore;
    let ex: ReturnType<typeof executor>;
    const ready = (async () => {
      store = await make();
      ex = executor({}, { cache: store });
    })();
    after(async () => {
      await ready;
      await ex.close();
      await store.close();
    });

    test('a value set in one run is read by the next; the namespace is per trigger', async () => {
      await ready;
      const set = await run(
        ex,
        "const r = api.cache.set('token', 'abc', { ttl: 60000 }); console.log(r.type, typeof r.record.expires_at); api.authentication.setUserById('u');",
      );
      assert.deepEqual(
        set.logs.map((l) => l.message),
        ['success number'],
      );
      const get = await run(
        ex,
        "const r = api.cache.get('token'); console.log(r.value, r.expires_at > Date.now(), api.cache.get('nope')); api.authentication.setUserById('u');",
      );
      assert.deepEqual(
        get.logs.map((l) => l.message),
        ['abc true undefined'],
      );
      const other = await run(ex, "console.log(String(api.cache.get('token')));", { trigger: 'post-login' });
      assert.deepEqual(
        other.logs.map((l) => l.message),
        ['undefined'],
      );
      const del = await run(
        ex,
        "console.log(JSON.stringify(api.cache.delete('token')), JSON.stringify(api.cache.set('x'.repeat(65), 'v'))); api.authentication.setUserById('u');",
      );
      assert.deepEqual(
        del.logs.map((l) => l.message),
        ['{"type":"success"} {"type":"error","code":"key_too_large"}'],
      );
      const gone = await run(ex, "console.log(String(api.cache.get('token'))); api.authentication.setUserById('u');");
      assert.deepEqual(
        gone.logs.map((l) => l.message),
        ['undefined'],
      );
    });

    test('the store keeps a namespace within 20 entries when concurrent runs add more', async () => {
      await ready;
      const ops = Array.from({ length: 25 }, (_, i) => ({
        op: 'set' as const,
        key: `c${i}`,
        value: 'v',
        expires_at: Date.now() + 60_000 + i,
      }));
      await store.apply('limits-ns', ops);
      const live = await store.load('limits-ns');
      assert.equal(live.length, 20);
      assert.deepEqual(
        live.map((e) => e.key).sort(),
        ops
          .slice(5)
          .map((o) => o.key)
          .sort(),
      );
    });
  });
}

storeSuite('memory store', async () => new MemoryCacheStore());

const redisUrl = process.env.BATON_TEST_REDIS_URL;
if (redisUrl) {
  storeSuite('Redis store', async () => {
    const prefix = `baton-test:${process.pid}:${Date.now()}:`;
    const client = new Redis(redisUrl);
    return new RedisCacheStore(client, prefix);
  });
} else {
  test(
    'api.cache Redis store',
    { skip: 'BATON_TEST_REDIS_URL is not set: the Redis store suite is skipped' },
    () => {},
  );
}

describe('store reads only for Actions that can reach api.cache', () => {
  test('mayUseCache: any mention of the name counts', () => {
    assert.equal(mayUseCache("api.cache.get('k')"), true);
    assert.equal(mayUseCache('const { cache } = api;'), true);
    assert.equal(mayUseCache("api.authentication.setUserById('u'); // no cache here"), true);
    assert.equal(mayUseCache("api.authentication.setUserById('u');"), false);
    assert.equal(mayUseCache('const cached = 1; const precache = 2;'), false);
  });

  test('an Action that never names the cache runs without a store read; one that does reads it', async () => {
    const store = new MemoryCacheStore();
    let loads = 0;
    const load = store.load.bind(store);
    store.load = async (ns: string) => {
      loads++;
      return load(ns);
    };
    const ex = executor({}, { cache: store });
    try {
      const plain = await run(ex, "api.authentication.setUserById('u');");
      assert.equal(plain.kind, 'ok');
      assert.equal(loads, 0);
      await run(ex, "api.cache.set('k', 'v'); api.authentication.setUserById('u');");
      const read = await run(ex, "console.log(api.cache.get('k').value); api.authentication.setUserById('u');");
      assert.deepEqual(
        read.logs.map((l) => l.message),
        ['v'],
      );
      assert.equal(loads, 3, 'one read before each of the two runs, and one by the store when it applies the set');
    } finally {
      await ex.close();
    }
  });
});

test('a store that cannot be read: get misses, set and delete answer unavailable', async () => {
  // A real Redis client with nowhere to connect and no offline queue, as Baton's are while Redis is down.
  const port = await freePort();
  const client = new Redis(`redis://127.0.0.1:${port}`, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });
  // Baton's own clients report an outage once (cluster/redis.ts); this bare one's refused connects are expected.
  client.on('error', () => {});
  const store = new RedisCacheStore(client, `baton-test:down:`);
  const ex = executor({}, { cache: store });
  try {
    const r = await run(
      ex,
      `console.log(JSON.stringify([api.cache.get('k'), api.cache.set('k', 'v'), api.cache.delete('k'), api.cache.set('', 'v')]));
      api.authentication.setUserById('u');`,
    );
    assert.equal(r.kind, 'ok');
    assert.deepEqual(JSON.parse(r.logs[0]!.message), [
      null,
      { type: 'error', code: 'unavailable' },
      { type: 'error', code: 'unavailable' },
      { type: 'error', code: 'invalid_key' },
    ]);
  } finally {
    await ex.close();
    client.disconnect();
  }
});
