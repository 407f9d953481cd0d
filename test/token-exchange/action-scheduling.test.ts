/**
 * Issue 10 M1: one slow Action must not stall every exchange. The slow Action here waits on a loopback gate the test
 * opens (test/helpers/gate.ts), so "while it runs" is a fact, not a duration. With two sandbox workers an Action
 * version and a client each hold at most one; a run that waits for a worker past BATON_ACTION_QUEUE_TIMEOUT_MS is
 * refused with 503 temporarily_unavailable and Retry-After, and its fecte entry says why.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { setupExchange, deployAction, bindPostLogin, lastLog, type ExchangeFixture } from '../helpers/exchange.js';
import { ACTION_LOOPBACK_ENV, startGate, type Gate } from '../helpers/gate.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const UNAVAILABLE = {
  error: 'temporarily_unavailable',
  error_description: 'The server is too busy to run the Action now; retry after the delay in Retry-After.',
};
const SET_USER =
  "api.authentication.setUserByConnection('legacy-idp', { user_id: 'ext-1', email: 'one@example.com' }, { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });";
/** The gate's URL is not known when the Action is deployed: it comes in through a secret. */
const SLOW = `exports.onExecuteCustomTokenExchange = async (event, api) => {
  await fetch(event.secrets.GATE + '/' + event.transaction.subject_token);
  ${SET_USER}
};`;
const FAST = `exports.onExecuteCustomTokenExchange = async (event, api) => { ${SET_USER} };`;

let t: TestApp;
let gate: Gate;
let slow: ExchangeFixture;
let fast: ExchangeFixture;

before(async () => {
  gate = await startGate();
  t = await startTestApp({
    env: {
      ...ACTION_LOOPBACK_ENV,
      BATON_ACTION_WORKERS: '2',
      BATON_ACTION_QUEUE_TIMEOUT_MS: '1000',
      BATON_ACTION_TIMEOUT_MS: '60000',
      BATON_ACTION_FETCH_TIMEOUT_MS: '60000',
    },
  });
  slow = await setupExchange(t, { code: FAST, name: 'slow-action' });
  // The slow code, with the gate's URL as a secret, deployed as the profile's Action.
  const patched = await t.api('PATCH', `/actions/actions/${slow.actionId}`, {
    code: SLOW,
    secrets: [{ name: 'GATE', value: gate.url }],
  });
  assert.equal(patched.statusCode, 200, patched.body);
  const deployed = await t.api('POST', `/actions/actions/${slow.actionId}/deploy`);
  assert.equal(deployed.statusCode, 202, deployed.body);
  fast = await setupExchange(t, {
    code: FAST,
    name: 'fast-action',
    skipApi: true,
    subjectTokenType: 'urn:acme:fast-token',
  });
});
after(async () => {
  await t.close();
  await gate.close();
});

test('a slow Action at its cap leaves a worker to another profile; its runs queued past the deadline get 503', async () => {
  const first = slow.exchange({ subject_token: 'a1' });
  await gate.started(1);
  const queued = [slow.exchange({ subject_token: 'a2' }), slow.exchange({ subject_token: 'a3' })];

  const other = await fast.exchange();
  assert.equal(gate.opened, false, 'the other profile waited for the slow Action');
  assert.equal(other.statusCode, 200, other.body);
  assert.equal(typeof other.json().access_token, 'string');

  for (const res of await Promise.all(queued)) {
    assert.equal(res.statusCode, 503, res.body);
    assert.equal(res.headers['retry-after'], '1');
    assert.deepEqual(res.json(), UNAVAILABLE);
  }
  assert.equal(gate.opened, false, 'the queued runs were answered only after the slow one ended');
  const log = await lastLog(t, 'fecte');
  assert.equal(log.client_id, slow.clientId);
  assert.equal(
    log.description,
    'Action did not run: no sandbox worker was free for it within the queue deadline (1000 ms)',
  );
  assert.equal(log.details.error, 'temporarily_unavailable');

  gate.open();
  const res = await first;
  assert.equal(res.statusCode, 200, res.body);
  // The refused runs never started: only the first one reached the gate.
  assert.deepEqual(gate.seen, ['/a1']);
});

