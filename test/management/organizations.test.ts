import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let connId: string;
let userA: string;
let userB: string;
before(async () => {
  t = await startTestApp();
  connId = (await t.api('POST', '/connections', { name: 'db', strategy: 'auth0' })).json().id;
  userA = (await t.api('POST', '/users', { connection: 'db', email: 'a@example.com', name: 'A' })).json().user_id;
  userB = (await t.api('POST', '/users', { connection: 'db', email: 'b@example.com' })).json().user_id;
});
after(() => t.close());

const err = (statusCode: number, message: string, errorCode?: string) => ({
  statusCode,
  error: { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict' }[statusCode],
  message,
  ...(errorCode ? { errorCode } : {}),
});
const orgNotFound = err(404, 'No organization found by that id or name', 'inexistent_organization');

let orgId: string;

test('POST /organizations creates one; GET by id and by name', async () => {
  const res = await t.api('POST', '/organizations', {
    name: 'acme',
    display_name: 'Acme Inc.',
    metadata: { tier: 'gold' },
    branding: { logo_url: 'https://acme.example/logo.png' },
    enabled_connections: [{ connection_id: connId, assign_membership_on_login: true }],
  });
  assert.equal(res.statusCode, 201);
  orgId = res.json().id;
  assert.match(orgId, /^org_[A-Za-z0-9]{16}$/);
  assert.deepEqual(res.json(), {
    id: orgId,
    name: 'acme',
    display_name: 'Acme Inc.',
    metadata: { tier: 'gold' },
    branding: { logo_url: 'https://acme.example/logo.png' },
  });
  assert.deepEqual((await t.api('GET', `/organizations/${orgId}`)).json(), res.json());
  assert.deepEqual((await t.api('GET', '/organizations/name/acme')).json(), res.json());
  const missing = await t.api('GET', '/organizations/name/nope');
  assert.equal(missing.statusCode, 404);
  assert.deepEqual(missing.json(), orgNotFound);
  assert.deepEqual((await t.api('GET', '/organizations/org_missing')).json(), orgNotFound);
});

test('validation: name pattern and length, unknown properties, unknown connection; duplicate name 409', async () => {
  const upper = await t.api('POST', '/organizations', { name: 'Acme' });
  assert.deepEqual(
    upper.json(),
    err(400, `Payload validation error: 'must match pattern "^[a-z0-9_-]+$"' on property name.`, 'invalid_body'),
  );
  const long = await t.api('POST', '/organizations', { name: 'a'.repeat(51) });
  assert.deepEqual(
    long.json(),
    err(400, "Payload validation error: 'must NOT have more than 50 characters' on property name.", 'invalid_body'),
  );
  const extra = await t.api('POST', '/organizations', { name: 'ok', plan: 'x' });
  assert.deepEqual(
    extra.json(),
    err(400, "Payload validation error: 'Additional properties not allowed: plan'.", 'invalid_body'),
  );
  const conn = await t.api('POST', '/organizations', {
    name: 'ok',
    enabled_connections: [{ connection_id: 'con_nope' }],
  });
  assert.deepEqual(conn.json(), err(400, 'The connection does not exist.', 'inexistent_connection'));
  assert.equal((await t.api('GET', '/organizations/name/ok')).statusCode, 404, 'nothing half-created');
  const dup = await t.api('POST', '/organizations', { name: 'acme' });
  assert.equal(dup.statusCode, 409);
  assert.deepEqual(dup.json(), err(409, 'An organization with this name already exists.', 'conflict'));
});

test('GET list with paging and totals; PATCH; rename to a taken name is a 409', async () => {
  assert.equal((await t.api('POST', '/organizations', { name: 'beta' })).statusCode, 201);
  const list = await t.api('GET', '/organizations');
  assert.deepEqual(
    list.json().map((o: { name: string }) => o.name),
    ['acme', 'beta'],
  );
  const totals = (await t.api('GET', '/organizations?page=1&per_page=1&include_totals=true')).json();
  assert.deepEqual(
    [totals.total, totals.start, totals.limit, totals.organizations.map((o: { name: string }) => o.name)],
    [2, 1, 1, ['beta']],
  );
  const patched = await t.api('PATCH', `/organizations/${orgId}`, {
    display_name: 'ACME',
    metadata: { tier: 'platinum' },
  });
  assert.equal(patched.statusCode, 200);
  assert.deepEqual([patched.json().display_name, patched.json().metadata], ['ACME', { tier: 'platinum' }]);
  const taken = await t.api('PATCH', `/organizations/${orgId}`, { name: 'beta' });
  assert.deepEqual(taken.json(), err(409, 'An organization with this name already exists.', 'conflict'));
  assert.deepEqual((await t.api('PATCH', '/organizations/org_missing', { display_name: 'x' })).json(), orgNotFound);
});

test('members: add, list, remove; unknown users are a 400 and add nothing', async () => {
  const add = await t.api('POST', `/organizations/${orgId}/members`, { members: [userA, userB] });
  assert.equal(add.statusCode, 204);
  assert.equal(
    (await t.api('POST', `/organizations/${orgId}/members`, { members: [userA] })).statusCode,
    204,
    'idempotent',
  );
  const list = await t.api('GET', `/organizations/${orgId}/members`);
  assert.equal(list.statusCode, 200);
  assert.deepEqual(
    list.json().sort((x: { email: string }, y: { email: string }) => x.email.localeCompare(y.email)),
    [
      { user_id: userA, email: 'a@example.com', name: 'A' },
      { user_id: userB, email: 'b@example.com', name: 'b@example.com' },
    ],
  );
  const totals = (await t.api('GET', `/organizations/${orgId}/members?include_totals=true&per_page=1`)).json();
  assert.deepEqual([totals.total, totals.members.length], [2, 1]);
  const ghost = await t.api('POST', `/organizations/${orgId}/members`, { members: ['auth0|ghost'] });
  assert.deepEqual(ghost.json(), err(400, 'One or more users do not exist: auth0|ghost', 'inexistent_user'));
  const empty = await t.api('POST', `/organizations/${orgId}/members`, { members: [] });
  assert.deepEqual(
    empty.json(),
    err(400, "Payload validation error: 'must NOT have fewer than 1 items' on property members.", 'invalid_body'),
  );
  const remove = await t.api('DELETE', `/organizations/${orgId}/members`, { members: [userB] });
  assert.equal(remove.statusCode, 204);
  assert.deepEqual(
    (await t.api('GET', `/organizations/${orgId}/members`)).json().map((m: { user_id: string }) => m.user_id),
    [userA],
  );
  assert.equal(await t.ctx.repos.organizations.isMember(orgId, userB), false);
  assert.deepEqual((await t.api('GET', '/organizations/org_missing/members')).json(), orgNotFound);
});

test('enabled connections: list, add, read, update, remove', async () => {
  const list = await t.api('GET', `/organizations/${orgId}/enabled_connections`);
  assert.deepEqual(list.json(), [
    { connection_id: connId, assign_membership_on_login: true, connection: { name: 'db', strategy: 'auth0' } },
  ]);
  const other = (await t.api('POST', '/connections', { name: 'corp', strategy: 'samlp' })).json().id;
  const add = await t.api('POST', `/organizations/${orgId}/enabled_connections`, { connection_id: other });
  assert.equal(add.statusCode, 201);
  assert.deepEqual(add.json(), {
    connection_id: other,
    assign_membership_on_login: false,
    connection: { name: 'corp', strategy: 'samlp' },
  });
  const patched = await t.api('PATCH', `/organizations/${orgId}/enabled_connections/${other}`, {
    assign_membership_on_login: true,
  });
  assert.deepEqual(patched.json(), {
    connection_id: other,
    assign_membership_on_login: true,
    connection: { name: 'corp', strategy: 'samlp' },
  });
  assert.deepEqual((await t.api('GET', `/organizations/${orgId}/enabled_connections/${other}`)).json(), patched.json());
  const del = await t.api('DELETE', `/organizations/${orgId}/enabled_connections/${other}`);
  assert.equal(del.statusCode, 204);
  const notEnabled = err(404, 'The connection is not enabled for this organization', 'inexistent_connection');
  assert.deepEqual((await t.api('DELETE', `/organizations/${orgId}/enabled_connections/${other}`)).json(), notEnabled);
  assert.deepEqual((await t.api('GET', `/organizations/${orgId}/enabled_connections/${other}`)).json(), notEnabled);
  const unknown = await t.api('POST', `/organizations/${orgId}/enabled_connections`, { connection_id: 'con_nope' });
  assert.deepEqual(unknown.json(), err(400, 'The connection does not exist.', 'inexistent_connection'));
  const bad = await t.api('PATCH', `/organizations/${orgId}/enabled_connections/${connId}`, {});
  assert.deepEqual(
    bad.json(),
    err(400, "Payload validation error: 'Missing required property: assign_membership_on_login'.", 'invalid_body'),
  );
});

test("Auth0's /organizations/{id}/connections is the same resource, listed under `connections`", async () => {
  const other = (await t.api('POST', '/connections', { name: 'alias-conn', strategy: 'oidc' })).json().id;
  const add = await t.api('POST', `/organizations/${orgId}/connections`, { connection_id: other });
  assert.equal(add.statusCode, 201, add.body);
  const list = await t.api('GET', `/organizations/${orgId}/connections?include_totals=true`);
  assert.equal(list.statusCode, 200);
  assert.ok(list.json().connections.some((c: { connection_id: string }) => c.connection_id === other));
  const viaOld = await t.api('GET', `/organizations/${orgId}/enabled_connections/${other}`);
  assert.equal(viaOld.statusCode, 200);
  assert.equal((await t.api('DELETE', `/organizations/${orgId}/connections/${other}`)).statusCode, 204);
  assert.equal((await t.api('GET', `/organizations/${orgId}/enabled_connections/${other}`)).statusCode, 404);
});

test('401 without a token; 403 with the wrong scopes', async () => {
  const anon = await t.app.inject({ method: 'GET', url: `/api/v2/organizations/${orgId}/members` });
  assert.deepEqual(anon.json(), err(401, 'Missing authentication'));
  const orgsOnly = await t.mgmtToken(['read:organizations']);
  const members = await t.api('GET', `/organizations/${orgId}/members`, undefined, orgsOnly);
  assert.deepEqual(
    members.json(),
    err(403, 'Insufficient scope; expected any of: read:organization_members.', 'insufficient_scope'),
  );
  const conns = await t.api('POST', `/organizations/${orgId}/enabled_connections`, { connection_id: connId }, orgsOnly);
  assert.deepEqual(
    conns.json(),
    err(403, 'Insufficient scope; expected any of: create:organization_connections.', 'insufficient_scope'),
  );
  const create = await t.api('POST', '/organizations', { name: 'x' }, orgsOnly);
  assert.deepEqual(
    create.json(),
    err(403, 'Insufficient scope; expected any of: create:organizations.', 'insufficient_scope'),
  );
});

test('DELETE removes the organization with its memberships; a second delete is still a 204 (Auth0)', async () => {
  assert.equal((await t.api('DELETE', `/organizations/${orgId}`)).statusCode, 204);
  assert.deepEqual((await t.api('GET', `/organizations/${orgId}`)).json(), orgNotFound);
  assert.equal(await t.ctx.repos.organizations.isMember(orgId, userA), false);
  assert.equal((await t.api('DELETE', `/organizations/${orgId}`)).statusCode, 204);
});
