import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
before(async () => {
  t = await startTestApp({ env: { BATON_TENANT: 'acme' } });
  // Through the real writer, as the token exchange pipeline writes them (spec section 11).
  for (let i = 0; i < 6; i++) {
    t.ctx.logs.write({
      type: i % 3 === 0 ? 'fecte' : 'secte',
      description: `exchange ${i}`,
      client_id: 'cli_1',
      client_name: 'App',
      ip: '203.0.113.7',
      user_id: i % 3 === 0 ? null : `auth0|u${i}`,
      audience: 'https://api.example',
      scope: 'read:x',
      hostname: 'localhost',
      details: { subject_token_type: 'urn:acme:legacy', actor: { sub: 'svc' }, client_secret: 'never-logged' },
    });
  }
  t.ctx.logs.write({
    type: 'limit_mu',
    description: 'blocked',
    ip: '198.51.100.1',
    details: { flow: 'custom-token-exchange' },
  });
  await t.ctx.logs.flush();
});
after(() => t.close());

const err = (statusCode: number, message: string, errorCode?: string) => ({
  statusCode,
  error: { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[statusCode],
  message,
  ...(errorCode ? { errorCode } : {}),
});
const enc = encodeURIComponent;
// Only the entries written above, whatever other events (token issuance...) the app logs meanwhile.
const MINE = `q=${enc('type:(secte OR fecte OR limit_mu)')}`;

test('GET /logs lists newest first with the spec section 11 fields, and never a secret', async () => {
  const res = await t.api('GET', `/logs?${MINE}`);
  assert.equal(res.statusCode, 200);
  const logs = res.json<Array<Record<string, unknown>>>();
  assert.deepEqual(
    logs.map((l) => l.description),
    ['blocked', 'exchange 5', 'exchange 4', 'exchange 3', 'exchange 2', 'exchange 1', 'exchange 0'],
  );
  const e5 = logs[1]!;
  assert.match(String(e5.log_id), /^[0-9a-f]{56}$/);
  assert.match(String(e5.date), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(
    { ...e5, log_id: 'x', date: 'y' },
    {
      log_id: 'x',
      date: 'y',
      type: 'secte',
      description: 'exchange 5',
      client_id: 'cli_1',
      client_name: 'App',
      ip: '203.0.113.7',
      user_id: 'auth0|u5',
      audience: 'https://api.example',
      scope: 'read:x',
      hostname: 'localhost',
      tenant_name: 'acme',
      details: { subject_token_type: 'urn:acme:legacy', actor: { sub: 'svc' } },
    },
  );
  assert.ok(!res.body.includes('never-logged'));
});

test('q filters on type in Auth0 forms; other fields too', async () => {
  const types = async (q: string) =>
    (await t.api('GET', `/logs?q=${enc(q)}`)).json<Array<{ type: string; description: string }>>();
  assert.deepEqual(
    (await types('type:fecte')).map((l) => l.description),
    ['exchange 3', 'exchange 0'],
  );
  assert.deepEqual((await types('type:"secte"')).length, 4);
  assert.deepEqual(
    (await types('type:(fecte OR limit_mu)')).map((l) => l.type),
    ['limit_mu', 'fecte', 'fecte'],
  );
  assert.deepEqual(
    (await types('type:secte AND user_id:"auth0|u4"')).map((l) => l.description),
    ['exchange 4'],
  );
  assert.deepEqual(await types('type:sapi'), []);
  const bad = await t.api('GET', `/logs?q=${enc('details.foo:bar')}`);
  assert.equal(bad.statusCode, 400);
  assert.deepEqual(
    bad.json(),
    err(
      400,
      "Query validation error: 'Unsupported field in query: details.foo' on property q.",
      'invalid_query_string',
    ),
  );
  const broken = await t.api('GET', `/logs?q=${enc('type:"unterminated')}`);
  assert.deepEqual(
    broken.json(),
    err(400, `Query validation error: 'Unsupported query: type:"unterminated' on property q.`, 'invalid_query_string'),
  );
});

test('paging with include_totals, and checkpoint from/take (oldest first after the id)', async () => {
  const page = (await t.api('GET', `/logs?page=1&per_page=2&include_totals=true&${MINE}`)).json();
  assert.deepEqual([page.start, page.limit, page.length, page.total], [2, 2, 2, 7]);
  assert.deepEqual(
    page.logs.map((l: { description: string }) => l.description),
    ['exchange 4', 'exchange 3'],
  );
  const all = (await t.api('GET', `/logs?${MINE}`)).json<Array<{ log_id: string; description: string }>>();
  const oldest = all[all.length - 1]!;
  const after = (await t.api('GET', `/logs?from=${oldest.log_id}&take=2&${MINE}`)).json<
    Array<{
      description: string;
    }>
  >();
  assert.deepEqual(
    after.map((l) => l.description),
    ['exchange 1', 'exchange 2'],
  );
  const tooMany = await t.api('GET', '/logs?per_page=101');
  assert.deepEqual(
    tooMany.json(),
    err(400, "Query validation error: 'must be <= 100' on property per_page.", 'invalid_query_string'),
  );
});

test('sort=date:1 lists oldest first; fields projects', async () => {
  const asc = (await t.api('GET', `/logs?sort=date:1&per_page=2&${MINE}`)).json<Array<{ description: string }>>();
  assert.deepEqual(
    asc.map((l) => l.description),
    ['exchange 0', 'exchange 1'],
  );
  const fields = (await t.api('GET', `/logs?fields=type,description&per_page=1&${MINE}`)).json();
  assert.deepEqual(fields, [{ type: 'limit_mu', description: 'blocked' }]);
  const bad = await t.api('GET', '/logs?sort=user_id:1');
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json().errorCode, 'invalid_query_string');
});

test('GET /logs/{id}; 404 for an unknown id', async () => {
  const first = (await t.api('GET', `/logs?per_page=1&${MINE}`)).json()[0];
  const res = await t.api('GET', `/logs/${first.log_id}`);
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), first);
  const missing = await t.api('GET', '/logs/nope');
  assert.equal(missing.statusCode, 404);
  assert.deepEqual(missing.json(), err(404, 'log not found', 'inexistent_log'));
});

test('401 without a token, 403 without read:logs', async () => {
  const anon = await t.app.inject({ method: 'GET', url: '/api/v2/logs' });
  assert.equal(anon.statusCode, 401);
  assert.deepEqual(anon.json(), err(401, 'Missing authentication'));
  const res = await t.api('GET', '/logs', undefined, await t.mgmtToken(['read:users']));
  assert.equal(res.statusCode, 403);
  assert.deepEqual(res.json(), err(403, 'Insufficient scope; expected any of: read:logs.', 'insufficient_scope'));
  const one = await t.api('GET', '/logs/nope', undefined, await t.mgmtToken(['read:users']));
  assert.equal(one.statusCode, 403);
});
