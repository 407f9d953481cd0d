import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { verifyPassword } from '../../src/storage/repositories/user-password.js';

let t: TestApp;
before(async () => {
  t = await startTestApp();
  assert.equal(
    (await t.api('POST', '/connections', { name: 'Username-Password-Authentication', strategy: 'auth0' })).statusCode,
    201,
  );
  assert.equal((await t.api('POST', '/connections', { name: 'corp', strategy: 'oidc' })).statusCode, 201);
});
after(() => t.close());

const err = (statusCode: number, message: string, errorCode?: string) => ({
  statusCode,
  error: { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict' }[statusCode],
  message,
  ...(errorCode ? { errorCode } : {}),
});
const enc = encodeURIComponent;

let alice: { user_id: string; created_at: string };

test('POST /users creates a database user with Auth0 defaults; the password is stored as an scrypt hash', async () => {
  const res = await t.api('POST', '/users', {
    connection: 'Username-Password-Authentication',
    email: 'Alice@Example.com',
    password: 'correct horse battery',
    user_metadata: { lang: 'en' },
  });
  assert.equal(res.statusCode, 201);
  alice = res.json();
  assert.match(alice.user_id, /^auth0\|[0-9a-f]{24}$/);
  assert.deepEqual(res.json(), {
    user_id: alice.user_id,
    email: 'alice@example.com',
    email_verified: false,
    name: 'Alice@Example.com',
    nickname: 'Alice',
    identities: [
      {
        connection: 'Username-Password-Authentication',
        provider: 'auth0',
        user_id: alice.user_id.slice(6),
        isSocial: false,
      },
    ],
    app_metadata: {},
    user_metadata: { lang: 'en' },
    blocked: false,
    logins_count: 0,
    created_at: alice.created_at,
    updated_at: alice.created_at,
  });
  assert.ok(!res.body.includes('correct horse') && !res.body.includes('scrypt'));
  const hash = await t.ctx.repos.users.passwordHash(alice.user_id);
  assert.equal(await verifyPassword('correct horse battery', hash!), true);
});

test('POST /users with a chosen user_id, and a duplicate e-mail or id is a 409', async () => {
  const res = await t.api('POST', '/users', {
    connection: 'Username-Password-Authentication',
    email: 'bob@example.com',
    user_id: 'bob-1',
    given_name: 'Bob',
  });
  assert.equal(res.statusCode, 201);
  assert.equal(res.json().user_id, 'auth0|bob-1');
  assert.equal(await t.ctx.repos.users.passwordHash('auth0|bob-1'), null);
  const dupEmail = await t.api('POST', '/users', {
    connection: 'Username-Password-Authentication',
    email: 'ALICE@example.com',
  });
  assert.equal(dupEmail.statusCode, 409);
  assert.deepEqual(dupEmail.json(), err(409, 'The user already exists.', 'auth0_idp_error'));
  const dupId = await t.api('POST', '/users', {
    connection: 'Username-Password-Authentication',
    email: 'other@example.com',
    user_id: 'bob-1',
  });
  assert.deepEqual(dupId.json(), err(409, 'The user already exists.', 'auth0_idp_error'));
});

test('POST /users validation errors', async () => {
  const cases: Array<[unknown, ReturnType<typeof err>]> = [
    [
      { email: 'x@example.com' },
      err(400, "Payload validation error: 'Missing required property: connection'.", 'invalid_body'),
    ],
    [
      { connection: 'nope', email: 'x@example.com' },
      err(400, 'The connection does not exist.', 'inexistent_connection'),
    ],
    [
      { connection: 'corp', email: 'x@example.com' },
      err(
        400,
        'Connection does not support user creation through the API. It must either be a database or passwordless connection.',
        'operation_not_supported',
      ),
    ],
    [
      { connection: 'Username-Password-Authentication' },
      err(400, "Payload validation error: 'Missing required property: email'.", 'invalid_body'),
    ],
    [
      { connection: 'Username-Password-Authentication', email: 'not-an-email' },
      err(400, `Payload validation error: 'must match format "email"' on property email.`, 'invalid_body'),
    ],
    [
      { connection: 'Username-Password-Authentication', email: 'x@example.com', password: 'short' },
      err(400, 'PasswordStrengthError: Password is too weak', 'invalid_body'),
    ],
    [
      { connection: 'Username-Password-Authentication', email: 'x@example.com', role: 'admin' },
      err(400, "Payload validation error: 'Additional properties not allowed: role'.", 'invalid_body'),
    ],
    [
      { connection: 'Username-Password-Authentication', email: 'x@example.com', user_id: 'a|b' },
      err(400, `Payload validation error: 'must match pattern "^[^|]+$"' on property user_id.`, 'invalid_body'),
    ],
  ];
  for (const [body, expected] of cases) {
    const res = await t.api('POST', '/users', body);
    assert.equal(res.statusCode, 400, JSON.stringify(body));
    assert.deepEqual(res.json(), expected);
  }
});

test('GET /users/{id} with a URL-encoded id, 404 for an unknown one', async () => {
  const res = await t.api('GET', `/users/${enc(alice.user_id)}`);
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().email, 'alice@example.com');
  const fields = await t.api('GET', `/users/${enc(alice.user_id)}?fields=user_id,email`);
  assert.deepEqual(fields.json(), { user_id: alice.user_id, email: 'alice@example.com' });
  const missing = await t.api('GET', `/users/${enc('auth0|nope')}`);
  assert.equal(missing.statusCode, 404);
  assert.deepEqual(missing.json(), err(404, 'The user does not exist.', 'inexistent_user'));
});

