/**
 * Scope and audience ceilings, and concurrent first logins: 50 simultaneous exchanges that create the same new
 * user through setUserByConnection leave exactly one user (on SQLite and on PostgreSQL).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startTestApp, DIALECTS, type TestApp } from '../helpers/app.js';
import { setupExchange, API_ID, type ExchangeFixture } from '../helpers/exchange.js';

const ACTION = `
exports.onExecuteCustomTokenExchange = async (event, api) => {
  api.authentication.setUserByConnection('legacy-idp', { user_id: 'shared-user', email: 'shared@example.com' },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
};`;

describe('scopes and audience', () => {
  let t: TestApp;
  let fx: ExchangeFixture;
  before(async () => {
    t = await startTestApp();
    fx = await setupExchange(t, { code: ACTION });
  });
  after(() => t.close());

  test('scopes the API does not define are dropped; the response says what was granted', async () => {
    const res = await fx.exchange({ scope: 'read:data admin:everything openid' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().scope, 'read:data openid');
    assert.equal(decodeJwt(res.json().access_token).scope, 'read:data openid');
  });

  test('a client grant for the API is a ceiling: scopes it does not list are dropped', async () => {
    const grant = await t.api('POST', '/client-grants', {
      client_id: fx.clientId,
      audience: API_ID,
      scope: ['read:data'],
    });
    assert.equal(grant.statusCode, 201, grant.body);
    const res = await fx.exchange({ scope: 'read:data write:data' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().scope, 'read:data');
    await t.api('DELETE', `/client-grants/${grant.json().id}`);
  });

  test('an unknown audience is refused, and with no audience the tenant default applies', async () => {
    const unknown = await fx.exchange({ audience: 'https://elsewhere.example.com' });
    assert.equal(unknown.statusCode, 403);
    assert.deepEqual(unknown.json(), {
      error: 'access_denied',
      error_description: 'Service not found: https://elsewhere.example.com',
    });
    const missing = await fx.exchange({ audience: '' });
    assert.equal(missing.statusCode, 400);
    assert.deepEqual(missing.json(), {
      error: 'invalid_request',
      error_description: 'Missing required parameter: audience',
    });
    await t.ctx.repos.settings.set('tenant', { default_audience: API_ID });
    await t.ctx.invalidation.publish('config');
    const dflt = await fx.exchange({ audience: '' });
    assert.equal(dflt.statusCode, 200, dflt.body);
    assert.equal(decodeJwt(dflt.json().access_token).aud, API_ID);
  });
});

// sqlite-file too: there the user is read back on the second, read-only connection while the writer inserts.
for (const dialect of [...DIALECTS, 'sqlite-file'] as const) {
  test(`50 concurrent exchanges create exactly one user (${dialect})`, async () => {
    const t = await startTestApp({ dialect });
    try {
      const fx = await setupExchange(t, { code: ACTION });
      const results = await Promise.all(Array.from({ length: 50 }, () => fx.exchange()));
      for (const r of results) assert.equal(r.statusCode, 200, r.body);
      const subs = new Set(results.map((r) => decodeJwt(r.json().access_token).sub));
      assert.deepEqual([...subs], ['oidc|legacy-idp|shared-user']);
      const users = await t.ctx.storage.db.selectFrom('users').select('user_id').execute();
      assert.equal(users.length, 1);
      const identities = await t.ctx.storage.db.selectFrom('user_identities').selectAll().execute();
      assert.equal(identities.length, 1);
      // Login counters are written behind the responses (login/recorder.ts); flush them before reading.
      await t.ctx.logins.flush();
      const user = await t.ctx.repos.users.get('oidc|legacy-idp|shared-user');
      assert.equal(user?.logins_count, 50);
    } finally {
      await t.close();
    }
  });
}
