/**
 * M2 (issue 10): an actor ID token must have been issued to the requesting client, or to a client the profile
 * lists in `actor_token_audiences` (RFC 8725 section 3.9, OIDC Core 3.1.3.7): `aud` contains an accepted client;
 * with several audiences `azp` names one; `iat` is neither in the future (beyond ACTOR_TOKEN_CLOCK_SKEW_S) nor older
 * than BATON_ACTOR_TOKEN_MAX_AGE. Failures keep D7's shape: 400 invalid_request `Invalid actor token: ...`.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { setupExchange, lastLog, type ExchangeFixture } from '../helpers/exchange.js';

const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';
const MAX_AGE = 3600;

const ACTION = `
exports.onExecuteCustomTokenExchange = async (event, api) => {
  api.authentication.setUserByConnection('legacy-idp', { user_id: 'cust-1', email: 'cust1@example.com' },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
  const actor = event.transaction.actor_token_user;
  if (actor) api.authentication.setActor({ sub: actor.user_id });
};`;

let t: TestApp;
let fx: ExchangeFixture;
let otherClient: string;
let thirdClient: string;
let agent: string;

const bad = (message: string) => ({ statusCode: 400, error: 'Bad Request', message, errorCode: 'invalid_body' });

async function newClient(name: string): Promise<string> {
  const res = await t.api('POST', '/clients', { name, app_type: 'spa', grant_types: [] });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().client_id;
}

/** An ID token of this tenant for the agent, signed with the tenant's key. */
async function idToken(claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    iss: t.config.issuer,
    sub: agent,
    aud: fx.clientId,
    iat: now,
    exp: now + 600,
    ...claims,
  };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return t.ctx.tokens.sign(payload, 'RS256');
}

async function withActor(claims: Record<string, unknown>) {
  return fx.exchange({ actor_token: await idToken(claims), actor_token_type: ID_TOKEN });
}

async function accepted(claims: Record<string, unknown>, what: string) {
  const res = await withActor(claims);
  assert.equal(res.statusCode, 200, `${what}: ${res.body}`);
  assert.deepEqual(decodeJwt(res.json().access_token).act, { sub: agent }, what);
}

async function refused(claims: Record<string, unknown>, why: string) {
  const res = await withActor(claims);
  assert.equal(res.statusCode, 400, `${why}: ${res.body}`);
  assert.deepEqual(res.json(), { error: 'invalid_request', error_description: `Invalid actor token: ${why}` });
  const log = await lastLog(t, 'fecte');
  assert.equal(log.description, `Invalid actor token: ${why}`);
}

before(async () => {
  t = await startTestApp({ env: { BATON_ACTOR_TOKEN_MAX_AGE: String(MAX_AGE) } });
  fx = await setupExchange(t, { code: ACTION });
  otherClient = await newClient('agent-app');
  thirdClient = await newClient('third-app');
  const db = await t.api('POST', '/connections', { name: 'agents-db', strategy: 'auth0' });
  assert.equal(db.statusCode, 201, db.body);
  const user = await t.api('POST', '/users', {
    connection: 'agents-db',
    email: 'agent@example.com',
    password: 'Sup3r-secret-pass!',
  });
  assert.equal(user.statusCode, 201, user.body);
  agent = user.json().user_id;
});
after(() => t.close());

describe('audience', () => {
  test('an ID token issued to the requesting client is accepted', async () => {
    await accepted({}, 'aud = requesting client');
    await accepted({ aud: [fx.clientId] }, 'aud = [requesting client]');
  });

  test('an ID token issued to another client of the tenant is refused by default', async () => {
    await refused({ aud: otherClient }, "unexpected 'aud' claim value");
    await refused({ aud: 'https://api.example.com' }, "unexpected 'aud' claim value");
    await refused({ aud: undefined }, "missing required 'aud' claim");
  });

  test('a client the profile lists in actor_token_audiences is accepted; removing it refuses again', async () => {
    const patch = await t.api('PATCH', `/token-exchange-profiles/${fx.profileId}`, {
      actor_token_audiences: [otherClient],
    });
    assert.equal(patch.statusCode, 200, patch.body);
    const got = await t.api('GET', `/token-exchange-profiles/${fx.profileId}`);
    assert.deepEqual(got.json().actor_token_audiences, [otherClient]);
    await accepted({ aud: otherClient }, 'aud = listed client');
    await accepted({}, 'the requesting client stays accepted');
    await refused({ aud: thirdClient }, "unexpected 'aud' claim value");

    const clear = await t.api('PATCH', `/token-exchange-profiles/${fx.profileId}`, { actor_token_audiences: [] });
    assert.equal(clear.statusCode, 200, clear.body);
    assert.equal(
      (await t.api('GET', `/token-exchange-profiles/${fx.profileId}`)).json().actor_token_audiences,
      undefined,
    );
    await refused({ aud: otherClient }, "unexpected 'aud' claim value");
  });

  test('with several audiences, azp must name an accepted client', async () => {
    await refused({ aud: [fx.clientId, thirdClient] }, "'azp' claim missing");
    await refused({ aud: [fx.clientId, thirdClient], azp: thirdClient }, "unexpected 'azp' claim value");
    await accepted({ aud: [fx.clientId, thirdClient], azp: fx.clientId }, 'several audiences, azp = requesting client');
    // An azp that names another party is refused even with one audience (OIDC Core 3.1.3.7, point 5).
    await refused({ aud: fx.clientId, azp: thirdClient }, "unexpected 'azp' claim value");
  });
});

