/** `baton profiles create|list|delete` run as a real process against a real listening server. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { startTestApp, ADMIN_ID, ADMIN_SECRET, type TestApp } from '../helpers/app.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let t: TestApp;
let url: string;

before(async () => {
  t = await startTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/`;
  // A deployed custom-token-exchange Action row: the profile API checks only id, trigger and deployed version.
  const now = new Date().toISOString();
  await t.ctx.storage.db
    .insertInto('actions')
    .values({
      id: 'act_cli',
      name: 'cli-cte',
      trigger_id: 'custom-token-exchange',
      trigger_version: 'v1',
      code: 'exports.onExecuteCustomTokenExchange = async () => {};',
      runtime: 'node22',
      dependencies: '[]',
      secrets_enc: '',
      secret_names: '[]',
      status: 'built',
      deployed_version_id: 'act_cli-v1',
      all_changes_deployed: 1,
      created_at: now,
      updated_at: now,
    })
    .execute();
});
after(() => t.close());

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

test('create, list and delete profiles; API errors are printed, with exit code 1', async () => {
  const created = await baton([
    'profiles',
    'create',
    '--name',
    'Legacy',
    '--subject-token-type',
    'urn:acme:legacy-token',
    '--action-id',
    'act_cli',
  ]);
  assert.equal(created.code, 0, created.stderr);
  const profile = JSON.parse(created.stdout);
  assert.match(profile.id, /^tep_/);
  assert.equal(profile.subject_token_type, 'urn:acme:legacy-token');
  assert.equal(profile.type, 'custom_authentication');

  const listed = await baton(['profiles', 'list']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout), [profile]);

  const dup = await baton([
    'profiles',
    'create',
    '--name',
    'Again',
    '--subject-token-type',
    'urn:acme:legacy-token',
    '--action-id',
    'act_cli',
  ]);
  assert.equal(dup.code, 1);
  assert.equal(dup.stderr, 'baton: subject_token_type already exists for tenant\n');
  const reserved = await baton([
    'profiles',
    'create',
    '--name',
    'Nope',
    '--subject-token-type',
    'urn:ietf:params:oauth:token-type:jwt',
    '--action-id',
    'act_cli',
  ]);
  assert.equal(reserved.code, 1);
  assert.equal(reserved.stderr, "baton: subject_token_type cannot use a reserved namespace: 'urn:ietf' is reserved.\n");
  const missing = await baton(['profiles', 'create', '--name', 'Nope']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /required option '--subject-token-type <uri>' not specified/);

  const deleted = await baton(['profiles', 'delete', profile.id]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.deepEqual(JSON.parse((await baton(['profiles', 'list'])).stdout), []);
});
