/**
 * RFC 9068 (JWT profile for OAuth 2.0 access tokens) checked by resource-server libraries that enforce it, against
 * a real Baton on a loopback port: oauth4webapi's `validateJwtAccessToken` (which requires `typ: at+jwt` and the
 * section 2.2 claims `iss`, `exp`, `aud`, `sub`, `client_id`, `iat`, `jti`) and express-oauth2-jwt-bearer's `auth()`
 * with `strict: true`. Tokens come from client_credentials, a token exchange (with an actor) and a refresh.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';
import * as oauth from 'oauth4webapi';
import { startListeningApp, type ListeningApp } from '../sdk/listen.js';
import { setupExchange, API_ID, type ExchangeFixture } from '../helpers/exchange.js';

const ACTION = `
exports.onExecuteCustomTokenExchange = async (event, api) => {
  api.authentication.setUserByConnection('legacy-idp', { user_id: 'rfc9068-user', email: 'rfc9068@example.com' },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
  if (event.request.body.subject_token === 'with-actor') api.authentication.setActor({ sub: 'agent-7' });
};`;

let t: ListeningApp;
let fx: ExchangeFixture;
let as: oauth.AuthorizationServer;
let rs: http.Server;
let rsUrl: string;

before(async () => {
  t = await startListeningApp();
  fx = await setupExchange(t, { code: ACTION });
  as = await oauth.processDiscoveryResponse(
    new URL(t.issuer),
    await oauth.discoveryRequest(new URL(t.issuer), { [oauth.allowInsecureRequests]: true }),
  );
  // A resource server written as express-oauth2-jwt-bearer's docs teach, in strict (RFC 9068) mode.
  const app = express();
  app.use(auth({ issuerBaseURL: t.issuer, audience: API_ID, strict: true }));
  app.get('/whoami', (req, res) => {
    res.json({ sub: req.auth?.payload.sub, client_id: req.auth?.payload.client_id, typ: req.auth?.header.typ });
  });
  // The library throws its RFC 6750 errors to Express; answer their status without Express's stack-printing default.
  app.use((err: { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err.status ?? 500).end();
  });
  rs = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => rs.once('listening', resolve));
  rsUrl = `http://127.0.0.1:${(rs.address() as AddressInfo).port}/whoami`;
});
after(async () => {
  await new Promise((resolve) => rs.close(resolve));
  await t.close();
});

/** oauth4webapi's strict RFC 9068 validation of a bearer token, as a resource server receives it. */
function validate(token: string, audience = API_ID) {
  const request = new Request('https://rs.example.com/', { headers: { authorization: `Bearer ${token}` } });
  return oauth.validateJwtAccessToken(as, request, audience, { [oauth.allowInsecureRequests]: true });
}

async function callResourceServer(token: string) {
  const res = await fetch(rsUrl, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: res.status === 200 ? await res.json() : await res.text() };
}

async function exchange(fields: Record<string, string> = {}) {
  const res = await fx.exchange(fields);
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ access_token: string; refresh_token?: string }>();
}

test('an exchanged access token passes oauth4webapi.validateJwtAccessToken and strict express-oauth2-jwt-bearer', async () => {
  const { access_token } = await exchange();
  const claims = await validate(access_token);
  assert.equal(claims.client_id, fx.clientId);
  assert.equal(claims.azp, fx.clientId);
  assert.equal(claims.iss, t.issuer);
  assert.equal(claims.aud, API_ID);
  assert.equal(claims.sub, 'oidc|legacy-idp|rfc9068-user');
  assert.equal(typeof claims.jti, 'string');
  assert.equal(claims.exp - claims.iat, 3600);
  assert.deepEqual(await callResourceServer(access_token), {
    status: 200,
    body: { sub: claims.sub, client_id: fx.clientId, typ: 'at+jwt' },
  });
});

test('a delegated token (act) and an openid token with two audiences are RFC 9068 tokens too', async () => {
  const delegated = await validate((await exchange({ subject_token: 'with-actor' })).access_token);
  assert.deepEqual(delegated.act, { sub: 'agent-7' });
  assert.equal(delegated.client_id, fx.clientId);

  const withOpenid = await validate((await exchange({ scope: 'openid read:data' })).access_token);
  assert.deepEqual(withOpenid.aud, [API_ID, `${t.issuer}userinfo`]);
  assert.equal(withOpenid.client_id, fx.clientId);
  assert.equal(withOpenid.scope, 'openid read:data');
});

test('a refreshed access token keeps client_id', async () => {
  const first = await exchange({ scope: 'offline_access read:data' });
  assert.ok(first.refresh_token);
  const res = await t.form('/oauth/token', {
    grant_type: 'refresh_token',
    client_id: fx.clientId,
    client_secret: fx.clientSecret,
    refresh_token: first.refresh_token,
  });
  assert.equal(res.statusCode, 200, res.body);
  const claims = await validate(res.json().access_token);
  assert.equal(claims.client_id, fx.clientId);
});

test('a client_credentials token names its client in client_id and sub', async () => {
  const c = (
    await t.api('POST', '/clients', {
      name: 'rfc9068 m2m',
      app_type: 'non_interactive',
      grant_types: ['client_credentials'],
    })
  ).json<{ client_id: string; client_secret: string }>();
  assert.equal(
    (await t.api('POST', '/client-grants', { client_id: c.client_id, audience: API_ID, scope: ['read:data'] }))
      .statusCode,
    201,
  );
  const res = await t.form('/oauth/token', {
    grant_type: 'client_credentials',
    client_id: c.client_id,
    client_secret: c.client_secret,
    audience: API_ID,
  });
  assert.equal(res.statusCode, 200, res.body);
  const token = res.json().access_token as string;
  const claims = await validate(token);
  assert.equal(claims.client_id, c.client_id);
  assert.equal(claims.sub, `${c.client_id}@clients`);
  assert.equal((await callResourceServer(token)).status, 200);
});

test('the strict resource server refuses what RFC 9068 refuses: an ID token, another audience', async () => {
  const { id_token } = (await fx.exchange({ scope: 'openid' })).json<{ id_token: string }>();
  assert.ok(id_token);
  // An ID token is typed JWT, not at+jwt: RFC 9068 section 4 says a resource server must refuse it.
  await assert.rejects(validate(id_token), (err: Error) => /typ/i.test(err.message));
  assert.equal((await callResourceServer(id_token)).status, 401);

  const { access_token } = await exchange();
  await assert.rejects(validate(access_token, 'https://other.example.com'), (err: Error) => /aud/i.test(err.message));
});
