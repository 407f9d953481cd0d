/**
 * Issue 10 H2 against a real `baton serve` in a child process (256 MB heap, as `npm start`): Action runs that
 * record tens of megabytes of api commands, through a token exchange and through the test endpoint, used to end
 * the process. Each attack must now fail as an Action error (500 server_error with the generic text; the fecte
 * log says why) or come back bounded, and the server must still answer afterwards. A 12 MB deny reason comes back
 * truncated, in the response and in the log.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';
import { setupExchange, type ExchangeFixture } from '../helpers/exchange.js';
import type { TestApp } from '../helpers/app.js';
import { MAX_REASON_CHARS } from '../../src/actions/triggers/limits.js';

let child: ChildServer;
let token: string;

/** The two calls the exchange fixtures make (`api`, `form`), over the child's real port. */
function remote(): TestApp {
  const answer = async (res: Response) => {
    const body = await res.text();
    return {
      statusCode: res.status,
      body,
      json: () => JSON.parse(body),
      headers: Object.fromEntries(res.headers),
    } as unknown as LightMyRequestResponse;
  };
  return {
    async api(method: string, path: string, body?: unknown) {
      const res = await fetch(`${child.url}/api/v2${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return answer(res);
    },
    async form(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
      const res = await fetch(`${child.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(fields).toString(),
      });
      return answer(res);
    },
  } as unknown as TestApp;
}

// One Action picks its attack from the subject token, so one profile serves every case.
const CODE = `exports.onExecuteCustomTokenExchange = async (event, api) => {
  const attack = event.transaction.subject_token;
  api.authentication.setUserByConnection('legacy-idp', { user_id: 'victim' }, { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
  const v = 'x'.repeat(32 * 1024 - 16);
  if (attack === 'distinct-keys') for (let i = 0; i < 2500; i++) api.user.setAppMetadata('k' + i, v);
  if (attack.startsWith('same-key:')) for (let i = 0; i < Number(attack.slice(9)); i++) { try { api.user.setAppMetadata('k', v); } catch (e) {} }
  if (attack === 'deny') api.access.deny('invalid_request', 'r'.repeat(12 * 1024 * 1024));
};`;

let t: TestApp;
let fx: ExchangeFixture;
before(async () => {
  // The largest CPU and wall-clock budgets: the attacks are stopped by the command budget, not by time (before
  // the fix, the first one ended this process).
  child = await startChildServer({
    maxOldSpaceMb: 256,
    env: { BATON_ACTION_CPU_MS: '60000', BATON_ACTION_TIMEOUT_MS: '60000' },
  });
  token = await child.adminToken();
  t = remote();
  fx = await setupExchange(t, { code: CODE });
});
after(() => child?.stop());

const GENERIC_500 = { error: 'server_error', error_description: 'The server encountered an internal error.' };

async function fecte(match: (d: string) => boolean): Promise<Record<string, unknown>> {
  // The log writer batches: poll for the entry (its presence is asserted, not a duration).
  for (let i = 0; i < 100; i++) {
    const res = await t.api('GET', '/logs?q=type:fecte&per_page=20');
    assert.equal(res.statusCode, 200, res.body);
    const entry = res.json<Array<Record<string, unknown>>>().find((e) => match(String(e.description)));
    if (entry) return entry;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no matching fecte entry');
}

test('2,500 x 32 kB setAppMetadata under distinct keys in one exchange: a 500 Action error, the server stays up', async () => {
  const res = await fx.exchange({ subject_token: 'distinct-keys' });
  assert.equal(res.statusCode, 500, res.body.slice(0, 300));
  assert.deepEqual(res.json(), GENERIC_500, 'the client gets the generic text, not the rule');
  assert.equal(await child.alive(), true, child.output().slice(-2000));
  const entry = await fecte((d) => d.includes('app_metadata set by one run'));
  assert.equal(
    entry.description,
    'Action called user.setAppMetadata and broke the rule user.metadata: app_metadata set by one run exceeds 32768 bytes',
  );
});

test('2,500 x 32 kB setAppMetadata of one key, the errors caught: the byte budget ends the run, the server stays up', async () => {
  const res = await fx.exchange({ subject_token: 'same-key:2500' });
  assert.equal(res.statusCode, 500, res.body.slice(0, 300));
  assert.deepEqual(res.json(), GENERIC_500);
  assert.equal(await child.alive(), true, child.output().slice(-2000));
  const entry = await fecte((d) => d.includes('commands.budget'));
  assert.equal(
    entry.description,
    "Action called user.setAppMetadata and broke the rule commands.budget: the run's api commands exceed 262144 bytes",
  );
});

test('5,000 x 32 kB setAppMetadata through the test endpoint: a bounded answer naming the rule, the server stays up', async () => {
  const res = await t.api('POST', `/actions/actions/${fx.actionId}/test`, {
    payload: { transaction: { subject_token: 'same-key:5000' } },
  });
  assert.equal(res.statusCode, 200, res.body.slice(0, 300));
  assert.ok(res.body.length < 512 * 1024, `${res.body.length} characters`);
  const { payload } = res.json();
  assert.equal(payload.kind, 'invalid_command');
  assert.deepEqual(payload.error, {
    name: 'InvalidCommandError',
    message: "user.setAppMetadata: the run's api commands exceed 262144 bytes",
    rule: 'commands.budget',
  });
  assert.equal(payload.commands[0].name, 'authentication.setUserByConnection');
  assert.ok(payload.commands.length < 10, `${payload.commands.length} commands`);
  const distinct = await t.api('POST', `/actions/actions/${fx.actionId}/test`, {
    payload: { transaction: { subject_token: 'distinct-keys' } },
  });
  assert.equal(distinct.statusCode, 200);
  assert.equal(distinct.json().payload.error.rule, 'user.metadata');
  assert.equal(await child.alive(), true, child.output().slice(-2000));
});

test('a 12 MB deny reason is truncated in the response, the test endpoint and the log', async () => {
  const reason = 'r'.repeat(MAX_REASON_CHARS);
  const res = await fx.exchange({ subject_token: 'deny' });
  assert.equal(res.statusCode, 400);
  assert.deepEqual(res.json(), { error: 'invalid_request', error_description: reason });
  const entry = await fecte((d) => d.startsWith('Action denied'));
  assert.equal(entry.description, `Action denied: invalid_request: ${reason}`);
  const tested = await t.api('POST', `/actions/actions/${fx.actionId}/test`, {
    payload: { transaction: { subject_token: 'deny' } },
  });
  assert.equal(tested.statusCode, 200);
  assert.deepEqual(tested.json().payload.commands[1], { name: 'access.deny', args: ['invalid_request', reason] });
  assert.equal(await child.alive(), true);
});
