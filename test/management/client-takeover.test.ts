/**
 * H1 and L1 (issue 10): `update:clients` alone must not take over a client, and the global admin client's
 * authentication method, credentials, grant types and existence are immutable through the Management API.
 * Secrets change only through rotate-secret (`update:client_keys`); private_key_jwt keys are created through
 * /clients/{id}/credentials (`create:client_credentials`) and enabled by id (`update:client_credentials`).
 * Every change to a client's credentials, and every refused change to the global client, is a tenant log entry.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportSPKI, generateKeyPair, type CryptoKey } from 'jose';
import { startTestApp, DIALECTS, ADMIN_ID, ISSUER, type TestApp } from '../helpers/app.js';

const INVALID_CLIENT = { error: 'invalid_client', error_description: 'Client authentication failed' };
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const scopeError = (scope: string) => ({
  statusCode: 403,
  error: 'Forbidden',
  message: `Insufficient scope; expected any of: ${scope}.`,
  errorCode: 'insufficient_scope',
});
const globalError = (what: string) => ({
  statusCode: 403,
  error: 'Forbidden',
  message: `The global client's ${what} cannot be changed through the Management API (Baton manages it at start: BATON_ADMIN_CLIENT_ID, BATON_ADMIN_CLIENT_SECRET)`,
  errorCode: 'operation_not_supported',
});
const INLINE_REFUSED = {
  statusCode: 400,
  error: 'Bad Request',
  message:
    'client_authentication_methods.private_key_jwt.credentials takes the ids of credentials created with POST /api/v2/clients/{id}/credentials; keys inline are accepted on create only',
  errorCode: 'invalid_body',
};

async function keyPair(): Promise<{ pem: string; privateKey: CryptoKey }> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { pem: await exportSPKI(publicKey), privateKey };
}

for (const dialect of DIALECTS) {
  describe(`client takeover and the global client (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ dialect });
    });
    after(() => t.close());

    const mgmtWith = (clientId: string, secret: string) =>
      t.form('/oauth/token', {
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
        audience: t.ctx.managementAudience,
      });
    const assertionFor = (clientId: string, key: CryptoKey) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: clientId,
        sub: clientId,
        aud: `${ISSUER}oauth/token`,
        iat: now,
        exp: now + 60,
        jti: randomUUID(),
      })
        .setProtectedHeader({ alg: 'RS256' })
        .sign(key);
    };
    const mgmtWithKey = async (clientId: string, key: CryptoKey) =>
      t.form('/oauth/token', {
        grant_type: 'client_credentials',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await assertionFor(clientId, key),
        audience: t.ctx.managementAudience,
      });
    const newM2m = async (name: string) => {
      const res = await t.api('POST', '/clients', { name, app_type: 'non_interactive' });
      assert.equal(res.statusCode, 201);
      const c = res.json<{ client_id: string; client_secret: string } & Record<string, unknown>>();
      assert.equal(
        (
          await t.api('POST', '/client-grants', {
            client_id: c.client_id,
            audience: t.ctx.managementAudience,
            scope: ['read:clients'],
          })
        ).statusCode,
        201,
      );
      return c;
    };

    test('update:clients alone: switching to none and back issues no secret; rotate-secret needs update:client_keys', async () => {
      const c = await newM2m('victim');
      const { client_secret: original, ...view } = c;
      const updateOnly = await t.mgmtToken(['update:clients']);

      const toNone = await t.api(
        'PATCH',
        `/clients/${c.client_id}`,
        { token_endpoint_auth_method: 'none' },
        updateOnly,
      );
      assert.equal(toNone.statusCode, 200);
      assert.deepEqual(toNone.json(), { ...view, token_endpoint_auth_method: 'none' });
      const back = await t.api(
        'PATCH',
        `/clients/${c.client_id}`,
        { token_endpoint_auth_method: 'client_secret_post' },
        updateOnly,
      );
      assert.equal(back.statusCode, 200);
      // No secret in the answer: the client has none until rotate-secret issues one.
      assert.deepEqual(back.json(), view);
      const row = await t.ctx.storage.db
        .selectFrom('clients')
        .select('client_secret_hash')
        .where('client_id', '=', c.client_id)
        .executeTakeFirstOrThrow();
      assert.equal(row.client_secret_hash, null);
      const withOld = await mgmtWith(c.client_id, original);
      assert.equal(withOld.statusCode, 401);
      assert.deepEqual(withOld.json(), INVALID_CLIENT);

      const refused = await t.api('POST', `/clients/${c.client_id}/rotate-secret`, undefined, updateOnly);
      assert.equal(refused.statusCode, 403);
      assert.deepEqual(refused.json(), scopeError('update:client_keys'));

      const rotated = await t.api(
        'POST',
        `/clients/${c.client_id}/rotate-secret`,
        undefined,
        await t.mgmtToken(['update:client_keys']),
      );
      assert.equal(rotated.statusCode, 200);
      const secret = rotated.json().client_secret as string;
      assert.match(secret, /^[A-Za-z0-9_-]{64}$/);
      assert.deepEqual({ ...rotated.json<object>(), client_secret: 'x' }, { ...view, client_secret: 'x' });
      assert.equal((await mgmtWith(c.client_id, secret)).statusCode, 200);
    });

    test('leaving private_key_jwt for a secret method through PATCH issues no secret either', async () => {
      const { pem } = await keyPair();
      const created = await t.api('POST', '/clients', {
        name: 'was pkjwt',
        app_type: 'non_interactive',
        client_authentication_methods: { private_key_jwt: { credentials: [{ credential_type: 'public_key', pem }] } },
      });
      assert.equal(created.statusCode, 201);
      const id = created.json().client_id as string;
      const back = await t.api('PATCH', `/clients/${id}`, {
        client_authentication_methods: null,
        token_endpoint_auth_method: 'client_secret_post',
      });
      assert.equal(back.statusCode, 200);
      const { client_authentication_methods: _cam, ...rest } = created.json();
      assert.deepEqual(back.json(), { ...rest, token_endpoint_auth_method: 'client_secret_post' });
    });

    test('the global admin client: auth method, credentials, grant types and existence are immutable', async () => {
      const before = (await t.api('GET', `/clients/${ADMIN_ID}`)).json();
      const updateOnly = await t.mgmtToken(['update:clients']);
      const { pem } = await keyPair();

      const cases: Array<[string, string, unknown, string | undefined, unknown]> = [
        [
          'PATCH',
          `/clients/${ADMIN_ID}`,
          { token_endpoint_auth_method: 'none' },
          updateOnly,
          globalError('token_endpoint_auth_method'),
        ],
        [
          'PATCH',
          `/clients/${ADMIN_ID}`,
          { token_endpoint_auth_method: 'client_secret_basic' },
          undefined,
          globalError('token_endpoint_auth_method'),
        ],
        [
          'PATCH',
          `/clients/${ADMIN_ID}`,
          { grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'] },
          updateOnly,
          globalError('grant_types'),
        ],
        ['PATCH', `/clients/${ADMIN_ID}`, { grant_types: [] }, undefined, globalError('grant_types')],
        // Inline keys: update:clients alone is not enough, and inline keys are refused on PATCH whatever the scopes.
        [
          'PATCH',
          `/clients/${ADMIN_ID}`,
          {
            client_authentication_methods: {
              private_key_jwt: { credentials: [{ credential_type: 'public_key', pem }] },
            },
          },
          updateOnly,
          scopeError('update:client_credentials'),
        ],
        [
          'PATCH',
          `/clients/${ADMIN_ID}`,
          {
            client_authentication_methods: {
              private_key_jwt: { credentials: [{ credential_type: 'public_key', pem }] },
            },
          },
          undefined,
          INLINE_REFUSED,
        ],
        [
          'PATCH',
          `/clients/${ADMIN_ID}`,
          { client_authentication_methods: { private_key_jwt: { credentials: [{ id: 'cred_whatever' }] } } },
          undefined,
          globalError('client_authentication_methods'),
        ],
        [
          'POST',
          `/clients/${ADMIN_ID}/credentials`,
          { credential_type: 'public_key', pem },
          undefined,
          globalError('credentials'),
        ],
        ['DELETE', `/clients/${ADMIN_ID}/credentials/cred_whatever`, undefined, undefined, globalError('credentials')],
        [
          'DELETE',
          `/clients/${ADMIN_ID}`,
          undefined,
          undefined,
          {
            statusCode: 403,
            error: 'Forbidden',
            message: 'The global client cannot be deleted through the Management API',
            errorCode: 'operation_not_supported',
          },
        ],
      ];
      for (const [method, path, body, token, expected] of cases) {
        const res = await t.api(method, path, body, token);
        assert.deepEqual(
          { status: res.statusCode, body: res.json() },
          { status: (expected as { statusCode: number }).statusCode, body: expected },
          `${method} ${path} ${JSON.stringify(body)?.slice(0, 80)}`,
        );
      }

      // Nothing changed, and the admin client still gets a token.
      assert.deepEqual((await t.api('GET', `/clients/${ADMIN_ID}`)).json(), before);
      assert.deepEqual(await t.ctx.repos.clients.credentials(ADMIN_ID), []);
      // Values equal to the current ones are not changes (a tool sending the whole object is not refused).
      const same = await t.api('PATCH', `/clients/${ADMIN_ID}`, {
        token_endpoint_auth_method: before.token_endpoint_auth_method,
        grant_types: before.grant_types,
        client_authentication_methods: null,
      });
      assert.equal(same.statusCode, 200);
      assert.deepEqual(same.json(), before);
      // Its other settings stay editable.
      const renamed = await t.api('PATCH', `/clients/${ADMIN_ID}`, { name: 'Renamed admin' });
      assert.equal(renamed.statusCode, 200);
      assert.deepEqual(renamed.json(), { ...before, name: 'Renamed admin' });
      assert.equal((await t.api('PATCH', `/clients/${ADMIN_ID}`, { name: before.name })).statusCode, 200);
      assert.equal(
        (
          await t.form('/oauth/token', {
            grant_type: 'client_credentials',
            client_id: ADMIN_ID,
            client_secret: t.config.adminClientSecret!,
            audience: t.ctx.managementAudience,
          })
        ).statusCode,
        200,
      );
    });

    test('private_key_jwt keys: inline on PATCH refused; created with create:client_credentials, enabled by id with update:client_credentials', async () => {
      const c = await newM2m('pkjwt by id');
      const k1 = await keyPair();
      const k2 = await keyPair();

      const inline = await t.api('PATCH', `/clients/${c.client_id}`, {
        client_authentication_methods: {
          private_key_jwt: { credentials: [{ credential_type: 'public_key', pem: k1.pem }] },
        },
      });
      assert.equal(inline.statusCode, 400);
      assert.deepEqual(inline.json(), INLINE_REFUSED);
      const mixed = await t.api('PATCH', `/clients/${c.client_id}`, {
        client_authentication_methods: { private_key_jwt: { credentials: [{ id: 'cred_x', pem: k1.pem }] } },
      });
      assert.deepEqual({ status: mixed.statusCode, body: mixed.json() }, { status: 400, body: INLINE_REFUSED });

      const noCreate = await t.api(
        'POST',
        `/clients/${c.client_id}/credentials`,
        { credential_type: 'public_key', pem: k1.pem },
        await t.mgmtToken(['update:clients', 'update:client_credentials']),
      );
      assert.equal(noCreate.statusCode, 403);
      assert.deepEqual(noCreate.json(), scopeError('create:client_credentials'));
      const createOnly = await t.mgmtToken(['create:client_credentials']);
      const cred1 = await t.api(
        'POST',
        `/clients/${c.client_id}/credentials`,
        { credential_type: 'public_key', name: 'k1', pem: k1.pem },
        createOnly,
      );
      assert.equal(cred1.statusCode, 201);
      const id1 = cred1.json().id as string;
      // Created, not enabled: the client still authenticates with its secret only.
      assert.deepEqual((await mgmtWithKey(c.client_id, k1.privateKey)).json(), INVALID_CLIENT);
      assert.equal((await mgmtWith(c.client_id, c.client_secret)).statusCode, 200);

      const enable = (ids: string[], token?: string) =>
        t.api(
          'PATCH',
          `/clients/${c.client_id}`,
          { client_authentication_methods: { private_key_jwt: { credentials: ids.map((id) => ({ id })) } } },
          token,
        );
      const updateOnly = await t.mgmtToken(['update:clients']);
      const noScope = await enable([id1], updateOnly);
      assert.equal(noScope.statusCode, 403);
      assert.deepEqual(noScope.json(), scopeError('update:client_credentials'));
      const credsOnly = await t.mgmtToken(['update:client_credentials']);
      const enabled = await enable([id1], credsOnly);
      assert.equal(enabled.statusCode, 200);
      const { client_secret: _s, ...view } = c;
      assert.deepEqual(enabled.json(), {
        ...view,
        token_endpoint_auth_method: 'private_key_jwt',
        client_authentication_methods: { private_key_jwt: { credentials: [{ id: id1 }] } },
      });
      assert.equal((await mgmtWithKey(c.client_id, k1.privateKey)).statusCode, 200);
      assert.deepEqual((await mgmtWith(c.client_id, c.client_secret)).json(), INVALID_CLIENT);

      // A second credential is not used until it is enabled; enabling only it disables the first.
      const cred2 = await t.api(
        'POST',
        `/clients/${c.client_id}/credentials`,
        { credential_type: 'public_key', name: 'k2', pem: k2.pem },
        createOnly,
      );
      assert.equal(cred2.statusCode, 201);
      const id2 = cred2.json().id as string;
      assert.deepEqual((await mgmtWithKey(c.client_id, k2.privateKey)).json(), INVALID_CLIENT);
      const listed = await t.api('GET', `/clients/${c.client_id}/credentials`);
      assert.deepEqual(
        listed.json<Array<{ id: string }>>().map((x) => x.id),
        [id1, id2],
      );
      assert.deepEqual((await t.api('GET', `/clients/${c.client_id}`)).json().client_authentication_methods, {
        private_key_jwt: { credentials: [{ id: id1 }] },
      });
      assert.equal((await enable([id2], credsOnly)).statusCode, 200);
      assert.equal((await mgmtWithKey(c.client_id, k2.privateKey)).statusCode, 200);
      assert.deepEqual((await mgmtWithKey(c.client_id, k1.privateKey)).json(), INVALID_CLIENT);

      // Ids must be this client's credentials.
      const other = await newM2m('other');
      const foreign = await t.api('POST', `/clients/${other.client_id}/credentials`, {
        credential_type: 'public_key',
        pem: k1.pem,
      });
      for (const id of ['cred_doesnotexist', foreign.json().id as string]) {
        const res = await enable([id]);
        assert.equal(res.statusCode, 400);
        assert.deepEqual(res.json(), {
          statusCode: 400,
          error: 'Bad Request',
          message: `The client has no credential ${id}: create it with POST /api/v2/clients/${c.client_id}/credentials first`,
          errorCode: 'invalid_body',
        });
      }
      // Create still takes keys inline (Auth0's create accepts fully defined credentials).
      const onCreate = await t.api('POST', '/clients', {
        name: 'inline on create',
        app_type: 'non_interactive',
        client_authentication_methods: {
          private_key_jwt: { credentials: [{ credential_type: 'public_key', pem: k1.pem }] },
        },
      });
      assert.equal(onCreate.statusCode, 201);
      assert.equal((await t.ctx.repos.clients.credentials(onCreate.json().client_id)).length, 1);
    });

    test('credential and secret changes, and refused changes to the global client, are tenant log entries', async () => {
      await t.ctx.logs.flush();
      const since = new Date().toISOString();
      const c = await newM2m('audited');
      const { pem } = await keyPair();
      assert.equal((await t.api('POST', `/clients/${c.client_id}/rotate-secret`)).statusCode, 200);
      const cred = await t.api('POST', `/clients/${c.client_id}/credentials`, { credential_type: 'public_key', pem });
      assert.equal(cred.statusCode, 201);
      assert.equal(
        (
          await t.api('PATCH', `/clients/${c.client_id}`, {
            client_authentication_methods: { private_key_jwt: { credentials: [{ id: cred.json().id }] } },
          })
        ).statusCode,
        200,
      );
      assert.equal((await t.api('DELETE', `/clients/${ADMIN_ID}`)).statusCode, 403);
      await t.ctx.logs.flush();

      const logs = (await t.api('GET', '/logs?q=type:(sapi OR fapi)&per_page=100')).json<
        Array<Record<string, unknown>>
      >();
      const mine = logs
        .filter((l) => {
          if (String(l.date) < since) return false;
          const request = (l.details as { request?: { path?: string; body?: { name?: string } } }).request;
          return (
            request?.path?.includes(c.client_id) ||
            request?.path === `/api/v2/clients/${ADMIN_ID}` ||
            request?.body?.name === 'audited'
          );
        })
        .map((l) => ({ type: l.type, description: l.description, client_id: l.client_id, details: l.details }))
        .reverse();
      const entry = (
        type: string,
        description: string,
        method: string,
        path: string,
        statusCode: number,
        body?: unknown,
      ) => ({
        type,
        description,
        client_id: ADMIN_ID,
        details: {
          request: {
            method,
            path,
            channel: 'api',
            auth: { strategy: 'jwt', credentials: { client_id: ADMIN_ID } },
            ...(body !== undefined ? { body } : {}),
          },
          response: { statusCode },
        },
      });
      assert.deepEqual(mine, [
        entry('sapi', 'Create a client', 'POST', '/api/v2/clients', 201, {
          name: 'audited',
          app_type: 'non_interactive',
        }),
        entry('sapi', 'Rotate a client secret', 'POST', `/api/v2/clients/${c.client_id}/rotate-secret`, 200),
        entry('sapi', 'Create a client credential', 'POST', `/api/v2/clients/${c.client_id}/credentials`, 201, {
          credential_type: 'public_key',
          pem,
        }),
        entry('sapi', 'Update a client', 'PATCH', `/api/v2/clients/${c.client_id}`, 200, {
          client_authentication_methods: { private_key_jwt: { credentials: [{ id: cred.json().id }] } },
        }),
        entry(
          'fapi',
          'The global client cannot be deleted through the Management API',
          'DELETE',
          `/api/v2/clients/${ADMIN_ID}`,
          403,
        ),
      ]);
      const all = JSON.stringify(logs);
      assert.ok(!all.includes(c.client_secret), 'no secret in the log');
    });
  });
}
