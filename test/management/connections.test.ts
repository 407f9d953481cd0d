import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, ADMIN_ID, type TestApp } from '../helpers/app.js';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});
after(() => t.close());

const err = (statusCode: number, message: string, errorCode?: string) => ({
  statusCode,
  error: { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict' }[statusCode],
  message,
  ...(errorCode ? { errorCode } : {}),
});

let dbId: string;

test('POST /connections creates a database connection with Auth0 fields', async () => {
  const res = await t.api('POST', '/connections', {
    name: 'Username-Password-Authentication',
    strategy: 'auth0',
    enabled_clients: [ADMIN_ID],
    metadata: { team: 'id' },
  });
  assert.equal(res.statusCode, 201);
  const body = res.json();
  assert.match(body.id, /^con_[A-Za-z0-9]{16}$/);
  dbId = body.id;
  assert.deepEqual(body, {
    id: dbId,
    name: 'Username-Password-Authentication',
    strategy: 'auth0',
    options: {},
    enabled_clients: [ADMIN_ID],
    realms: ['Username-Password-Authentication'],
    is_domain_connection: false,
    metadata: { team: 'id' },
  });
});

test('any other strategy is a named connection; secret options are sealed at rest and returned to the API', async () => {
  const res = await t.api('POST', '/connections', {
    name: 'corp-oidc',
    strategy: 'oidc',
    display_name: 'Corp',
    options: {
      client_id: 'abc',
      client_secret: 'upstream-s3cret',
      discovery_url: 'https://idp.example/.well-known/openid-configuration',
    },
  });
  assert.equal(res.statusCode, 201);
  assert.deepEqual(res.json().options, {
    client_id: 'abc',
    client_secret: 'upstream-s3cret',
    discovery_url: 'https://idp.example/.well-known/openid-configuration',
  });
  assert.equal(res.json().display_name, 'Corp');
  const row = await t.ctx.storage.db
    .selectFrom('connections')
    .select('options')
    .where('name', '=', 'corp-oidc')
    .executeTakeFirstOrThrow();
  assert.ok(!row.options.includes('upstream-s3cret'));
  assert.equal(JSON.parse(row.options).client_secret.$sealed.split('.').length, 5);
  const custom = await t.api('POST', '/connections', { name: 'legacy', strategy: 'custom' });
  assert.equal(custom.statusCode, 201);
});

test('validation: required fields, name pattern, unknown properties, unknown clients', async () => {
  const missing = await t.api('POST', '/connections', { name: 'x' });
  assert.equal(missing.statusCode, 400);
  assert.deepEqual(
    missing.json(),
    err(400, "Payload validation error: 'Missing required property: strategy'.", 'invalid_body'),
  );
  const badName = await t.api('POST', '/connections', { name: 'bad name', strategy: 'auth0' });
  assert.equal(badName.statusCode, 400);
  assert.deepEqual(
    badName.json(),
    err(
      400,
      `Payload validation error: 'must match pattern "^[a-zA-Z0-9](-[a-zA-Z0-9]|[a-zA-Z0-9])*$"' on property name.`,
      'invalid_body',
    ),
  );
  const dashEnd = await t.api('POST', '/connections', { name: 'ends-', strategy: 'auth0' });
  assert.equal(dashEnd.statusCode, 400);
  const extra = await t.api('POST', '/connections', { name: 'ok', strategy: 'auth0', foo: 1 });
  assert.deepEqual(
    extra.json(),
    err(400, "Payload validation error: 'Additional properties not allowed: foo'.", 'invalid_body'),
  );
  const pipe = await t.api('POST', '/connections', { name: 'ok', strategy: 'a|b' });
  assert.equal(pipe.statusCode, 400);
  const ghost = await t.api('POST', '/connections', { name: 'ok', strategy: 'auth0', enabled_clients: ['ghost'] });
  assert.equal(ghost.statusCode, 400);
  assert.deepEqual(ghost.json(), err(400, 'The client does not exist: ghost', 'inexistent_client'));
});

test('a duplicate name is a 409', async () => {
  const res = await t.api('POST', '/connections', { name: 'corp-oidc', strategy: 'samlp' });
  assert.equal(res.statusCode, 409);
  assert.deepEqual(res.json(), err(409, 'A connection with the same name already exists', 'connection_conflict'));
});

test('GET list with strategy and name filters, paging and include_totals', async () => {
  const all = await t.api('GET', '/connections');
  assert.equal(all.statusCode, 200);
  assert.deepEqual(
    all.json().map((c: { name: string }) => c.name),
    ['Username-Password-Authentication', 'corp-oidc', 'legacy'],
  );
  const oidc = await t.api('GET', '/connections?strategy=oidc');
  assert.deepEqual(
    oidc.json().map((c: { name: string }) => c.name),
    ['corp-oidc'],
  );
  const byName = await t.api('GET', '/connections?name=legacy');
  assert.deepEqual(
    byName.json().map((c: { strategy: string }) => c.strategy),
    ['custom'],
  );
  const paged = await t.api('GET', '/connections?per_page=1&page=1&include_totals=true');
  const body = paged.json();
  assert.deepEqual(
    { ...body, connections: body.connections.map((c: { name: string }) => c.name) },
    { start: 1, limit: 1, length: 1, total: 3, connections: ['corp-oidc'] },
  );
  const bad = await t.api('GET', '/connections?per_page=0');
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().errorCode, 'invalid_query_string');
});

