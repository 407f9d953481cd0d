/**
 * Issue 10 L3: POST /actions/actions/{id}/test runs with a scratch api.cache namespace. What a test run caches is
 * never seen by a production exchange, and a test run never reads (or overwrites) what production cached.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { setupExchange, type ExchangeFixture } from '../helpers/exchange.js';

// The Action reports what it finds under 'k' (in the denial's text and in a log line), then writes when told to.
const CODE = `exports.onExecuteCustomTokenExchange = async (event, api) => {
  const hit = api.cache.get('k');
  const seen = 'k=' + (hit ? hit.value : 'none');
  console.log(seen);
  const t = event.transaction.subject_token;
  if (t.startsWith('write:')) api.cache.set('k', t.slice(6), { ttl: 60000 });
  api.access.deny('invalid_request', seen);
};`;

let t: TestApp;
let fx: ExchangeFixture;
before(async () => {
  t = await startTestApp();
  fx = await setupExchange(t, { code: CODE });
});
after(() => t.close());

async function testRun(subjectToken: string): Promise<string[]> {
  const res = await t.api('POST', `/actions/actions/${fx.actionId}/test`, {
    payload: { transaction: { subject_token: subjectToken } },
  });
  assert.equal(res.statusCode, 200, res.body);
  const payload = res.json().payload;
  assert.equal(payload.kind, 'ok', res.body);
  return payload.logs.map((l: { message: string }) => l.message);
}

async function exchange(subjectToken: string): Promise<string> {
  const res = await fx.exchange({ subject_token: subjectToken });
  assert.equal(res.statusCode, 400, res.body);
  assert.equal(res.json().error, 'invalid_request');
  return res.json().error_description as string;
}

test('a test run writes a scratch cache that production exchanges never see, and the other way round', async () => {
  assert.deepEqual(await testRun('write:from-test'), ['k=none']);
  assert.equal(await exchange('read'), 'k=none', 'production does not see what the test run cached');
  assert.equal(await exchange('write:from-prod'), 'k=none');
  assert.deepEqual(await testRun('read'), ['k=from-test'], 'test runs share their own namespace, not production');
  assert.equal(await exchange('read'), 'k=from-prod');
  assert.deepEqual(await testRun('write:again'), ['k=from-test']);
  assert.equal(await exchange('read'), 'k=from-prod', 'a test run does not overwrite production entries');
});