test('GET /users with q (email:"x", plain e-mail, prefix), paging and include_totals', async () => {
  const byField = await t.api('GET', `/users?q=${enc('email:"alice@example.com"')}&search_engine=v3`);
  assert.deepEqual(
    byField.json().map((u: { user_id: string }) => u.user_id),
    [alice.user_id],
  );
  const plain = await t.api('GET', `/users?q=${enc('BOB@example.com')}`);
  assert.deepEqual(
    plain.json().map((u: { user_id: string }) => u.user_id),
    ['auth0|bob-1'],
  );
  const prefix = await t.api('GET', `/users?q=${enc('email:ali*')}`);
  assert.deepEqual(
    prefix.json().map((u: { user_id: string }) => u.user_id),
    [alice.user_id],
  );
  const none = await t.api('GET', `/users?q=${enc('email:"nobody@example.com"')}`);
  assert.deepEqual(none.json(), []);
  const totals = await t.api('GET', '/users?per_page=1&page=0&include_totals=true');
  assert.equal(totals.statusCode, 200);
  const body = totals.json();
  assert.deepEqual([body.start, body.limit, body.length, body.total, body.users.length], [0, 1, 1, 2, 1]);
  const unsupported = await t.api('GET', `/users?q=${enc('app_metadata.plan:"gold"')}`);
  assert.equal(unsupported.statusCode, 400);
  assert.deepEqual(
    unsupported.json(),
    err(
      400,
      "Query validation error: 'Unsupported field in query: app_metadata.plan' on property q.",
      'invalid_query_string',
    ),
  );
  const badEngine = await t.api('GET', '/users?search_engine=v9');
  assert.equal(badEngine.statusCode, 400);
});

test('GET /users-by-email returns every user with that e-mail; email is required', async () => {
  const res = await t.api('GET', `/users-by-email?email=${enc('Alice@example.com')}`);
  assert.equal(res.statusCode, 200);
  assert.deepEqual(
    res.json().map((u: { user_id: string }) => u.user_id),
    [alice.user_id],
  );
  assert.deepEqual((await t.api('GET', '/users-by-email?email=none@example.com')).json(), []);
  const missing = await t.api('GET', '/users-by-email');
  assert.deepEqual(
    missing.json(),
    err(400, "Query validation error: 'Missing required property: email'.", 'invalid_query_string'),
  );
});

