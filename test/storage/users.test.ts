/** Storage conformance: users and identities, on every dialect (DESIGN section 5). */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, startTestApp, type TestApp } from '../helpers/app.js';
import type { Connection } from '../../src/storage/repositories/connections.js';
import { UserExistsError } from '../../src/storage/repositories/users.js';
import { createLoginRecorder } from '../../src/login/recorder.js';
import { hashPassword, verifyPassword } from '../../src/storage/repositories/user-password.js';

for (const dialect of DIALECTS) {
  describe(`users repository (${dialect})`, () => {
    let t: TestApp;
    let db: Connection;
    let oidc: Connection;
    let google: Connection;
    before(async () => {
      t = await startTestApp({ dialect });
      const c = t.ctx.repos.connections;
      db = await c.create({
        id: 'con_db',
        name: 'Username-Password',
        strategy: 'auth0',
        display_name: null,
        options: {},
        enabled_clients: [],
        metadata: {},
      });
      oidc = await c.create({
        id: 'con_oidc',
        name: 'corp-idp',
        strategy: 'oidc',
        display_name: null,
        options: {},
        enabled_clients: [],
        metadata: {},
      });
      google = await c.create({
        id: 'con_google',
        name: 'google-oauth2',
        strategy: 'google-oauth2',
        display_name: null,
        options: {},
        enabled_clients: [],
        metadata: {},
      });
    });
    after(() => t.close());

    test('create in a database connection gives an Auth0-shaped user with an auth0| id', async () => {
      const u = await t.ctx.repos.users.create(db, {
        attributes: { email: 'Alice@Example.COM', name: 'Alice', email_verified: true },
        providerUserId: 'abc123',
        app_metadata: { plan: 'gold' },
      });
      assert.deepEqual(u, {
        user_id: 'auth0|abc123',
        email: 'alice@example.com',
        email_verified: true,
        name: 'Alice',
        identities: [{ connection: 'Username-Password', provider: 'auth0', user_id: 'abc123', isSocial: false }],
        app_metadata: { plan: 'gold' },
        user_metadata: {},
        blocked: false,
        logins_count: 0,
        created_at: u.created_at,
        updated_at: u.created_at,
        connection_id: 'con_db',
      });
      assert.match(u.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.deepEqual(await t.ctx.repos.users.get('auth0|abc123'), u);
    });

    test('a second user with the same e-mail in the database connection is refused', async () => {
      await assert.rejects(
        t.ctx.repos.users.create(db, { attributes: { email: 'alice@example.com' } }),
        (err: unknown) => err instanceof UserExistsError && err.message === 'The user already exists.',
      );
      await assert.rejects(
        t.ctx.repos.users.create(db, { attributes: { email: 'x@example.com' }, providerUserId: 'abc123' }),
        UserExistsError,
      );
    });

    test('user ids follow Auth0: <strategy>|<id> for social, <strategy>|<connection>|<id> for enterprise', async () => {
      const g = await t.ctx.repos.users.findOrCreateByIdentity(google, '1093', { email: 'g@example.com' });
      assert.equal(g.user.user_id, 'google-oauth2|1093');
      assert.deepEqual(g.user.identities, [
        { connection: 'google-oauth2', provider: 'google-oauth2', user_id: '1093', isSocial: true },
      ]);
      const o = await t.ctx.repos.users.findOrCreateByIdentity(oidc, 'emp-7', {
        email: 'e7@corp.example',
        given_name: 'Eve',
      });
      assert.equal(o.created, true);
      assert.equal(o.user.user_id, 'oidc|corp-idp|emp-7');
      assert.equal(o.user.given_name, 'Eve');
      assert.deepEqual(o.user.identities, [
        { connection: 'corp-idp', provider: 'oidc', user_id: 'emp-7', isSocial: false },
      ]);
      const again = await t.ctx.repos.users.findOrCreateByIdentity(oidc, 'emp-7', { email: 'other@corp.example' });
      assert.equal(again.created, false);
      assert.equal(again.user.email, 'e7@corp.example', 'an existing user is returned unchanged');
    });

    test('50 concurrent findOrCreateByIdentity calls for one new identity leave exactly one user', async () => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          t.ctx.repos.users.findOrCreateByIdentity(oidc, 'race-1', { email: `race${i}@corp.example` }),
        ),
      );
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.equal(new Set(results.map((r) => r.user.user_id)).size, 1);
      const rows = await t.ctx.storage.db
        .selectFrom('users')
        .select('user_id')
        .where('user_id', '=', 'oidc|corp-idp|race-1')
        .execute();
      assert.equal(rows.length, 1);
      const ids = await t.ctx.storage.db
        .selectFrom('user_identities')
        .selectAll()
        .where('provider_user_id', '=', 'race-1')
        .execute();
      assert.equal(ids.length, 1);
      const winner = results.find((r) => r.created)!.user;
      for (const r of results) assert.equal(r.user.email, winner.email, 'every caller sees the winner');
    });

    test('mergeMetadata merges top-level keys and removes keys set to null', async () => {
      await t.ctx.repos.users.mergeMetadata('auth0|abc123', {
        app_metadata: { roles: ['admin'] },
        user_metadata: { theme: 'dark', lang: 'fr' },
      });
      const u = await t.ctx.repos.users.mergeMetadata('auth0|abc123', {
        app_metadata: { plan: null, tier: { a: 1 } },
        user_metadata: { lang: null },
      });
      assert.deepEqual(u?.app_metadata, { roles: ['admin'], tier: { a: 1 } });
      assert.deepEqual(u?.user_metadata, { theme: 'dark' });
      assert.equal(await t.ctx.repos.users.mergeMetadata('auth0|missing', { app_metadata: {} }), undefined);
    });

    test('updateProfile merges, or replaces (fields not given are removed)', async () => {
      const merged = await t.ctx.repos.users.updateProfile('oidc|corp-idp|emp-7', { family_name: 'Evans' });
      assert.equal(merged?.given_name, 'Eve');
      assert.equal(merged?.family_name, 'Evans');
      const replaced = await t.ctx.repos.users.updateProfile(
        'oidc|corp-idp|emp-7',
        { email: 'e7@corp.example', nickname: 'eve' },
        'replace',
      );
      assert.equal(replaced?.given_name, undefined);
      assert.equal(replaced?.family_name, undefined);
      assert.equal(replaced?.nickname, 'eve');
      assert.equal(replaced?.email, 'e7@corp.example');
      assert.equal(replaced?.email_verified, false);
    });

    test('recordLogins increments logins_count atomically and sets last_login and last_ip; unknown users are skipped', async () => {
      const at = '2026-11-22T10:00:00.000Z';
      await Promise.all(
        Array.from({ length: 5 }, () =>
          t.ctx.repos.users.recordLogins([
            { userId: 'google-oauth2|1093', count: 2, at, ip: '203.0.113.9' },
            { userId: 'auth0|missing', count: 1, at, ip: null },
          ]),
        ),
      );
      const u = await t.ctx.repos.users.get('google-oauth2|1093');
      assert.equal(u?.logins_count, 10);
      assert.equal(u?.last_ip, '203.0.113.9');
      assert.equal(u?.last_login, at);
      assert.equal(await t.ctx.repos.users.get('auth0|missing'), undefined);
    });

    test('the login recorder returns at once and writes one increment per user on flush', async () => {
      const before = (await t.ctx.repos.users.get('auth0|abc123'))!.logins_count;
      const recorder = createLoginRecorder(t.ctx.repos.users, { intervalMs: 60_000 });
      for (let i = 0; i < 7; i++) recorder.record('auth0|abc123', `198.51.100.${i}`);
      assert.equal((await t.ctx.repos.users.get('auth0|abc123'))!.logins_count, before, 'not written synchronously');
      await recorder.close();
      const after = (await t.ctx.repos.users.get('auth0|abc123'))!;
      assert.equal(after.logins_count, before + 7);
      assert.equal(after.last_ip, '198.51.100.6');
      assert.match(after.last_login!, /^\d{4}-\d\d-\d\dT.*Z$/);
    });

    test('setBlocked, getByEmail, list with e-mail, prefix and paging', async () => {
      assert.equal((await t.ctx.repos.users.setBlocked('google-oauth2|1093', true))?.blocked, true);
      assert.deepEqual(
        (await t.ctx.repos.users.getByEmail('ALICE@example.com')).map((u) => u.user_id),
        ['auth0|abc123'],
      );
      assert.deepEqual(await t.ctx.repos.users.getByEmail('nobody@example.com'), []);
      const all = await t.ctx.repos.users.list({ page: 0, perPage: 100 });
      assert.equal(all.total, 4);
      const page = await t.ctx.repos.users.list({ page: 1, perPage: 3 });
      assert.equal(page.users.length, 1);
      assert.equal(page.total, 4);
      assert.deepEqual(
        (await t.ctx.repos.users.list({ page: 0, perPage: 10, email: 'G@example.com' })).users.map((u) => u.user_id),
        ['google-oauth2|1093'],
      );
      const prefix = await t.ctx.repos.users.list({ page: 0, perPage: 10, emailPrefix: 'e7@' });
      assert.deepEqual(
        prefix.users.map((u) => u.user_id),
        ['oidc|corp-idp|emp-7'],
      );
      const percent = await t.ctx.repos.users.list({ page: 0, perPage: 10, emailPrefix: '%' });
      assert.equal(percent.total, 0, 'no LIKE wildcard leaks through');
      const byConn = await t.ctx.repos.users.list({ page: 0, perPage: 10, connection: 'corp-idp' });
      assert.equal(byConn.total, 2);
    });

    test('passwords are stored as scrypt hashes and verify', async () => {
      const hash = await hashPassword('correct horse battery');
      const u = await t.ctx.repos.users.create(db, { attributes: { email: 'pw@example.com' }, passwordHash: hash });
      const stored = await t.ctx.repos.users.passwordHash(u.user_id);
      assert.match(stored!, /^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
      assert.ok(!stored!.includes('correct horse'));
      assert.equal(await verifyPassword('correct horse battery', stored!), true);
      assert.equal(await verifyPassword('wrong', stored!), false);
      assert.equal(JSON.stringify(u).includes('scrypt'), false, 'the user object never carries the hash');
    });

    test('delete removes the user, its identities and memberships', async () => {
      await t.ctx.repos.organizations.create({
        id: 'org_u',
        name: 'u-org',
        display_name: null,
        metadata: {},
        branding: null,
      });
      await t.ctx.repos.organizations.addMembers('org_u', ['auth0|abc123']);
      assert.equal(await t.ctx.repos.users.delete('auth0|abc123'), true);
      assert.equal(await t.ctx.repos.users.get('auth0|abc123'), undefined);
      assert.equal(await t.ctx.repos.organizations.isMember('org_u', 'auth0|abc123'), false);
      assert.equal(await t.ctx.repos.users.getByIdentity('con_db', 'abc123'), undefined);
      assert.equal(await t.ctx.repos.users.delete('auth0|abc123'), false);
    });
  });
}
