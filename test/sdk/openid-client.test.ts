/**
 * openid-client 6 (a certified relying-party library) against a real Baton: discovery, then client_credentials with
 * client_secret_post, client_secret_basic and private_key_jwt; tokens verified with jose against the remote JWKS.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, exportSPKI, generateKeyPair, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { startListeningApp, type ListeningApp } from './listen.js';

const AUDIENCE = 'https://oidc-client.example.com/';
let t: ListeningApp;
let jwks: ReturnType<typeof createRemoteJWKSet>;

before(async () => {
  t = await startListeningApp();
  jwks = createRemoteJWKSet(new URL(`${t.issuer}.well-known/jwks.json`));
  await t.api('POST', '/resource-servers', {
    identifier: AUDIENCE,
    scopes: [{ value: 'read:x' }, { value: 'write:x' }],
  });
});
after(() => t.close());

async function registerClient(body: Record<string, unknown>): Promise<{ client_id: string; client_secret?: string }> {
  const c = (await t.api('POST', '/clients', { app_type: 'non_interactive', ...body })).json();
  await t.api('POST', '/client-grants', { client_id: c.client_id, audience: AUDIENCE, scope: ['read:x', 'write:x'] });
  return c;
}

async function verify(accessToken: string, clientId: string) {
  const { payload } = await jwtVerify(accessToken, jwks, { issuer: t.issuer, audience: AUDIENCE });
  assert.equal(payload.azp, clientId);
  assert.equal(payload.gty, 'client-credentials');
  return payload;
}

test('discovery and client_credentials with client_secret_post', async () => {
  const c = await registerClient({ name: 'oidc post', token_endpoint_auth_method: 'client_secret_post' });
  const config = await client.discovery(
    new URL(t.issuer),
    c.client_id,
    c.client_secret,
    client.ClientSecretPost(c.client_secret),
    {
      execute: [client.allowInsecureRequests],
    },
  );
  assert.equal(config.serverMetadata().issuer, t.issuer);
  assert.equal(config.serverMetadata().token_endpoint, `${t.issuer}oauth/token`);
  const tokens = await client.clientCredentialsGrant(config, { audience: AUDIENCE, scope: 'read:x' });
  assert.equal(tokens.token_type, 'bearer');
  assert.equal(tokens.scope, 'read:x');
  assert.equal(tokens.expires_in, 86400);
  assert.equal((await verify(tokens.access_token, c.client_id)).scope, 'read:x');
});

test('client_secret_basic, and a wrong secret surfaces as a 401 Basic challenge', async () => {
  const c = await registerClient({ name: 'oidc basic', token_endpoint_auth_method: 'client_secret_basic' });
  const config = await client.discovery(
    new URL(t.issuer),
    c.client_id,
    c.client_secret,
    client.ClientSecretBasic(c.client_secret),
    {
      execute: [client.allowInsecureRequests],
    },
  );
  const tokens = await client.clientCredentialsGrant(config, { audience: AUDIENCE });
  assert.equal((await verify(tokens.access_token, c.client_id)).scope, 'read:x write:x');

  const wrong = await client.discovery(new URL(t.issuer), c.client_id, 'wrong', client.ClientSecretBasic('wrong'), {
    execute: [client.allowInsecureRequests],
  });
  // RFC 6749 section 5.2: a failed Basic authentication answers 401 with a Basic challenge, which the library surfaces.
  await assert.rejects(
    client.clientCredentialsGrant(wrong, { audience: AUDIENCE }),
    (err: { code?: string; status?: number; cause?: unknown }) => {
      assert.equal(err.code, 'OAUTH_WWW_AUTHENTICATE_CHALLENGE');
      assert.equal(err.status, 401);
      assert.deepEqual(err.cause, [{ scheme: 'basic', parameters: { realm: 'baton', charset: 'UTF-8' } }]);
      return true;
    },
  );
});

test('private_key_jwt with a registered public key', async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const c = await registerClient({
    name: 'oidc pkjwt',
    client_authentication_methods: {
      private_key_jwt: {
        credentials: [{ credential_type: 'public_key', pem: await exportSPKI(publicKey), alg: 'ES256' }],
      },
    },
  });
  const config = await client.discovery(new URL(t.issuer), c.client_id, undefined, client.PrivateKeyJwt(privateKey), {
    execute: [client.allowInsecureRequests],
  });
  const tokens = await client.clientCredentialsGrant(config, { audience: AUDIENCE, scope: 'write:x' });
  assert.equal((await verify(tokens.access_token, c.client_id)).scope, 'write:x');
});
