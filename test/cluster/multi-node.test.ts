/**
 * Two Baton nodes on one PostgreSQL and one Redis (DESIGN section 7): what one node writes, the other honours at
 * once — rotated keys, a new profile, throttling settings — and a blocked IP is blocked on both.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createLocalJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { startTestApp, PG_URL, REDIS_URL, ADMIN_ID, ADMIN_SECRET, type TestApp } from '../helpers/app.js';
import { createContext, type AppContext } from '../../src/context.js';
import { buildApp } from '../../src/app.js';
import { bootstrap } from '../../src/bootstrap.js';
import { setupExchange, EXCHANGE_GRANT, API_ID } from '../helpers/exchange.js';

const skip = !PG_URL || !REDIS_URL ? 'needs PostgreSQL and Redis (BATON_TEST_PG_URL, BATON_TEST_REDIS_URL)' : false;

let a: TestApp;
let bCtx: AppContext;
let b: FastifyInstance;

before(async () => {
  if (skip) return;
  a = await startTestApp({ dialect: 'postgres', env: { BATON_REDIS_URL: REDIS_URL! } });
  bCtx = await createContext(a.config);
  await bootstrap(bCtx);
  b = await buildApp(bCtx, { logger: false });
  await b.ready();
});
after(async () => {
  if (skip) return;
  await b.close();
  await bCtx.close();
  await a.close();
});

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`node B did not honour: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const formB = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
  b.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams(fields).toString(),
  });

test('keys rotated on node A are published and used by node B', { skip }, async () => {
  const rotate = await a.api('POST', '/keys/signing/rotate');
  assert.equal(rotate.statusCode, 201);
  const kid = rotate.json().kid as string;
  await eventually(
    async () =>
      (await b.inject({ method: 'GET', url: '/.well-known/jwks.json' }))
        .json()
        .keys.some((k: { kid: string }) => k.kid === kid),
    'JWKS has the new key',
  );
  const token = await formB({
    grant_type: 'client_credentials',
    client_id: ADMIN_ID,
    client_secret: ADMIN_SECRET,
    audience: a.ctx.managementAudience,
  });
  assert.equal(decodeProtectedHeader(token.json().access_token).kid, kid, 'node B signs with the new key');
  const jwksA = createLocalJWKSet((await a.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json());
  await jwtVerify(token.json().access_token, jwksA, { issuer: a.config.issuer });
});

test('a profile created on node A is served by node B at once, even with B’s cache warm', { skip }, async () => {
  const fx = await setupExchange(a, {
    code: `exports.onExecuteCustomTokenExchange = async (event, api) => {
      if (event.transaction.subject_token === 'bad') return api.access.rejectInvalidSubjectToken('bad');
      api.authentication.setUserByConnection('legacy-idp', { user_id: 'n1', email: 'n1@example.com' }, { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
    };`,
    subjectTokenType: 'urn:acme:cluster-token',
    client: { is_token_endpoint_ip_header_trusted: true },
  });
  const fields = {
    grant_type: EXCHANGE_GRANT,
    client_id: fx.clientId,
    client_secret: fx.clientSecret,
    subject_token_type: 'urn:acme:cluster-token',
    subject_token: 'ok',
    audience: API_ID,
  };
  assert.equal((await formB(fields)).statusCode, 200);

  // Warm B's cache, then add a second profile on A: B must see it without waiting for a TTL.
  const missing = await formB({ ...fields, subject_token_type: 'urn:acme:later-token' });
  assert.equal(missing.statusCode, 400);
  const created = await a.api('POST', '/token-exchange-profiles', {
    name: 'Later',
    subject_token_type: 'urn:acme:later-token',
    action_id: fx.actionId,
    type: 'custom_authentication',
  });
  assert.equal(created.statusCode, 201, created.body);
  await eventually(
    async () => (await formB({ ...fields, subject_token_type: 'urn:acme:later-token' })).statusCode === 200,
    'new profile',
  );

  // Throttling is shared: settings changed on A, rejections counted on B, the IP blocked on A.
  const patch = await a.api('PATCH', '/attack-protection/suspicious-ip-throttling', {
    stage: { 'pre-custom-token-exchange': { max_attempts: 2, rate: 600000 } },
  });
  assert.equal(patch.statusCode, 200, patch.body);
  await eventually(
    async () => (await bCtx.throttle.settings()).stage['pre-custom-token-exchange'].max_attempts === 2,
    'throttle settings',
  );
  for (let i = 0; i < 2; i++)
    assert.equal(
      (await formB({ ...fields, subject_token: 'bad' }, { 'auth0-forwarded-for': '203.0.113.50' })).statusCode,
      400,
    );
  const blocked = await fx.exchange(
    { subject_token: 'ok', subject_token_type: 'urn:acme:cluster-token' },
    { 'auth0-forwarded-for': '203.0.113.50' },
  );
  assert.equal(blocked.statusCode, 429);
  await a.api('DELETE', '/anomaly/blocks/ips/203.0.113.50');
});
