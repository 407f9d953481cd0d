/** `baton actions deploy|test` run as a real process against a real listening server. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { startTestApp, ADMIN_ID, ADMIN_SECRET, type TestApp } from '../helpers/app.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CODE_1 = `exports.onExecuteCustomTokenExchange = async (event, api) => {\n  console.log('hello ' + event.request.body.subject_token);\n  api.authentication.setUserById('user-' + event.secrets.SUFFIX);\n};\n`;
const CODE_2 = `exports.onExecuteCustomTokenExchange = async (event, api) => {\n  api.access.deny('invalid_request', 'v2 says no');\n};\n`;

let t: TestApp;
let url: string;
let dir: string;

before(async () => {
  t = await startTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/`;
  dir = await mkdtemp(path.join(os.tmpdir(), 'baton-cli-'));
});
after(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

function baton(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      path.join(root, 'node_modules/.bin/tsx'),
      [path.join(root, 'src/cli/index.ts'), ...args],
      {
        cwd: root,
        env: {
          ...process.env,
          BATON_URL: url,
          BATON_ADMIN_CLIENT_ID: ADMIN_ID,
          BATON_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('deploy creates the Action by name, then a second deploy updates it and keeps the other secrets', async () => {
  const file = path.join(dir, 'action.js');
  await writeFile(file, CODE_1);
  const first = await baton([
    'actions',
    'deploy',
    file,
    '--name',
    'cli-action',
    '--trigger',
    'custom-token-exchange',
    '--secret',
    'SUFFIX=abc',
    '--secret',
    'OTHER=keep-me',
  ]);
  assert.equal(first.code, 0, first.stderr);
  const out1 = JSON.parse(first.stdout);
  assert.equal(out1.name, 'cli-action');
  assert.equal(out1.version, 1);
  const deployed1 = await t.ctx.deployedActions.version(out1.id);
  assert.deepEqual(deployed1, {
    actionId: out1.id,
    name: 'cli-action',
    versionId: out1.version_id,
    code: CODE_1,
    secrets: { SUFFIX: 'abc', OTHER: 'keep-me' },
    trigger: 'custom-token-exchange',
    packages: [],
  });

  await writeFile(file, CODE_2);
  const second = await baton(['actions', 'deploy', file, '--name', 'cli-action', '--secret', 'SUFFIX=xyz']);
  assert.equal(second.code, 0, second.stderr);
  const out2 = JSON.parse(second.stdout);
  assert.equal(out2.id, out1.id);
  assert.equal(out2.version, 2);
  const deployed2 = await t.ctx.deployedActions.version(out1.id);
  assert.equal(deployed2!.code, CODE_2);
  assert.deepEqual(deployed2!.secrets, { OTHER: 'keep-me', SUFFIX: 'xyz' });
});

test('test prints the commands, logs and error of a run of the current code', async () => {
  const file = path.join(dir, 'test-action.js');
  await writeFile(file, CODE_1);
  const dep = JSON.parse(
    (await baton(['actions', 'deploy', file, '--name', 'cli-test', '--secret', 'SUFFIX=42'])).stdout,
  );
  const eventFile = path.join(dir, 'event.json');
  await writeFile(eventFile, JSON.stringify({ request: { body: { subject_token: 'tok' } } }));
  const res = await baton(['actions', 'test', dep.id, '--event', eventFile]);
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(JSON.parse(res.stdout), {
    commands: [{ name: 'authentication.setUserById', args: ['user-42'] }],
    logs: [{ level: 'log', message: 'hello tok' }],
    error: null,
  });
});

test('failures are reported on stderr with a non-zero exit', async () => {
  const file = path.join(dir, 'broken.js');
  await writeFile(file, 'exports.onExecuteCustomTokenExchange = async (event, api) => {\n  const x = ;\n};\n');
  const res = await baton(['actions', 'deploy', file, '--name', 'cli-broken']);
  assert.equal(res.code, 1);
  assert.equal(res.stdout, '');
  assert.match(res.stderr, /^baton: Action code is invalid: .*line 2/);

  const badSecret = await baton(['actions', 'deploy', file, '--name', 'cli-broken', '--secret', 'NOEQUALS']);
  assert.equal(badSecret.code, 1);
  assert.equal(badSecret.stderr, "baton: --secret expects KEY=VALUE, got 'NOEQUALS'\n");

  const missing = await baton(['actions', 'test', 'no-such-id', '--event', path.join(dir, 'nope.json')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^baton: cannot read the event from /);
});
