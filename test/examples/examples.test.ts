/**
 * Each Action in examples/actions/ deployed unchanged and exercised end to end, against local stand-ins for the
 * outside world (a JWKS server, a legacy IdP) on 127.0.0.1.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createApi, EXCHANGE_GRANT, API_ID } from '../helpers/exchange.js';

const example = (name: string) => fs.readFileSync(new URL(`../../examples/actions/${name}`, import.meta.url), 'utf8');

let t: TestApp;
let server: http.Server;
let base: string;
let clientId: string;
let clientSecret: string;
const idp = { key: undefined as unknown as CryptoKey, jwk: {} as Record<string, unknown> };

before(async () => {
  const pair = await generateKeyPair('RS256');
  idp.key = pair.privateKey;
  idp.jwk = { ...(await exportJWK(pair.publicKey)), kid: 'idp-1', alg: 'RS256' };
  server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/jwks') return send(200, { keys: [idp.jwk] });
    if (req.url === '/legacy/token') {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const form = new URLSearchParams(raw);
        if (form.get('client_secret') !== 'legacy-secret') return send(401, { error: 'invalid_client' });
        if (form.get('refresh_token') === 'legacy-rt-42') return send(200, { access_token: 'legacy-at-42' });
        if (form.get('refresh_token') === 'legacy-outage') return send(503, { error: 'temporarily_unavailable' });
        return send(400, { error: 'invalid_grant' });
      });
      return;
    }
    if (req.url === '/legacy/userinfo') {
      if (req.headers.authorization === 'Bearer legacy-at-42') return send(200, { sub: 'legacy-42' });
      return send(401, { error: 'invalid_token' });
    }
    send(404, {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // The examples' outside world listens on loopback: the operator opt-in for internal ranges (issue 10 H3).
  t = await startTestApp({ env: { BATON_ACTION_EGRESS_ALLOW_PRIVATE: 'true' } });
  await createApi(t);
  const client = (
    await t.api('POST', '/clients', {
      name: 'examples',
      app_type: 'regular_web',
      grant_types: [EXCHANGE_GRANT],
      token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
    })
  ).json();
  clientId = client.client_id;
  clientSecret = client.client_secret;
  for (const [name, strategy] of [
    ['external-oidc', 'oidc'],
    ['partner-idp', 'oidc'],
    ['legacy-db', 'auth0'],
  ] as const) {
    const res = await t.api('POST', '/connections', { name, strategy, enabled_clients: [clientId] });
    assert.equal(res.statusCode, 201, res.body);
  }
});
after(async () => {
  await t.close();
  server.close();
});

async function deployProfile(file: string, type: string, secrets: Record<string, string>) {
  const action = await t.api('POST', '/actions/actions', {
    name: file.replace('.js', ''),
    supported_triggers: [{ id: 'custom-token-exchange', version: 'v1' }],
    code: example(file),
    secrets: Object.entries(secrets).map(([name, value]) => ({ name, value })),
    deploy: true,
  });
  assert.equal(action.statusCode, 201, action.body);
  const profile = await t.api('POST', '/token-exchange-profiles', {
    name: file.slice(0, 40),
    subject_token_type: type,
    action_id: action.json().id,
    type: 'custom_authentication',
  });
  assert.equal(profile.statusCode, 201, profile.body);
}

const exchange = (type: string, subjectToken: string, extra: Record<string, string> = {}) =>
  t.form('/oauth/token', {
    grant_type: EXCHANGE_GRANT,
    client_id: clientId,
    client_secret: clientSecret,
    subject_token_type: type,
    subject_token: subjectToken,
    audience: API_ID,
    scope: 'openid email',
    ...extra,
  });

test('external-idp-jwks.js: a JWT of another issuer verified against its JWKS', async () => {
  await deployProfile('external-idp-jwks.js', 'https://idp.example.com/id-token', {
    JWKS_URL: `${base}/jwks`,
    ISSUER: 'https://idp.example.com/',
    AUDIENCE: 'baton-federation',
  });
  const sign = (claims: Record<string, unknown>, exp = '5m') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
      .setIssuer('https://idp.example.com/')
      .setAudience('baton-federation')
      .setSubject('ext-7')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(idp.key);
  const ok = await exchange(
    'https://idp.example.com/id-token',
    await sign({ email: 'ext7@idp.example.com', email_verified: true }),
  );
  assert.equal(ok.statusCode, 200, ok.body);
  assert.equal(decodeJwt(ok.json().id_token).email, 'ext7@idp.example.com');
  assert.equal(decodeJwt(ok.json().access_token).sub, 'oidc|external-oidc|ext-7');
  const expired = await exchange('https://idp.example.com/id-token', await sign({}, '-1m'));
  assert.equal(expired.statusCode, 400);
  assert.deepEqual(expired.json(), {
    error: 'invalid_request',
    error_description: 'Invalid subject token (ERR_JWT_EXPIRED)',
  });
});

test('hmac-shared-secret.js: a token signed with a shared secret', async () => {
  const secret = 'a'.repeat(43);
  await deployProfile('hmac-shared-secret.js', 'urn:partner:session-token', { SHARED_SECRET: secret });
  const token = await new SignJWT({ email: 'p1@partner.example' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('urn:partner:issuer')
    .setAudience('urn:baton:exchange')
    .setSubject('p1')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));
  const ok = await exchange('urn:partner:session-token', token);
  assert.equal(ok.statusCode, 200, ok.body);
  assert.equal(decodeJwt(ok.json().access_token).sub, 'oidc|partner-idp|p1');
  const forged = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('urn:partner:issuer')
    .setAudience('urn:baton:exchange')
    .setSubject('p1')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode('b'.repeat(43)));
  const bad = await exchange('urn:partner:session-token', forged);
  assert.equal(bad.statusCode, 400);
  assert.deepEqual(bad.json(), {
    error: 'invalid_request',
    error_description: 'Invalid subject token (ERR_JWS_SIGNATURE_VERIFICATION_FAILED)',
  });
});

test('legacy-idp-migration.js: a legacy refresh token redeemed, the imported user selected', async () => {
  await deployProfile('legacy-idp-migration.js', 'urn:acme:legacy-refresh-token', {
    LEGACY_TOKEN_URL: `${base}/legacy/token`,
    LEGACY_USERINFO_URL: `${base}/legacy/userinfo`,
    LEGACY_CLIENT_ID: 'baton',
    LEGACY_CLIENT_SECRET: 'legacy-secret',
  });
  const imported = await t.api('POST', '/users', {
    connection: 'legacy-db',
    user_id: 'legacy-42',
    email: 'legacy42@example.com',
    password: 'Imported-Passw0rd!',
  });
  assert.equal(imported.statusCode, 201, imported.body);
  const ok = await exchange('urn:acme:legacy-refresh-token', 'legacy-rt-42');
  assert.equal(ok.statusCode, 200, ok.body);
  assert.equal(decodeJwt(ok.json().access_token).sub, 'auth0|legacy-42');
  const user = await t.api('GET', `/users/${encodeURIComponent('auth0|legacy-42')}`);
  assert.equal(typeof user.json().app_metadata.migrated_at, 'string');
  const invalid = await exchange('urn:acme:legacy-refresh-token', 'revoked-rt');
  assert.deepEqual(
    [invalid.statusCode, invalid.json()],
    [400, { error: 'invalid_request', error_description: 'Legacy refresh token is invalid' }],
  );
  const outage = await exchange('urn:acme:legacy-refresh-token', 'legacy-outage');
  assert.deepEqual(
    [outage.statusCode, outage.json()],
    [500, { error: 'server_error', error_description: 'The server encountered an internal error.' }],
  );
});

test('delegation-actor.js: a support agent acts for a user; act in the tokens', async () => {
  const ticketSecret = 'c'.repeat(43);
  await deployProfile('delegation-actor.js', 'urn:helpdesk:ticket', { TICKET_SECRET: ticketSecret });
  const agent = (
    await t.api('POST', '/users', {
      connection: 'legacy-db',
      email: 'agent@example.com',
      password: 'Agent-Passw0rd!',
      app_metadata: { roles: ['support'] },
    })
  ).json();
  const customer = (
    await t.api('POST', '/users', {
      connection: 'legacy-db',
      email: 'customer@example.com',
      password: 'Customer-Passw0rd!',
    })
  ).json();
  const now = Math.floor(Date.now() / 1000);
  const agentIdToken = await t.ctx.tokens.sign(
    { iss: t.config.issuer, sub: agent.user_id, aud: clientId, iat: now, exp: now + 300 },
    'RS256',
  );
  const ticket = (agentId: string) =>
    new SignJWT({ agent: agentId })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('urn:helpdesk')
      .setAudience('urn:baton:delegation')
      .setSubject(customer.user_id)
      .setJti('T-1001')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(ticketSecret));
  const ok = await exchange('urn:helpdesk:ticket', await ticket(agent.user_id), {
    actor_token: agentIdToken,
    actor_token_type: 'urn:ietf:params:oauth:token-type:id_token',
    scope: 'openid offline_access',
  });
  assert.equal(ok.statusCode, 200, ok.body);
  const at = decodeJwt(ok.json().access_token);
  assert.equal(at.sub, customer.user_id);
  assert.deepEqual(at.act, { sub: agent.user_id, sub_profile: 'human', role: 'support', ticket: 'T-1001' });
  assert.equal(ok.json().refresh_token, undefined);
  const other = await exchange('urn:helpdesk:ticket', await ticket('auth0|someone-else'), {
    actor_token: agentIdToken,
    actor_token_type: 'urn:ietf:params:oauth:token-type:id_token',
  });
  assert.deepEqual(
    [other.statusCode, other.json()],
    [400, { error: 'unauthorized_actor', error_description: 'This agent may not act for this user' }],
  );
});
