import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { exportSPKI, generateKeyPair } from 'jose';
import { startTestApp, DIALECTS, type TestApp } from '../helpers/app.js';
import { sha256Hex } from '../../src/crypto/hashing.js';

const CLIENT_KEYS = [
  'allowed_origins',
  'app_type',
  'callbacks',
  'client_id',
  'client_metadata',
  'description',
  'global',
  'grant_types',
  'is_first_party',
  'is_token_endpoint_ip_header_trusted',
  'jwt_configuration',
  'name',
  'oidc_conformant',
  'tenant',
  'token_endpoint_auth_method',
  'token_exchange',
];

async function rsaPem(): Promise<string> {
  const { publicKey } = await generateKeyPair('RS256', { extractable: true });
  return exportSPKI(publicKey);
}

for (const dialect of DIALECTS) {
  describe(`clients (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ dialect });
    });
    after(() => t.close());

    test('create returns 201 with Auth0 defaults and the secret, once; the row holds only its hash', async () => {
      const res = await t.api('POST', '/clients', { name: 'Web app' });
      assert.equal(res.statusCode, 201);
      const body = res.json();
      assert.match(body.client_id, /^[A-Za-z0-9]{32}$/);
      assert.match(body.client_secret, /^[A-Za-z0-9_-]{64}$/);
      assert.deepEqual(
        { ...body, client_id: 'x', client_secret: 'y' },
        {
          tenant: 'baton',
          client_id: 'x',
          client_secret: 'y',
          name: 'Web app',
          description: '',
          app_type: 'regular_web',
          is_first_party: true,
          oidc_conformant: true,
          global: false,
          grant_types: ['authorization_code', 'implicit', 'refresh_token', 'client_credentials'],
          token_endpoint_auth_method: 'client_secret_post',
          callbacks: [],
          allowed_origins: [],
          client_metadata: {},
          token_exchange: null,
          jwt_configuration: { alg: 'RS256', lifetime_in_seconds: 36000 },
          is_token_endpoint_ip_header_trusted: false,
        },
      );

      const row = await t.ctx.storage.db
        .selectFrom('clients')
        .selectAll()
        .where('client_id', '=', body.client_id)
        .executeTakeFirstOrThrow();
      // Peppered with a key derived from the master key (issue 10, L2), not a bare SHA-256.
      assert.equal(row.client_secret_hash, t.ctx.secretHasher.hash(body.client_secret));
      assert.notEqual(row.client_secret_hash, sha256Hex(body.client_secret));
      assert.ok(!JSON.stringify(row).includes(body.client_secret), 'the secret is not stored in clear');

      const got = await t.api('GET', `/clients/${body.client_id}`);
      assert.equal(got.statusCode, 200);
      const { client_secret: _s, ...withoutSecret } = body;
      assert.deepEqual(got.json(), withoutSecret);
      assert.deepEqual(Object.keys(got.json()).sort(), CLIENT_KEYS);

      // The secret works at the token endpoint; the hash does not.
      await t.api('POST', '/client-grants', {
        client_id: body.client_id,
        audience: t.ctx.managementAudience,
        scope: ['read:clients'],
      });
      const ok = await t.form('/oauth/token', {
        grant_type: 'client_credentials',
        client_id: body.client_id,
        client_secret: body.client_secret,
        audience: t.ctx.managementAudience,
      });
      assert.equal(ok.statusCode, 200);
      const withHash = await t.form('/oauth/token', {
        grant_type: 'client_credentials',
        client_id: body.client_id,
        client_secret: row.client_secret_hash ?? '',
        audience: t.ctx.managementAudience,
      });
      assert.equal(withHash.statusCode, 401);
    });

    test('create honours every field; grant_types default by app_type; public clients get no secret', async () => {
      const full = await t.api('POST', '/clients', {
        name: 'CTE client',
        description: 'exchanges tokens',
        app_type: 'non_interactive',
        is_first_party: true,
        oidc_conformant: true,
        grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange', 'client_credentials', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_basic',
        callbacks: ['https://app.example.com/cb'],
        allowed_origins: ['https://app.example.com'],
        client_metadata: { tier: 'gold' },
        token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
        organization_usage: 'allow',
        organization_require_behavior: 'no_prompt',
        jwt_configuration: { alg: 'PS256', lifetime_in_seconds: 600 },
        refresh_token: { rotation_type: 'rotating', expiration_type: 'expiring', token_lifetime: 3600 },
        is_token_endpoint_ip_header_trusted: true,
      });
      assert.equal(full.statusCode, 201);
      const b = full.json();
      assert.equal(typeof b.client_secret, 'string');
      assert.deepEqual(b.grant_types, [
        'urn:ietf:params:oauth:grant-type:token-exchange',
        'client_credentials',
        'refresh_token',
      ]);
      assert.equal(b.token_endpoint_auth_method, 'client_secret_basic');
      assert.deepEqual(b.token_exchange, { allow_any_profile_of_type: ['custom_authentication'] });
      assert.equal(b.organization_usage, 'allow');
      assert.equal(b.organization_require_behavior, 'no_prompt');
      assert.deepEqual(b.jwt_configuration, { alg: 'PS256', lifetime_in_seconds: 600 });
      assert.deepEqual(b.refresh_token, {
        rotation_type: 'rotating',
        expiration_type: 'expiring',
        token_lifetime: 3600,
      });
      assert.deepEqual(b.client_metadata, { tier: 'gold' });
      assert.equal(b.is_token_endpoint_ip_header_trusted, true);

      const m2m = (await t.api('POST', '/clients', { name: 'm2m', app_type: 'non_interactive' })).json();
      assert.deepEqual(m2m.grant_types, ['client_credentials']);
      const spa = await t.api('POST', '/clients', { name: 'spa', app_type: 'spa', token_endpoint_auth_method: 'none' });
      assert.equal(spa.statusCode, 201);
      assert.equal(spa.json().client_secret, undefined);
      assert.deepEqual(spa.json().grant_types, ['authorization_code', 'implicit', 'refresh_token']);
      const row = await t.ctx.storage.db
        .selectFrom('clients')
        .select('client_secret_hash')
        .where('client_id', '=', spa.json().client_id)
        .executeTakeFirstOrThrow();
      assert.equal(row.client_secret_hash, null);
    });

    test('validation errors have the exact Auth0 shape', async () => {
      const cases: Array<[unknown, string]> = [
        [{}, "Payload validation error: 'Missing required property: name'."],
        [{ name: '' }, "Payload validation error: 'must NOT have fewer than 1 characters' on property name."],
        [
          { name: 'x'.repeat(256) },
          "Payload validation error: 'must NOT have more than 255 characters' on property name.",
        ],
        [
          { name: 'a', app_type: 'mainframe' },
          "Payload validation error: 'must be equal to one of the allowed values' on property app_type.",
        ],
        [
          { name: 'a', grant_types: ['magic'] },
          "Payload validation error: 'must be equal to one of the allowed values' on property grant_types.0.",
        ],
        [
          { name: 'a', token_endpoint_auth_method: 'private_key_jwt' },
          "Payload validation error: 'must be equal to one of the allowed values' on property token_endpoint_auth_method.",
        ],
        [
          { name: 'a', client_metadata: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])) },
          "Payload validation error: 'must NOT have more than 10 properties' on property client_metadata.",
        ],
        [
          { name: 'a', client_metadata: { k: 'v'.repeat(256) } },
          "Payload validation error: 'must NOT have more than 255 characters' on property client_metadata.k.",
        ],
        [
          { name: 'a', client_metadata: { k: { nested: 'v' } } },
          "Payload validation error: 'must be string' on property client_metadata.k.",
        ],
        [
          { name: 'a', token_exchange: { allow_any_profile_of_type: ['custom_authentication'], extra: true } },
          "Payload validation error: 'Additional properties not allowed: extra' on property token_exchange.",
        ],
        [
          { name: 'a', token_exchange: { allow_any_profile_of_type: ['anything'] } },
          "Payload validation error: 'must be equal to one of the allowed values' on property token_exchange.allow_any_profile_of_type.0.",
        ],
        [
          { name: 'a', organization_usage: 'sometimes' },
          "Payload validation error: 'must be equal to one of the allowed values' on property organization_usage.",
        ],
        [
          { name: 'a', client_secret: 'chosen' },
          "Payload validation error: 'Additional properties not allowed: client_secret'.",
        ],
      ];
      for (const [body, message] of cases) {
        const res = await t.api('POST', '/clients', body);
        assert.equal(res.statusCode, 400, JSON.stringify(body).slice(0, 80));
        assert.deepEqual(res.json(), { statusCode: 400, error: 'Bad Request', message, errorCode: 'invalid_body' });
      }
    });

    test('PATCH is partial; token_exchange may be null; switching to none drops the secret', async () => {
      const created = (
        await t.api('POST', '/clients', {
          name: 'patch me',
          app_type: 'non_interactive',
          token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
          client_metadata: { a: '1' },
        })
      ).json();
      const { client_secret: _secret, ...view } = created;
      const renamed = await t.api('PATCH', `/clients/${created.client_id}`, {
        name: 'patched',
        jwt_configuration: { lifetime_in_seconds: 60 },
      });
      assert.equal(renamed.statusCode, 200);
      assert.deepEqual(renamed.json(), {
        ...view,
        name: 'patched',
        jwt_configuration: { alg: 'RS256', lifetime_in_seconds: 60 },
      });
      const cleared = await t.api('PATCH', `/clients/${created.client_id}`, { token_exchange: null });
      assert.equal(cleared.json().token_exchange, null);
      const bad = await t.api('PATCH', `/clients/${created.client_id}`, {
        token_exchange: { allow_any_profile_of_type: ['custom_authentication'], x: 1 },
      });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().errorCode, 'invalid_body');

      const pub = await t.api('PATCH', `/clients/${created.client_id}`, { token_endpoint_auth_method: 'none' });
      assert.equal(pub.json().token_endpoint_auth_method, 'none');
      assert.equal(pub.json().client_secret, undefined);
      const row = await t.ctx.storage.db
        .selectFrom('clients')
        .select('client_secret_hash')
        .where('client_id', '=', created.client_id)
        .executeTakeFirstOrThrow();
      assert.equal(row.client_secret_hash, null);
      // Becoming confidential again issues no secret through PATCH (issue 10, H1): rotate-secret does.
      const conf = await t.api('PATCH', `/clients/${created.client_id}`, {
        token_endpoint_auth_method: 'client_secret_basic',
      });
      assert.equal(conf.statusCode, 200);
      assert.equal(conf.json().client_secret, undefined);
      const issued = await t.api('POST', `/clients/${created.client_id}/rotate-secret`);
      assert.match(issued.json().client_secret, /^[A-Za-z0-9_-]{64}$/);
      assert.notEqual(issued.json().client_secret, created.client_secret);
      assert.equal((await t.api('GET', `/clients/${created.client_id}`)).json().client_secret, undefined);

      const missing = await t.api('PATCH', '/clients/nope', { name: 'x' });
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(missing.json(), {
        statusCode: 404,
        error: 'Not Found',
        message: 'The client does not exist',
        errorCode: 'inexistent_client',
      });
    });

    test('rotate-secret returns a new secret and the old one stops working', async () => {
      const created = (await t.api('POST', '/clients', { name: 'rotate', app_type: 'non_interactive' })).json();
      await t.api('POST', '/client-grants', {
        client_id: created.client_id,
        audience: t.ctx.managementAudience,
        scope: ['read:clients'],
      });
      const rotated = await t.api('POST', `/clients/${created.client_id}/rotate-secret`);
      assert.equal(rotated.statusCode, 200);
      const secret = rotated.json().client_secret as string;
      assert.notEqual(secret, created.client_secret);
      const tokenWith = (s: string) =>
        t.form('/oauth/token', {
          grant_type: 'client_credentials',
          client_id: created.client_id,
          client_secret: s,
          audience: t.ctx.managementAudience,
        });
      assert.equal((await tokenWith(created.client_secret)).statusCode, 401);
      assert.equal((await tokenWith(secret)).statusCode, 200);

      const pub = (await t.api('POST', '/clients', { name: 'pub', token_endpoint_auth_method: 'none' })).json();
      const refused = await t.api('POST', `/clients/${pub.client_id}/rotate-secret`);
      assert.equal(refused.statusCode, 400);
      assert.deepEqual(refused.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: 'The client authenticates with none and has no client secret to rotate',
        errorCode: 'invalid_operation',
      });
      const noScope = await t.api(
        'POST',
        `/clients/${created.client_id}/rotate-secret`,
        undefined,
        await t.mgmtToken(['update:clients']),
      );
      assert.equal(noScope.statusCode, 403);
    });

    test('private_key_jwt credentials: PEMs are validated and stored in client_credentials', async () => {
      const pem = await rsaPem();
      const res = await t.api('POST', '/clients', {
        name: 'pkjwt',
        app_type: 'non_interactive',
        client_authentication_methods: {
          private_key_jwt: { credentials: [{ credential_type: 'public_key', name: 'k1', pem, alg: 'RS256' }] },
        },
      });
      assert.equal(res.statusCode, 201);
      const body = res.json();
      assert.equal(body.client_secret, undefined);
      assert.equal(body.token_endpoint_auth_method, 'private_key_jwt');
      const creds = await t.ctx.repos.clients.credentials(body.client_id);
      assert.equal(creds.length, 1);
      assert.equal(creds[0]!.pem, pem.trim());
      assert.deepEqual(body.client_authentication_methods, {
        private_key_jwt: { credentials: [{ id: creds[0]!.id }] },
      });

      const listed = await t.api('GET', `/clients/${body.client_id}/credentials`);
      assert.equal(listed.statusCode, 200);
      assert.deepEqual(listed.json(), [
        {
          id: creds[0]!.id,
          name: 'k1',
          credential_type: 'public_key',
          kid: creds[0]!.kid,
          alg: 'RS256',
          created_at: creds[0]!.created_at,
          updated_at: creds[0]!.created_at,
        },
      ]);
      const added = await t.api('POST', `/clients/${body.client_id}/credentials`, {
        credential_type: 'public_key',
        pem: await rsaPem(),
      });
      assert.equal(added.statusCode, 201);
      // Created, not enabled until a PATCH lists it (issue 10, H1).
      assert.equal((await t.ctx.repos.clients.allCredentials(body.client_id)).length, 2);
      assert.equal((await t.ctx.repos.clients.credentials(body.client_id)).length, 1);
      assert.equal(
        (await t.api('DELETE', `/clients/${body.client_id}/credentials/${added.json().id}`)).statusCode,
        204,
      );
      assert.equal(
        (await t.api('DELETE', `/clients/${body.client_id}/credentials/${added.json().id}`)).statusCode,
        404,
      );

      const badPem = await t.api('POST', '/clients', {
        name: 'bad',
        client_authentication_methods: {
          private_key_jwt: {
            credentials: [
              { credential_type: 'public_key', pem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' },
            ],
          },
        },
      });
      assert.equal(badPem.statusCode, 400);
      assert.deepEqual(badPem.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message:
          'Invalid credential: pem must be a PEM-encoded public key or X.509 certificate usable with RS256 (RSA keys of at least 2048 bits)',
        errorCode: 'invalid_body',
      });
      const wrongAlg = await t.api('POST', `/clients/${body.client_id}/credentials`, {
        credential_type: 'public_key',
        pem,
        alg: 'ES256',
      });
      assert.equal(wrongAlg.statusCode, 400);
      const both = await t.api('POST', '/clients', {
        name: 'both',
        token_endpoint_auth_method: 'client_secret_post',
        client_authentication_methods: { private_key_jwt: { credentials: [{ credential_type: 'public_key', pem }] } },
      });
      assert.equal(both.statusCode, 400);
      assert.equal(
        both.json().message,
        'token_endpoint_auth_method and client_authentication_methods cannot be set together',
      );

      // Back to a secret: null disables the keys; PATCH issues no secret (issue 10, H1), rotate-secret does.
      const back = await t.api('PATCH', `/clients/${body.client_id}`, {
        client_authentication_methods: null,
        token_endpoint_auth_method: 'client_secret_post',
      });
      assert.equal(back.statusCode, 200);
      assert.equal(back.json().token_endpoint_auth_method, 'client_secret_post');
      assert.equal(back.json().client_secret, undefined);
      assert.equal(back.json().client_authentication_methods, undefined);
      assert.deepEqual(await t.ctx.repos.clients.credentials(body.client_id), []);
    });

    test('list pages and filters; delete is 204 and removes grants', async () => {
      const before = (await t.api('GET', '/clients?include_totals=true&per_page=1')).json();
      assert.deepEqual(Object.keys(before).sort(), ['clients', 'length', 'limit', 'start', 'total']);
      assert.equal(before.start, 0);
      assert.equal(before.limit, 1);
      assert.equal(before.length, 1);
      const all = (await t.api('GET', '/clients?per_page=100')).json<
        Array<{
          client_id: string;
          app_type: string;
          global: boolean;
        }>
      >();
      assert.equal(all.length, before.total);
      const page2 = (await t.api('GET', '/clients?page=1&per_page=2')).json<Array<{ client_id: string }>>();
      assert.deepEqual(
        page2.map((c) => c.client_id),
        all.slice(2, 4).map((c) => c.client_id),
      );
      const global = (await t.api('GET', '/clients?is_global=true')).json<Array<{ client_id: string }>>();
      assert.deepEqual(
        global.map((c) => c.client_id),
        ['test-admin-client'],
      );
      const spas = (await t.api('GET', '/clients?app_type=spa,native')).json<Array<{ app_type: string }>>();
      assert.deepEqual(
        spas.map((c) => c.app_type),
        all.filter((c) => c.app_type === 'spa' || c.app_type === 'native').map((c) => c.app_type),
      );
      const fields = (await t.api('GET', '/clients?fields=client_id,name&per_page=1')).json();
      assert.deepEqual(Object.keys(fields[0]).sort(), ['client_id', 'name']);

      const c = (await t.api('POST', '/clients', { name: 'doomed', app_type: 'non_interactive' })).json();
      await t.api('POST', '/client-grants', { client_id: c.client_id, audience: t.ctx.managementAudience, scope: [] });
      const del = await t.api('DELETE', `/clients/${c.client_id}`);
      assert.equal(del.statusCode, 204);
      assert.equal((await t.api('GET', `/clients/${c.client_id}`)).statusCode, 404);
      assert.deepEqual((await t.api('GET', `/client-grants?client_id=${c.client_id}`)).json(), []);
      assert.equal((await t.api('DELETE', `/clients/${c.client_id}`)).statusCode, 404);
    });

    test('401 without a token or with a bad one, 403 without the route scope', async () => {
      const none = await t.app.inject({ method: 'GET', url: '/api/v2/clients' });
      assert.equal(none.statusCode, 401);
      assert.equal(none.headers['www-authenticate'], 'Bearer');
      assert.deepEqual(none.json(), { statusCode: 401, error: 'Unauthorized', message: 'Missing authentication' });
      const bad = await t.api('GET', '/clients', undefined, 'eyJhbGciOiJIUzI1NiJ9.e30.x');
      assert.equal(bad.statusCode, 401);
      assert.deepEqual(bad.json(), { statusCode: 401, error: 'Unauthorized', message: 'Invalid token' });
      const read = await t.mgmtToken(['read:clients']);
      const list = await t.api('GET', '/clients', undefined, read);
      assert.equal(list.statusCode, 200);
      for (const s of list.json<Array<Record<string, unknown>>>()) {
        assert.equal(s.client_secret, undefined);
        assert.equal(s.client_secret_hash, undefined);
      }
      for (const [method, path, body, scope] of [
        ['POST', '/clients', { name: 'x' }, 'create:clients'],
        ['PATCH', '/clients/test-admin-client', { name: 'x' }, 'update:clients'],
        ['DELETE', '/clients/test-admin-client', undefined, 'delete:clients'],
      ] as const) {
        const res = await t.api(method, path, body, read);
        assert.equal(res.statusCode, 403);
        assert.deepEqual(res.json(), {
          statusCode: 403,
          error: 'Forbidden',
          message: `Insufficient scope; expected any of: ${scope}.`,
          errorCode: 'insufficient_scope',
        });
      }
      const createOnly = await t.mgmtToken(['create:clients']);
      assert.equal((await t.api('GET', '/clients/test-admin-client', undefined, createOnly)).statusCode, 403);
    });
  });
}
