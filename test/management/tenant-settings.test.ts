/**
 * Settings documents (routes/tenant-settings.ts): each answers Auth0's defaults until written, keeps what a write
 * gives and reads it back, refuses bad bodies in Auth0's shape, and needs its scope. `/tenants/settings` is the
 * document the token endpoint reads `default_audience` from.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { API_ID, createApi } from '../helpers/exchange.js';

describe('settings documents', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  test('GET /tenants/settings answers no locales; PATCH merges and is read back', async () => {
    const first = await t.api('GET', '/tenants/settings');
    assert.equal(first.statusCode, 200);
    assert.deepEqual(first.json(), { enabled_locales: [] });
    const patched = await t.api('PATCH', '/tenants/settings', {
      friendly_name: 'Acme',
      flags: { enable_sso: true },
      sandbox_version: '22',
    });
    assert.equal(patched.statusCode, 200, patched.body);
    const expected = { enabled_locales: [], friendly_name: 'Acme', flags: { enable_sso: true }, sandbox_version: '22' };
    assert.deepEqual(patched.json(), expected);
    await t.api('PATCH', '/tenants/settings', { support_email: 'ops@example.com' });
    assert.deepEqual((await t.api('GET', '/tenants/settings')).json(), {
      ...expected,
      support_email: 'ops@example.com',
    });
  });

  test('a default_audience PATCHed into /tenants/settings is the audience of a request without one', async () => {
    await createApi(t);
    const machine = (
      await t.api('POST', '/clients', {
        name: 'default audience client',
        app_type: 'non_interactive',
        grant_types: ['client_credentials'],
      })
    ).json();
    await t.api('POST', '/client-grants', { client_id: machine.client_id, audience: API_ID, scope: ['read:data'] });
    const token = () =>
      t.form('/oauth/token', {
        grant_type: 'client_credentials',
        client_id: machine.client_id,
        client_secret: machine.client_secret,
      });
    assert.equal((await token()).statusCode, 400);
    assert.equal((await t.api('PATCH', '/tenants/settings', { default_audience: API_ID })).statusCode, 200);
    const res = await token();
    assert.equal(res.statusCode, 200, res.body);
    const payload = JSON.parse(Buffer.from(res.json().access_token.split('.')[1], 'base64url').toString());
    assert.equal(payload.aud, API_ID);
  });

  test('bad bodies are refused in Auth0 shape, nothing is stored', async () => {
    const wrongType = await t.api('PATCH', '/tenants/settings', { default_audience: { url: 'x' } });
    assert.equal(wrongType.statusCode, 400);
    assert.deepEqual(wrongType.json(), {
      statusCode: 400,
      error: 'Bad Request',
      message: "Payload validation error: 'must be string' on property default_audience.",
      errorCode: 'invalid_body',
    });
    const unknown = await t.api('PATCH', '/prompts', { universal_login_experience: 'new', colour: 'red' });
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json().message, "Payload validation error: 'Additional properties not allowed: colour'.");
    const shield = await t.api('PATCH', '/attack-protection/brute-force-protection', { shields: ['explode'] });
    assert.equal(shield.statusCode, 400);
    const policies = await t.api('PUT', '/guardian/policies', ['sometimes']);
    assert.equal(policies.statusCode, 400);
    assert.deepEqual((await t.api('GET', '/guardian/policies')).json(), []);
  });

  test("Auth0's defaults until written, then what was written", async () => {
    const cases: Array<[string, 'PATCH' | 'PUT', unknown, unknown]> = [
      [
        '/prompts',
        'PATCH',
        { universal_login_experience: 'new', identifier_first: false, webauthn_platform_first_factor: false },
        { identifier_first: true },
      ],
      [
        '/attack-protection/brute-force-protection',
        'PATCH',
        {
          enabled: true,
          shields: ['block', 'user_notification'],
          allowlist: [],
          mode: 'count_per_identifier_and_ip',
          max_attempts: 10,
        },
        { enabled: false, max_attempts: 5 },
      ],
      [
        '/attack-protection/breached-password-detection',
        'PATCH',
        {
          enabled: false,
          shields: [],
          admin_notification_frequency: [],
          method: 'standard',
          stage: { 'pre-user-registration': { shields: [] }, 'pre-change-password': { shields: [] } },
        },
        { enabled: true, shields: ['admin_notification'] },
      ],
      ['/risk-assessments/settings', 'PATCH', { enabled: false }, { enabled: true }],
      ['/risk-assessments/settings/new-device', 'PATCH', { remember_for: 0 }, { remember_for: 30 }],
      ['/guardian/policies', 'PUT', [], ['all-applications']],
    ];
    for (const [path, method, defaults, write] of cases) {
      const before = await t.api('GET', path);
      assert.equal(before.statusCode, 200, path);
      assert.deepEqual(before.json(), defaults, path);
      const written = await t.api(method, path, write);
      assert.equal(written.statusCode, 200, `${path}: ${written.body}`);
      const expected = Array.isArray(write) ? write : { ...(defaults as object), ...(write as object) };
      assert.deepEqual(written.json(), expected, path);
      assert.deepEqual((await t.api('GET', path)).json(), expected, path);
    }
  });

  test('prompt custom text is kept per prompt and language', async () => {
    assert.deepEqual((await t.api('GET', '/prompts/login/custom-text/en')).json(), {});
    const text = { login: { title: 'Welcome to Acme' } };
    const put = await t.api('PUT', '/prompts/login/custom-text/en', text);
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual((await t.api('GET', '/prompts/login/custom-text/en')).json(), text);
    assert.deepEqual((await t.api('GET', '/prompts/login/custom-text/fr')).json(), {});
    const badLanguage = await t.api('GET', '/prompts/login/custom-text/e!');
    assert.equal(badLanguage.statusCode, 400);
  });

  test('each document needs its scope', async () => {
    const readOnly = await t.mgmtToken(['read:tenant_settings', 'read:prompts']);
    assert.equal((await t.api('GET', '/tenants/settings', undefined, readOnly)).statusCode, 200);
    const refused = await t.api('PATCH', '/tenants/settings', { friendly_name: 'x' }, readOnly);
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().message, 'Insufficient scope; expected any of: update:tenant_settings.');
    const guardian = await t.api('GET', '/guardian/policies', undefined, readOnly);
    assert.equal(guardian.statusCode, 403);
    assert.equal(guardian.json().message, 'Insufficient scope; expected any of: read:mfa_policies.');
    assert.equal((await t.app.inject({ url: '/api/v2/tenants/settings' })).statusCode, 401);
  });
});
