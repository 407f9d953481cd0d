/**
 * Successful exchanges through real clients (the auth0 SDK and openid-client) against a listening server; every
 * token verified with jose against Baton's JWKS; `act` in the access token, the ID token and /userinfo; refresh
 * tokens only without an actor; the secte entry.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createRemoteJWKSet, jwtVerify, decodeJwt } from 'jose';
import { AuthenticationClient } from 'auth0';
import * as oidc from 'openid-client';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  setupExchange,
  deployAction,
  bindPostLogin,
  lastLog,
  API_ID,
  TOKEN_TYPE,
  EXCHANGE_GRANT,
  type ExchangeFixture,
} from '../helpers/exchange.js';

const ACTION = `
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const [kind, id] = event.transaction.subject_token.split(':');
  if (kind !== 'legacy') return api.access.rejectInvalidSubjectToken('bad token');
  api.authentication.setUserByConnection('legacy-idp',
    { user_id: id, email: id + '@example.com', email_verified: true, name: 'User ' + id },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
  api.user.setAppMetadata('migrated_from', 'legacy');
  if (event.request.body.agent) api.authentication.setActor({ sub: event.request.body.agent, sub_profile: 'ai_agent', act: { sub: 'orchestrator' } });
};`;

let t: TestApp;
let fx: ExchangeFixture;
let base: string;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}/`;
  t = await startTestApp({ env: { BATON_ISSUER: base } });
  await t.app.listen({ port, host: '127.0.0.1' });
  fx = await setupExchange(t, { code: ACTION });
  const claims = await deployAction(
    t,
    'add-claims',
    `
exports.onExecutePostLogin = async (event, api) => {
  if (event.transaction.protocol === 'oauth2-token-exchange') {
    api.accessToken.setCustomClaim('https://example.com/tier', 'gold');
    api.idToken.setCustomClaim('https://example.com/migrated', event.user.app_metadata.migrated_from || 'pending');
  }
};`,
    'post-login',
  );
  await bindPostLogin(t, [claims]);
});
after(() => t.close());

const jwks = () => createRemoteJWKSet(new URL(`${base}.well-known/jwks.json`));

test('auth0 SDK AuthenticationClient.tokenExchange.exchangeToken gets verifiable tokens', async () => {
  const auth = new AuthenticationClient({
    domain: base.replace(/^http:\/\//, '').replace(/\/$/, ''),
    clientId: fx.clientId,
    clientSecret: fx.clientSecret,
    fetch: (url: RequestInfo | URL, init?: RequestInit) =>
      fetch((url instanceof Request ? url.url : String(url)).replace(/^https:/, 'http:'), init),
  });
  const data = await auth.tokenExchange.exchangeToken({
    subject_token_type: TOKEN_TYPE,
    subject_token: 'legacy:alice',
    audience: API_ID,
    scope: 'openid profile email read:data offline_access',
  });
  assert.equal(data.token_type, 'Bearer');
  assert.equal(
    (data as unknown as { issued_token_type: string }).issued_token_type,
    'urn:ietf:params:oauth:token-type:access_token',
  );
  assert.equal(data.expires_in, 3600);
  assert.equal(data.scope, 'openid profile email read:data offline_access');
  assert.ok(data.refresh_token, 'refresh token without an actor');

  const { payload: at, protectedHeader } = await jwtVerify(data.access_token, jwks(), {
    issuer: base,
    audience: API_ID,
  });
  assert.equal(protectedHeader.typ, 'at+jwt');
  assert.equal(at.sub, 'oidc|legacy-idp|alice');
  assert.deepEqual(at.aud, [API_ID, `${base}userinfo`]);
  assert.equal(at.azp, fx.clientId);
  assert.equal(at.scope, 'openid profile email read:data offline_access');
  assert.equal(at['https://example.com/tier'], 'gold');
  assert.equal(at.act, undefined);

  const { payload: idt } = await jwtVerify(data.id_token, jwks(), { issuer: base, audience: fx.clientId });
  assert.equal(idt.email, 'alice@example.com');
  assert.equal(idt.email_verified, true);
  assert.equal(idt.name, 'User alice');
  assert.equal(idt['https://example.com/migrated'], 'legacy');

  const log = await lastLog(t, 'secte');
  assert.equal(log.user_id, 'oidc|legacy-idp|alice');
  assert.equal(log.details.subject_token_type, TOKEN_TYPE);
  assert.equal(log.details.access_token_jti, at.jti);
  assert.equal(log.client_id, fx.clientId);
  assert.equal(log.audience, API_ID);

  // The refresh grant works and runs post-login with protocol oauth2-refresh-token (no CTE claims then).
  const refreshed = await t.form('/oauth/token', {
    grant_type: 'refresh_token',
    client_id: fx.clientId,
    client_secret: fx.clientSecret,
    refresh_token: data.refresh_token,
  });
  assert.equal(refreshed.statusCode, 200, refreshed.body);
  const rt = refreshed.json();
  assert.equal(rt.refresh_token, undefined);
  const { payload: at2 } = await jwtVerify(rt.access_token, jwks(), { issuer: base, audience: API_ID });
  assert.equal(at2.sub, 'oidc|legacy-idp|alice');
  assert.equal(at2['https://example.com/tier'], undefined);

  // Revocation (RFC 7009) ends it.
  const revoked = await t.form('/oauth/revoke', {
    client_id: fx.clientId,
    client_secret: fx.clientSecret,
    token: data.refresh_token,
  });
  assert.equal(revoked.statusCode, 200);
  const again = await t.form('/oauth/token', {
    grant_type: 'refresh_token',
    client_id: fx.clientId,
    client_secret: fx.clientSecret,
    refresh_token: data.refresh_token,
  });
  assert.equal(again.statusCode, 400);
  assert.deepEqual(again.json(), { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' });

  const stored = await t.ctx.storage.db.selectFrom('refresh_tokens').select('token_hash').execute();
  assert.ok(
    stored.every((r) => r.token_hash !== data.refresh_token),
    'refresh tokens are stored hashed',
  );
});

test('openid-client genericGrantRequest performs a delegation: act everywhere, no refresh token', async () => {
  const config = await oidc.discovery(
    new URL(base),
    fx.clientId,
    fx.clientSecret,
    oidc.ClientSecretPost(fx.clientSecret),
    {
      execute: [oidc.allowInsecureRequests],
    },
  );
  const tokens = await oidc.genericGrantRequest(config, EXCHANGE_GRANT, {
    subject_token_type: TOKEN_TYPE,
    subject_token: 'legacy:bob',
    audience: API_ID,
    scope: 'openid email read:data offline_access',
    agent: 'agent-42',
  });
  const expectedAct = { sub: 'agent-42', sub_profile: 'ai_agent', act: { sub: 'orchestrator' } };
  assert.equal(tokens.refresh_token, undefined, 'no refresh token when an actor is set (spec 9.4)');
  assert.equal(tokens.scope, 'openid email read:data', 'offline_access leaves the scope');
  const { payload: at } = await jwtVerify(tokens.access_token, jwks(), { issuer: base, audience: API_ID });
  assert.deepEqual(at.act, expectedAct);
  const { payload: idt } = await jwtVerify(tokens.id_token!, jwks(), { issuer: base, audience: fx.clientId });
  assert.deepEqual(idt.act, expectedAct);

  const info = await fetch(`${base}userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(info.status, 200);
  assert.deepEqual(await info.json(), {
    sub: 'oidc|legacy-idp|bob',
    email: 'bob@example.com',
    email_verified: true,
    act: expectedAct,
  });

  const log = await lastLog(t, 'secte');
  assert.deepEqual(log.details.actor, { sub: 'agent-42', act: { sub: 'orchestrator' } });
});

test('an actor_token suppresses the refresh token even when the Action sets no actor (D1)', async () => {
  const res = await fx.exchange({
    subject_token: 'legacy:carol',
    scope: 'openid offline_access',
    actor_token: 'opaque',
    actor_token_type: 'urn:acme:agent-token',
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.json().refresh_token, undefined);
  assert.equal(res.json().scope, 'openid');
  assert.equal(decodeJwt(res.json().access_token).act, undefined);
});

test('event.request.body has the parsed form without client credentials (D8)', async () => {
  const echo = await setupExchange(t, {
    skipApi: true,
    subjectTokenType: 'https://example.com/echo-token',
    code: `exports.onExecuteCustomTokenExchange = async (event, api) => { api.access.deny('echo', JSON.stringify(event.request.body)); };`,
  });
  const res = await echo.exchange({ reason: 'ticket-123' });
  assert.equal(res.statusCode, 400);
  const body = JSON.parse(res.json().error_description);
  assert.equal(body.reason, 'ticket-123');
  assert.equal(body.client_secret, undefined);
  assert.equal(body.subject_token, 'subject-token-value');
});
