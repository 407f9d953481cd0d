/** Storage conformance: clients (+credentials), client grants, resource servers, on every dialect. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, ADMIN_ID, startTestApp, type TestApp } from '../helpers/app.js';
import { isUniqueViolation, isForeignKeyViolation } from '../../src/storage/database.js';
import type { NewClient } from '../../src/storage/repositories/clients.js';

const client = (id: string, over: Partial<NewClient> = {}): NewClient => ({
  client_id: id,
  name: `app ${id}`,
  description: '',
  app_type: 'non_interactive',
  is_first_party: true,
  oidc_conformant: true,
  client_secret_hash: 'ab'.repeat(32),
  token_endpoint_auth_method: 'client_secret_post',
  grant_types: ['client_credentials'],
  callbacks: [],
  allowed_origins: [],
  client_metadata: { k: 'v' },
  token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
  organization_usage: 'allow',
  organization_require_behavior: null,
  jwt_configuration: { alg: 'RS256', lifetime_in_seconds: 600 },
  refresh_token: null,
  is_token_endpoint_ip_header_trusted: false,
  global: false,
  ...over,
});

const cred = (id: string) => ({
  id,
  name: id,
  credential_type: 'public_key',
  alg: 'RS256',
  pem: '-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----',
  kid: null,
  created_at: new Date().toISOString(),
});

for (const dialect of DIALECTS) {
  describe(`clients, client grants, resource servers (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ dialect });
    });
    after(() => t.close());

    test('clients: create with credentials, read back every field, list filters, update, delete cascades', async () => {
      const c = t.ctx.repos.clients;
      const created = await c.create(client('c1'), [cred('cred_1')]);
      assert.deepEqual(await c.get('c1'), created);
      assert.equal((await c.credentials('c1')).length, 1);
      await assert.rejects(c.create(client('c1')), (e: unknown) => isUniqueViolation(e));
      await c.create(
        client('c2', {
          app_type: 'spa',
          is_first_party: false,
          client_secret_hash: null,
          token_endpoint_auth_method: 'none',
        }),
      );
      assert.equal(await c.count(), 3, 'two plus the bootstrapped admin client');
      assert.deepEqual(
        (await c.list({ page: 0, perPage: 10, appType: ['spa'] })).clients.map((x) => x.client_id),
        ['c2'],
      );
      assert.deepEqual(
        (await c.list({ page: 0, perPage: 10, isGlobal: true })).clients.map((x) => x.client_id),
        [ADMIN_ID],
      );
      assert.equal((await c.list({ page: 0, perPage: 10, isFirstParty: false })).total, 1);
      const updated = await c.update('c1', {
        name: 'renamed',
        grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'],
        token_exchange: null,
      });
      assert.equal(updated?.name, 'renamed');
      assert.deepEqual(updated?.grant_types, ['urn:ietf:params:oauth:grant-type:token-exchange']);
      assert.equal(updated?.token_exchange, null);
      assert.deepEqual(updated?.client_metadata, { k: 'v' }, 'untouched fields stay');
      assert.equal(await c.update('nope', { name: 'x' }), undefined);
      assert.equal(await c.deleteCredential('c1', 'cred_1'), true);
      assert.equal(await c.deleteCredential('c1', 'cred_1'), false);
      await c.addCredential({ ...cred('cred_2'), client_id: 'c1' });
      await t.ctx.repos.clientGrants.create({ id: 'cgr_c1', client_id: 'c1', audience: 'https://api', scope: [] });
      assert.equal(await c.delete('c1'), true);
      assert.equal(await c.get('c1'), undefined);
      assert.deepEqual(await c.credentials('c1'), []);
      assert.equal(await t.ctx.repos.clientGrants.get('cgr_c1'), undefined);
      assert.equal(await c.delete('c1'), false);
    });

    test('client grants: unique (client, audience), foreign key to the client, find, list, update, delete', async () => {
      const g = t.ctx.repos.clientGrants;
      await g.create({ id: 'cgr_1', client_id: 'c2', audience: 'https://a', scope: ['read:a'] });
      await assert.rejects(g.create({ id: 'cgr_2', client_id: 'c2', audience: 'https://a', scope: [] }), (e: unknown) =>
        isUniqueViolation(e),
      );
      await assert.rejects(
        g.create({ id: 'cgr_3', client_id: 'ghost', audience: 'https://a', scope: [] }),
        (e: unknown) => isForeignKeyViolation(e),
      );
      assert.deepEqual(await g.find('c2', 'https://a'), {
        id: 'cgr_1',
        client_id: 'c2',
        audience: 'https://a',
        scope: ['read:a'],
      });
      assert.equal(await g.find('c2', 'https://b'), undefined);
      assert.deepEqual(
        (await g.list({ page: 0, perPage: 10, clientId: 'c2' })).client_grants.map((x) => x.id),
        ['cgr_1'],
      );
      assert.equal((await g.list({ page: 0, perPage: 10 })).total, 2, 'plus the admin grant');
      assert.deepEqual((await g.updateScope('cgr_1', ['read:a', 'write:a']))?.scope, ['read:a', 'write:a']);
      assert.equal(await g.updateScope('cgr_x', []), undefined);
      assert.equal(await g.delete('cgr_1'), true);
      assert.equal(await g.delete('cgr_1'), false);
    });

    test('resource servers: unique identifier, lookups, update, delete removes its grants, max lifetime', async () => {
      const r = t.ctx.repos.resourceServers;
      const rs = await r.create({
        id: 'rs1',
        identifier: 'https://orders',
        name: 'Orders',
        scopes: [{ value: 'read:orders', description: 'Read' }],
        signing_alg: 'RS256',
        token_lifetime: 90000,
        allow_offline_access: true,
        skip_consent_for_verifiable_first_party_clients: true,
        is_system: false,
      });
      assert.deepEqual(await r.get('rs1'), rs);
      assert.deepEqual(await r.getByIdentifier('https://orders'), rs);
      await assert.rejects(r.create({ ...rs, id: 'rs2' }), (e: unknown) => isUniqueViolation(e));
      assert.deepEqual(
        (await r.list({ page: 0, perPage: 10, identifiers: ['https://orders'] })).resource_servers.map((x) => x.id),
        ['rs1'],
      );
      assert.equal((await r.list({ page: 0, perPage: 10 })).total, 2, 'plus the Management API');
      assert.equal(await r.maxTokenLifetime(), 90000);
      const u = await r.update('rs1', { token_lifetime: 300, allow_offline_access: false });
      assert.deepEqual([u?.token_lifetime, u?.allow_offline_access, u?.name], [300, false, 'Orders']);
      assert.equal(await r.update('rs_x', { name: 'x' }), undefined);
      await t.ctx.repos.clientGrants.create({ id: 'cgr_o', client_id: 'c2', audience: 'https://orders', scope: [] });
      assert.equal(await r.delete('rs1'), true);
      assert.equal(await t.ctx.repos.clientGrants.get('cgr_o'), undefined);
      assert.equal(await r.delete('rs1'), false);
    });
  });
}
