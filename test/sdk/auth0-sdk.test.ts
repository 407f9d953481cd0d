/**
 * The auth0 npm SDKs against a real Baton (DESIGN section 2: "must work against Baton unchanged, given Baton's URL"):
 * v7's ManagementClient manages clients and resource servers; v6's AuthenticationClient gets a client_credentials
 * token, verified with jose against the published JWKS.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { ManagementClient } from 'auth0-v7';
import { AuthenticationClient } from 'auth0';
import { startListeningApp, httpFetch, type ListeningApp } from './listen.js';

let t: ListeningApp;
let management: ManagementClient;
before(async () => {
  t = await startListeningApp();
  management = new ManagementClient({ domain: `127.0.0.1:${t.port}`, token: await t.mgmtToken(), fetch: httpFetch });
});
after(() => t.close());

test('ManagementClient (v7) creates and reads a resource server and a client, and sees API errors', async () => {
  const api = await management.resourceServers.create({
    identifier: 'https://sdk.example.com/',
    name: 'SDK API',
    scopes: [{ value: 'read:sdk', description: 'read' }],
    token_lifetime: 1200,
  });
  assert.equal(api.identifier, 'https://sdk.example.com/');
  assert.equal(api.token_lifetime, 1200);
  const read = await management.resourceServers.get(api.id!);
  assert.deepEqual(read.scopes, [{ value: 'read:sdk', description: 'read' }]);

  const client = await management.clients.create({
    name: 'SDK machine',
    app_type: 'non_interactive',
    grant_types: ['client_credentials'],
    token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
  });
  assert.match(client.client_id!, /^[A-Za-z0-9]{32}$/);
  assert.equal(typeof client.client_secret, 'string');
  const got = await management.clients.get(client.client_id!);
  assert.equal(got.name, 'SDK machine');
  assert.equal(got.client_secret, undefined);
  assert.deepEqual(got.token_exchange, { allow_any_profile_of_type: ['custom_authentication'] });

  const updated = await management.clients.update(client.client_id!, { description: 'updated by the SDK' });
  assert.equal(updated.description, 'updated by the SDK');

  await assert.rejects(
    management.resourceServers.create({ identifier: 'https://sdk.example.com/' }),
    (err: { statusCode?: number }) => {
      assert.equal(err.statusCode, 409);
      return true;
    },
  );
  await assert.rejects(management.clients.get('does-not-exist'), (err: { statusCode?: number }) => {
    assert.equal(err.statusCode, 404);
    return true;
  });
});

test('AuthenticationClient (v6) gets a client_credentials token that verifies against the JWKS', async () => {
  const audience = 'https://cc.example.com/';
  await t.api('POST', '/resource-servers', {
    identifier: audience,
    scopes: [{ value: 'read:cc' }],
    signing_alg: 'PS256',
  });
  const client = (await t.api('POST', '/clients', { name: 'cc', app_type: 'non_interactive' })).json();
  await t.api('POST', '/client-grants', { client_id: client.client_id, audience, scope: ['read:cc'] });

  const auth = new AuthenticationClient({
    domain: `127.0.0.1:${t.port}`,
    clientId: client.client_id,
    clientSecret: client.client_secret,
    fetch: httpFetch,
  });
  const { data, status } = await auth.oauth.clientCredentialsGrant({ audience });
  assert.equal(status, 200);
  assert.equal(data.token_type, 'Bearer');
  assert.equal(data.expires_in, 86400);
  const jwks = createRemoteJWKSet(new URL(`${t.issuer}.well-known/jwks.json`));
  const { payload, protectedHeader } = await jwtVerify(data.access_token, jwks, { issuer: t.issuer, audience });
  assert.equal(protectedHeader.alg, 'PS256');
  assert.equal(payload.sub, `${client.client_id}@clients`);
  assert.equal(payload.scope, 'read:cc');

  const wrong = new AuthenticationClient({
    domain: `127.0.0.1:${t.port}`,
    clientId: client.client_id,
    clientSecret: 'wrong',
    fetch: httpFetch,
  });
  await assert.rejects(
    wrong.oauth.clientCredentialsGrant({ audience }),
    (err: { statusCode?: number; error?: string }) => {
      assert.equal(err.statusCode, 401);
      assert.equal(err.error, 'invalid_client');
      return true;
    },
  );
});
