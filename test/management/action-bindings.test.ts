import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.js';

const POST_LOGIN = [{ id: 'post-login', version: 'v3' }];
const plCode = (tag: string) =>
  `exports.onExecutePostLogin = async (event, api) => {\n  api.accessToken.setCustomClaim('tag', '${tag}');\n};\n`;
const CTE_CODE = `exports.onExecuteCustomTokenExchange = async (event, api) => {\n  api.authentication.setUserById('u');\n};\n`;

let t: TestApp;
const ids: Record<string, string> = {};
before(async () => {
  t = await startTestApp();
  for (const name of ['first', 'second', 'third']) {
    const res = await t.api('POST', '/actions/actions', {
      name,
      supported_triggers: POST_LOGIN,
      code: plCode(name),
      secrets: [{ name: 'K', value: `v-${name}` }],
      deploy: true,
    });
    assert.equal(res.statusCode, 201);
    ids[name] = res.json().id;
  }
  ids.draft = (
    await t.api('POST', '/actions/actions', { name: 'draft-only', supported_triggers: POST_LOGIN, code: plCode('d') })
  ).json().id;
  ids.cte = (
    await t.api('POST', '/actions/actions', {
      name: 'cte',
      supported_triggers: [{ id: 'custom-token-exchange', version: 'v1' }],
      code: CTE_CODE,
      deploy: true,
    })
  ).json().id;
});
after(() => t.close());

const patch = (bindings: unknown[], trigger = 'post-login') =>
  t.api('PATCH', `/actions/triggers/${trigger}/bindings`, { bindings });

test('GET /actions/triggers lists the triggers with their binding policy', async () => {
  const res = await t.api('GET', '/actions/triggers');
  assert.equal(res.statusCode, 200);
  const common = { runtimes: ['node18', 'node22'], default_runtime: 'node22', compatible_triggers: [] };
  assert.deepEqual(res.json(), {
    triggers: [
      { id: 'custom-token-exchange', version: 'v1', status: 'CURRENT', ...common, binding_policy: 'entity-bound' },
      { id: 'post-login', version: 'v3', status: 'CURRENT', ...common, binding_policy: 'trigger-bound' },
      { id: 'post-login', version: 'v2', status: 'DEPRECATED', ...common, binding_policy: 'trigger-bound' },
    ],
  });
});

test('the post-login flow starts empty', async () => {
  const res = await t.api('GET', '/actions/triggers/post-login/bindings');
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { bindings: [], total: 0, page: 0, per_page: 20 });
  assert.deepEqual(await t.ctx.deployedActions.postLoginFlow(), []);
});

test('PATCH replaces the ordered flow, by id or by name, and the pipeline sees that order', async () => {
  const res = await patch([
    { ref: { type: 'action_name', value: 'third' }, display_name: 'Third one' },
    { ref: { type: 'action_id', value: ids.first } },
  ]);
  assert.equal(res.statusCode, 200);
  const { bindings } = res.json();
  assert.equal(bindings.length, 2);
  assert.equal(bindings[0].trigger_id, 'post-login');
  assert.equal(bindings[0].display_name, 'Third one');
  assert.equal(bindings[0].action.id, ids.third);
  assert.equal(bindings[0].action.deployed_version.number, 1);
  assert.equal(bindings[1].display_name, 'first', 'the display name defaults to the action name');
  assert.equal(bindings[1].action.id, ids.first);
  assert.ok(!res.body.includes('v-first'), 'no secret value');

  const got = (await t.api('GET', '/actions/triggers/post-login/bindings')).json();
  assert.equal(got.total, 2);
  assert.deepEqual(
    got.bindings.map((b: { id: string }) => b.id),
    bindings.map((b: { id: string }) => b.id),
  );

  const flow = await t.ctx.deployedActions.postLoginFlow();
  assert.deepEqual(
    flow.map((f) => [f.name, f.code, f.secrets, f.trigger]),
    [
      ['third', plCode('third'), { K: 'v-third' }, 'post-login'],
      ['first', plCode('first'), { K: 'v-first' }, 'post-login'],
    ],
  );

  // A new order replaces the old one entirely.
  const again = await patch([
    { ref: { type: 'action_id', value: ids.second } },
    { ref: { type: 'action_id', value: ids.third } },
    { ref: { type: 'action_id', value: ids.first } },
  ]);
  assert.equal(again.statusCode, 200);
  assert.deepEqual(
    (await t.ctx.deployedActions.postLoginFlow()).map((f) => f.name),
    ['second', 'third', 'first'],
  );
  const page = (await t.api('GET', '/actions/triggers/post-login/bindings?per_page=2&page=1')).json();
  assert.equal(page.total, 3);
  assert.deepEqual(
    page.bindings.map((b: { display_name: string }) => b.display_name),
    ['first'],
  );
});

