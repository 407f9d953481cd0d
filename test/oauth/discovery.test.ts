import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { startTestApp, ISSUER, ADMIN_ID, ADMIN_SECRET, type TestApp } from '../helpers/app.js';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(() => t.close());

test('openid-configuration lists the endpoints, grants, auth methods and algorithms', async () => {
  const res = await t.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' });
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(body.issuer, ISSUER);
  assert.equal(body.token_endpoint, `${ISSUER}oauth/token`);
  assert.equal(body.jwks_uri, `${ISSUER}.well-known/jwks.json`);
  assert.ok(body.grant_types_supported.includes('client_credentials'));
  assert.deepEqual(body.token_endpoint_auth_methods_supported, [
    'client_secret_basic',
    'client_secret_post',
    'private_key_jwt',
    'none',
  ]);
  assert.deepEqual(body.id_token_signing_alg_values_supported, ['RS256', 'PS256', 'ES256']);
});

test('the JWKS publishes one public key per algorithm and no private material', async () => {
  const res = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
  assert.equal(res.statusCode, 200);
  const { keys } = res.json<{ keys: Array<Record<string, string>> }>();
  assert.deepEqual(keys.map((k) => k.alg).sort(), ['ES256', 'PS256', 'RS256']);
  for (const k of keys) {
    assert.equal(k.use, 'sig');
    assert.ok(k.kid);
    for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(k[priv], undefined);
  }
  const rsa = keys.find((k) => k.alg === 'RS256')!;
  assert.equal(Buffer.from(rsa.n!, 'base64url').length * 8, 2048);
});

test('signing keys are encrypted at rest', async () => {
  const rows = await t.ctx.storage.db.selectFrom('signing_keys').selectAll().execute();
  assert.equal(rows.length, 3);
  for (const row of rows) {
    assert.equal(row.private_jwk_enc.split('.').length, 5, 'compact JWE');
    assert.ok(!row.private_jwk_enc.includes('"d"'));
    assert.equal(JSON.parse(Buffer.from(row.private_jwk_enc.split('.')[0]!, 'base64url').toString()).enc, 'A256GCM');
  }
});

test('a client_credentials token verifies with jose against the JWKS, and survives a key rotation', async () => {
  const token = await t.mgmtToken(['read:signing_keys']);
  const jwks = createLocalJWKSet((await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json());
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: ISSUER,
    audience: t.ctx.managementAudience,
  });
  assert.equal(protectedHeader.alg, 'RS256');
  assert.equal(payload.sub, 'test-admin-client@clients');
  assert.equal(payload.azp, 'test-admin-client');
  assert.equal(payload.gty, 'client-credentials');
  assert.equal(payload.scope, 'read:signing_keys');
  assert.equal(typeof payload.jti, 'string');
  assert.equal(payload.exp! - payload.iat!, 86400);

  const rotate = await t.api('POST', '/keys/signing/rotate', undefined, await t.mgmtToken(['create:signing_keys']));
  assert.equal(rotate.statusCode, 201);
  const newKid = rotate.json().kid as string;
  assert.notEqual(newKid, protectedHeader.kid);

  const after = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{
    keys: Array<{ kid: string }>;
  }>();
  assert.equal(after.keys.length, 6, 'old keys stay published');
  await jwtVerify(token, createLocalJWKSet(after), { issuer: ISSUER });

  const fresh = await t.form('/oauth/token', {
    grant_type: 'client_credentials',
    client_id: ADMIN_ID,
    client_secret: ADMIN_SECRET,
    audience: t.ctx.managementAudience,
  });
  assert.equal(decodeProtectedHeader(fresh.json().access_token).kid, newKid);

  const list = await t.api('GET', '/keys/signing', undefined, await t.mgmtToken(['read:signing_keys']));
  assert.equal(list.statusCode, 200);
  const listed = list.json<Array<{ kid: string; current: boolean; previous: boolean }>>();
  assert.equal(listed.filter((k) => k.current).length, 3);
  assert.equal(listed.filter((k) => k.previous).length, 3);
  assert.ok(listed.find((k) => k.kid === protectedHeader.kid)?.previous);
});

test('health endpoints and metrics answer', async () => {
  assert.deepEqual((await t.app.inject({ method: 'GET', url: '/health/live' })).json(), { status: 'ok' });
  assert.deepEqual((await t.app.inject({ method: 'GET', url: '/health/ready' })).json(), {
    status: 'ok',
    storage: 'sqlite',
  });
  const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(metrics.statusCode, 200);
  assert.match(metrics.body, /baton_http_request_duration_seconds/);
});
