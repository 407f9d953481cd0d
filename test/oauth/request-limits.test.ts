/**
 * C1 (docs/security.md): the Authentication API bounds every request-derived value before it is used. Before the
 * fix, requests with unique 900 kB `client_id`s in JSON bodies ended the process (V8 heap limit), because the
 * claimed identifier keyed an unbounded cache that kept misses. Now: one body limit for every content type, a cap
 * per parameter, identifiers' shape checked before any lookup, and a bounded configuration cache.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';
import { startTestApp, ADMIN_ID, ADMIN_SECRET, type TestApp } from '../helpers/app.js';
import { setupExchange, EXCHANGE_GRANT, API_ID } from '../helpers/exchange.js';
import { ConfigCache } from '../../src/cluster/config-cache.js';

const tooLarge = { error: 'invalid_request', error_description: 'Request body too large' };
const tooLong = (name: string, cap: number) => ({
  error: 'invalid_request',
  error_description: `Parameter ${name} is too long (at most ${cap} characters)`,
});
const invalidClient = { error: 'invalid_client', error_description: 'Client authentication failed' };

let child: ChildServer;
let t: TestApp;
before(async () => {
  child = await startChildServer();
  t = await startTestApp();
});
after(async () => {
  await child?.stop();
  await t?.close();
});

test('300 JSON requests with unique 900 kB client_ids leave the server alive and answering', async () => {
  const big = (i: number) => `${i}-`.padEnd(900 * 1024, 'x');
  const statuses: number[] = [];
  const bodies = new Set<string>();
  for (let batch = 0; batch < 300; batch += 15) {
    const sent = [];
    for (let i = batch; i < batch + 15; i++) {
      const json = i % 10 !== 0;
      const body = json
        ? JSON.stringify({ grant_type: 'client_credentials', client_id: big(i), client_secret: 'x' })
        : new URLSearchParams({ grant_type: 'client_credentials', client_id: big(i), client_secret: 'x' }).toString();
      sent.push(
        fetch(`${child.url}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded' },
          body,
        }).then(
          async (res) => {
            statuses.push(res.status);
            bodies.add(await res.text());
          },
          // The server answers 413 as soon as the declared length is over the limit and closes the connection
          // without reading the rest: a client still uploading may see the reset before the answer.
          () => statuses.push(0),
        ),
      );
    }
    await Promise.all(sent);
  }
  assert.equal(await child.alive(), true, `the server died:\n${child.output().slice(-2000)}`);
  assert.equal(statuses.length, 300);
  assert.deepEqual(
    statuses.filter((s) => s !== 413 && s !== 0),
    [],
    'every request refused (413, or reset while uploading)',
  );
  assert.deepEqual(
    [...bodies].map((b) => JSON.parse(b)),
    [tooLarge],
  );
  // Just under the body limit: refused by the client_id cap, before any lookup.
  const under = await fetch(`${child.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'x'.repeat(60 * 1024), client_secret: 'x' }),
  });
  assert.equal(under.status, 400);
  assert.deepEqual(await under.json(), tooLong('client_id', 128));
  assert.equal(await child.alive(), true, child.output());
  assert.ok((await child.adminToken()).length > 0, 'a real client still gets a token');
});

test('a JSON body over the Authentication API limit is 413 like a form body', async () => {
  for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
    const payload =
      type === 'application/json'
        ? JSON.stringify({ grant_type: 'client_credentials', pad: 'x'.repeat(70 * 1024) })
        : `grant_type=client_credentials&pad=${'x'.repeat(70 * 1024)}`;
    const res = await t.app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': type }, payload });
    assert.equal(res.statusCode, 413, type);
    assert.deepEqual(res.json(), tooLarge);
    const revoke = await t.app.inject({
      method: 'POST',
      url: '/oauth/revoke',
      headers: { 'content-type': type },
      payload,
    });
    assert.equal(revoke.statusCode, 413, `revoke ${type}`);
  }
});

test('each parameter has a cap, checked before client authentication; the value is never echoed', async () => {
  const base = {
    grant_type: EXCHANGE_GRANT,
    client_id: 'c',
    client_secret: 's',
    subject_token_type: 'urn:acme:x',
    subject_token: 't',
  };
  const cases: Array<[string, number]> = [
    ['client_id', 128],
    ['client_secret', 512],
    ['subject_token', 32 * 1024],
    ['actor_token', 16 * 1024],
    ['audience', 600],
    ['scope', 4096],
    ['organization', 256],
    ['subject_token_type', 256],
    ['some_extension', 4096],
  ];
  for (const [name, cap] of cases) {
    const atCap = await t.form('/oauth/token', { ...base, [name]: 'a'.repeat(cap) });
    assert.notDeepEqual(atCap.json(), tooLong(name, cap), `${name} at its cap is accepted by the size check`);
    const over = await t.form('/oauth/token', { ...base, [name]: 'a'.repeat(cap + 1) });
    assert.equal(over.statusCode, 400, name);
    assert.deepEqual(over.json(), tooLong(name, cap));
  }
  const many: Record<string, string> = { ...base };
  for (let i = 0; i < 50; i++) many[`p${i}`] = 'x';
  const tooMany = await t.form('/oauth/token', many);
  assert.equal(tooMany.statusCode, 400);
  assert.deepEqual(tooMany.json(), { error: 'invalid_request', error_description: 'Too many parameters (at most 50)' });
});

test('BATON_SUBJECT_TOKEN_MAX_LENGTH moves the subject_token cap', async () => {
  const small = await startTestApp({ env: { BATON_SUBJECT_TOKEN_MAX_LENGTH: '2048' } });
  try {
    const res = await small.form('/oauth/token', { grant_type: EXCHANGE_GRANT, subject_token: 'a'.repeat(2049) });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json(), tooLong('subject_token', 2048));
  } finally {
    await small.close();
  }
});

test('a client_id from HTTP Basic longer than any client is invalid_client, and leaves the cache as it was', async () => {
  const before = t.ctx.configReads.size;
  const basic = Buffer.from(`${'b'.repeat(4000)}:secret`).toString('base64');
  const res = await t.form('/oauth/token', { grant_type: 'client_credentials' }, { authorization: `Basic ${basic}` });
  assert.equal(res.statusCode, 401);
  assert.deepEqual(res.json(), invalidClient);
  assert.deepEqual(t.ctx.configReads.size, before);
});

test('a flood of unknown client_ids neither grows the cache past its bound nor evicts real clients', async () => {
  const ok = () =>
    t.form('/oauth/token', {
      grant_type: 'client_credentials',
      client_id: ADMIN_ID,
      client_secret: ADMIN_SECRET,
      audience: t.ctx.managementAudience,
    });
  assert.equal((await ok()).statusCode, 200);
  let reads = 0;
  const get = t.ctx.repos.clients.get.bind(t.ctx.repos.clients);
  t.ctx.repos.clients.get = async (id: string) => {
    if (id === ADMIN_ID) reads++;
    return get(id);
  };
  try {
    for (let i = 0; i < 1500; i++) {
      const res = await t.form('/oauth/token', {
        grant_type: 'client_credentials',
        client_id: `unknown-${i}-${'u'.repeat(100)}`,
        client_secret: 's',
      });
      assert.equal(res.statusCode, 401);
    }
    const size = t.ctx.configReads.size;
    assert.ok(size.misses <= 1000, `misses bounded: ${size.misses}`);
    assert.equal((await ok()).statusCode, 200);
    assert.equal(reads, 0, 'the admin client stayed cached through the flood');
  } finally {
    t.ctx.repos.clients.get = get;
  }
});

test('an Action naming a connection no connection can have is refused before the lookup', async () => {
  const fx = await setupExchange(t, {
    code: `exports.onExecuteCustomTokenExchange = async (event, api) => {
      api.authentication.setUserByConnection('bad name!'.repeat(50), { user_id: 'u1' }, { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
    };`,
    subjectTokenType: 'urn:acme:conn-shape',
  });
  const res = await fx.exchange({ subject_token_type: 'urn:acme:conn-shape', audience: API_ID });
  assert.equal(res.statusCode, 400);
  assert.deepEqual(res.json(), {
    error: 'invalid_request',
    error_description: 'setUserByConnection: the connection name is not valid',
  });
});

test('ConfigCache: LRU bound, misses kept apart, expiry from insertion, failures not cached', async () => {
  const cache = new ConfigCache({ maxEntries: 3, maxMisses: 2, ttlMs: 60_000 });
  let loads = 0;
  const load = (v: unknown) => async () => {
    loads++;
    return v;
  };
  for (const k of ['a', 'b', 'c']) await cache.get(k, load(k));
  for (let i = 0; i < 10; i++) await cache.get(`miss-${i}`, load(undefined));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(cache.size, { entries: 3, misses: 2 });
  loads = 0;
  for (const k of ['a', 'b', 'c']) assert.equal(await cache.get(k, load('reloaded')), k);
  assert.equal(loads, 0, 'misses did not evict found entries');
  await cache.get('d', load('d'));
  assert.equal(cache.size.entries, 3);
  await assert.rejects(cache.get('e', async () => Promise.reject(new Error('down'))));
  await new Promise((r) => setImmediate(r));
  assert.equal(await cache.get('e', load('up')), 'up', 'a failed read is retried');
  assert.equal(await cache.get('k'.repeat(2000), load('long')), 'long');
  assert.equal(await cache.get('k'.repeat(2000), load('long-again')), 'long-again', 'over-long keys are never cached');
  const short = new ConfigCache({ ttlMs: 1 });
  await short.get('x', load(1));
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(await short.get('x', load(2)), 2, 'an entry expires ttl after it was loaded');
});

test('configuration refuses a subject_token cap at or over the body limit', async () => {
  const { loadConfig } = await import('../../src/config/index.js');
  assert.throws(
    () => loadConfig({ BATON_AUTH_BODY_LIMIT: '8192', BATON_SUBJECT_TOKEN_MAX_LENGTH: '8192' }),
    /BATON_SUBJECT_TOKEN_MAX_LENGTH: must be less than BATON_AUTH_BODY_LIMIT/,
  );
});
