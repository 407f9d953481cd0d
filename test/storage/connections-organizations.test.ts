/** Storage conformance: connections and organizations (members, enabled connections), on every dialect. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, startTestApp, type TestApp } from '../helpers/app.js';
import { isUniqueViolation } from '../../src/storage/database.js';

const conn = (id: string, name: string, strategy = 'auth0') => ({
  id,
  name,
  strategy,
  display_name: null,
  options: {},
  enabled_clients: [] as string[],
  metadata: {},
});

for (const dialect of DIALECTS) {
  describe(`connections repository (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ dialect });
    });
    after(() => t.close());

    test('create, get, getByName, list with filters, unique name', async () => {
      const c = t.ctx.repos.connections;
      const created = await c.create({
        ...conn('con_a', 'db-a'),
        options: { requires_username: false },
        enabled_clients: ['x', 'x', 'y'],
        metadata: { k: 'v' },
      });
      assert.deepEqual(created.enabled_clients, ['x', 'y']);
      assert.deepEqual(await c.get('con_a'), created);
      assert.deepEqual(await c.getByName('db-a'), created);
      await c.create(conn('con_b', 'corp', 'samlp'));
      await assert.rejects(c.create(conn('con_c', 'db-a')), (e: unknown) => isUniqueViolation(e));
      assert.equal((await c.list({ page: 0, perPage: 10 })).total, 2);
      assert.deepEqual(
        (await c.list({ page: 0, perPage: 10, strategy: ['samlp'] })).connections.map((x) => x.id),
        ['con_b'],
      );
      assert.deepEqual(
        (await c.list({ page: 0, perPage: 10, name: 'db-a' })).connections.map((x) => x.id),
        ['con_a'],
      );
      assert.deepEqual(
        (await c.list({ page: 1, perPage: 1 })).connections.map((x) => x.id),
        ['con_b'],
      );
      assert.equal(await c.get('con_missing'), undefined);
    });

    test('update and setClientStatus (concurrent patches lose nothing)', async () => {
      const c = t.ctx.repos.connections;
      const u = await c.update('con_a', { display_name: 'DB A', options: { a: 1 } });
      assert.equal(u?.display_name, 'DB A');
      assert.deepEqual(u?.options, { a: 1 });
      assert.equal(await c.update('con_missing', { display_name: 'x' }), undefined);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => c.setClientStatus('con_b', [{ client_id: `c${i}`, status: true }])),
      );
      assert.equal((await c.get('con_b'))?.enabled_clients.length, 20);
      const after = await c.setClientStatus('con_b', [
        { client_id: 'c0', status: false },
        { client_id: 'new', status: true },
      ]);
      assert.equal(after?.enabled_clients.includes('c0'), false);
      assert.equal(after?.enabled_clients.includes('new'), true);
      assert.equal(await c.setClientStatus('con_missing', []), undefined);
    });

    test('delete removes the connection with its users and org links', async () => {
      const c = t.ctx.repos.connections;
      const dbc = (await c.get('con_a'))!;
      const u = await t.ctx.repos.users.create(dbc, { attributes: { email: 'z@example.com' } });
      await t.ctx.repos.organizations.create({
        id: 'org_c',
        name: 'c-org',
        display_name: null,
        metadata: {},
        branding: null,
      });
      assert.equal((await t.ctx.repos.organizations.enableConnection('org_c', 'con_a', true)).ok, true);
      assert.equal(await c.delete('con_a'), true);
      assert.equal(await c.get('con_a'), undefined);
      assert.equal(await t.ctx.repos.users.get(u.user_id), undefined);
      assert.deepEqual(await t.ctx.repos.organizations.enabledConnections('org_c'), []);
      assert.equal(await c.delete('con_a'), false);
    });
  });

  describe(`organizations repository (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ dialect });
    });
    after(() => t.close());

    test('CRUD, lookup by name, unique name', async () => {
      const o = t.ctx.repos.organizations;
      const result = await o.create({
        id: 'org_1',
        name: 'acme',
        display_name: 'Acme',
        metadata: { tier: 'gold' },
        branding: null,
      });
      assert.ok(result.ok);
      const created = result.value;
      assert.deepEqual(await o.get('org_1'), created);
      assert.deepEqual(await o.getByName('acme'), created);
      assert.deepEqual(await o.getByIdOrName('acme'), created);
      assert.deepEqual(await o.getByIdOrName('org_1'), created);
      assert.equal(await o.getByIdOrName('nope'), undefined);
      assert.deepEqual(
        await o.create({ id: 'org_2', name: 'acme', display_name: null, metadata: {}, branding: null }),
        { ok: false, reason: 'duplicate' },
      );
      await o.create({ id: 'org_2', name: 'beta', display_name: null, metadata: {}, branding: null });
      assert.deepEqual(await o.update('org_2', { name: 'acme' }), { ok: false, reason: 'duplicate' });
      const u = await o.update('org_2', { display_name: 'Beta', metadata: { a: 'b' } });
      assert.equal(u.ok && u.value?.display_name, 'Beta');
      assert.deepEqual(u.ok && u.value?.metadata, { a: 'b' });
      assert.deepEqual(await o.update('org_x', { display_name: 'x' }), { ok: true, value: undefined });
      const page = await o.list({ page: 0, perPage: 1 });
      assert.deepEqual([page.organizations.map((x) => x.name), page.total], [['acme'], 2]);
      assert.equal(await o.delete('org_2'), true);
      assert.equal(await o.delete('org_2'), false);
    });

    test('members: add (idempotent), refuse unknown users, list, isMember, remove', async () => {
      const o = t.ctx.repos.organizations;
      const dbc = await t.ctx.repos.connections.create(conn('con_m', 'members-db'));
      const a = await t.ctx.repos.users.create(dbc, { attributes: { email: 'a@example.com', name: 'A' } });
      const b = await t.ctx.repos.users.create(dbc, { attributes: { email: 'b@example.com' } });
      assert.deepEqual(await o.addMembers('org_1', [a.user_id, 'auth0|ghost']), { missing: ['auth0|ghost'] });
      assert.equal(await o.isMember('org_1', a.user_id), false, 'nothing is added when one id is unknown');
      assert.deepEqual(await o.addMembers('org_1', [a.user_id, b.user_id, a.user_id]), { missing: [] });
      assert.deepEqual(await o.addMembers('org_1', [a.user_id]), { missing: [] });
      const listed = await o.listMembers('org_1', { page: 0, perPage: 10 });
      assert.equal(listed.total, 2);
      assert.deepEqual(
        listed.members.find((m) => m.user_id === a.user_id),
        { user_id: a.user_id, email: 'a@example.com', name: 'A' },
      );
      assert.equal(await o.isMember('org_1', b.user_id), true);
      assert.equal(await o.removeMembers('org_1', [b.user_id, 'auth0|ghost']), 1);
      assert.equal(await o.isMember('org_1', b.user_id), false);
    });

    test('enabled connections: enable (upsert), update, list, disable', async () => {
      const o = t.ctx.repos.organizations;
      assert.equal((await o.enableConnection('org_1', 'con_m', false)).ok, true);
      assert.equal((await o.enableConnection('org_1', 'con_m', true)).ok, true);
      assert.deepEqual(await o.enableConnection('org_1', 'con_missing', true), {
        ok: false,
        reason: 'missing_reference',
      });
      assert.deepEqual(await o.enabledConnections('org_1'), [
        {
          connection_id: 'con_m',
          assign_membership_on_login: true,
          connection: { name: 'members-db', strategy: 'auth0' },
        },
      ]);
      assert.equal(await o.updateEnabledConnection('org_1', 'con_m', false), true);
      assert.equal((await o.enabledConnection('org_1', 'con_m'))?.assign_membership_on_login, false);
      assert.equal(await o.updateEnabledConnection('org_1', 'con_missing', false), false);
      assert.equal(await o.disableConnection('org_1', 'con_m'), true);
      assert.equal(await o.disableConnection('org_1', 'con_m'), false);
      assert.equal(await o.enabledConnection('org_1', 'con_m'), undefined);
    });
  });
}
