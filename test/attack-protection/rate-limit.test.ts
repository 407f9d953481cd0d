/**
 * The optional tenant-wide token exchange rate limit (attack-protection/rate-limit.ts, spec section 13 and E22):
 * over the limit a CTE request gets 429 too_many_requests with the X-RateLimit-* headers, before its Action runs,
 * and an `api_limit` tenant log entry (at most one a second per node) counts the refusals.
 */
import { RedisClients } from '../../src/cluster/redis.js';
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startTestApp, REDIS_URL, type TestApp } from '../helpers/app.js';
import { setupExchange, type ExchangeFixture } from '../helpers/exchange.js';
import { loadConfig, ConfigError } from '../../src/config/index.js';
import {
  createExchangeRateLimit,
  REPORT_EVERY_MS,
  TOO_MANY_REQUESTS_DESCRIPTION,
  type ExchangeRateLimit,
} from '../../src/attack-protection/rate-limit.js';

const ACTION = `exports.onExecuteCustomTokenExchange = async (event, api) => {
  api.authentication.setUserByConnection('legacy-idp', { user_id: 'ext-1', email: 'one@example.com' }, { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
};`;

async function logsOfType(t: TestApp, type: string): Promise<Array<Record<string, any>>> {
  await t.ctx.logs.flush();
  const res = await t.api('GET', `/logs?q=type:${type}&per_page=100`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

describe('a tenant limit of 2 at once, then one request every 100 s', () => {
  let t: TestApp;
  let fx: ExchangeFixture;
  /** When the first refused request was sent. */
  let firstRefusalSent = 0;

  before(async () => {
    t = await startTestApp({ env: { BATON_TOKEN_EXCHANGE_RATE: '0.01', BATON_TOKEN_EXCHANGE_BURST: '2' } });
    fx = await setupExchange(t, { code: ACTION });
  });
  after(() => t.close());

  test('the third exchange gets 429 too_many_requests with the rate-limit headers; the Action ran twice', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await fx.exchange();
      assert.equal(res.statusCode, 200, res.body);
    }
    firstRefusalSent = Date.now();
    const refused = await fx.exchange();
    const answered = Date.now();
    assert.equal(refused.statusCode, 429, refused.body);
    assert.deepEqual(refused.json(), { error: 'too_many_requests', error_description: TOO_MANY_REQUESTS_DESCRIPTION });
    assert.equal(refused.headers['x-ratelimit-limit'], '2');
    assert.equal(refused.headers['x-ratelimit-remaining'], '0');
    const reset = Number(refused.headers['x-ratelimit-reset']);
    // Full again after the burst's 2 × 100 s, counted from when the server refused (within the request's span).
    assert.ok(
      Number.isInteger(reset) &&
        reset >= Math.floor(firstRefusalSent / 1000) + 200 &&
        reset <= Math.ceil(answered / 1000) + 200,
      `reset ${reset}`,
    );
    assert.equal(refused.headers['retry-after'], '100');
    assert.equal(refused.headers['cache-control'], 'no-store');

    assert.equal((await logsOfType(t, 'secte')).length, 2, 'two exchanges succeeded');
    assert.equal((await logsOfType(t, 'fecte')).length, 0, 'a refusal is not a failed exchange');
    const limits = await logsOfType(t, 'api_limit');
    assert.equal(limits.length, 1);
    assert.equal(limits[0]!.description, 'Rate limit exceeded for Custom Token Exchange requests');
    assert.equal(limits[0]!.client_id, fx.clientId);
    assert.deepEqual(limits[0]!.details, {
      subject_token_type: 'urn:acme:legacy-token',
      error: 'too_many_requests',
      burst: 2,
      rate_per_second: 0.01,
      refused: 1,
    });
    assert.ok(!JSON.stringify(limits[0]).includes(fx.clientSecret), 'no client secret in the log');
  });

  test('refusals within the same second add no log entry; malformed requests count and are refused too', async () => {
    const again = await fx.exchange({ subject_token_type: '' });
    const answered = Date.now();
    assert.equal(again.statusCode, 429, again.body);
    assert.equal(again.json().error, 'too_many_requests');
    const entries = await logsOfType(t, 'api_limit');
    // Both refusals fell within one reporting second unless this machine took that long between them.
    if (answered - firstRefusalSent < REPORT_EVERY_MS) assert.equal(entries.length, 1);
    else assert.ok(entries.length === 1 || entries.length === 2, `${entries.length} api_limit entries`);
  });

  test('other grants are not limited', async () => {
    const token = await t.mgmtToken();
    assert.ok(token.length > 0);
  });
});

