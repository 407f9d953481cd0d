/**
 * Redis stopped and started under load (docs/deployment.md, "Redis: what it holds and what happens when it is
 * down"): two nodes on one PostgreSQL and on a redis-server of the test's own (never the machine's Redis).
 * While Redis is down every exchange answers at once, an Action sees `api.cache` miss and refuse writes, throttling
 * holds per node, and each Redis client logs one warning; when Redis returns each client logs one recovery, every
 * node drops what it caches, and invalidation works again.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { startTestApp, PG_URL, type TestApp } from '../helpers/app.js';
import { setupExchange, EXCHANGE_GRANT, API_ID, type ExchangeFixture } from '../helpers/exchange.js';
import { startOwnRedis, noRedisServer, type OwnRedis } from '../helpers/redis-server.js';
import { createContext, type AppContext } from '../../src/context.js';
import { buildApp } from '../../src/app.js';
import { bootstrap } from '../../src/bootstrap.js';
import { RedisClients, type RedisEventLog } from '../../src/cluster/redis.js';
import { createInvalidationBus } from '../../src/cluster/invalidation.js';
import { Redis } from 'ioredis';

const skip = !PG_URL ? 'needs PostgreSQL (BATON_TEST_PG_URL)' : noRedisServer;

interface LogLine {
  level: 'warn' | 'info';
  client: string;
  msg: string;
}
const capture = (lines: LogLine[]): RedisEventLog => ({
  warn: (obj, msg) => lines.push({ level: 'warn', client: (obj as { redisClient: string }).redisClient, msg }),
  info: (obj, msg) => lines.push({ level: 'info', client: (obj as { redisClient: string }).redisClient, msg }),
});

const CLIENTS = ['cache', 'publisher', 'rate-limit', 'subscriber', 'throttle'];
const TOKEN_TYPE = 'urn:acme:outage-token';
const ATTACKER = '203.0.113.77';

let redis: OwnRedis;
let a: TestApp;
let bCtx: AppContext;
let b: FastifyInstance;
let fx: ExchangeFixture;
/** A second client of the same kind, not used by the load: the change nobody hears of is made to it. */
let other: { client_id: string; client_secret: string };
const logsA: LogLine[] = [];
const logsB: LogLine[] = [];

before(async () => {
  if (skip) return;
  redis = await startOwnRedis();
  // The rate limit is set (far above the load) so that its Redis client exists too.
  const env = { BATON_REDIS_URL: redis.url, BATON_TOKEN_EXCHANGE_RATE: '100000' };
  a = await startTestApp({ dialect: 'postgres', env, log: capture(logsA) });
  bCtx = await createContext(a.config, { log: capture(logsB) });
  await bootstrap(bCtx);
  b = await buildApp(bCtx, { logger: false });
  await b.ready();
  fx = await setupExchange(a, {
    subjectTokenType: TOKEN_TYPE,
    client: { is_token_endpoint_ip_header_trusted: true },
    code: `exports.onExecuteCustomTokenExchange = async (event, api) => {
      const t = event.transaction.subject_token;
      if (t === 'bad') return api.access.rejectInvalidSubjectToken('bad token');
      if (t.startsWith('probe')) {
        const hit = api.cache.get('probe');
        const set = api.cache.set('probe', t);
        return api.access.deny('invalid_request', JSON.stringify({ hit: hit ? hit.value : null, set: set.type === 'success' ? 'success' : set.code }));
      }
      api.authentication.setUserByConnection('legacy-idp', { user_id: 'outage-' + t, email: 'outage-' + t + '@example.com' }, { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
    };`,
  });
  const created = await a.api('POST', '/clients', {
    name: 'outage-other',
    app_type: 'regular_web',
    grant_types: [EXCHANGE_GRANT],
    token_endpoint_auth_method: 'client_secret_post',
    token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
  });
  assert.equal(created.statusCode, 201, created.body);
  other = created.json();
  const enabled = await a.api('PATCH', `/connections/${fx.connectionId}/clients`, [
    { client_id: other.client_id, status: true },
  ]);
  assert.equal(enabled.statusCode, 204, enabled.body);
  const patch = await a.api('PATCH', '/attack-protection/suspicious-ip-throttling', {
    enabled: true,
    shields: ['block'],
    stage: { 'pre-custom-token-exchange': { max_attempts: 3, rate: 600000 } },
  });
  assert.equal(patch.statusCode, 200, patch.body);
});
after(async () => {
  if (skip) return;
  try {
    await b?.close();
    await bCtx?.close();
    await a?.close();
  } finally {
    await redis.close();
  }
});

