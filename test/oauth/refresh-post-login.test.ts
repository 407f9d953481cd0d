/**
 * Post-login in the refresh_token grant (spec 9.4): one "apply the post-login outcome" step serves both grants, so
 * metadata a post-login Action sets during a refresh is persisted, as it is during a token exchange.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { setupExchange, deployAction, bindPostLogin, type ExchangeFixture } from '../helpers/exchange.js';

const ACTION = `
exports.onExecuteCustomTokenExchange = async (event, api) => {
  api.authentication.setUserByConnection('legacy-idp', { user_id: 'refresher', email: 'refresher@example.com' },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
};`;

const POST_LOGIN = `
exports.onExecutePostLogin = async (event, api) => {
  const n = (event.user.app_metadata.count ?? 0) + 1;
  api.user.setAppMetadata('count', n);
  api.user.setAppMetadata('last_protocol', event.transaction.protocol);
  api.user.setUserMetadata('seen_' + event.transaction.protocol.split('-').pop(), true);
};`;

let t: TestApp;
let fx: ExchangeFixture;

before(async () => {
  t = await startTestApp();
  fx = await setupExchange(t, { code: ACTION });
  await bindPostLogin(t, [await deployAction(t, 'count-logins', POST_LOGIN, 'post-login')]);
});
after(() => t.close());

test('metadata set by post-login during a refresh_token grant is persisted, as during a token exchange', async () => {
  const user = () => t.api('GET', `/users/${encodeURIComponent('oidc|legacy-idp|refresher')}`).then((r) => r.json());
  const exchanged = await fx.exchange({ scope: 'read:data offline_access' });
  assert.equal(exchanged.statusCode, 200, exchanged.body);
  assert.deepEqual((await user()).app_metadata, { count: 1, last_protocol: 'oauth2-token-exchange' });

  const refreshed = await t.form('/oauth/token', {
    grant_type: 'refresh_token',
    client_id: fx.clientId,
    client_secret: fx.clientSecret,
    refresh_token: exchanged.json().refresh_token,
  });
  assert.equal(refreshed.statusCode, 200, refreshed.body);
  const after = await user();
  assert.deepEqual(after.app_metadata, { count: 2, last_protocol: 'oauth2-refresh-token' });
  assert.deepEqual(after.user_metadata, { seen_exchange: true, seen_token: true });
});
