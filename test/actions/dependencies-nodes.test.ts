/**
 * Issue 12: two Baton nodes on one PostgreSQL. Node A resolves and bundles an Action's dependency at draft save
 * and stores the bundle; node B, whose packages folder does not have the package (so it could not build it),
 * runs the Action with the very bundle A stored.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { startTestApp, PG_URL, type TestApp } from '../helpers/app.js';
import { createContext, type AppContext } from '../../src/context.js';
import { buildApp } from '../../src/app.js';

const skip = !PG_URL ? 'needs PostgreSQL (BATON_TEST_PG_URL)' : false;

let a: TestApp;
let bCtx: AppContext;
let b: FastifyInstance;
let dirA: string;
let dirB: string;

before(async () => {
  if (skip) return;
  dirA = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-node-a-'));
  dirB = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-node-b-'));
  const pkg = path.join(dirA, 'node_modules', 'shared-pkg');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'shared-pkg', version: '2.3.4' }));
  fs.writeFileSync(path.join(pkg, 'index.js'), "module.exports = (s) => 'built on node A: ' + s;");
  a = await startTestApp({ dialect: 'postgres', env: { BATON_ACTION_PACKAGES_DIR: dirA } });
  bCtx = await createContext({ ...a.config, actionPackages: { ...a.config.actionPackages, dir: dirB } });
  b = await buildApp(bCtx, { logger: false });
  await b.ready();
});

after(async () => {
  if (skip) return;
  await b?.close();
  await bCtx?.close();
  await a?.close();
  for (const d of [dirA, dirB]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

test('a bundle built on node A runs on node B, which cannot build it', { skip }, async () => {
  const created = await a.api('POST', '/actions/actions', {
    name: 'shared-dep',
    supported_triggers: [{ id: 'custom-token-exchange', version: 'v1' }],
    code: "const f = require('shared-pkg');\nexports.onExecuteCustomTokenExchange = async (event, api) => { api.authentication.setUserById(f('x')); };",
    dependencies: [{ name: 'shared-pkg', version: '^2.0.0' }],
    deploy: true,
  });
  assert.equal(created.statusCode, 201, created.body);
  assert.deepEqual(created.json().dependencies, [{ name: 'shared-pkg', version: '2.3.4' }]);
  const token = await a.mgmtToken();
  const run = await b.inject({
    method: 'POST',
    url: `/api/v2/actions/actions/${created.json().id}/test`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ payload: {} }),
  });
  assert.equal(run.statusCode, 200, run.body);
  assert.deepEqual(run.json().payload.commands, [{ name: 'authentication.setUserById', args: ['built on node A: x'] }]);
  // The deployed version, as the token endpoint of node B loads it.
  const deployed = await bCtx.deployedActions.version(created.json().id as string);
  assert.equal(deployed?.packages[0]?.version, '2.3.4');
  assert.match(deployed.packages[0].code, /built on node A/);
  // Node B itself cannot build it: its folder does not have the package.
  const onB = await b.inject({
    method: 'POST',
    url: '/api/v2/actions/actions',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    payload: JSON.stringify({
      name: 'b-only',
      supported_triggers: [{ id: 'custom-token-exchange', version: 'v1' }],
      dependencies: [{ name: 'shared-pkg', version: '^2.3.5' }],
    }),
  });
  assert.equal(onB.statusCode, 400, onB.body);
  assert.equal(onB.json().message, "Dependency 'shared-pkg' is not in the server's packages folder.");
});
