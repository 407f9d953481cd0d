/**
 * The auth0 v7 ManagementClient, unchanged, against Baton's connections, users, organizations and logs
 * (DESIGN section 2): its default list parameters (checkpoint `from`/`take`, `include_totals`, `search`) and
 * response shapes must work.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ManagementClient } from 'auth0-v7';
import { ADMIN_ID } from '../helpers/app.js';
import { startListeningApp, httpFetch, type ListeningApp } from './listen.js';

let t: ListeningApp;
let management: ManagementClient;
before(async () => {
  t = await startListeningApp();
  management = new ManagementClient({ domain: `127.0.0.1:${t.port}`, token: await t.mgmtToken(), fetch: httpFetch });
});
after(() => t.close());

async function all<T>(page: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of page) out.push(item);
  return out;
}

test('connections: create, list (checkpoint paging across pages), get, update, enabled clients', async () => {
  const db = await management.connections.create({ name: 'sdk-db', strategy: 'auth0' });
  assert.equal(db.strategy, 'auth0');
  for (let i = 0; i < 3; i++) await management.connections.create({ name: `sdk-oidc-${i}`, strategy: 'oidc' });
  const listed = await all(await management.connections.list({ take: 2 }));
  assert.deepEqual(listed.map((c) => c.name).sort(), ['sdk-db', 'sdk-oidc-0', 'sdk-oidc-1', 'sdk-oidc-2']);
  assert.equal((await management.connections.get(db.id!)).name, 'sdk-db');
  assert.equal((await management.connections.update(db.id!, { display_name: 'SDK DB' })).display_name, 'SDK DB');
  await management.connections.clients.update(db.id!, [{ client_id: ADMIN_ID, status: true }]);
  const clients = await all(await management.connections.clients.get(db.id!));
  assert.deepEqual(
    clients.map((c) => c.client_id),
    [ADMIN_ID],
  );
  await assert.rejects(
    management.connections.create({ name: 'sdk-db', strategy: 'auth0' }),
    (err: { statusCode?: number }) => err.statusCode === 409,
  );
});

test('users: create, list with q and include_totals pages, get by encoded id, update metadata, by email, delete', async () => {
  const u = await management.users.create({
    connection: 'sdk-db',
    email: 'sdk@example.com',
    password: 'a strong sdk password',
  });
  assert.match(u.user_id!, /^auth0\|/);
  await management.users.create({ connection: 'sdk-db', email: 'sdk2@example.com' });
  const found = await all(await management.users.list({ q: 'email:"sdk@example.com"', search_engine: 'v3' }));
  assert.deepEqual(
    found.map((x) => x.user_id),
    [u.user_id],
  );
  const everyone = await all(await management.users.list({ per_page: 1 }));
  assert.equal(everyone.length, 2);
  assert.equal((await management.users.get(u.user_id!)).email, 'sdk@example.com');
  const updated = await management.users.update(u.user_id!, { app_metadata: { plan: 'gold' }, blocked: true });
  assert.deepEqual([updated.app_metadata, updated.blocked], [{ plan: 'gold' }, true]);
  assert.deepEqual(
    (await management.users.listUsersByEmail({ email: 'sdk@example.com' })).map((x) => x.user_id),
    [u.user_id],
  );
  await management.users.delete(u.user_id!);
  await assert.rejects(management.users.get(u.user_id!), (err: { statusCode?: number }) => err.statusCode === 404);
});

test('organizations: create, getByName, list, members, enabled connections', async () => {
  const org = await management.organizations.create({ name: 'sdk-org', display_name: 'SDK Org' });
  assert.match(org.id!, /^org_/);
  assert.equal((await management.organizations.getByName('sdk-org')).id, org.id);
  await management.organizations.create({ name: 'sdk-org-2' });
  assert.deepEqual((await all(await management.organizations.list({ take: 1 }))).map((o) => o.name).sort(), [
    'sdk-org',
    'sdk-org-2',
  ]);
  const user = (await management.users.listUsersByEmail({ email: 'sdk2@example.com' }))[0]!;
  await management.organizations.members.create(org.id!, { members: [user.user_id!] });
  assert.deepEqual(
    (await all(await management.organizations.members.list(org.id!))).map((m) => m.user_id),
    [user.user_id],
  );
  const db = (await all(await management.connections.list({ name: 'sdk-db' })))[0]!;
  await management.organizations.enabledConnections.add(org.id!, {
    connection_id: db.id!,
    assign_membership_on_login: true,
  });
  const enabled = await all(await management.organizations.enabledConnections.list(org.id!));
  assert.deepEqual(
    enabled.map((c) => [c.connection_id, c.assign_membership_on_login]),
    [[db.id, true]],
  );
  await management.organizations.members.delete(org.id!, { members: [user.user_id!] });
  assert.deepEqual(await all(await management.organizations.members.list(org.id!)), []);
});

test("logs: list with the SDK's `search` and paging, get one", async () => {
  t.ctx.logs.write({ type: 'secte', description: 'sdk exchange', client_id: 'c1' });
  t.ctx.logs.write({ type: 'fecte', description: 'sdk failure' });
  await t.ctx.logs.flush();
  const logs = await all(await management.logs.list({ search: 'type:fecte' }));
  assert.deepEqual(
    logs.map((l) => l.description),
    ['sdk failure'],
  );
  const one = await management.logs.get(logs[0]!.log_id!);
  assert.equal(one.type, 'fecte');
});