describe('issued at', () => {
  test('iat in the future beyond the clock skew is refused; within it, accepted', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused({ iat: now + 600, exp: now + 1200 }, "'iat' claim timestamp check failed (it should be in the past)");
    await accepted({ iat: now + 20, exp: now + 600 }, 'iat 20 s ahead');
  });

  test('iat older than BATON_ACTOR_TOKEN_MAX_AGE is refused even when exp is still ahead', async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(
      { iat: now - MAX_AGE - 600, exp: now + 600 },
      "'iat' claim timestamp check failed (too far in the past)",
    );
    await accepted({ iat: now - MAX_AGE + 600, exp: now + 600 }, 'iat within the max age');
  });

  test('an ID token without iat is refused', async () => {
    await refused({ iat: undefined }, "missing required 'iat' claim");
  });
});

describe('actor_token_audiences in the Management API', () => {
  test('created with the profile, shown, validated with Auth0-shape errors', async () => {
    const action = (await t.api('GET', `/token-exchange-profiles/${fx.profileId}`)).json().action_id;
    const body = (over: Record<string, unknown>) => ({
      name: 'Agents',
      subject_token_type: 'urn:acme:agent-ticket',
      action_id: action,
      type: 'custom_authentication',
      ...over,
    });
    const notArray = await t.api(
      'POST',
      '/token-exchange-profiles',
      body({ actor_token_audiences: { client: otherClient } }),
    );
    assert.equal(notArray.statusCode, 400);
    assert.deepEqual(
      notArray.json(),
      bad("Payload validation error: 'must be array' on property actor_token_audiences."),
    );
    const notString = await t.api(
      'POST',
      '/token-exchange-profiles',
      body({ actor_token_audiences: [{ client_id: otherClient }] }),
    );
    assert.deepEqual(
      notString.json(),
      bad("Payload validation error: 'must be string' on property actor_token_audiences.0."),
    );
    const dup = await t.api(
      'POST',
      '/token-exchange-profiles',
      body({ actor_token_audiences: [otherClient, otherClient] }),
    );
    assert.equal(dup.statusCode, 400);
    assert.match(dup.json().message, /^Payload validation error: 'must NOT have duplicate items/);
    const many = await t.api(
      'POST',
      '/token-exchange-profiles',
      body({ actor_token_audiences: Array.from({ length: 21 }, (_, i) => `c${i}`) }),
    );
    assert.deepEqual(
      many.json(),
      bad("Payload validation error: 'must NOT have more than 20 items' on property actor_token_audiences."),
    );
    const unknown = await t.api(
      'POST',
      '/token-exchange-profiles',
      body({ actor_token_audiences: [otherClient, 'no-such-client'] }),
    );
    assert.equal(unknown.statusCode, 400);
    assert.deepEqual(unknown.json(), {
      statusCode: 400,
      error: 'Bad Request',
      message: 'The client does not exist: no-such-client',
      errorCode: 'inexistent_client',
    });
    assert.equal(
      (await t.api('GET', '/token-exchange-profiles')).json().token_exchange_profiles.length,
      1,
      'nothing was written',
    );

    const created = await t.api(
      'POST',
      '/token-exchange-profiles',
      body({ actor_token_audiences: [otherClient, thirdClient] }),
    );
    assert.equal(created.statusCode, 201, created.body);
    assert.deepEqual(created.json().actor_token_audiences, [otherClient, thirdClient]);
    const id = created.json().id;
    assert.deepEqual((await t.api('GET', `/token-exchange-profiles/${id}`)).json().actor_token_audiences, [
      otherClient,
      thirdClient,
    ]);

    const badPatch = await t.api('PATCH', `/token-exchange-profiles/${id}`, {
      actor_token_audiences: ['no-such-client'],
    });
    assert.deepEqual(badPatch.json(), {
      statusCode: 400,
      error: 'Bad Request',
      message: 'The client does not exist: no-such-client',
      errorCode: 'inexistent_client',
    });
    assert.deepEqual(
      (await t.api('GET', `/token-exchange-profiles/${id}`)).json().actor_token_audiences,
      [otherClient, thirdClient],
      'refused patch changed nothing',
    );
    assert.equal((await t.api('DELETE', `/token-exchange-profiles/${id}`)).statusCode, 204);
  });
});
