import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, DIALECTS, type TestApp } from '../helpers/app.js';

for (const dialect of DIALECTS) {
  describe(`resource servers (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ dialect });
    });
    after(() => t.close());

    test('create applies Auth0 defaults and returns 201 with the stored object', async () => {
      const res = await t.api('POST', '/resource-servers', {
        identifier: 'https://api.example.com/',
        name: 'Example',
        scopes: [{ value: 'read:things', description: 'Read things' }],
      });
      assert.equal(res.statusCode, 201);
      const body = res.json();
      assert.match(body.id, /^[0-9a-f]{24}$/);
      assert.deepEqual(
        { ...body, id: undefined },
        {
          id: undefined,
          name: 'Example',
          identifier: 'https://api.example.com/',
          is_system: false,
          scopes: [{ value: 'read:things', description: 'Read things' }],
          signing_alg: 'RS256',
          token_lifetime: 86400,
          allow_offline_access: false,
          skip_consent_for_verifiable_first_party_clients: false,
        },
      );
      const byId = await t.api('GET', `/resource-servers/${body.id}`);
      assert.equal(byId.statusCode, 200);
      assert.deepEqual(byId.json(), body);
      const byIdentifier = await t.api('GET', `/resource-servers/${encodeURIComponent('https://api.example.com/')}`);
      assert.equal(byIdentifier.statusCode, 200);
      assert.deepEqual(byIdentifier.json(), body);
    });

    test('a duplicate identifier is a 409', async () => {
      await t.api('POST', '/resource-servers', { identifier: 'urn:dup' });
      const res = await t.api('POST', '/resource-servers', { identifier: 'urn:dup', name: 'again' });
      assert.equal(res.statusCode, 409);
      assert.deepEqual(res.json(), {
        statusCode: 409,
        error: 'Conflict',
        message: 'A resource server with the same identifier already exists',
        errorCode: 'resource_server_conflict',
      });
    });

    test('validation errors have the Auth0 shape', async () => {
      const missing = await t.api('POST', '/resource-servers', { name: 'x' });
      assert.equal(missing.statusCode, 400);
      assert.deepEqual(missing.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: "Payload validation error: 'Missing required property: identifier'.",
        errorCode: 'invalid_body',
      });
      const hs = await t.api('POST', '/resource-servers', { identifier: 'urn:hs', signing_alg: 'HS256' });
      assert.equal(hs.statusCode, 400);
      assert.deepEqual(hs.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message:
          'signing_alg HS256 is not supported: Baton signs access tokens with asymmetric keys only (RS256, PS256, ES256).',
        errorCode: 'invalid_body',
      });
      const lifetime = await t.api('POST', '/resource-servers', { identifier: 'urn:long', token_lifetime: 2592001 });
      assert.equal(lifetime.statusCode, 400);
      assert.deepEqual(lifetime.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: "Payload validation error: 'must be <= 2592000' on property token_lifetime.",
        errorCode: 'invalid_body',
      });
      const extra = await t.api('POST', '/resource-servers', { identifier: 'urn:x', foo: 1 });
      assert.deepEqual(extra.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: "Payload validation error: 'Additional properties not allowed: foo'.",
        errorCode: 'invalid_body',
      });
      const dupScope = await t.api('POST', '/resource-servers', {
        identifier: 'urn:ds',
        scopes: [{ value: 'a' }, { value: 'a' }],
      });
      assert.equal(dupScope.statusCode, 400);
      assert.equal(dupScope.json().message, "Payload validation error: 'Duplicate scope value: a' on property scopes.");
      const list = await t.api('GET', '/resource-servers?per_page=101');
      assert.deepEqual(list.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: "Query validation error: 'must be <= 100' on property per_page.",
        errorCode: 'invalid_query_string',
      });
      const unknownQuery = await t.api('GET', '/resource-servers?identifier=urn:dup');
      assert.deepEqual(unknownQuery.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: "Query validation error: 'Additional properties not allowed: identifier'.",
        errorCode: 'invalid_query_string',
      });
    });

    test('update is partial, identifier is immutable, and delete removes it and its grants', async () => {
      const created = (await t.api('POST', '/resource-servers', { identifier: 'urn:upd', name: 'Before' })).json();
      const res = await t.api('PATCH', `/resource-servers/${created.id}`, {
        name: 'After',
        token_lifetime: 600,
        signing_alg: 'ES256',
        allow_offline_access: true,
      });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), {
        ...created,
        name: 'After',
        token_lifetime: 600,
        signing_alg: 'ES256',
        allow_offline_access: true,
      });
      const ident = await t.api('PATCH', `/resource-servers/${created.id}`, { identifier: 'urn:other' });
      assert.equal(ident.statusCode, 400);
      assert.equal(ident.json().message, "Payload validation error: 'Additional properties not allowed: identifier'.");

      const client = (await t.api('POST', '/clients', { name: 'm2m', app_type: 'non_interactive' })).json();
      const grant = await t.api('POST', '/client-grants', {
        client_id: client.client_id,
        audience: 'urn:upd',
        scope: [],
      });
      assert.equal(grant.statusCode, 201);

      const del = await t.api('DELETE', `/resource-servers/${encodeURIComponent('urn:upd')}`);
      assert.equal(del.statusCode, 204);
      assert.equal(del.body, '');
      const gone = await t.api('GET', `/resource-servers/${created.id}`);
      assert.equal(gone.statusCode, 404);
      assert.deepEqual(gone.json(), {
        statusCode: 404,
        error: 'Not Found',
        message: 'The resource server does not exist',
        errorCode: 'inexistent_resource_server',
      });
      assert.deepEqual((await t.api('GET', `/client-grants?audience=urn:upd`)).json(), []);
      assert.equal((await t.api('DELETE', `/resource-servers/${created.id}`)).statusCode, 404);
    });

    test('the system resource server cannot be deleted and only two fields of it may change', async () => {
      const path = `/resource-servers/${encodeURIComponent(t.ctx.managementAudience)}`;
      const sys = (await t.api('GET', path)).json();
      assert.equal(sys.is_system, true);
      const del = await t.api('DELETE', path);
      assert.equal(del.statusCode, 403);
      assert.deepEqual(del.json(), {
        statusCode: 403,
        error: 'Forbidden',
        message: 'The system resource server cannot be deleted.',
        errorCode: 'operation_not_supported',
      });
      const rename = await t.api('PATCH', path, { name: 'Mine', token_lifetime: 3600 });
      assert.equal(rename.statusCode, 403);
      assert.deepEqual(rename.json(), {
        statusCode: 403,
        error: 'Forbidden',
        message:
          'The system resource server only allows updating token_lifetime and skip_consent_for_verifiable_first_party_clients; refused: name.',
        errorCode: 'operation_not_supported',
      });
      const ok = await t.api('PATCH', path, { token_lifetime: 7200 });
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.json().token_lifetime, 7200);
      assert.equal(ok.json().name, sys.name);
    });

    test('list pages, with and without totals', async () => {
      for (const i of [1, 2, 3]) await t.api('POST', '/resource-servers', { identifier: `urn:page:${i}` });
      const all = (await t.api('GET', '/resource-servers?per_page=100')).json<Array<{ identifier: string }>>();
      const total = all.length;
      assert.ok(total >= 4);
      const page = await t.api('GET', '/resource-servers?page=1&per_page=2&include_totals=true');
      assert.equal(page.statusCode, 200);
      const body = page.json();
      assert.deepEqual(Object.keys(body).sort(), ['length', 'limit', 'resource_servers', 'start', 'total']);
      assert.deepEqual(
        { start: body.start, limit: body.limit, length: body.length, total: body.total },
        { start: 2, limit: 2, length: 2, total },
      );
      assert.deepEqual(
        body.resource_servers.map((r: { identifier: string }) => r.identifier),
        all.slice(2, 4).map((r) => r.identifier),
      );
      const filtered = await t.api('GET', '/resource-servers?identifiers=urn:page:1&identifiers=urn:page:3');
      assert.deepEqual(
        filtered.json().map((r: { identifier: string }) => r.identifier),
        ['urn:page:1', 'urn:page:3'],
      );
    });

    test('401 without a token or with a bad one, 403 without the route scope', async () => {
      const none = await t.app.inject({ method: 'GET', url: '/api/v2/resource-servers' });
      assert.equal(none.statusCode, 401);
      assert.deepEqual(none.json(), { statusCode: 401, error: 'Unauthorized', message: 'Missing authentication' });
      const bad = await t.api('GET', '/resource-servers', undefined, 'not.a.jwt');
      assert.equal(bad.statusCode, 401);
      assert.deepEqual(bad.json(), { statusCode: 401, error: 'Unauthorized', message: 'Invalid token' });
      const readOnly = await t.mgmtToken(['read:resource_servers']);
      assert.equal((await t.api('GET', '/resource-servers', undefined, readOnly)).statusCode, 200);
      for (const [method, path, body, scope] of [
        ['POST', '/resource-servers', { identifier: 'urn:nope' }, 'create:resource_servers'],
        ['PATCH', '/resource-servers/urn:page:1', { name: 'x' }, 'update:resource_servers'],
        ['DELETE', '/resource-servers/urn:page:1', undefined, 'delete:resource_servers'],
      ] as const) {
        const res = await t.api(method, path, body, readOnly);
        assert.equal(res.statusCode, 403);
        assert.deepEqual(res.json(), {
          statusCode: 403,
          error: 'Forbidden',
          message: `Insufficient scope; expected any of: ${scope}.`,
          errorCode: 'insufficient_scope',
        });
      }
      const writeOnly = await t.mgmtToken(['create:resource_servers']);
      assert.equal((await t.api('GET', '/resource-servers', undefined, writeOnly)).statusCode, 403);
    });
  });
}