const exchange = (
  node: FastifyInstance,
  subjectToken: string,
  ip?: string,
  client: { client_id: string; client_secret: string } = { client_id: fx.clientId, client_secret: fx.clientSecret },
): Promise<LightMyRequestResponse> =>
  node.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(ip ? { 'auth0-forwarded-for': ip } : {}) },
    payload: new URLSearchParams({
      grant_type: EXCHANGE_GRANT,
      ...client,
      subject_token_type: TOKEN_TYPE,
      subject_token: subjectToken,
      audience: API_ID,
    }).toString(),
  });

const probe = async (node: FastifyInstance, value: string) => {
  const res = await exchange(node, value);
  assert.equal(res.statusCode, 400, res.body);
  return JSON.parse(res.json().error_description as string) as { hit: string | null; set: string };
};

const allRedis = (ctx: AppContext, up: boolean) => ctx.redis.states().every((s) => s.up === up);

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const metric = async (node: FastifyInstance, line: RegExp): Promise<number | undefined> => {
  const body = (await node.inject({ method: 'GET', url: '/metrics' })).body;
  const m = body.split('\n').find((l) => line.test(l));
  return m === undefined ? undefined : Number(m.split(' ').pop());
};

/** Exchanges from 4 loops over both nodes until stopped; each records the phase it started in, status and time. */
function load(phase: () => string) {
  const results: Array<{ phase: string; status: number; ms: number }> = [];
  let running = true;
  let n = 0;
  const loops = [0, 1, 2, 3].map(async (i) => {
    while (running) {
      const started = performance.now();
      const at = phase();
      const res = await exchange(i % 2 ? b : a.app, `load${n++ % 50}`);
      results.push({ phase: at, status: res.statusCode, ms: performance.now() - started });
    }
  });
  return {
    results,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

test(
  'Redis down and back under load: prompt answers, cache misses, per-node throttling, one warning, resync',
  { skip },
  async () => {
    // Before: the cache is shared through Redis.
    assert.deepEqual(await probe(a.app, 'probe-before'), { hit: null, set: 'success' });
    assert.deepEqual(await probe(b, 'probe-again'), { hit: 'probe-before', set: 'success' });
    // B's configuration cache is warm for the other client.
    assert.equal((await exchange(b, 'warm', undefined, other)).statusCode, 200);

    let phase = 'before';
    const traffic = load(() => phase);
    await new Promise((r) => setTimeout(r, 300));

    await redis.stop();
    phase = 'outage';
    await until(() => allRedis(a.ctx, false) && allRedis(bCtx, false), 'both nodes to see Redis down');

    // api.cache: a miss, and a write refused, at once.
    const probeStarted = performance.now();
    assert.deepEqual(await probe(a.app, 'probe-during'), { hit: null, set: 'unavailable' });
    assert.deepEqual(await probe(b, 'probe-during'), { hit: null, set: 'unavailable' });
    const probeMs = performance.now() - probeStarted;

    // Throttling holds per node: three rejections on A block the IP on A; B has counted none of them.
    for (let i = 0; i < 3; i++) assert.equal((await exchange(a.app, 'bad', ATTACKER)).statusCode, 400);
    const blocked = await exchange(a.app, 'ok', ATTACKER);
    assert.equal(blocked.statusCode, 429, blocked.body);
    assert.equal(blocked.json().error, 'too_many_attempts');
    assert.equal((await exchange(b, 'ok', ATTACKER)).statusCode, 200, 'B has its own memory buckets');
    // An unblock reaches this node's buckets, not Redis's: 503 in the Management API's shape, A frees the IP.
    const unblock = await a.api('DELETE', `/anomaly/blocks/ips/${ATTACKER}`);
    assert.equal(unblock.statusCode, 503, unblock.body);
    assert.deepEqual(unblock.json(), {
      statusCode: 503,
      error: 'Service Unavailable',
      message:
        'The shared throttling store is unavailable: the IP address was unblocked on this node only. Retry later.',
      errorCode: 'temporarily_unavailable',
    });
    assert.equal((await exchange(a.app, 'ok', ATTACKER)).statusCode, 200, 'unblocked on A');
    assert.ok((await metric(a.app, /^baton_throttle_fallback_total\{limiter="throttle"\}/))! > 0);
    assert.equal(await metric(a.app, /^baton_redis_up\{client="cache"\}/), 0);

    // A change that reaches no node through Redis (written to the database directly): B cannot hear of it now.
    await a.ctx.repos.clients.update(other.client_id, { is_first_party: false });

    // Hold the outage long enough for several reconnect attempts.
    await new Promise((r) => setTimeout(r, 2500));
    await redis.start();
    await until(() => allRedis(a.ctx, true) && allRedis(bCtx, true), 'both nodes to reconnect');
    phase = 'after';
    await new Promise((r) => setTimeout(r, 300));
    await traffic.stop();

    // B dropped its caches when its connection came back: the change is visible at once, not after the 60 s TTL.
    const refused = await exchange(b, 'after', undefined, other);
    assert.equal(refused.statusCode, 403, refused.body);
    assert.equal(refused.json().error, 'unauthorized_client');

    // Invalidation works again: a Management API write on A is honoured by B.
    const restore = await a.api('PATCH', `/clients/${other.client_id}`, { is_first_party: true });
    assert.equal(restore.statusCode, 200, restore.body);
    const deadline = Date.now() + 3000;
    while ((await exchange(b, 'restored', undefined, other)).statusCode !== 200) {
      assert.ok(Date.now() < deadline, 'B honours the write made on A');
      await new Promise((r) => setTimeout(r, 20));
    }
    // The cache is shared again (Redis restarted empty).
    assert.deepEqual(await probe(a.app, 'probe-after'), { hit: null, set: 'success' });
    assert.deepEqual(await probe(b, 'probe-after-b'), { hit: 'probe-after', set: 'success' });

    // Every request answered, none failed; none waited for Redis.
    const during = traffic.results.filter((r) => r.phase === 'outage');
    assert.ok(during.length > 0, 'requests were served during the outage');
    assert.deepEqual(
      traffic.results.filter((r) => r.status !== 200),
      [],
      'every exchange under load succeeded',
    );
    const slowest = Math.max(...during.map((r) => r.ms));
    assert.ok(slowest < 1000, `each request during the outage answered within 1 s (slowest ${slowest.toFixed(0)} ms)`);
    console.log(
      `outage: ${during.length} exchanges during the outage, slowest ${slowest.toFixed(1)} ms, ` +
        `two cache probes ${probeMs.toFixed(1)} ms; ${traffic.results.length} exchanges in all`,
    );

    // One warning per client per outage on each node, and one recovery line.
    for (const [node, lines] of [
      ['A', logsA],
      ['B', logsB],
    ] as const) {
      const per = (level: string) =>
        lines
          .filter((l) => l.level === level)
          .map((l) => l.client)
          .sort();
      assert.deepEqual(per('warn'), CLIENTS, `node ${node}: one warning per client`);
      assert.deepEqual(per('info'), CLIENTS, `node ${node}: one recovery line per client`);
    }
  },
);

test('a topic published while Redis was down is published again when the publisher reconnects', { skip }, async () => {
  const quiet: RedisEventLog = { warn: () => undefined, info: () => undefined };
  const writer = await createInvalidationBus(redis.url, new RedisClients(quiet), (err) => assert.fail(String(err)));
  let heardLocally = 0;
  writer.subscribe('profiles', () => void heardLocally++);
  const stats = new Redis(redis.url, { lazyConnect: true });
  try {
    await redis.stop();
    // The write is honoured here at once; Redis cannot carry it yet.
    await writer.publish('profiles');
    assert.equal(heardLocally, 1);
    await redis.start();
    // The restarted Redis has run no PUBLISH yet (nodes A and B have nothing unsent): the first one is the writer's
    // repeat. Read from the server's own counters, since a subscriber that connects now could be a moment late.
    await stats.connect();
    const deadline = Date.now() + 5000;
    while (!/cmdstat_publish:calls=1,/.test(await stats.info('commandstats'))) {
      assert.ok(Date.now() < deadline, 'the writer publishes the topic again after its reconnect');
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    stats.disconnect();
    await writer.close();
  }
});
