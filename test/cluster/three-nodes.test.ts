/**
 * Three Baton nodes on one PostgreSQL and one Redis (docs/deployment.md, "Three nodes: what is shared"): a
 * profile, an Action deploy, a client change and a key rotation made through node A are used by B and C on their
 * next requests; a refresh token issued through A is redeemed through B and revoked through C; throttling
 * rejections spread over the three nodes block the IP on all of them, and an unblock through one frees it on all;
 * 600 exchanges sent round-robin over the three leave exactly one `secte` entry each, found by its token's `jti`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { decodeProtectedHeader } from 'jose';
import { startTestApp, PG_URL, REDIS_URL, ADMIN_ID, ADMIN_SECRET, type TestApp } from '../helpers/app.js';
import { setupExchange, EXCHANGE_GRANT, API_ID, type ExchangeFixture } from '../helpers/exchange.js';
import { createContext, type AppContext } from '../../src/context.js';
import { buildApp } from '../../src/app.js';
import { bootstrap } from '../../src/bootstrap.js';

const skip = !PG_URL || !REDIS_URL ? 'needs PostgreSQL and Redis (BATON_TEST_PG_URL, BATON_TEST_REDIS_URL)' : false;
const TOKEN_TYPE = 'urn:acme:three-nodes';

let a: TestApp;
const others: Array<{ ctx: AppContext; app: FastifyInstance }> = [];
let fx: ExchangeFixture;
/** The nodes by name; B and C have caches of their own, warmed by the requests before each change. */
const node = (name: 'A' | 'B' | 'C'): FastifyInstance => (name === 'A' ? a.app : others[name === 'B' ? 0 : 1]!.app);

before(async () => {
  if (skip) return;
  a = await startTestApp({ dialect: 'postgres', env: { BATON_REDIS_URL: REDIS_URL! } });
  for (let i = 0; i < 2; i++) {
    const ctx = await createContext(a.config);
    await bootstrap(ctx);
    const app = await buildApp(ctx, { logger: false });
    await app.ready();
    others.push({ ctx, app });
  }
  fx = await setupExchange(a, {
    subjectTokenType: TOKEN_TYPE,
    client: { is_token_endpoint_ip_header_trusted: true },
    code: actionCode('v1'),
  });
});
after(async () => {
  if (skip) return;
  for (const o of others) {
    await o.app.close();
    await o.ctx.close();
  }
  await a.close();
});

/** The Action: a bad subject token is rejected (throttling); any other token is a user whose name says `version`. */
function actionCode(version: string): string {
  return `exports.onExecuteCustomTokenExchange = async (event, api) => {
    const t = event.transaction.subject_token;
    if (t === 'bad') return api.access.rejectInvalidSubjectToken('bad token');
    api.authentication.setUserByConnection('legacy-idp', { user_id: 'three-' + t, email: 'three-' + t + '@example.com', name: '${version}' }, { creationBehavior: 'create_if_not_exists', updateBehavior: 'replace' });
  };`;
}

const form = (app: FastifyInstance, fields: Record<string, string>, url = '/oauth/token') =>
  app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });

const exchange = (
  app: FastifyInstance,
  fields: Record<string, string> = {},
  ip?: string,
): Promise<LightMyRequestResponse> =>
  app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(ip ? { 'auth0-forwarded-for': ip } : {}) },
    payload: new URLSearchParams({
      grant_type: EXCHANGE_GRANT,
      client_id: fx.clientId,
      client_secret: fx.clientSecret,
      subject_token_type: TOKEN_TYPE,
      subject_token: 'alice',
      audience: API_ID,
      ...fields,
    }).toString(),
  });

/**
 * Polls B and C until `check` holds on each (the invalidation travels through Redis pub/sub, so it lands a few ms
 * after A's response); returns how many requests each node needed, and fails after 3 s.
 */
