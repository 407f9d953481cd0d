/**
 * Refresh tokens (issue 10, M3): rotation with reuse detection by token family (RFC 9700 section 4.14.2), mandatory
 * for public clients; Auth0's refresh_token client settings (rotation_type, expiration_type, leeway, token_lifetime,
 * idle_token_lifetime, infinite_*); revocation on user deletion and block; a token never outlives its user row (a
 * user created again with the same user_id cannot use it); the client grant and organization membership as they
 * are now re-applied at every refresh. Timestamps are moved in the database, never waited for.
 */
import { ManualClock } from '../helpers/clock.js';
import { epochSeconds } from '../../src/clock.js';
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { DIALECTS, startTestApp, type TestApp } from '../helpers/app.js';
import { createApi, deployAction, lastLog, API_ID, TOKEN_TYPE, EXCHANGE_GRANT } from '../helpers/exchange.js';

const ACTION = `
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const [kind, id] = event.transaction.subject_token.split(':');
  if (kind !== 'legacy') return api.access.rejectInvalidSubjectToken('bad token');
  api.authentication.setUserByConnection('legacy-idp', { user_id: id, email: id + '@example.com' },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
};`;

const INVALID = { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' };
const userIdOf = (sub: string) => `oidc|legacy-idp|${sub}`;
const hash = (token: string) => createHash('sha256').update(token).digest('hex');

interface TestClient {
  id: string;
  secret?: string;
}

for (const dialect of DIALECTS) {
  describe(`refresh tokens (${dialect})`, () => {
    let t: TestApp;
    let connectionId: string;
    // The server reads this clock: lifetimes are checked against it, and a test moves it instead of editing rows.
    const clock = new ManualClock(Date.now());
    const now = () => epochSeconds(clock);

    before(async () => {
      t = await startTestApp({ dialect, clock });
      await createApi(t);
      const conn = await t.api('POST', '/connections', { name: 'legacy-idp', strategy: 'oidc', enabled_clients: [] });
      assert.equal(conn.statusCode, 201, conn.body);
      connectionId = conn.json().id;
      const actionId = await deployAction(t, 'legacy-exchange', ACTION);
      const profile = await t.api('POST', '/token-exchange-profiles', {
        name: 'Legacy tokens',
        subject_token_type: TOKEN_TYPE,
        action_id: actionId,
        type: 'custom_authentication',
      });
      assert.equal(profile.statusCode, 201, profile.body);
    });
    after(() => t.close());

    async function newClient(body: Record<string, unknown> = {}): Promise<TestClient> {
      const res = await t.api('POST', '/clients', {
        name: `rt-client-${Math.random().toString(36).slice(2, 8)}`,
        app_type: 'regular_web',
        grant_types: [EXCHANGE_GRANT, 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_post',
        token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
        ...body,
      });
      assert.equal(res.statusCode, 201, res.body);
      const c = res.json();
      const enabled = await t.api('PATCH', `/connections/${connectionId}/clients`, [
        { client_id: c.client_id, status: true },
      ]);
      assert.equal(enabled.statusCode, 204, enabled.body);
      return c.client_secret ? { id: c.client_id, secret: c.client_secret } : { id: c.client_id };
    }
    const creds = (c: TestClient): Record<string, string> =>
      c.secret ? { client_id: c.id, client_secret: c.secret } : { client_id: c.id };

    async function exchange(c: TestClient, sub: string, extra: Record<string, string> = {}) {
      const res = await t.form('/oauth/token', {
        grant_type: EXCHANGE_GRANT,
        ...creds(c),
        subject_token_type: TOKEN_TYPE,
        subject_token: `legacy:${sub}`,
        audience: API_ID,
        scope: 'read:data offline_access',
        ...extra,
      });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(typeof body.refresh_token, 'string', 'the exchange issues a refresh token');
      return body.refresh_token as string;
    }
    const refresh = (c: TestClient, token: string, extra: Record<string, string> = {}) =>
      t.form('/oauth/token', { grant_type: 'refresh_token', ...creds(c), refresh_token: token, ...extra });

    /** A 200 refresh: the exact set of fields, and the new refresh token when one must be there. */
    async function refreshOk(
      c: TestClient,
      token: string,
      opts: { rotates: boolean; scope?: string; extra?: Record<string, string> },
    ) {
      const res = await refresh(c, token, opts.extra);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      const keys = [
        'access_token',
        'expires_in',
        'scope',
        'token_type',
        ...(opts.rotates ? ['refresh_token'] : []),
      ].sort();
      assert.deepEqual(Object.keys(body).sort(), keys);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3600);
      if (opts.scope !== undefined) {
        assert.equal(body.scope, opts.scope);
        assert.equal(decodeJwt(body.access_token).scope, opts.scope);
      }
      if (opts.rotates) assert.notEqual(body.refresh_token, token, 'a rotated token is a new token');
      return body as { access_token: string; refresh_token?: string; scope: string };
    }
    async function refreshFails(
      c: TestClient,
      token: string,
      status: number,
      body: unknown,
      extra?: Record<string, string>,
    ) {
      const res = await refresh(c, token, extra);
      assert.equal(res.statusCode, status, res.body);
      assert.deepEqual(res.json(), body);
    }
    const row = (token: string) =>
      t.ctx.storage.db
        .selectFrom('refresh_tokens')
        .selectAll()
        .where('token_hash', '=', hash(token))
        .executeTakeFirstOrThrow();
    const setRow = (token: string, set: Record<string, unknown>) =>
      t.ctx.storage.db.updateTable('refresh_tokens').set(set).where('token_hash', '=', hash(token)).execute();

    test('a rotating client gets a new refresh token at every refresh; the successor works, the old one is retired', async () => {
      const c = await newClient({ refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring' } });
      const rt1 = await exchange(c, 'rot-alice');
      const r2 = await refreshOk(c, rt1, { rotates: true, scope: 'read:data offline_access' });
      const r3 = await refreshOk(c, r2.refresh_token!, { rotates: true, scope: 'read:data offline_access' });
      assert.notEqual(r3.refresh_token, rt1);
      const [a, b, d] = [await row(rt1), await row(r2.refresh_token!), await row(r3.refresh_token!)];
      assert.equal(a.family_id, b.family_id, 'one family');
      assert.equal(b.family_id, d.family_id);
      assert.ok(a.rotated_at_ms !== null && b.rotated_at_ms !== null, 'redeemed tokens are retired');
      assert.equal(d.rotated_at_ms, null, 'the newest token is current');
      assert.equal(d.expires_at_epoch, a.expires_at_epoch, "the absolute lifetime is the family's");
      // A narrower scope narrows the access token only; the family keeps its scope (RFC 6749 section 6).
      const narrow = await refreshOk(c, r3.refresh_token!, {
        rotates: true,
        scope: 'read:data',
        extra: { scope: 'read:data' },
      });
      await refreshOk(c, narrow.refresh_token!, { rotates: true, scope: 'read:data offline_access' });
    });

    test('replaying a retired rotating token answers invalid_grant and revokes the whole family, the newest token too', async () => {
      const c = await newClient({
        refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring', leeway: 0 },
      });
      const rt1 = await exchange(c, 'rot-bob');
      const r2 = await refreshOk(c, rt1, { rotates: true });
      const r3 = await refreshOk(c, r2.refresh_token!, { rotates: true });
      await refreshFails(c, rt1, 400, INVALID);
      await refreshFails(c, r3.refresh_token!, 400, INVALID);
      const family = await t.ctx.storage.db
        .selectFrom('refresh_tokens')
        .select(['revoked_at'])
        .where('family_id', '=', (await row(rt1)).family_id)
        .execute();
      assert.equal(family.length, 3);
      assert.ok(
        family.every((r) => r.revoked_at !== null),
        'every token of the family is revoked',
      );
      const log = await lastLog(t, 'ferrt');
      assert.deepEqual(
        [
          log.description,
          log.client_id,
          log.user_id,
          log.audience,
          log.details.error,
          log.details.family_id,
          log.details.revoked,
        ],
        [
          'Reused rotating refresh token detected: the token family was revoked',
          c.id,
          userIdOf('rot-bob'),
          API_ID,
          'invalid_grant',
          (await row(rt1)).family_id,
          3,
        ],
      );
      // Another family of the same user and client is not touched.
      const other = await exchange(c, 'rot-bob');
      await refreshOk(c, other, { rotates: true });
    });

    test('two concurrent redemptions of one rotating token (leeway 0): one succeeds, and the reuse then revokes the family', async () => {
      const c = await newClient({ refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring' } });
      const rt1 = await exchange(c, 'rot-race');
      const results = await Promise.all([refresh(c, rt1), refresh(c, rt1)]);
      assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 400]);
      const won = results.find((r) => r.statusCode === 200)!.json();
      assert.deepEqual(results.find((r) => r.statusCode === 400)!.json(), INVALID);
      await refreshFails(c, won.refresh_token, 400, INVALID);
    });

    test('leeway: the previous token may be redeemed again within it; later, or an older token, revokes the family', async () => {
      const c = await newClient({
        refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring', leeway: 60 },
      });
      const rt1 = await exchange(c, 'rot-carol');
      const r2 = await refreshOk(c, rt1, { rotates: true });
      const r2b = await refreshOk(c, rt1, { rotates: true }); // a concurrent retry of the same request
      assert.notEqual(r2b.refresh_token, r2.refresh_token);
      const r3 = await refreshOk(c, r2.refresh_token!, { rotates: true });
      // rt1 is no longer the previous token of a current one (its successor r2 was redeemed): reuse.
      await refreshFails(c, rt1, 400, INVALID);
      await refreshFails(c, r3.refresh_token!, 400, INVALID);
      await refreshFails(c, r2b.refresh_token!, 400, INVALID);

      // Past the leeway, the previous token is a replay.
      const s1 = await exchange(c, 'rot-carol');
      const s2 = await refreshOk(c, s1, { rotates: true });
      clock.advance(61_000);
      await refreshFails(c, s1, 400, INVALID);
      await refreshFails(c, s2.refresh_token!, 400, INVALID);
    });

    test('a public client (token_endpoint_auth_method none) always gets rotating tokens, with reuse detection', async () => {
      const c = await newClient({ app_type: 'spa', token_endpoint_auth_method: 'none' });
      assert.equal(c.secret, undefined);
      const rt1 = await exchange(c, 'pub-dan');
      const r2 = await refreshOk(c, rt1, { rotates: true, scope: 'read:data offline_access' });
      const r3 = await refreshOk(c, r2.refresh_token!, { rotates: true });
      await refreshFails(c, r2.refresh_token!, 400, INVALID);
      await refreshFails(c, r3.refresh_token!, 400, INVALID);
    });

    test('a non-rotating confidential client keeps its reusable token (Auth0 non-rotating), with a sliding idle lifetime', async () => {
      const c = await newClient({
        refresh_token: {
          rotation_type: 'non-rotating',
          expiration_type: 'expiring',
          token_lifetime: 7200,
          idle_token_lifetime: 600,
        },
      });
      const before = now();
      const rt = await exchange(c, 'nr-erin');
      const after = now();
      const r = await row(rt);
      assert.ok(
        r.expires_at_epoch! >= before + 7200 && r.expires_at_epoch! <= after + 7200,
        `absolute ${r.expires_at_epoch}`,
      );
      assert.ok(
        r.idle_expires_at_epoch! >= before + 600 && r.idle_expires_at_epoch! <= after + 600,
        `idle ${r.idle_expires_at_epoch}`,
      );
      await refreshOk(c, rt, { rotates: false, scope: 'read:data' });
      await refreshOk(c, rt, { rotates: false, scope: 'read:data' });
      // Each use moves the idle deadline.
      await setRow(rt, { idle_expires_at_epoch: now() + 5 });
      const usedAt = now();
      await refreshOk(c, rt, { rotates: false });
      assert.ok((await row(rt)).idle_expires_at_epoch! >= usedAt + 600, 'the idle deadline slides on use');
      // ... but never past the absolute one.
      await setRow(rt, { expires_at_epoch: now() + 100 });
      await refreshOk(c, rt, { rotates: false });
      const capped = await row(rt);
      assert.equal(capped.idle_expires_at_epoch, capped.expires_at_epoch);
    });

    test('idle expiry: a token unused past its idle lifetime is refused', async () => {
      const c = await newClient({
        refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring', idle_token_lifetime: 600 },
      });
      const rt1 = await exchange(c, 'idle-fay');
      const r2 = await refreshOk(c, rt1, { rotates: true });
      await setRow(r2.refresh_token!, { idle_expires_at_epoch: now() - 1 });
      await refreshFails(c, r2.refresh_token!, 400, INVALID);
      const plain = await newClient({
        refresh_token: { rotation_type: 'non-rotating', expiration_type: 'expiring', idle_token_lifetime: 600 },
      });
      const rt = await exchange(plain, 'idle-fay');
      await setRow(rt, { idle_expires_at_epoch: now() - 1 });
      await refreshFails(plain, rt, 400, INVALID);
    });

    test('absolute expiry: the family ends at its lifetime however often it rotated', async () => {
      const c = await newClient({
        refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring', token_lifetime: 3600 },
      });
      const rt1 = await exchange(c, 'abs-gus');
      const r2 = await refreshOk(c, rt1, { rotates: true });
      await setRow(r2.refresh_token!, { expires_at_epoch: now() - 1 });
      await refreshFails(c, r2.refresh_token!, 400, INVALID);
    });

    test("lifetimes: Auth0's defaults (30 days absolute, 15 days idle) without settings; infinite and non-expiring honoured", async () => {
      const plain = await newClient();
      const before = now();
      const rt = await exchange(plain, 'life-hal');
      const after = now();
      const r = await row(rt);
      assert.ok(
        r.expires_at_epoch! >= before + 2_592_000 && r.expires_at_epoch! <= after + 2_592_000,
        `absolute ${r.expires_at_epoch}`,
      );
      assert.ok(
        r.idle_expires_at_epoch! >= before + 1_296_000 && r.idle_expires_at_epoch! <= after + 1_296_000,
        `idle ${r.idle_expires_at_epoch}`,
      );

      const infinite = await newClient({
        refresh_token: {
          rotation_type: 'non-rotating',
          expiration_type: 'expiring',
          infinite_token_lifetime: true,
          infinite_idle_token_lifetime: true,
        },
      });
      const ri = await row(await exchange(infinite, 'life-hal'));
      assert.deepEqual([ri.expires_at_epoch, ri.idle_expires_at_epoch], [null, null]);

      const never = await newClient({
        refresh_token: { rotation_type: 'non-rotating', expiration_type: 'non-expiring' },
      });
      const rn = await row(await exchange(never, 'life-hal'));
      assert.deepEqual([rn.expires_at_epoch, rn.idle_expires_at_epoch], [null, null]);

      // Rotation needs an expiring token (as in Auth0): non-expiring is read as expiring with the defaults.
      const rot = await newClient({ refresh_token: { rotation_type: 'rotating', expiration_type: 'non-expiring' } });
      const rr = await row(await exchange(rot, 'life-hal'));
      assert.ok(rr.expires_at_epoch !== null && rr.idle_expires_at_epoch !== null);
    });

    test('switching a client to rotation: its non-rotating token is swapped for a rotating one, and then retired', async () => {
      const c = await newClient();
      const rt1 = await exchange(c, 'swap-ivy');
      const sibling = await exchange(c, 'swap-ivy');
      await refreshOk(c, rt1, { rotates: false });
      assert.equal(
        (
          await t.api('PATCH', `/clients/${c.id}`, {
            refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring' },
          })
        ).statusCode,
        200,
      );
      const r2 = await refreshOk(c, rt1, { rotates: true });
      // Auth0: the other non-rotating tokens of this client, API and user are revoked with the swap.
      await refreshFails(c, sibling, 400, INVALID);
      await refreshFails(c, rt1, 400, INVALID);
      await refreshFails(c, r2.refresh_token!, 400, INVALID);
    });

    test('switching rotation off: a rotating token is swapped for a non-rotating one and its family revoked', async () => {
      const c = await newClient({ refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring' } });
      const rt1 = await exchange(c, 'swap-jo');
      const r2 = await refreshOk(c, rt1, { rotates: true });
      assert.equal(
        (
          await t.api('PATCH', `/clients/${c.id}`, {
            refresh_token: { rotation_type: 'non-rotating', expiration_type: 'expiring' },
          })
        ).statusCode,
        200,
      );
      const r3 = await refreshOk(c, r2.refresh_token!, { rotates: true });
      assert.equal((await row(r3.refresh_token!)).rotating, 0);
      await refreshFails(c, r2.refresh_token!, 400, INVALID);
      await refreshOk(c, r3.refresh_token!, { rotates: false });
      await refreshOk(c, r3.refresh_token!, { rotates: false });
    });

    test('/oauth/revoke of any token of a family (even a retired one) revokes the family', async () => {
      const c = await newClient({ refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring' } });
      const rt1 = await exchange(c, 'rev-kim');
      const r2 = await refreshOk(c, rt1, { rotates: true });
      const revoked = await t.form('/oauth/revoke', { ...creds(c), token: rt1 });
      assert.equal(revoked.statusCode, 200);
      await refreshFails(c, r2.refresh_token!, 400, INVALID);
    });

    test('deleting a user deletes its refresh tokens; a user created again with the same user_id cannot use them', async () => {
      const c = await newClient();
      const rt = await exchange(c, 'del-lee');
      await refreshOk(c, rt, { rotates: false });
      assert.equal((await t.api('DELETE', `/users/${encodeURIComponent(userIdOf('del-lee'))}`)).statusCode, 204);
      await refreshFails(c, rt, 400, INVALID);
      const left = await t.ctx.storage.db
        .selectFrom('refresh_tokens')
        .select('id')
        .where('user_id', '=', userIdOf('del-lee'))
        .execute();
      assert.deepEqual(left, []);
      await exchange(c, 'del-lee'); // the same user_id again
      await refreshFails(c, rt, 400, INVALID);
    });

    test("a token that outlived its user row (deleted behind Baton's back) does not work for the user created again", async () => {
      const c = await newClient();
      const rt = await exchange(c, 'del-max');
      const uid = userIdOf('del-max');
      await t.ctx.storage.db.deleteFrom('organization_members').where('user_id', '=', uid).execute();
      await t.ctx.storage.db.deleteFrom('user_identities').where('user_id', '=', uid).execute();
      await t.ctx.storage.db.deleteFrom('users').where('user_id', '=', uid).execute();
      await exchange(c, 'del-max');
      await refreshFails(c, rt, 400, INVALID);
    });

    test('blocking a user revokes its refresh tokens: refused while blocked and after unblocking', async () => {
      const c = await newClient({ refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring' } });
      const plain = await newClient();
      const rt = await exchange(c, 'blk-ned');
      const rtPlain = await exchange(plain, 'blk-ned');
      const uid = encodeURIComponent(userIdOf('blk-ned'));
      assert.equal((await t.api('PATCH', `/users/${uid}`, { blocked: true })).statusCode, 200);
      await refreshFails(c, rt, 400, INVALID);
      await refreshFails(plain, rtPlain, 400, INVALID);
      assert.equal((await t.api('PATCH', `/users/${uid}`, { blocked: false })).statusCode, 200);
      await refreshFails(c, rt, 400, INVALID);
      await refreshFails(plain, rtPlain, 400, INVALID);
    });

    test('a token minted while the user is blocked (no revocation saw it) is refused by the grant', async () => {
      const c = await newClient();
      const rt = await exchange(c, 'blk-ola');
      await t.ctx.storage.db
        .updateTable('users')
        .set({ blocked: 1 })
        .where('user_id', '=', userIdOf('blk-ola'))
        .execute();
      await refreshFails(c, rt, 400, { error: 'invalid_grant', error_description: 'user is blocked' });
    });

    test('a narrowed client grant narrows the next refresh; asking for a withdrawn scope is access_denied', async () => {
      const c = await newClient();
      const grant = await t.api('POST', '/client-grants', {
        client_id: c.id,
        audience: API_ID,
        scope: ['read:data', 'write:data'],
      });
      assert.equal(grant.statusCode, 201, grant.body);
      const rt1 = await exchange(c, 'grant-pat', { scope: 'read:data write:data offline_access' });
      await refreshOk(c, rt1, { rotates: false, scope: 'read:data write:data' });
      assert.equal(
        (await t.api('PATCH', `/client-grants/${grant.json().id}`, { scope: ['read:data'] })).statusCode,
        200,
      );
      await refreshOk(c, rt1, { rotates: false, scope: 'read:data' });
      await refreshFails(
        c,
        rt1,
        403,
        { error: 'access_denied', error_description: 'Client has not been granted scopes: write:data' },
        { scope: 'write:data' },
      );
      await refreshOk(c, rt1, { rotates: false, scope: 'read:data', extra: { scope: 'read:data' } });
      // A rotating token refused for its scope is not retired: it still works afterwards.
      const rot = await newClient({ refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring' } });
      const rotGrant = await t.api('POST', '/client-grants', {
        client_id: rot.id,
        audience: API_ID,
        scope: ['read:data', 'write:data'],
      });
      const rr = await exchange(rot, 'grant-pat', { scope: 'read:data write:data offline_access' });
      await t.api('PATCH', `/client-grants/${rotGrant.json().id}`, { scope: ['read:data'] });
      await refreshFails(
        rot,
        rr,
        403,
        { error: 'access_denied', error_description: 'Client has not been granted scopes: write:data' },
        { scope: 'read:data write:data' },
      );
      await refreshFails(
        rot,
        rr,
        403,
        { error: 'invalid_scope', error_description: 'Scopes not granted to the refresh token: email' },
        { scope: 'email' },
      );
      await refreshOk(rot, rr, { rotates: true, scope: 'read:data offline_access' });
    });

    test('organization: a removed member, a deleted organization or a client that no longer allows organizations is refused', async () => {
      const c = await newClient({ organization_usage: 'allow' });
      const org = await t.api('POST', '/organizations', { name: `org-${Math.random().toString(36).slice(2, 8)}` });
      assert.equal(org.statusCode, 201, org.body);
      const orgId = org.json().id as string;
      await exchange(c, 'org-quinn'); // creates the user
      const uid = userIdOf('org-quinn');
      assert.equal((await t.api('POST', `/organizations/${orgId}/members`, { members: [uid] })).statusCode, 204);
      const rt1 = await exchange(c, 'org-quinn', { organization: orgId });
      const r2 = await refreshOk(c, rt1, { rotates: false });
      assert.equal(decodeJwt(r2.access_token).org_id, orgId);

      assert.equal((await t.api('DELETE', `/organizations/${orgId}/members`, { members: [uid] })).statusCode, 204);
      await refreshFails(c, rt1, 403, {
        error: 'access_denied',
        error_description: 'User is not a member of the organization',
      });
      assert.equal((await t.api('POST', `/organizations/${orgId}/members`, { members: [uid] })).statusCode, 204);
      await refreshOk(c, rt1, { rotates: false });

      assert.equal((await t.api('PATCH', `/clients/${c.id}`, { organization_usage: 'deny' })).statusCode, 200);
      await refreshFails(c, rt1, 403, {
        error: 'access_denied',
        error_description: 'The client does not support organizations',
      });
      assert.equal((await t.api('PATCH', `/clients/${c.id}`, { organization_usage: 'allow' })).statusCode, 200);

      assert.equal((await t.api('DELETE', `/organizations/${orgId}`)).statusCode, 204);
      await refreshFails(c, rt1, 400, INVALID);
    });
  });
}
