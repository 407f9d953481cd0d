/**
 * The token endpoint caches configuration; a Management API write takes effect on the very next request.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { setupExchange, API_ID, type ExchangeFixture } from '../helpers/exchange.js';

let t: TestApp;
let fx: ExchangeFixture;
before(async () => {
  t = await startTestApp();
  fx = await setupExchange(t, {
    code: `exports.onExecuteCustomTokenExchange = async (event, api) => {
      api.authentication.setUserByConnection('legacy-idp', { user_id: 'c1', email: 'c1@example.com' }, { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
    };`,
  });
});
after(() => t.close());

test('client, API, connection and secret changes apply to the next exchange', async () => {
  assert.equal((await fx.exchange()).statusCode, 200);

  const api = (await t.api('GET', `/resource-servers/${encodeURIComponent(API_ID)}`)).json();
  assert.equal(
    (await t.api('PATCH', `/resource-servers/${api.id}`, { skip_consent_for_verifiable_first_party_clients: false }))
      .statusCode,
    200,
  );
  assert.equal((await fx.exchange()).json().error_description.startsWith('Consent required'), true);
  await t.api('PATCH', `/resource-servers/${api.id}`, { skip_consent_for_verifiable_first_party_clients: true });

  assert.equal(
    (await t.api('PATCH', `/connections/${fx.connectionId}/clients`, [{ client_id: fx.clientId, status: false }]))
      .statusCode,
    204,
  );
  const disabled = await fx.exchange();
  assert.deepEqual(
    [disabled.statusCode, disabled.json().error_description],
    [400, 'setUserByConnection: connection legacy-idp is not enabled for this client'],
  );
  await t.api('PATCH', `/connections/${fx.connectionId}/clients`, [{ client_id: fx.clientId, status: true }]);

  assert.equal((await t.api('PATCH', `/clients/${fx.clientId}`, { token_exchange: null })).statusCode, 200);
  assert.equal(
    (await fx.exchange()).json().error_description,
    'Invalid subject_token_type and requested_token_type combination.',
  );
  await t.api('PATCH', `/clients/${fx.clientId}`, {
    token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
  });

  const rotated = await t.api('POST', `/clients/${fx.clientId}/rotate-secret`);
  assert.equal(rotated.statusCode, 200, rotated.body);
  assert.equal((await fx.exchange()).statusCode, 401, 'the old secret stops working at once');
  assert.equal((await fx.exchange({ client_secret: rotated.json().client_secret })).statusCode, 200);
});
