/**
 * Spec section 10, row by row: exact status, `error`, `error_description`, and the `fecte` entry each writes.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.js';
import {
  setupExchange,
  deployAction,
  bindPostLogin,
  lastLog,
  TOKEN_TYPE,
  API_ID,
  type ExchangeFixture,
} from '../helpers/exchange.js';

// The Action branches on the subject token, so one profile covers every outcome.
const ACTION = `
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const t = event.transaction.subject_token;
  if (t === 'reject') return api.access.rejectInvalidSubjectToken('Subject token signature is invalid');
  if (t === 'deny-invalid-request') return api.access.deny('invalid_request', 'Denied by policy');
  if (t === 'deny-server-error') return api.access.deny('server_error', 'Upstream unavailable');
  if (t === 'deny-custom') return api.access.deny('unauthorized_actor', 'Actor may not act for this user');
  if (t === 'throw') throw new Error('boom: internal detail');
  if (t === 'spin') { while (true) {} }
  if (t === 'no-user') return;
  if (t === 'two-users') { api.authentication.setUserById('auth0|a'); api.authentication.setUserById('auth0|b'); return; }
  if (t === 'unknown-user') return api.authentication.setUserById('auth0|nobody');
  if (t.startsWith('by-id:')) return api.authentication.setUserById(t.slice(6));
  if (t === 'no-create') return api.authentication.setUserByConnection('legacy-idp', { user_id: 'ghost' }, { creationBehavior: 'none', updateBehavior: 'none' });
  if (t === 'immutable') return api.authentication.setUserByConnection('legacy-idp', { user_id: 'ext-1', email: 'changed@example.com' }, { creationBehavior: 'none', updateBehavior: 'replace' });
  if (t.startsWith('org:')) { api.authentication.setUserByConnection('legacy-idp', { user_id: 'ext-1', email: 'one@example.com' }, { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' }); return api.authentication.setOrganization(t.slice(4)); }
  if (t === 'actor') { api.authentication.setUserByConnection('legacy-idp', { user_id: 'ext-1', email: 'one@example.com' }, { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' }); return api.authentication.setActor({ sub: 'agent-1' }); }
  api.authentication.setUserByConnection('legacy-idp', { user_id: 'ext-1', email: 'one@example.com' }, { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
};`;

let t: TestApp;
let fx: ExchangeFixture;

before(async () => {
  t = await startTestApp({ env: { BATON_ACTION_TIMEOUT_MS: '1500', BATON_ACTION_CPU_MS: '300' } });
  fx = await setupExchange(t, { code: ACTION, client: { organization_usage: 'allow' } });
});
after(() => t.close());

async function expectError(
  fields: Record<string, string>,
  status: number,
  error: string,
  description: string,
  logPattern?: RegExp,
) {
  const res = await fx.exchange(fields);
  assert.equal(res.statusCode, status, res.body);
  assert.deepEqual(res.json(), { error, error_description: description });
  assert.equal(res.headers['cache-control'], 'no-store');
  const log = await lastLog(t, 'fecte');
  assert.equal(log.details.subject_token_type, fields.subject_token_type ?? TOKEN_TYPE);
  assert.equal(log.details.error, error);
  if (logPattern) assert.match(log.description, logPattern);
  assert.ok(!JSON.stringify(log).includes(fx.clientSecret), 'no client secret in the log');
  return log;
}

describe('pre-Action validation', () => {
  test('E1: bad client credentials → 401 invalid_client and a fecte entry', async () => {
    await expectError(
      { client_secret: 'wrong' },
      401,
      'invalid_client',
      'Client authentication failed',
      /wrong client secret/,
    );
  });

  test('E2: actor_token without actor_token_type, and the reverse → 400 invalid_request', async () => {
    await expectError(
      { actor_token: 'x' },
      400,
      'invalid_request',
      'actor_token_type is required when actor_token is present',
    );
    await expectError(
      { actor_token_type: 'urn:acme:agent' },
      400,
      'invalid_request',
      'actor_token is required when actor_token_type is present',
    );
  });

  test('missing subject_token / subject_token_type → 400 invalid_request', async () => {
    await expectError({ subject_token: '' }, 400, 'invalid_request', 'Missing required parameter: subject_token');
  });

  test('E3: unknown or reserved subject_token_type, or a client not enabled → the observed text', async () => {
    const text = 'Invalid subject_token_type and requested_token_type combination.';
    await expectError(
      { subject_token_type: 'urn:acme:unknown-type' },
      400,
      'invalid_request',
      text,
      /no token exchange profile/,
    );
    await expectError(
      { subject_token_type: 'urn:ietf:params:oauth:token-type:jwt' },
      400,
      'invalid_request',
      text,
      /reserved/,
    );
    await expectError({ subject_token_type: 'HTTPS://Auth0.com/x-token' }, 400, 'invalid_request', text, /reserved/);
    await expectError(
      { requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' },
      400,
      'invalid_request',
      text,
    );
    const disabled = await t.api('POST', '/clients', {
      name: 'not-cte',
      app_type: 'regular_web',
      grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'],
    });
    const res = await t.form('/oauth/token', {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      client_id: disabled.json().client_id,
      client_secret: disabled.json().client_secret,
      subject_token_type: TOKEN_TYPE,
      subject_token: 'x',
      audience: API_ID,
    });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json(), { error: 'invalid_request', error_description: text });
  });

  test('E4: an invalid actor ID token fails before the Action (expired, HS256, foreign, access token)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const user = await t.api('POST', '/users', {
      connection: 'Username-Password-Authentication',
      email: 'agent@example.com',
      password: 'Sup3r-secret-pass!',
    });
    const sub = user.statusCode === 201 ? user.json().user_id : 'auth0|missing';
    const expired = await t.ctx.tokens.sign(
      { iss: t.config.issuer, sub, aud: fx.clientId, iat: now - 7200, exp: now - 3600 },
      'RS256',
    );
    await expectError(
      { actor_token: expired, actor_token_type: 'urn:ietf:params:oauth:token-type:id_token' },
      400,
      'invalid_request',
      `Invalid actor token: 'exp' claim timestamp check failed`,
    );
    await expectError(
      { actor_token: 'not-a-jwt', actor_token_type: 'urn:ietf:params:oauth:token-type:id_token' },
      400,
      'invalid_request',
      'Invalid actor token: malformed token',
    );
    const ghost = await t.ctx.tokens.sign(
      { iss: t.config.issuer, sub: 'auth0|ghost', aud: fx.clientId, iat: now, exp: now + 60 },
      'RS256',
    );
    await expectError(
      { actor_token: ghost, actor_token_type: 'urn:ietf:params:oauth:token-type:id_token' },
      400,
      'invalid_request',
      'Invalid actor token: user not found',
    );
  });

  test('E18: an API that does not allow skipping consent → 400 invalid_request', async () => {
    await t.api('POST', '/resource-servers', {
      identifier: 'https://no-skip.example.com',
      name: 'No skip',
      skip_consent_for_verifiable_first_party_clients: false,
    });
    await expectError(
      { audience: 'https://no-skip.example.com' },
      400,
      'invalid_request',
      "Consent required: enable 'Allow Skipping User Consent' (skip_consent_for_verifiable_first_party_clients) on the API",
    );
  });

  test('an unknown audience is refused', async () => {
    await expectError(
      { audience: 'https://unknown.example.com' },
      403,
      'access_denied',
      'Service not found: https://unknown.example.com',
    );
  });
});

describe('Action outcomes', () => {
  test('E6: rejectInvalidSubjectToken → 400 invalid_request with the reason', async () => {
    await expectError({ subject_token: 'reject' }, 400, 'invalid_request', 'Subject token signature is invalid');
    await t.api('DELETE', '/anomaly/blocks/ips/127.0.0.1');
  });
  test('E7: deny(invalid_request) → 400', async () => {
    await expectError({ subject_token: 'deny-invalid-request' }, 400, 'invalid_request', 'Denied by policy');
  });
  test('E8: deny(server_error) → 500', async () => {
    await expectError({ subject_token: 'deny-server-error' }, 500, 'server_error', 'Upstream unavailable');
  });
  test('E9: deny(custom code) → 400 with that code', async () => {
    await expectError({ subject_token: 'deny-custom' }, 400, 'unauthorized_actor', 'Actor may not act for this user');
  });
  test('E10: a thrown Action → 500 with a generic text; the log says why', async () => {
    const log = await expectError(
      { subject_token: 'throw' },
      500,
      'server_error',
      'The server encountered an internal error.',
      /boom: internal detail/,
    );
    assert.ok(log);
  });
  test('E10: an Action that spins ends at its budget → 500', async () => {
    await expectError(
      { subject_token: 'spin' },
      500,
      'server_error',
      'The server encountered an internal error.',
      /CPU budget|wall-clock/,
    );
  });
  test('E11: no user set, or two → 500', async () => {
    await expectError(
      { subject_token: 'no-user' },
      500,
      'server_error',
      'The server encountered an internal error.',
      /set no user/,
    );
    await expectError({ subject_token: 'two-users' }, 500, 'server_error', 'The server encountered an internal error.');
  });
  test('E12: setUserById with an unknown user → 400, a blocked user → 403', async () => {
    await expectError({ subject_token: 'unknown-user' }, 400, 'invalid_request', 'User not found');
    const ok = await fx.exchange({ subject_token: 'plain' });
    assert.equal(ok.statusCode, 200, ok.body);
    const users = await t.api('GET', `/users?q=${encodeURIComponent('email:"one@example.com"')}`);
    const userId = users.json<Array<{ user_id: string }>>()[0]!.user_id;
    assert.equal((await t.api('PATCH', `/users/${encodeURIComponent(userId)}`, { blocked: true })).statusCode, 200);
    await expectError({ subject_token: `by-id:${userId}` }, 403, 'access_denied', 'user is blocked');
    await expectError({ subject_token: 'plain' }, 403, 'access_denied', 'user is blocked');
    await t.api('PATCH', `/users/${encodeURIComponent(userId)}`, { blocked: false });
  });
  test('E13: setUserByConnection rules → 400 invalid_request naming the rule', async () => {
    await expectError(
      { subject_token: 'no-create' },
      400,
      'invalid_request',
      'setUserByConnection: user ghost not found in connection legacy-idp and creationBehavior is none',
    );
    assert.equal((await fx.exchange({ subject_token: 'plain' })).statusCode, 200);
    await expectError(
      { subject_token: 'immutable' },
      400,
      'invalid_request',
      'setUserByConnection: email is immutable on an existing user and cannot be changed with updateBehavior replace',
    );
  });
  test('E14: organization mismatch and non-member → 403 access_denied', async () => {
    const a = (await t.api('POST', '/organizations', { name: 'org-a' })).json();
    const b = (await t.api('POST', '/organizations', { name: 'org-b' })).json();
    await expectError(
      { subject_token: `org:${a.id}`, organization: b.id },
      403,
      'access_denied',
      'Organization mismatch',
    );
    await expectError(
      { subject_token: `org:${a.id}` },
      403,
      'access_denied',
      'User is not a member of the organization',
    );
  });
});

describe('post-login in a token exchange', () => {
  test('E15, E17, E21: MFA with an actor, challengeWith, and deny', async () => {
    const postLogin = await deployAction(
      t,
      'post-login-gate',
      `
exports.onExecutePostLogin = async (event, api) => {
  const scopes = event.transaction.requested_scopes;
  if (scopes.includes('write:data') && event.transaction.actor) return api.multifactor.enable('any');
  if (scopes.includes('write:data')) return api.access.deny('Writes are not allowed today');
  if (scopes.includes('openid') && event.transaction.protocol === 'oauth2-token-exchange' && event.request.body.challenge) return api.authentication.challengeWith({ type: 'otp' });
};`,
      'post-login',
    );
    await bindPostLogin(t, [postLogin]);
    await expectError(
      { subject_token: 'actor', scope: 'write:data' },
      400,
      'invalid_request',
      'MFA is not supported using actor_token with the requested token exchange profile.',
    );
    await expectError(
      { subject_token: 'plain', scope: 'write:data' },
      403,
      'access_denied',
      'Writes are not allowed today',
    );
    await expectError(
      { subject_token: 'plain', scope: 'openid', challenge: '1' },
      400,
      'invalid_request',
      'api.authentication.challengeWith is not supported in a non-interactive oauth2-token-exchange transaction',
    );
    await bindPostLogin(t, []);
  });
});

test('a failed exchange leaves nothing half-written: no refresh token, no metadata', async () => {
  const before = await t.ctx.storage.db
    .selectFrom('refresh_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  await fx.exchange({ subject_token: 'deny-custom', scope: 'offline_access' });
  const afterCount = await t.ctx.storage.db
    .selectFrom('refresh_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  assert.equal(Number(afterCount.n), Number(before.n));
});