async function honouredByBAndC(what: string, check: (app: FastifyInstance) => Promise<boolean>): Promise<number[]> {
  const tries: number[] = [];
  for (const name of ['B', 'C'] as const) {
    const deadline = Date.now() + 3000;
    let n = 1;
    while (!(await check(node(name)))) {
      assert.ok(Date.now() < deadline, `node ${name} did not honour: ${what}`);
      n++;
      await new Promise((r) => setTimeout(r, 10));
    }
    tries.push(n);
  }
  return tries;
}

const userName = async (app: FastifyInstance, subject: string): Promise<string | undefined> => {
  const res = await exchange(app, { subject_token: subject, scope: 'openid profile' });
  if (res.statusCode !== 200) return undefined;
  const idToken = res.json().id_token as string;
  return JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString()).name as string;
};

test('a profile, a deploy, a client change and a key rotation on A are used by B and C', { skip }, async () => {
  const tries: Record<string, number[]> = {};
  // Warm B and C: the profile set, the deployed version, the client, the keys.
  for (const name of ['B', 'C'] as const) {
    assert.equal(await userName(node(name), 'warm'), 'v1');
    assert.equal((await exchange(node(name), { subject_token_type: 'urn:acme:three-later' })).statusCode, 400);
  }

  const profile = await a.api('POST', '/token-exchange-profiles', {
    name: 'Later',
    subject_token_type: 'urn:acme:three-later',
    action_id: fx.actionId,
    type: 'custom_authentication',
  });
  assert.equal(profile.statusCode, 201, profile.body);
  tries.profile = await honouredByBAndC(
    'new profile',
    async (app) => (await exchange(app, { subject_token_type: 'urn:acme:three-later' })).statusCode === 200,
  );

  const patched = await a.api('PATCH', `/actions/actions/${fx.actionId}`, { code: actionCode('v2') });
  assert.equal(patched.statusCode, 200, patched.body);
  const deployed = await a.api('POST', `/actions/actions/${fx.actionId}/deploy`);
  assert.equal(deployed.statusCode, 202, deployed.body);
  tries.deploy = await honouredByBAndC('Action deploy', async (app) => (await userName(app, 'deploy')) === 'v2');

  const disabled = await a.api('PATCH', `/clients/${fx.clientId}`, {
    token_exchange: { allow_any_profile_of_type: [] },
  });
  assert.equal(disabled.statusCode, 200, disabled.body);
  tries.client = await honouredByBAndC('client change', async (app) => (await exchange(app)).statusCode === 400);
  const refused = await exchange(node('C'));
  assert.equal(refused.json().error, 'invalid_request', refused.body);
  const enabled = await a.api('PATCH', `/clients/${fx.clientId}`, {
    token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
  });
  assert.equal(enabled.statusCode, 200, enabled.body);
  await honouredByBAndC('client change back', async (app) => (await exchange(app)).statusCode === 200);

  const rotated = await a.api('POST', '/keys/signing/rotate');
  assert.equal(rotated.statusCode, 201, rotated.body);
  const kid = rotated.json().kid as string;
  tries.keys = await honouredByBAndC('key rotation', async (app) => {
    const res = await form(app, {
      grant_type: 'client_credentials',
      client_id: ADMIN_ID,
      client_secret: ADMIN_SECRET,
      audience: a.ctx.managementAudience,
    });
    return decodeProtectedHeader(res.json().access_token as string).kid === kid;
  });
  console.log(`requests B and C needed before honouring each change: ${JSON.stringify(tries)}`);
});

