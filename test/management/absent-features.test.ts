/**
 * Auth0 features Baton does not have (routes/absent-features.ts) answer as an Auth0 tenant without them: empty
 * lists in Auth0's paging shapes, Auth0's 403 for deprecated or disabled features, its 400 for prompt partials
 * without a custom domain. Each is authenticated and scoped.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.js';

describe('absent features', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  test('Rules, Rules configs and Hooks: the 403 of a tenant created after their end of life', async () => {
    for (const path of ['/rules', '/rules-configs', '/hooks']) {
      const res = await t.api('GET', path);
      assert.equal(res.statusCode, 403, path);
      assert.deepEqual(res.json(), {
        statusCode: 403,
        error: 'Forbidden',
        message: 'Insufficient privileges to use this deprecated feature',
      });
    }
  });

  test('features off the plan: 403 feature_not_enabled', async () => {
    for (const path of ['/attack-protection/bot-detection', '/attack-protection/captcha', '/supplemental-signals']) {
      const res = await t.api('GET', path);
      assert.equal(res.statusCode, 403, path);
      assert.equal(res.json().errorCode, 'feature_not_enabled', path);
    }
  });

  test('paged lists are empty, with totals when asked', async () => {
    for (const [path, key] of [
      ['/roles', 'roles'],
      ['/forms', 'forms'],
      ['/flows', 'flows'],
      ['/flows/vault/connections', 'connections'],
      ['/self-service-profiles', 'self_service_profiles'],
      ['/actions/modules', 'modules'],
      ['/network-acls', 'network_acls'],
      ['/prompts/rendering', 'configs'],
    ] as const) {
      const bare = await t.api('GET', path);
      assert.equal(bare.statusCode, 200, `${path}: ${bare.body}`);
      assert.deepEqual(bare.json(), [], path);
      const totals = await t.api('GET', `${path}?include_totals=true&page=2&per_page=10`);
      assert.deepEqual(totals.json(), { start: 20, limit: 10, length: 0, total: 0, [key]: [] }, path);
    }
    const filtered = await t.api('GET', '/roles?type=tenant&name_filter=admin&include_totals=true');
    assert.equal(filtered.statusCode, 200, filtered.body);
    const unknown = await t.api('GET', '/roles?colour=red');
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json().message, "Query validation error: 'Additional properties not allowed: colour'.");
  });

  test('checkpoint lists are empty in their own key, and check take', async () => {
    for (const [path, key] of [
      ['/event-streams', 'eventStreams'],
      ['/user-attribute-profiles', 'user_attribute_profiles'],
      ['/connection-profiles', 'connection_profiles'],
      ['/rate-limit-policies', 'rate_limit_policies'],
      ['/connections-directory-provisionings', 'directory_provisionings'],
    ] as const) {
      const res = await t.api('GET', `${path}?take=10`);
      assert.equal(res.statusCode, 200, `${path}: ${res.body}`);
      assert.deepEqual(res.json(), { [key]: [] }, path);
    }
    assert.equal((await t.api('GET', '/event-streams?take=101')).statusCode, 400);
  });

  test('plain lists are empty', async () => {
    assert.deepEqual((await t.api('GET', '/log-streams')).json(), []);
    assert.deepEqual((await t.api('GET', '/custom-domains')).json(), []);
    assert.deepEqual((await t.api('GET', '/branding/phone/providers')).json(), { providers: [] });
    assert.deepEqual((await t.api('GET', '/branding/phone/templates')).json(), { templates: [] });
  });

  test('prompt partials need a custom domain, which Baton does not have', async () => {
    const res = await t.api('GET', '/prompts/login/partials');
    assert.equal(res.statusCode, 400);
    assert.equal(
      res.json().message,
      'This feature requires at least one custom domain to be configured for the tenant.',
    );
  });

  test("an organization's client grants: none for an existing organization, 404 for another", async () => {
    const org = (await t.api('POST', '/organizations', { name: 'grants-org' })).json();
    const res = await t.api('GET', `/organizations/${org.id}/client-grants?include_totals=true`);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { start: 0, limit: 50, length: 0, total: 0, client_grants: [] });
    assert.equal((await t.api('GET', '/organizations/org_missing/client-grants')).statusCode, 404);
  });

  test('each needs a token and its scope', async () => {
    assert.equal((await t.app.inject({ url: '/api/v2/log-streams' })).statusCode, 401);
    const token = await t.mgmtToken(['read:clients']);
    for (const [path, scope] of [
      ['/rules', 'read:rules'],
      ['/log-streams', 'read:log_streams'],
      ['/event-streams', 'read:event_streams'],
      ['/roles', 'read:roles'],
    ]) {
      const res = await t.api('GET', path!, undefined, token);
      assert.equal(res.statusCode, 403, path);
      assert.equal(res.json().message, `Insufficient scope; expected any of: ${scope}.`, path);
    }
  });
});
