/** POST /actions/actions/{id}/test: runs the current draft in the real sandbox; commands are reported, not applied. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.js';

const CTE = [{ id: 'custom-token-exchange', version: 'v1' }];
const EVENT = {
  request: { body: { subject_token: 'tok-123', subject_token_type: 'urn:acme:legacy' } },
  transaction: { requested_scopes: ['openid'] },
};

let t: TestApp;
before(async () => {
  t = await startTestApp({ env: { BATON_ACTION_CPU_MS: '300', BATON_ACTION_TIMEOUT_MS: '2000' } });
});
after(() => t.close());

async function action(name: string, code: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await t.api('POST', '/actions/actions', { name, supported_triggers: CTE, code, ...extra });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id as string;
}

const run = (id: string, payload: unknown = EVENT) => t.api('POST', `/actions/actions/${id}/test`, { payload });

test('an Action that sets the user: its commands and console output, with the secrets decrypted', async () => {
  const id = await action(
    'sets-user',
    `exports.onExecuteCustomTokenExchange = async (event, api) => {
  console.log('token', event.request.body.subject_token);
  api.authentication.setUserById('legacy|' + event.request.body.subject_token + '|' + event.secrets.TENANT_TAG);
};`,
    { secrets: [{ name: 'TENANT_TAG', value: 'acme' }] },
  );
  const res = await run(id);
  assert.equal(res.statusCode, 200);
  const { payload } = res.json();
  assert.equal(typeof payload.duration_ms, 'number');
  assert.ok(payload.duration_ms >= 0);
  assert.deepEqual(payload, {
    kind: 'ok',
    commands: [{ name: 'authentication.setUserById', args: ['legacy|tok-123|acme'] }],
    logs: [{ level: 'log', message: 'token tok-123' }],
    error: null,
    duration_ms: payload.duration_ms,
  });
});

test('api.access.deny is reported as a command; nothing is applied or deployed', async () => {
  const id = await action(
    'denies',
    `exports.onExecuteCustomTokenExchange = async (event, api) => {
  if (event.request.body.subject_token !== 'good') api.access.deny('invalid_request', 'Invalid subject_token');
};`,
  );
  const res = await run(id);
  assert.equal(res.statusCode, 200);
  const { payload } = res.json();
  assert.deepEqual(payload.commands, [{ name: 'access.deny', args: ['invalid_request', 'Invalid subject_token'] }]);
  assert.equal(payload.error, null);
  assert.equal(payload.kind, 'ok');
  const good = (await run(id, { request: { body: { subject_token: 'good' } } })).json().payload;
  assert.deepEqual(good.commands, []);
  assert.equal(await t.ctx.deployedActions.version(id), undefined, 'testing does not deploy');
  assert.equal((await t.api('GET', `/actions/actions/${id}/versions`)).json().total, 0);
});

test('the current draft runs, not the deployed version', async () => {
  const id = await action(
    'draft-runs',
    `exports.onExecuteCustomTokenExchange = async (event, api) => { api.authentication.setUserById('v1'); };`,
    { deploy: true },
  );
  await t.api('PATCH', `/actions/actions/${id}`, {
    code: `exports.onExecuteCustomTokenExchange = async (event, api) => { api.authentication.setUserById('v2'); };`,
  });
  assert.deepEqual((await run(id)).json().payload.commands, [{ name: 'authentication.setUserById', args: ['v2'] }]);
  assert.equal((await t.ctx.deployedActions.version(id))!.code.includes("'v1'"), true);
});

test('a thrown error is reported with its name and message, with the logs before it', async () => {
  const id = await action(
    'throws',
    `exports.onExecuteCustomTokenExchange = async (event, api) => {
  console.warn('about to fail');
  throw new TypeError('bad subject token');
};`,
  );
  const { payload } = (await run(id)).json();
  assert.equal(payload.kind, 'thrown');
  assert.deepEqual(payload.error, { name: 'TypeError', message: 'bad subject token' });
  assert.deepEqual(payload.logs, [{ level: 'warn', message: 'about to fail' }]);
  assert.deepEqual(payload.commands, []);
});

test('a runaway loop is stopped by the CPU budget and reported as a timeout', async () => {
  const id = await action('loops', `exports.onExecuteCustomTokenExchange = async () => { for (;;) {} };`);
  const res = await run(id);
  assert.equal(res.statusCode, 200);
  const { payload } = res.json();
  assert.equal(payload.kind, 'timeout');
  assert.deepEqual(payload.error, { name: 'TimeoutError', message: 'The action exceeded its CPU budget.' });
});

test('a broken api rule is reported as invalid_command naming the rule', async () => {
  const id = await action(
    'bad-call',
    `exports.onExecuteCustomTokenExchange = async (event, api) => { api.access.deny(42, 'x'); };`,
  );
  const { payload } = (await run(id)).json();
  assert.equal(payload.kind, 'invalid_command');
  assert.equal(payload.error.name, 'InvalidCommandError');
  assert.equal(payload.error.rule, 'access.deny.arguments');
  assert.match(payload.error.message, /^access\.deny: /);
});

test('the body needs a payload object; unknown Actions are 404', async () => {
  const id = await action('body-check', `exports.onExecuteCustomTokenExchange = async () => {};`);
  const none = await t.api('POST', `/actions/actions/${id}/test`, {});
  assert.equal(none.statusCode, 400);
  assert.deepEqual(none.json(), {
    statusCode: 400,
    error: 'Bad Request',
    message: "Payload validation error: 'Missing required property: payload'.",
    errorCode: 'invalid_body',
  });
  const notObject = await t.api('POST', `/actions/actions/${id}/test`, { payload: 'x' });
  assert.equal(notObject.statusCode, 400);
  assert.equal(notObject.json().message, "Payload validation error: 'must be object' on property payload.");
  const missing = await t.api('POST', '/actions/actions/nope/test', { payload: {} });
  assert.equal(missing.statusCode, 404);
  assert.deepEqual(missing.json(), {
    statusCode: 404,
    error: 'Not Found',
    message: 'The action does not exist.',
    errorCode: 'inexistent_entity',
  });
});

test('a syntax error is a 400 naming line and column, on create, update and nothing is stored', async () => {
  const broken = 'exports.onExecuteCustomTokenExchange = async (event, api) => {\n  const x = ;\n};\n';
  const res = await t.api('POST', '/actions/actions', { name: 'syntax-error', supported_triggers: CTE, code: broken });
  assert.equal(res.statusCode, 400);
  const body = res.json();
  assert.equal(body.errorCode, 'invalid_code');
  assert.match(body.message, /^Action code is invalid: .+ \(line 2, column \d+\)\.$/);
  assert.equal((await t.api('GET', '/actions/actions?actionName=syntax-error')).json().total, 0);

  const id = await action('syntax-later', `exports.onExecuteCustomTokenExchange = async () => {};`);
  const patch = await t.api('PATCH', `/actions/actions/${id}`, { code: broken });
  assert.equal(patch.statusCode, 400);
  assert.match(patch.json().message, /\(line 2, column \d+\)\.$/);
  assert.equal(
    (await t.api('GET', `/actions/actions/${id}`)).json().code,
    'exports.onExecuteCustomTokenExchange = async () => {};',
  );
});

test('code that requires a module Baton does not provide, or lacks the entry point, is refused at create', async () => {
  const req = await t.api('POST', '/actions/actions', {
    name: 'requires-lodash',
    supported_triggers: CTE,
    code: "const _ = require('lodash');\nexports.onExecuteCustomTokenExchange = async () => {};",
  });
  assert.equal(req.statusCode, 400);
  assert.equal(req.json().errorCode, 'invalid_code');
  assert.match(req.json().message, /lodash/);

  const noEntry = await t.api('POST', '/actions/actions', {
    name: 'no-entry',
    supported_triggers: CTE,
    code: 'exports.onExecutePostLogin = async () => {};',
  });
  assert.equal(noEntry.statusCode, 400);
  assert.match(noEntry.json().message, /onExecuteCustomTokenExchange/);

  const jose = await t.api('POST', '/actions/actions', {
    name: 'requires-jose',
    supported_triggers: CTE,
    code: "const { decodeJwt } = require('jose');\nconst crypto = require('crypto');\nexports.onExecuteCustomTokenExchange = async () => {};",
    dependencies: [{ name: 'jose', version: '6.0.0' }],
  });
  assert.equal(jose.statusCode, 201);
});