test('PATCH /users/{id}: top-level metadata merge, null removes a key, {} clears, blocked, profile fields', async () => {
  const id = enc(alice.user_id);
  let res = await t.api('PATCH', `/users/${id}`, {
    app_metadata: { plan: 'gold', roles: ['a'] },
    user_metadata: { theme: 'dark' },
  });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(
    [res.json().app_metadata, res.json().user_metadata],
    [
      { plan: 'gold', roles: ['a'] },
      { lang: 'en', theme: 'dark' },
    ],
  );
  res = await t.api('PATCH', `/users/${id}`, {
    app_metadata: { plan: null, roles: ['b'] },
    blocked: true,
    given_name: 'Alice',
  });
  assert.deepEqual(res.json().app_metadata, { roles: ['b'] });
  assert.equal(res.json().blocked, true);
  assert.equal(res.json().given_name, 'Alice');
  res = await t.api('PATCH', `/users/${id}`, { user_metadata: {} });
  assert.deepEqual(res.json().user_metadata, {});
  assert.deepEqual(res.json().app_metadata, { roles: ['b'] });
  res = await t.api('PATCH', `/users/${id}`, { password: 'another strong one' });
  assert.equal(res.statusCode, 200);
  assert.equal(
    await verifyPassword('another strong one', (await t.ctx.repos.users.passwordHash(alice.user_id))!),
    true,
  );
});

test('PATCH /users/{id} errors: 404, taken e-mail 409, password on a non-database user, bad body', async () => {
  const missing = await t.api('PATCH', `/users/${enc('auth0|nope')}`, { blocked: true });
  assert.deepEqual(missing.json(), err(404, 'The user does not exist.', 'inexistent_user'));
  const taken = await t.api('PATCH', `/users/${enc(alice.user_id)}`, { email: 'bob@example.com' });
  assert.equal(taken.statusCode, 409);
  assert.deepEqual(taken.json(), err(409, 'The specified new email already exists', 'email_conflict'));
  const corp = (await t.ctx.repos.connections.getByName('corp'))!;
  const { user } = await t.ctx.repos.users.findOrCreateByIdentity(corp, 'emp-1', { email: 'emp@corp.example' });
  assert.equal(user.user_id, 'oidc|corp|emp-1');
  const pw = await t.api('PATCH', `/users/${enc(user.user_id)}`, { password: 'long enough password' });
  assert.deepEqual(
    pw.json(),
    err(400, 'Cannot update password for non-database connections.', 'operation_not_supported'),
  );
  const extra = await t.api('PATCH', `/users/${enc(user.user_id)}`, { logins_count: 5 });
  assert.deepEqual(
    extra.json(),
    err(400, "Payload validation error: 'Additional properties not allowed: logins_count'.", 'invalid_body'),
  );
});

test('401 without a token, 403 without the scope', async () => {
  const anon = await t.app.inject({ method: 'GET', url: '/api/v2/users' });
  assert.equal(anon.statusCode, 401);
  assert.deepEqual(anon.json(), err(401, 'Missing authentication'));
  const readOnly = await t.mgmtToken(['read:users']);
  const res = await t.api(
    'POST',
    '/users',
    { connection: 'Username-Password-Authentication', email: 'z@example.com' },
    readOnly,
  );
  assert.equal(res.statusCode, 403);
  assert.deepEqual(res.json(), err(403, 'Insufficient scope; expected any of: create:users.', 'insufficient_scope'));
  const del = await t.api('DELETE', `/users/${enc(alice.user_id)}`, undefined, readOnly);
  assert.deepEqual(del.json(), err(403, 'Insufficient scope; expected any of: delete:users.', 'insufficient_scope'));
  const list = await t.api('GET', '/users', undefined, await t.mgmtToken(['read:logs']));
  assert.deepEqual(list.json(), err(403, 'Insufficient scope; expected any of: read:users.', 'insufficient_scope'));
});

test('DELETE /users/{id} removes the user; deleting again is still a 204 (Auth0)', async () => {
  const res = await t.api('DELETE', `/users/${enc(alice.user_id)}`);
  assert.equal(res.statusCode, 204);
  assert.equal((await t.api('GET', `/users/${enc(alice.user_id)}`)).statusCode, 404);
  assert.equal((await t.api('DELETE', `/users/${enc(alice.user_id)}`)).statusCode, 204);
});
