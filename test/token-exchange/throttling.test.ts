/**
 * Suspicious IP throttling for stage pre-custom-token-exchange (spec 12), end to end over /oauth/token:
 * ten rejections from one IP, then 429 for that IP on any profile; another IP unaffected; unblock via the API.
 * IPs are told apart with `auth0-forwarded-for`, trusted for this confidential client.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { setupExchange, lastLog, type ExchangeFixture } from '../helpers/exchange.js';

const TOO_MANY =
  'We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator.';
const ACTION = `
exports.onExecuteCustomTokenExchange = async (event, api) => {
  if (event.transaction.subject_token !== 'good') return api.access.rejectInvalidSubjectToken('Invalid subject token');
  api.authentication.setUserByConnection('legacy-idp', { user_id: 'u1', email: 'u1@example.com' }, { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
};`;

let t: TestApp;
let fx: ExchangeFixture;
let other: ExchangeFixture;

before(async () => {
  t = await startTestApp();
  fx = await setupExchange(t, { code: ACTION, client: { is_token_endpoint_ip_header_trusted: true } });
  other = await setupExchange(t, {
    code: ACTION,
    skipApi: true,
    subjectTokenType: 'urn:acme:other-token',
    client: { is_token_endpoint_ip_header_trusted: true },
  });
});
after(() => t.close());

const from = (ip: string) => ({ 'auth0-forwarded-for': ip });

test('ten rejections block the IP on every profile; other IPs pass; the API unblocks', async () => {
  for (let i = 0; i < 10; i++) {
    const res = await fx.exchange({ subject_token: 'forged' }, from('203.0.113.7'));
    assert.equal(res.statusCode, 400, `attempt ${i + 1}`);
    assert.deepEqual(res.json(), { error: 'invalid_request', error_description: 'Invalid subject token' });
  }
  for (const f of [fx, other]) {
    const blocked = await f.exchange({ subject_token: 'good' }, from('203.0.113.7'));
    assert.equal(blocked.statusCode, 429);
    assert.deepEqual(blocked.json(), { error: 'too_many_attempts', error_description: TOO_MANY });
  }
  const fecte = await lastLog(t, 'fecte');
  assert.equal(fecte.ip, '203.0.113.7');
  assert.equal(fecte.details.error, 'too_many_attempts');
  const limit = await lastLog(t, 'limit_mu');
  assert.equal(limit.ip, '203.0.113.7');

  const elsewhere = await fx.exchange({ subject_token: 'good' }, from('198.51.100.9'));
  assert.equal(elsewhere.statusCode, 200, elsewhere.body);

  assert.equal((await t.api('GET', '/anomaly/blocks/ips/203.0.113.7')).statusCode, 200);
  assert.equal((await t.api('DELETE', '/anomaly/blocks/ips/203.0.113.7')).statusCode, 204);
  assert.equal((await t.api('GET', '/anomaly/blocks/ips/203.0.113.7')).statusCode, 404);
  const unblocked = await fx.exchange({ subject_token: 'good' }, from('203.0.113.7'));
  assert.equal(unblocked.statusCode, 200, unblocked.body);
});

test('deny, throw and validation failures do not count; an allowlisted IP is never blocked', async () => {
  const patch = await t.api('PATCH', '/attack-protection/suspicious-ip-throttling', {
    allowlist: ['192.0.2.0/24'],
    stage: { 'pre-custom-token-exchange': { max_attempts: 2, rate: 600000 } },
  });
  assert.equal(patch.statusCode, 200, patch.body);
  for (let i = 0; i < 5; i++)
    assert.equal((await fx.exchange({ subject_token: 'forged' }, from('192.0.2.10'))).statusCode, 400);
  assert.equal((await fx.exchange({ subject_token: 'good' }, from('192.0.2.10'))).statusCode, 200);
  for (let i = 0; i < 5; i++)
    assert.equal(
      (await fx.exchange({ subject_token: 'x', audience: 'https://nope' }, from('198.51.100.20'))).statusCode,
      403,
    );
  assert.equal((await fx.exchange({ subject_token: 'good' }, from('198.51.100.20'))).statusCode, 200);
});

test('auth0-forwarded-for is ignored for a client that does not trust it', async () => {
  const untrusted = await setupExchange(t, { code: ACTION, skipApi: true, subjectTokenType: 'urn:acme:third-token' });
  await untrusted.exchange({ subject_token: 'forged' }, from('198.51.100.77'));
  const log = await lastLog(t, 'fecte');
  assert.equal(log.ip, '127.0.0.1');
});
