/**
 * Decide first, mint last (issue 11 item 1): what the exchange Action asked to write on the user (a profile
 * replaced with updateBehavior replace, a membership assigned on login) is written only once the exchange will
 * answer 200. A post-login denial leaves the stored user and the organization as they were.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { setupExchange, deployAction, bindPostLogin, type ExchangeFixture } from '../helpers/exchange.js';

const ACTION = `
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const [kind, id, value] = event.transaction.subject_token.split(':');
  if (kind === 'org') {
    api.authentication.setUserByConnection('legacy-idp', { user_id: id, email: id + '@example.com' },
      { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
    return api.authentication.setOrganization(value);
  }
  api.authentication.setUserByConnection('legacy-idp', { user_id: id, email: id + '@example.com', name: value },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'replace' });
};`;

const POST_LOGIN = `
exports.onExecutePostLogin = async (event, api) => {
  if (event.request.body.deny) api.access.deny('not today');
};`;

let t: TestApp;
let fx: ExchangeFixture;

before(async () => {
  t = await startTestApp();
  fx = await setupExchange(t, { code: ACTION, client: { organization_usage: 'allow' } });
  await bindPostLogin(t, [await deployAction(t, 'deny-on-ask', POST_LOGIN, 'post-login')]);
});
after(() => t.close());

const userId = (id: string) => `oidc|legacy-idp|${id}`;

test('a post-login denial leaves a profile replaced by setUserByConnection as it was stored', async () => {
  assert.equal((await fx.exchange({ subject_token: 'replace:rp1:First' })).statusCode, 200);
  const stored = (await t.api('GET', `/users/${encodeURIComponent(userId('rp1'))}`)).json();
  assert.equal(stored.name, 'First');

  const denied = await fx.exchange({ subject_token: 'replace:rp1:Second', deny: '1' });
  assert.equal(denied.statusCode, 403, denied.body);
  assert.deepEqual(denied.json(), { error: 'access_denied', error_description: 'not today' });
  const after = (await t.api('GET', `/users/${encodeURIComponent(userId('rp1'))}`)).json();
  assert.equal(after.name, 'First', 'the denied exchange replaced nothing');
  assert.equal(after.updated_at, stored.updated_at);

  assert.equal((await fx.exchange({ subject_token: 'replace:rp1:Second' })).statusCode, 200);
  assert.equal(
    (await t.api('GET', `/users/${encodeURIComponent(userId('rp1'))}`)).json().name,
    'Second',
    'a granted exchange replaces',
  );
});

test('a post-login denial assigns no membership on login', async () => {
  const org = await t.api('POST', '/organizations', {
    name: 'joiners',
    enabled_connections: [{ connection_id: fx.connectionId, assign_membership_on_login: true }],
  });
  assert.equal(org.statusCode, 201, org.body);
  const orgId = org.json().id as string;
  const members = async () =>
    (await t.api('GET', `/organizations/${orgId}/members`)).json<Array<{ user_id: string }>>().map((m) => m.user_id);

  const denied = await fx.exchange({ subject_token: `org:jn1:${orgId}`, deny: '1' });
  assert.equal(denied.statusCode, 403, denied.body);
  assert.deepEqual(await members(), [], 'the denied exchange assigned no membership');

  const granted = await fx.exchange({ subject_token: `org:jn1:${orgId}` });
  assert.equal(granted.statusCode, 200, granted.body);
  assert.deepEqual(await members(), [userId('jn1')]);
});