test('GET list by checkpoint: take/from with next while more remain; fields projection', async () => {
  const first = await t.api('GET', '/connections?take=2');
  assert.equal(first.statusCode, 200);
  const body = first.json<{ connections: Array<{ id: string }>; next?: string }>();
  assert.equal(body.connections.length, 2);
  assert.equal(body.next, body.connections[1]!.id);
  const second = (await t.api('GET', `/connections?take=2&from=${body.next}`)).json<{
    connections: Array<{ id: string }>;
    next?: string;
  }>();
  assert.equal(second.connections.length, 1);
  assert.equal(second.next, undefined);
  const ids = [...body.connections, ...second.connections].map((c) => c.id);
  assert.equal(new Set(ids).size, 3);
  assert.deepEqual(ids, [...ids].sort());
  const projected = (await t.api('GET', '/connections?fields=name,strategy&name=legacy')).json();
  assert.deepEqual(projected, [{ name: 'legacy', strategy: 'custom' }]);
  const tooMany = await t.api('GET', '/connections?take=101');
  assert.deepEqual(
    tooMany.json(),
    err(400, "Query validation error: 'must be <= 100' on property take.", 'invalid_query_string'),
  );
});

test('GET one, PATCH replaces options and sets display_name, name and strategy cannot change', async () => {
  const got = await t.api('GET', `/connections/${dbId}`);
  assert.equal(got.statusCode, 200);
  assert.equal(got.json().name, 'Username-Password-Authentication');
  const patched = await t.api('PATCH', `/connections/${dbId}`, {
    display_name: 'Database',
    options: { requires_username: true },
  });
  assert.equal(patched.statusCode, 200);
  assert.equal(patched.json().display_name, 'Database');
  assert.deepEqual(patched.json().options, { requires_username: true });
  const rename = await t.api('PATCH', `/connections/${dbId}`, { name: 'other' });
  assert.deepEqual(
    rename.json(),
    err(400, "Payload validation error: 'Additional properties not allowed: name'.", 'invalid_body'),
  );
});

test('enabled clients: GET and PATCH /connections/{id}/clients with [{client_id, status}]', async () => {
  const oidc = (await t.api('GET', '/connections?name=corp-oidc')).json()[0];
  const enable = await t.api('PATCH', `/connections/${oidc.id}/clients`, [{ client_id: ADMIN_ID, status: true }]);
  assert.equal(enable.statusCode, 204);
  assert.equal(enable.body, '');
  assert.deepEqual((await t.api('GET', `/connections/${oidc.id}/clients`)).json(), {
    clients: [{ client_id: ADMIN_ID }],
  });
  assert.deepEqual((await t.api('GET', `/connections/${oidc.id}`)).json().enabled_clients, [ADMIN_ID]);
  const disable = await t.api('PATCH', `/connections/${oidc.id}/clients`, [{ client_id: ADMIN_ID, status: false }]);
  assert.equal(disable.statusCode, 204);
  assert.deepEqual((await t.api('GET', `/connections/${oidc.id}/clients`)).json(), { clients: [] });
  const badBody = await t.api('PATCH', `/connections/${oidc.id}/clients`, [{ client_id: ADMIN_ID }]);
  assert.deepEqual(
    badBody.json(),
    err(400, "Payload validation error: 'Missing required property: status' on property 0.", 'invalid_body'),
  );
  const unknown = await t.api('PATCH', `/connections/${oidc.id}/clients`, [{ client_id: 'ghost', status: true }]);
  assert.equal(unknown.statusCode, 400);
  const missing = await t.api('PATCH', '/connections/con_missing/clients', [{ client_id: ADMIN_ID, status: true }]);
  assert.equal(missing.statusCode, 404);
});