describe('without BATON_TOKEN_EXCHANGE_RATE there is no limit', () => {
  let t: TestApp;
  let fx: ExchangeFixture;
  before(async () => {
    t = await startTestApp();
    fx = await setupExchange(t, { code: ACTION });
  });
  after(() => t.close());

  test('many exchanges in a row all succeed', async () => {
    assert.equal(t.ctx.exchangeRateLimit, undefined);
    for (let i = 0; i < 5; i++) assert.equal((await fx.exchange()).statusCode, 200);
  });
});

test('configuration: the burst needs a rate, the rate must be positive, the burst defaults to the rate rounded up', () => {
  assert.throws(
    () => loadConfig({ BATON_TOKEN_EXCHANGE_BURST: '5' }),
    (err: Error) =>
      err instanceof ConfigError && /BATON_TOKEN_EXCHANGE_BURST: needs BATON_TOKEN_EXCHANGE_RATE/.test(err.message),
  );
  assert.throws(() => loadConfig({ BATON_TOKEN_EXCHANGE_RATE: '0' }), /BATON_TOKEN_EXCHANGE_RATE/);
  assert.throws(() => loadConfig({ BATON_TOKEN_EXCHANGE_RATE: 'fast' }), /BATON_TOKEN_EXCHANGE_RATE/);
  assert.deepEqual(loadConfig({ BATON_TOKEN_EXCHANGE_RATE: '2.5' }).tokenExchangeRateLimit, {
    ratePerSecond: 2.5,
    burst: 3,
  });
  assert.deepEqual(
    loadConfig({ BATON_TOKEN_EXCHANGE_RATE: '15', BATON_TOKEN_EXCHANGE_BURST: '30' }).tokenExchangeRateLimit,
    { ratePerSecond: 15, burst: 30 },
  );
  assert.equal(loadConfig({}).tokenExchangeRateLimit, undefined);
});

describe(
  "the bucket is the tenant's across nodes with Redis",
  {
    skip: REDIS_URL
      ? false
      : 'BATON_TEST_REDIS_URL is not set (Redis does not answer): the shared rate limit is NOT tested',
  },
  () => {
    const open: ExchangeRateLimit[] = [];
    after(async () => {
      for (const l of open) await l.close();
    });
    const limit = async (keyPrefix: string) => {
      const l = await createExchangeRateLimit({ ratePerSecond: 0.01, burst: 2, redisUrl: REDIS_URL, keyPrefix });
      open.push(l);
      return l;
    };

    test('two nodes sharing Redis share the burst; a node with its own prefix does not', async () => {
      const prefix = `baton-test:${randomBytes(6).toString('hex')}`;
      const a = await limit(prefix);
      const b = await limit(prefix);
      assert.equal(await a.take(), undefined);
      assert.equal(await b.take(), undefined);
      const refusal = await a.take();
      assert.equal(refusal?.error.status, 429);
      assert.equal(refusal?.toReport, 1);
      assert.equal((await b.take())?.error.error, 'too_many_requests');
      const other = await limit(`baton-test:${randomBytes(6).toString('hex')}`);
      assert.equal(await other.take(), undefined);
    });

    test('when Redis goes away the limit holds on this node alone, counted as fallbacks', async () => {
      const redis = new RedisClients({ warn: () => undefined, info: () => undefined });
      const l = await createExchangeRateLimit({
        ratePerSecond: 0.01,
        burst: 1,
        redisUrl: REDIS_URL,
        redis,
        keyPrefix: `baton-test:${randomBytes(6).toString('hex')}`,
      });
      assert.equal(await l.take(), undefined);
      assert.equal((await l.take())?.error.status, 429, 'the shared bucket is empty');
      await l.close(); // the connection is gone: the next takes cannot reach the shared bucket
      assert.equal(await l.take(), undefined, "this node's own bucket allows the first request");
      assert.equal((await l.take())?.error.status, 429, 'and refuses the next: not failing open');
      assert.deepEqual(redis.fallbacks(), [{ limiter: 'rate-limit', count: 2 }]);
    });
  },
);

test('in memory, each node has its own bucket', async () => {
  const a = await createExchangeRateLimit({ ratePerSecond: 0.01, burst: 1 });
  const b = await createExchangeRateLimit({ ratePerSecond: 0.01, burst: 1 });
  try {
    assert.equal(await a.take(), undefined);
    assert.equal((await a.take())?.error.status, 429);
    assert.equal(await b.take(), undefined);
  } finally {
    await a.close();
    await b.close();
  }
});
