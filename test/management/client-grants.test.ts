import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, DIALECTS, ADMIN_ID, type TestApp } from '../helpers/app.js';

for (const dialect of DIALECTS) {
  describe(`client grants (${dialect})`, () => {
    let t: TestApp;
    let clientId: string;
    let clientSecret: string;
    const audience = 'https://orders.example.com/';
    before(async () => {
      t = await startTestApp({ dialect });
      await t.api('POST', '/resource-servers', {
        identifier: audience,
        scopes: [{ value: 'read:orders' }, { value: 'write:orders' }],
      });
      const c = (await t.api('POST', '/clients', { name: 'worker', app_type: 'non_interactive' })).json();
      clientId = c.client_id;
      clientSecret = c.client_secret;
    });
    after(() => t.close());

    const token = (scope?: string) =>
      t.form('/oauth/token', {
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        audience,
        ...(scope ? { scope } : {}),
      });

    test("the global admin client's Management API grant can be neither narrowed nor deleted (L1)", async () => {
      const list = await t.api('GET', `/client-grants?client_id=${ADMIN_ID}`);
      const grant = list
        .json<Array<{ id: string; audience: string; scope: string[] }>>()
        .find((g) => g.audience === t.ctx.managementAudience)!;
      const refused = {
        statusCode: 403,
        error: 'Forbidden',
        message: "The global client's grant for the Management API cannot be changed through the Management API",
        errorCode: 'operation_not_supported',
      };
      const narrowed = await t.api('PATCH', `/client-grants/${grant.id}`, { scope: ['read:clients'] });
      assert.equal(narrowed.statusCode, 403);
      assert.deepEqual(narrowed.json(), refused);
      const deleted = await t.api('DELETE', `/client-grants/${grant.id}`);
      assert.equal(deleted.statusCode, 403);
      assert.deepEqual(deleted.json(), refused);
      assert.deepEqual((await t.api('GET', `/client-grants/${grant.id}`)).json().scope, grant.scope);
    });

    test('create, read, update and delete a grant; the token endpoint follows it', async () => {
      assert.equal((await token()).statusCode, 403, 'no grant yet');
      const created = await t.api('POST', '/client-grants', { client_id: clientId, audience, scope: ['read:orders'] });
      assert.equal(created.statusCode, 201);
      const grant = created.json();
      assert.match(grant.id, /^cgr_[A-Za-z0-9]{16}$/);
      assert.deepEqual(grant, { id: grant.id, client_id: clientId, audience, scope: ['read:orders'] });
      assert.equal((await token()).json().scope, 'read:orders');

      assert.deepEqual((await t.api('GET', `/client-grants/${grant.id}`)).json(), grant);
      const patched = await t.api('PATCH', `/client-grants/${grant.id}`, { scope: ['read:orders', 'write:orders'] });
      assert.equal(patched.statusCode, 200);
      assert.deepEqual(patched.json(), { ...grant, scope: ['read:orders', 'write:orders'] });
      assert.equal((await token()).json().scope, 'read:orders write:orders');

      const del = await t.api('DELETE', `/client-grants/${grant.id}`);
      assert.equal(del.statusCode, 204);
      assert.equal(del.body, '');
      const gone = await t.api('GET', `/client-grants/${grant.id}`);
      assert.deepEqual(gone.json(), {
        statusCode: 404,
        error: 'Not Found',
        message: 'The client grant does not exist',
        errorCode: 'inexistent_client_grant',
      });
      assert.equal((await t.api('DELETE', `/client-grants/${grant.id}`)).statusCode, 404);
      assert.equal((await token()).statusCode, 403);
    });

    test('duplicates, unknown clients, unknown audiences and undefined scopes are refused', async () => {
      const first = await t.api('POST', '/client-grants', { client_id: clientId, audience, scope: [] });
      assert.equal(first.statusCode, 201);
      const dup = await t.api('POST', '/client-grants', { client_id: clientId, audience, scope: ['read:orders'] });
      assert.equal(dup.statusCode, 409);
      assert.deepEqual(dup.json(), {
        statusCode: 409,
        error: 'Conflict',
        message: 'Client grant already exists',
        errorCode: 'client_grant_conflict',
      });

      const noClient = await t.api('POST', '/client-grants', { client_id: 'nope', audience, scope: [] });
      assert.equal(noClient.statusCode, 404);
      assert.deepEqual(noClient.json(), {
        statusCode: 404,
        error: 'Not Found',
        message: 'Client not found',
        errorCode: 'inexistent_client',
      });

      const noApi = await t.api('POST', '/client-grants', { client_id: clientId, audience: 'urn:missing', scope: [] });
      assert.equal(noApi.statusCode, 404);
      assert.deepEqual(noApi.json(), {
        statusCode: 404,
        error: 'Not Found',
        message: 'No resource server found by specified audience: urn:missing',
        errorCode: 'inexistent_resource_server',
      });

      const other = (await t.api('POST', '/clients', { name: 'other', app_type: 'non_interactive' })).json();
      const badScope = await t.api('POST', '/client-grants', {
        client_id: other.client_id,
        audience,
        scope: ['read:orders', 'delete:orders'],
      });
      assert.equal(badScope.statusCode, 400);
      assert.deepEqual(badScope.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: `Scopes not defined by the resource server ${audience}: delete:orders`,
        errorCode: 'invalid_scope',
      });
      const badPatch = await t.api('PATCH', `/client-grants/${first.json().id}`, { scope: ['admin'] });
      assert.equal(badPatch.statusCode, 400);
      assert.equal(badPatch.json().message, `Scopes not defined by the resource server ${audience}: admin`);

      const missing = await t.api('POST', '/client-grants', { client_id: clientId, audience });
      assert.deepEqual(missing.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: "Payload validation error: 'Missing required property: scope'.",
        errorCode: 'invalid_body',
      });
      const notArray = await t.api('POST', '/client-grants', { client_id: clientId, audience, scope: { a: 1 } });
      assert.deepEqual(notArray.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: "Payload validation error: 'must be array' on property scope.",
        errorCode: 'invalid_body',
      });
      const extra = await t.api('PATCH', `/client-grants/${first.json().id}`, { audience: 'urn:x' });
      assert.deepEqual(extra.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: "Payload validation error: 'Additional properties not allowed: audience'.",
        errorCode: 'invalid_body',
      });
      await t.api('DELETE', `/client-grants/${first.json().id}`);
    });

    test('list filters by audience and client_id and pages with totals', async () => {
      const c2 = (await t.api('POST', '/clients', { name: 'c2', app_type: 'non_interactive' })).json();
      const c3 = (await t.api('POST', '/clients', { name: 'c3', app_type: 'non_interactive' })).json();
      const g2 = (
        await t.api('POST', '/client-grants', { client_id: c2.client_id, audience, scope: ['read:orders'] })
      ).json();
      const g3 = (await t.api('POST', '/client-grants', { client_id: c3.client_id, audience, scope: [] })).json();
      const byAudience = await t.api('GET', `/client-grants?audience=${encodeURIComponent(audience)}`);
      assert.deepEqual(byAudience.json(), [g2, g3]);
      assert.deepEqual((await t.api('GET', `/client-grants?client_id=${c3.client_id}`)).json(), [g3]);
      const paged = await t.api(
        'GET',
        `/client-grants?audience=${encodeURIComponent(audience)}&page=1&per_page=1&include_totals=true`,
      );
      assert.deepEqual(paged.json(), { start: 1, limit: 1, length: 1, total: 2, client_grants: [g3] });
      const admin = (await t.api('GET', '/client-grants?client_id=test-admin-client')).json();
      assert.equal(admin.length, 1);
      assert.equal(admin[0].audience, t.ctx.managementAudience);
    });

    test('401 without a token, 403 without the route scope', async () => {
      const none = await t.app.inject({ method: 'GET', url: '/api/v2/client-grants' });
      assert.equal(none.statusCode, 401);
      assert.deepEqual(none.json(), { statusCode: 401, error: 'Unauthorized', message: 'Missing authentication' });
      const bad = await t.api('GET', '/client-grants', undefined, 'garbage');
      assert.deepEqual(bad.json(), { statusCode: 401, error: 'Unauthorized', message: 'Invalid token' });
      const read = await t.mgmtToken(['read:client_grants']);
      assert.equal((await t.api('GET', '/client-grants', undefined, read)).statusCode, 200);
      const res = await t.api('POST', '/client-grants', { client_id: clientId, audience, scope: [] }, read);
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), {
        statusCode: 403,
        error: 'Forbidden',
        message: 'Insufficient scope; expected any of: create:client_grants.',
        errorCode: 'insufficient_scope',
      });
      assert.equal((await t.api('DELETE', '/client-grants/cgr_x', undefined, read)).statusCode, 403);
      assert.equal((await t.api('PATCH', '/client-grants/cgr_x', { scope: [] }, read)).statusCode, 403);
      assert.equal(
        (await t.api('GET', '/client-grants', undefined, await t.mgmtToken(['read:clients']))).statusCode,
        403,
      );
    });

    test('GET /client-grants by checkpoint: take/from with next while more remain, filters apply', async () => {
      const ids: string[] = [];
      for (const name of ['cp-1', 'cp-2', 'cp-3']) {
        const c = (await t.api('POST', '/clients', { name, app_type: 'non_interactive' })).json();
        const g = await t.api('POST', '/client-grants', { client_id: c.client_id, audience, scope: [] });
        assert.equal(g.statusCode, 201, g.body);
        ids.push(g.json().id);
      }
      const all: string[] = [];
      let from: string | undefined;
      for (;;) {
        const res = await t.api(
          'GET',
          `/client-grants?audience=${encodeURIComponent(audience)}&take=2${from ? `&from=${from}` : ''}`,
        );
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json();
        assert.ok(body.client_grants.length <= 2);
        all.push(...body.client_grants.map((g: { id: string }) => g.id));
        if (!body.next) break;
        from = body.next;
      }
      for (const id of ids) assert.ok(all.includes(id), id);
      assert.equal(new Set(all).size, all.length);
      assert.ok(all.every((id) => id > ''));
      assert.deepEqual([...all].sort(), all);
      const tooMany = await t.api('GET', '/client-grants?take=101');
      assert.equal(tooMany.statusCode, 400);
    });
  });
}
