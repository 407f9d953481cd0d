/**
 * Client authentication at POST /oauth/token (RFC 6749 section 2.3, RFC 7523, OIDC Core section 9) and the
 * audience/scope rules of client_credentials, over HTTP against the real app.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportSPKI, generateKeyPair, decodeJwt, type CryptoKey } from 'jose';
import { startTestApp, DIALECTS, ISSUER, type TestApp } from '../helpers/app.js';

const API = 'https://api.client-auth.test/';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const INVALID_CLIENT = { error: 'invalid_client', error_description: 'Client authentication failed' };
const BASIC_CHALLENGE = 'Basic realm="baton", charset="UTF-8"';

interface Registered {
  client_id: string;
  client_secret?: string;
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

for (const dialect of DIALECTS) {
  describe(`client authentication at /oauth/token (${dialect})`, () => {
    let t: TestApp;
    let basicClient: Registered;
    let postClient: Registered;
    let jwtClient: Registered;
    let publicClient: Registered;
    let privateKey: CryptoKey;

    const register = async (
      body: Record<string, unknown>,
      scope: string[] | null = ['read:a'],
    ): Promise<Registered> => {
      const res = await t.api('POST', '/clients', { app_type: 'non_interactive', ...body });
      assert.equal(res.statusCode, 201, res.body);
      const c = res.json<Registered>();
      if (scope)
        assert.equal(
          (await t.api('POST', '/client-grants', { client_id: c.client_id, audience: API, scope })).statusCode,
          201,
        );
      return c;
    };
    const cc = (fields: Record<string, string>, headers?: Record<string, string>) =>
      t.form('/oauth/token', { grant_type: 'client_credentials', audience: API, ...fields }, headers);
    const assertion = (claims: Record<string, unknown> = {}, key: CryptoKey = privateKey) => {
      const now = Math.floor(Date.now() / 1000);
      // Claims go in the constructor only: SignJWT's setters would override the ones a test wants to break.
      const payload = {
        iss: jwtClient.client_id,
        sub: jwtClient.client_id,
        aud: `${ISSUER}oauth/token`,
        iat: now,
        exp: now + 60,
        jti: randomUUID(),
        ...claims,
      };
      return new SignJWT(payload).setProtectedHeader({ alg: 'RS256' }).sign(key);
    };
    const assertInvalidClient = (
      res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
      challenge: boolean,
    ) => {
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), INVALID_CLIENT);
      assert.equal(res.headers['www-authenticate'], challenge ? BASIC_CHALLENGE : undefined);
    };

    before(async () => {
      t = await startTestApp({ dialect });
      await t.api('POST', '/resource-servers', {
        identifier: API,
        scopes: [{ value: 'read:a' }, { value: 'write:a' }],
      });
      basicClient = await register({ name: 'basic', token_endpoint_auth_method: 'client_secret_basic' });
      postClient = await register({ name: 'post', token_endpoint_auth_method: 'client_secret_post' });
      const pair = await generateKeyPair('RS256', { extractable: true });
      privateKey = pair.privateKey;
      jwtClient = await register({
        name: 'pkjwt',
        client_authentication_methods: {
          private_key_jwt: {
            credentials: [{ credential_type: 'public_key', pem: await exportSPKI(pair.publicKey), alg: 'RS256' }],
          },
        },
      });
      publicClient = await register({
        name: 'public',
        token_endpoint_auth_method: 'none',
        grant_types: ['client_credentials'],
      });
    });
    after(() => t.close());

    test('client_secret_basic issues a token; a wrong secret is 401 with a Basic challenge', async () => {
      const ok = await cc({}, { authorization: basic(basicClient.client_id, basicClient.client_secret!) });
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.headers['cache-control'], 'no-store');
      const body = ok.json();
      assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
      assert.deepEqual(
        { ...body, access_token: undefined },
        { access_token: undefined, token_type: 'Bearer', expires_in: 86400, scope: 'read:a' },
      );
      const claims = decodeJwt(body.access_token);
      assert.equal(claims.sub, `${basicClient.client_id}@clients`);
      assert.equal(claims.aud, API);

      assertInvalidClient(await cc({}, { authorization: basic(basicClient.client_id, 'wrong') }), true);
      assertInvalidClient(await cc({}, { authorization: basic('nobody', 'x') }), true);
      assertInvalidClient(await cc({}, { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` }), true);
      // The two secret methods are interchangeable, as in Auth0.
      assert.equal(
        (await cc({ client_id: basicClient.client_id, client_secret: basicClient.client_secret! })).statusCode,
        200,
      );
    });

    test('client_secret_post issues a token; wrong secret and unknown client are 401 without a challenge', async () => {
      const ok = await cc({ client_id: postClient.client_id, client_secret: postClient.client_secret! });
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.json().scope, 'read:a');
      assertInvalidClient(
        await cc({ client_id: postClient.client_id, client_secret: `${postClient.client_secret}x` }),
        false,
      );
      assertInvalidClient(await cc({ client_id: 'unknown-client', client_secret: 'x' }), false);
      assertInvalidClient(await cc({ client_id: postClient.client_id, client_secret: '' }), false);
      assert.equal(
        (await cc({}, { authorization: basic(postClient.client_id, postClient.client_secret!) })).statusCode,
        200,
      );
    });

    test('private_key_jwt: a signed assertion works once; bad signature, wrong aud, expired and replayed are 401', async () => {
      const jwt = await assertion();
      const ok = await cc({ client_assertion_type: ASSERTION_TYPE, client_assertion: jwt });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(decodeJwt(ok.json().access_token).azp, jwtClient.client_id);
      assertInvalidClient(await cc({ client_assertion_type: ASSERTION_TYPE, client_assertion: jwt }), false); // replayed jti
      assert.equal(
        (
          await cc({
            client_id: jwtClient.client_id,
            client_assertion_type: ASSERTION_TYPE,
            client_assertion: await assertion({}),
          })
        ).statusCode,
        200,
      );
      // The issuer itself is an accepted audience too (OIDC Core section 9).
      assert.equal(
        (await cc({ client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion({ aud: ISSUER }) }))
          .statusCode,
        200,
      );

      const other = await generateKeyPair('RS256');
      assertInvalidClient(
        await cc({ client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion({}, other.privateKey) }),
        false,
      );
      assertInvalidClient(
        await cc({
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: await assertion({ aud: 'https://elsewhere.example/' }),
        }),
        false,
      );
      const past = Math.floor(Date.now() / 1000) - 3600;
      assertInvalidClient(
        await cc({
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: await assertion({ iat: past, exp: past + 60 }),
        }),
        false,
      );
      const now = Math.floor(Date.now() / 1000);
      assertInvalidClient(
        await cc({ client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion({ exp: now + 3600 }) }),
        false,
      );
      assertInvalidClient(
        await cc({ client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion({ jti: undefined }) }),
        false,
      );
      assertInvalidClient(await cc({ client_assertion_type: ASSERTION_TYPE, client_assertion: 'not-a-jwt' }), false);
      assertInvalidClient(
        await cc({
          client_id: postClient.client_id,
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: await assertion(),
        }),
        false,
      );

      const wrongType = await cc({ client_assertion_type: 'urn:other', client_assertion: await assertion() });
      assert.equal(wrongType.statusCode, 400);
      assert.deepEqual(wrongType.json(), {
        error: 'invalid_request',
        error_description: `client_assertion_type must be ${ASSERTION_TYPE}`,
      });
    });

    test('a method the client did not register is 401', async () => {
      // A private_key_jwt client cannot use a secret, a secret client cannot sign, a confidential client cannot skip authentication.
      assertInvalidClient(await cc({ client_id: jwtClient.client_id, client_secret: 'anything' }), false);
      assertInvalidClient(await cc({ client_id: postClient.client_id }), false);
      assertInvalidClient(await cc({ client_id: publicClient.client_id, client_secret: 'anything' }), false);
      assertInvalidClient(await cc({}, { authorization: basic(publicClient.client_id, 'anything') }), true);
    });

    test('a public client (none) authenticates but may not use client_credentials', async () => {
      const res = await cc({ client_id: publicClient.client_id });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), {
        error: 'unauthorized_client',
        error_description:
          "Grant type 'client_credentials' requires a confidential client; this client is public (token_endpoint_auth_method: none).",
      });
    });

    test('malformed requests: two methods, duplicate parameters, no client_id', async () => {
      const two = await cc(
        { client_secret: postClient.client_secret! },
        { authorization: basic(postClient.client_id, postClient.client_secret!) },
      );
      assert.equal(two.statusCode, 400);
      assert.deepEqual(two.json(), {
        error: 'invalid_request',
        error_description: 'Only one client authentication method may be used per request',
      });
      const secretAndAssertion = await cc({
        client_id: jwtClient.client_id,
        client_secret: 'x',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await assertion(),
      });
      assert.equal(secretAndAssertion.statusCode, 400);
      assert.equal(secretAndAssertion.json().error, 'invalid_request');

      const dup = await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `grant_type=client_credentials&client_id=${postClient.client_id}&client_id=${postClient.client_id}&client_secret=${postClient.client_secret}&audience=${encodeURIComponent(API)}`,
      });
      assert.equal(dup.statusCode, 400);
      assert.deepEqual(dup.json(), { error: 'invalid_request', error_description: 'Duplicate parameter: client_id' });

      const noId = await cc({});
      assert.equal(noId.statusCode, 400);
      assert.deepEqual(noId.json(), {
        error: 'invalid_request',
        error_description: 'Missing required parameter: client_id',
      });
      const mismatch = await cc(
        { client_id: basicClient.client_id },
        { authorization: basic(postClient.client_id, postClient.client_secret!) },
      );
      assert.equal(mismatch.statusCode, 400);
      assert.deepEqual(mismatch.json(), {
        error: 'invalid_request',
        error_description: 'client_id in the body does not match the Authorization header',
      });
    });

    test('a JSON body is accepted', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({
          grant_type: 'client_credentials',
          client_id: postClient.client_id,
          client_secret: postClient.client_secret,
          audience: API,
        }),
      });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().token_type, 'Bearer');
      const nested = await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ grant_type: 'client_credentials', client_id: { x: 1 } }),
      });
      assert.equal(nested.statusCode, 400);
      assert.deepEqual(nested.json(), {
        error: 'invalid_request',
        error_description: 'Parameter client_id must be a string',
      });
    });

    test('a client without client_credentials in grant_types is refused', async () => {
      const web = await register({ name: 'web', app_type: 'regular_web', grant_types: ['authorization_code'] });
      const res = await cc({ client_id: web.client_id, client_secret: web.client_secret! });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), {
        error: 'unauthorized_client',
        error_description: "Grant type 'client_credentials' not allowed for the client.",
      });
    });

    test('audience and scope rules of client_credentials', async () => {
      const creds = { client_id: postClient.client_id, client_secret: postClient.client_secret! };
      const unknown = await cc({ ...creds, audience: 'urn:nowhere' });
      assert.equal(unknown.statusCode, 403);
      assert.deepEqual(unknown.json(), { error: 'access_denied', error_description: 'Service not found: urn:nowhere' });

      const noGrant = await register({ name: 'ungranted' }, null);
      const denied = await cc({ client_id: noGrant.client_id, client_secret: noGrant.client_secret! });
      assert.equal(denied.statusCode, 403);
      assert.deepEqual(denied.json(), {
        error: 'access_denied',
        error_description: `Client is not authorized to access "${API}". You need to create a "client-grant" associated to this API.`,
      });

      const notGranted = await cc({ ...creds, scope: 'read:a write:a' });
      assert.equal(notGranted.statusCode, 403);
      assert.deepEqual(notGranted.json(), {
        error: 'access_denied',
        error_description: 'Client has not been granted scopes: write:a',
      });
      const narrowed = await cc({ ...creds, scope: 'read:a' });
      assert.equal(narrowed.json().scope, 'read:a');

      const { audience: _a, ...withoutAudience } = { grant_type: 'client_credentials', ...creds, audience: '' };
      const missing = await t.form('/oauth/token', withoutAudience);
      assert.equal(missing.statusCode, 400);
      assert.deepEqual(missing.json(), {
        error: 'invalid_request',
        error_description: 'Missing required parameter: audience',
      });
      await t.ctx.repos.settings.set('tenant', { default_audience: API });
      await t.ctx.invalidation.publish('config');
      try {
        const defaulted = await t.form('/oauth/token', withoutAudience);
        assert.equal(defaulted.statusCode, 200);
        assert.equal(decodeJwt(defaulted.json().access_token).aud, API);
      } finally {
        await t.ctx.repos.settings.set('tenant', {});
        await t.ctx.invalidation.publish('config');
      }
    });
  });
}