test('404s for an unknown connection', async () => {
  const notFound = err(404, 'The connection does not exist', 'inexistent_connection');
  for (const [method, body] of [
    ['GET', undefined],
    ['PATCH', { display_name: 'x' }],
    ['DELETE', undefined],
  ] as const) {
    const res = await t.api(method, '/connections/con_missing', body);
    assert.equal(res.statusCode, 404, method);
    assert.deepEqual(res.json(), notFound);
  }
  assert.deepEqual((await t.api('GET', '/connections/con_missing/clients')).json(), notFound);
});

test('401 without a token, 403 without the scope', async () => {
  const anon = await t.app.inject({ method: 'GET', url: '/api/v2/connections' });
  assert.equal(anon.statusCode, 401);
  assert.deepEqual(anon.json(), err(401, 'Missing authentication'));
  const token = await t.mgmtToken(['read:users']);
  const res = await t.api('GET', '/connections', undefined, token);
  assert.equal(res.statusCode, 403);
  assert.deepEqual(
    res.json(),
    err(403, 'Insufficient scope; expected any of: read:connections.', 'insufficient_scope'),
  );
  const create = await t.api(
    'POST',
    '/connections',
    { name: 'x', strategy: 'auth0' },
    await t.mgmtToken(['read:connections']),
  );
  assert.deepEqual(
    create.json(),
    err(403, 'Insufficient scope; expected any of: create:connections.', 'insufficient_scope'),
  );
});

test('DELETE removes the connection and its users', async () => {
  const legacy = (await t.api('GET', '/connections?name=legacy')).json()[0];
  await t.ctx.repos.users.findOrCreateByIdentity((await t.ctx.repos.connections.get(legacy.id))!, 'u1', {
    email: 'u1@example.com',
  });
  const res = await t.api('DELETE', `/connections/${legacy.id}`);
  assert.equal(res.statusCode, 204);
  assert.equal((await t.api('GET', `/connections/${legacy.id}`)).statusCode, 404);
  assert.equal(await t.ctx.repos.users.get('custom|legacy|u1'), undefined);
});

test('is_domain_connection and realms: what Baton answers is accepted back, anything else is refused', async () => {
  const created = await t.api('POST', '/connections', {
    name: 'roundtrip',
    strategy: 'oidc',
    is_domain_connection: false,
    realms: ['roundtrip'],
  });
  assert.equal(created.statusCode, 201, created.body);
  const c = created.json();
  assert.equal(c.is_domain_connection, false);
  assert.deepEqual(c.realms, ['roundtrip']);
  const { id, name, strategy, ...writable } = c;
  assert.equal((await t.api('PATCH', `/connections/${id}`, writable)).statusCode, 200);
  assert.equal(name, 'roundtrip');
  assert.equal(strategy, 'oidc');
  const domain = await t.api('POST', '/connections', {
    name: 'domainconn',
    strategy: 'oidc',
    is_domain_connection: true,
  });
  assert.deepEqual(
    domain.json(),
    err(
      400,
      "Payload validation error: 'Baton has no login pages: a connection cannot be a domain connection' on property is_domain_connection.",
      'invalid_body',
    ),
  );
  const realms = await t.api('PATCH', `/connections/${id}`, { realms: ['other'] });
  assert.deepEqual(
    realms.json(),
    err(
      400,
      "Payload validation error: 'a connection's only realm is its name (roundtrip)' on property realms.",
      'invalid_body',
    ),
  );
  assert.equal((await t.api('GET', '/connections?name=domainconn')).json().length, 0);
});