test('a deploy of a bound Action is what the flow runs next', async () => {
  await patch([{ ref: { type: 'action_id', value: ids.second } }]);
  assert.equal((await t.ctx.deployedActions.postLoginFlow())[0]!.code, plCode('second'));
  await t.api('PATCH', `/actions/actions/${ids.second}`, { code: plCode('second-v2') });
  assert.equal((await t.ctx.deployedActions.postLoginFlow())[0]!.code, plCode('second'), 'the draft does not run');
  await t.api('POST', `/actions/actions/${ids.second}/deploy`);
  assert.equal((await t.ctx.deployedActions.postLoginFlow())[0]!.code, plCode('second-v2'));
});

test('only deployed Actions of the trigger can be bound; each once; refs must exist', async () => {
  const before = (await t.api('GET', '/actions/triggers/post-login/bindings')).json();
  const cases: Array<[unknown[], string]> = [
    [[{ ref: { type: 'action_id', value: ids.draft } }], "Action 'draft-only' is not deployed."],
    [[{ ref: { type: 'action_id', value: ids.cte } }], "Action 'cte' does not support the 'post-login' trigger."],
    [[{ ref: { type: 'action_name', value: 'nope' } }], "Action 'nope' does not exist."],
    [
      [{ ref: { type: 'action_id', value: ids.first } }, { ref: { type: 'action_name', value: 'first' } }],
      "Action 'first' is bound more than once.",
    ],
  ];
  for (const [bindings, message] of cases) {
    const res = await patch(bindings);
    assert.equal(res.statusCode, 400, message);
    assert.deepEqual(res.json(), { statusCode: 400, error: 'Bad Request', message, errorCode: 'invalid_body' });
  }
  const badRef = await patch([{ ref: { type: 'binding_id', value: 'x' } }]);
  assert.equal(badRef.statusCode, 400);
  assert.equal(badRef.json().errorCode, 'invalid_body');
  assert.deepEqual(
    (await t.api('GET', '/actions/triggers/post-login/bindings')).json(),
    before,
    'a refused PATCH changes nothing',
  );
});

test('custom-token-exchange bindings are entity-bound: PATCH is refused', async () => {
  const res = await patch([{ ref: { type: 'action_id', value: ids.cte } }], 'custom-token-exchange');
  assert.equal(res.statusCode, 400);
  assert.deepEqual(res.json(), {
    statusCode: 400,
    error: 'Bad Request',
    message:
      "Bindings of the 'custom-token-exchange' trigger are managed by token exchange profiles, not by this endpoint.",
    errorCode: 'invalid_body',
  });
  assert.deepEqual((await t.api('GET', '/actions/triggers/custom-token-exchange/bindings')).json(), {
    bindings: [],
    total: 0,
    page: 0,
    per_page: 20,
  });
});

test('an unknown trigger is 404', async () => {
  const res = await t.api('GET', '/actions/triggers/pre-user-registration/bindings');
  assert.equal(res.statusCode, 404);
  assert.deepEqual(res.json(), {
    statusCode: 404,
    error: 'Not Found',
    message: "Trigger 'pre-user-registration' does not exist.",
    errorCode: 'inexistent_entity',
  });
  assert.equal((await patch([], 'nope')).statusCode, 404);
});

test('deleting a bound Action is a 409 unless force=true, which unbinds it', async () => {
  await patch([{ ref: { type: 'action_id', value: ids.first } }, { ref: { type: 'action_id', value: ids.third } }]);
  const res = await t.api('DELETE', `/actions/actions/${ids.first}`);
  assert.equal(res.statusCode, 409);
  assert.deepEqual(res.json(), {
    statusCode: 409,
    error: 'Conflict',
    message: 'The action is bound to a trigger; remove the binding first or delete with force=true.',
    errorCode: 'action_in_use',
  });
  const forced = await t.api('DELETE', `/actions/actions/${ids.first}?force=true`);
  assert.equal(forced.statusCode, 204);
  const flow = (await t.api('GET', '/actions/triggers/post-login/bindings')).json();
  assert.deepEqual(
    flow.bindings.map((b: { display_name: string }) => b.display_name),
    ['third'],
  );
  assert.deepEqual(
    (await t.ctx.deployedActions.postLoginFlow()).map((f) => f.name),
    ['third'],
  );
});

test('an empty list clears the flow', async () => {
  const res = await patch([]);
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { bindings: [] });
  assert.deepEqual(await t.ctx.deployedActions.postLoginFlow(), []);
});