test('a refresh token issued through A is redeemed through B and revoked through C', { skip }, async () => {
  const issued = await exchange(a.app, { subject_token: 'refresher', scope: 'read:data offline_access' });
  assert.equal(issued.statusCode, 200, issued.body);
  const refreshToken = issued.json().refresh_token as string;
  assert.equal(typeof refreshToken, 'string');
  const creds = { client_id: fx.clientId, client_secret: fx.clientSecret };

  const redeemed = await form(node('B'), { grant_type: 'refresh_token', ...creds, refresh_token: refreshToken });
  assert.equal(redeemed.statusCode, 200, redeemed.body);
  assert.equal(typeof redeemed.json().access_token, 'string');

  const revoked = await form(node('C'), { ...creds, token: refreshToken }, '/oauth/revoke');
  assert.equal(revoked.statusCode, 200, revoked.body);

  for (const app of [a.app, node('B'), node('C')]) {
    const again = await form(app, { grant_type: 'refresh_token', ...creds, refresh_token: refreshToken });
    assert.equal(again.statusCode, 400, again.body);
    assert.equal(again.json().error, 'invalid_grant');
  }
});

test(
  'throttling rejections spread over three nodes block the IP on all; an unblock through B frees all',
  { skip },
  async () => {
    const ip = `198.51.100.${randomInt(1, 255)}`;
    const patch = await a.api('PATCH', '/attack-protection/suspicious-ip-throttling', {
      enabled: true,
      shields: ['block'],
      stage: { 'pre-custom-token-exchange': { max_attempts: 3, rate: 600000 } },
    });
    assert.equal(patch.statusCode, 200, patch.body);
    await a.api('DELETE', `/anomaly/blocks/ips/${ip}`);
    for (const name of ['A', 'B', 'C'] as const) {
      const bad = await exchange(node(name), { subject_token: 'bad' }, ip);
      assert.equal(bad.statusCode, 400, `${name}: ${bad.body}`);
    }
    for (const name of ['A', 'B', 'C'] as const) {
      const blocked = await exchange(node(name), {}, ip);
      assert.equal(blocked.statusCode, 429, `${name}: ${blocked.body}`);
      assert.equal(blocked.json().error, 'too_many_attempts');
    }
    const bToken = await form(node('B'), {
      grant_type: 'client_credentials',
      client_id: ADMIN_ID,
      client_secret: ADMIN_SECRET,
      audience: a.ctx.managementAudience,
    });
    const unblock = await node('B').inject({
      method: 'DELETE',
      url: `/api/v2/anomaly/blocks/ips/${ip}`,
      headers: { authorization: `Bearer ${bToken.json().access_token}` },
    });
    assert.equal(unblock.statusCode, 204, unblock.body);
    for (const name of ['A', 'B', 'C'] as const)
      assert.equal((await exchange(node(name), {}, ip)).statusCode, 200, `${name} after the unblock`);
  },
);

test('600 exchanges round-robin over A, B and C leave exactly 600 secte entries, one per jti', { skip }, async () => {
  const nodes = [node('A'), node('B'), node('C')];
  const jtis: string[] = [];
  // 20 at a time, each request to the next node in turn, as a round-robin load balancer sends them.
  for (let batch = 0; batch < 30; batch++) {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => exchange(nodes[(batch * 20 + i) % 3]!, { subject_token: `rr-${i}` })),
    );
    for (const res of answers) {
      assert.equal(res.statusCode, 200, res.body);
      const payload = JSON.parse(Buffer.from(res.json().access_token.split('.')[1], 'base64url').toString());
      jtis.push(payload.jti as string);
    }
  }
  assert.equal(new Set(jtis).size, 600);
  // Each node writes its own buffer; once all three are flushed, the shared database holds every entry.
  await Promise.all([a.ctx.logs.flush(), ...others.map((o) => o.ctx.logs.flush())]);
  const rows = await a.ctx.storage.db.selectFrom('logs').select('details').where('type', '=', 'secte').execute();
  const wanted = new Set(jtis);
  const stored = rows
    .map((r) => (JSON.parse(String(r.details)) as { access_token_jti?: string }).access_token_jti)
    .filter((jti): jti is string => jti !== undefined && wanted.has(jti));
  assert.equal(stored.length, 600, 'one secte entry per exchange, none twice');
  assert.deepEqual(new Set(stored), wanted);
});
