/** The auth0 v7 ManagementClient drives Baton's Actions API unchanged (DESIGN section 2). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ManagementClient } from 'auth0-v7';
import { startListeningApp, httpFetch, type ListeningApp } from '../sdk/listen.js';

let t: ListeningApp;
let management: ManagementClient;
before(async () => {
  t = await startListeningApp();
  management = new ManagementClient({ domain: `127.0.0.1:${t.port}`, token: await t.mgmtToken(), fetch: httpFetch });
});
after(() => t.close());

const CODE = `exports.onExecuteCustomTokenExchange = async (event, api) => {\n  api.authentication.setUserById('sdk|' + event.secrets.TAG);\n};\n`;
const PL = `exports.onExecutePostLogin = async (event, api) => {\n  api.accessToken.setCustomClaim('https://x/y', 1);\n};\n`;

test('create, find by name, update, deploy, versions, roll back, test and delete', async () => {
  const created = await management.actions.create({
    name: 'sdk-cte',
    supported_triggers: [{ id: 'custom-token-exchange', version: 'v1' }],
    code: CODE,
    secrets: [{ name: 'TAG', value: 'one' }],
    dependencies: [{ name: 'jose', version: '6.0.0' }],
  });
  assert.equal(created.name, 'sdk-cte');
  assert.equal(created.runtime, 'node22');
  assert.deepEqual(
    created.secrets?.map((s) => s.name),
    ['TAG'],
  );

  const found = await management.actions.list({ actionName: 'sdk-cte', triggerId: 'custom-token-exchange' });
  assert.deepEqual(
    found.data.map((a) => a.id),
    [created.id],
  );

  const v1 = await management.actions.deploy(created.id!);
  assert.equal(v1.number, 1);
  assert.equal(v1.deployed, true);
  const deployedOnly = await management.actions.list({ deployed: true });
  assert.deepEqual(
    deployedOnly.data.map((a) => a.id),
    [created.id],
  );

  const updated = await management.actions.update(created.id!, {
    code: CODE.replace("'sdk|'", "'sdk2|'"),
    secrets: [{ name: 'TAG' }],
  });
  assert.equal(updated.all_changes_deployed, false);
  const v2 = await management.actions.deploy(created.id!);
  assert.equal(v2.number, 2);

  const versions = await management.actions.versions.list(created.id!);
  assert.deepEqual(
    versions.data.map((v) => v.number),
    [2, 1],
  );
  const got = await management.actions.versions.get(created.id!, v1.id!);
  assert.equal(got.code, CODE);
  const rolled = await management.actions.versions.deploy(created.id!, v1.id!);
  assert.equal(rolled.number, 3);
  assert.equal(rolled.code, CODE);

  const run = await management.actions.test(created.id!, { payload: { request: { body: {} } } });
  assert.deepEqual((run.payload as { commands: unknown[] }).commands, [
    { name: 'authentication.setUserById', args: ['sdk2|one'] },
  ]);

  await assert.rejects(
    management.actions.create({
      name: 'sdk-cte',
      supported_triggers: [{ id: 'custom-token-exchange', version: 'v1' }],
    }),
    (err: { statusCode?: number }) => {
      assert.equal(err.statusCode, 409);
      return true;
    },
  );
  await management.actions.delete(created.id!);
  await assert.rejects(management.actions.get(created.id!), (err: { statusCode?: number }) => {
    assert.equal(err.statusCode, 404);
    return true;
  });
});

test('triggers and the post-login flow', async () => {
  const triggers = await management.actions.triggers.list();
  assert.deepEqual(
    triggers.triggers?.map((tr) => `${tr.id}@${tr.version}`),
    ['custom-token-exchange@v1', 'post-login@v3', 'post-login@v2'],
  );
  const a = await management.actions.create({
    name: 'sdk-pl',
    supported_triggers: [{ id: 'post-login', version: 'v3' }],
    code: PL,
    deploy: true,
  });
  const res = await management.actions.triggers.bindings.updateMany('post-login', {
    bindings: [{ ref: { type: 'action_name', value: 'sdk-pl' }, display_name: 'SDK' }],
  });
  assert.deepEqual(
    res.bindings?.map((b) => [b.display_name, b.action?.id]),
    [['SDK', a.id]],
  );
  const listed = await management.actions.triggers.bindings.list('post-login');
  assert.deepEqual(
    listed.data.map((b) => b.display_name),
    ['SDK'],
  );
  await management.actions.delete(a.id!, { force: true });
  assert.equal((await management.actions.triggers.bindings.list('post-login')).data.length, 0);
});