test('the Action test endpoint answers 503 in the Management API shape when its run waits past the deadline', async () => {
  // A fresh gate for this test's draft: the draft's runs are their own version, with their own cap.
  const g = await startGate();
  try {
    const patched = await t.api('PATCH', `/actions/actions/${slow.actionId}`, {
      secrets: [{ name: 'GATE', value: g.url }],
    });
    assert.equal(patched.statusCode, 200, patched.body);
    const payload = (token: string) => ({ payload: { transaction: { subject_token: token } } });
    const first = t.api('POST', `/actions/actions/${slow.actionId}/test`, payload('t1'));
    await g.started(1);
    const res = await t.api('POST', `/actions/actions/${slow.actionId}/test`, payload('t2'));
    assert.equal(g.opened, false, 'the second test run was answered only after the first ended');
    assert.equal(res.statusCode, 503, res.body);
    assert.equal(res.headers['retry-after'], '1');
    assert.deepEqual(res.json(), {
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'The server is too busy to run the action now; retry after the delay in Retry-After.',
      errorCode: 'temporarily_unavailable',
    });
    g.open();
    const ok = await first;
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().payload.kind, 'ok');
    assert.deepEqual(g.seen, ['/t1']);
  } finally {
    await g.close();
  }
});

test('a post-login run queued past the deadline gets the same 503, and its fecte entry names the post-login Action', async () => {
  const g = await startGate();
  const plCode = `exports.onExecutePostLogin = async (event, api) => { await fetch(event.secrets.GATE + '/' + event.client.client_id); };`;
  const pl = await deployAction(t, 'slow-post-login', plCode, 'post-login', [{ name: 'GATE', value: g.url }]);
  await bindPostLogin(t, [pl]);
  try {
    // The fast profile's client: its exchange's post-login run holds the post-login Action's one worker.
    const first = fast.exchange();
    await g.started(1);
    // Another client on the same profile: its exchange Action runs on the other worker, its post-login run waits.
    const res = await t.form('/oauth/token', {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      client_id: slow.clientId,
      client_secret: slow.clientSecret,
      subject_token_type: 'urn:acme:fast-token',
      subject_token: 'subject-token-value',
      audience: 'https://api.example.com',
    });
    assert.equal(g.opened, false, 'the post-login run was answered only after the first ended');
    assert.equal(res.statusCode, 503, res.body);
    assert.equal(res.headers['retry-after'], '1');
    assert.deepEqual(res.json(), UNAVAILABLE);
    const log = await lastLog(t, 'fecte');
    assert.equal(log.client_id, slow.clientId);
    assert.equal(
      log.description,
      `post-login Action ${pl} did not run: no sandbox worker was free for it within the queue deadline (1000 ms)`,
    );
    g.open();
    const ok = await first;
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(g.seen, [`/${fast.clientId}`]);
  } finally {
    await bindPostLogin(t, []);
    await g.close();
  }
});

test('the caps and the queue deadline are read from the environment, with their defaults and bounds', () => {
  const defaults = loadConfig({}).actions;
  assert.equal(defaults.queueTimeoutMs, 5000);
  assert.equal(defaults.concurrencyPerAction, undefined, 'unset: all workers but one, decided by the executor');
  assert.equal(defaults.concurrencyPerClient, undefined);
  const set = loadConfig({
    BATON_ACTION_CONCURRENCY_PER_ACTION: '3',
    BATON_ACTION_CONCURRENCY_PER_CLIENT: '2',
    BATON_ACTION_QUEUE_TIMEOUT_MS: '250',
  }).actions;
  assert.deepEqual([set.concurrencyPerAction, set.concurrencyPerClient, set.queueTimeoutMs], [3, 2, 250]);
  for (const [name, value] of [
    ['BATON_ACTION_CONCURRENCY_PER_ACTION', '0'],
    ['BATON_ACTION_CONCURRENCY_PER_CLIENT', 'x'],
    ['BATON_ACTION_QUEUE_TIMEOUT_MS', '5'],
  ]) {
    assert.throws(
      () => loadConfig({ [name!]: value }),
      (e: Error) => e instanceof ConfigError && e.message.includes(name!),
    );
  }
});
