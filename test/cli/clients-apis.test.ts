/** `baton clients` and `baton apis` drive a real, listening Baton through the Management API. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { ADMIN_ID, ADMIN_SECRET } from '../helpers/app.js';
import { startListeningApp, type ListeningApp } from '../sdk/listen.js';

const run = promisify(execFile);
const cli = path.resolve(import.meta.dirname, '../../src/cli/index.ts');
let t: ListeningApp;

before(async () => {
  t = await startListeningApp();
});
after(() => t.close());

async function baton(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    BATON_URL: t.issuer,
    BATON_ADMIN_CLIENT_ID: ADMIN_ID,
    BATON_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
  };
  return run(process.execPath, ['--import', 'tsx', cli, ...args], { env });
}

test('baton apis create / list', async () => {
  const { stdout } = await baton(
    'apis',
    'create',
    '--identifier',
    'https://cli.example.com/',
    '--name',
    'CLI API',
    '--scopes',
    'read:cli,write:cli',
    '--signing-alg',
    'ES256',
  );
  const created = JSON.parse(stdout);
  assert.equal(created.identifier, 'https://cli.example.com/');
  assert.equal(created.signing_alg, 'ES256');
  assert.deepEqual(created.scopes, [{ value: 'read:cli' }, { value: 'write:cli' }]);
  const listed = JSON.parse((await baton('apis', 'list')).stdout) as Array<{ identifier: string }>;
  assert.ok(listed.some((a) => a.identifier === 'https://cli.example.com/'));

  await assert.rejects(
    baton('apis', 'create', '--identifier', 'https://cli.example.com/', '--name', 'again'),
    (err: { code?: number; stderr?: string }) => {
      assert.equal(err.code, 1);
      assert.equal(err.stderr, 'baton: A resource server with the same identifier already exists\n');
      return true;
    },
  );
});

test('baton clients create / list', async () => {
  const { stdout, stderr } = await baton(
    'clients',
    'create',
    '--name',
    'CLI client',
    '--grant-types',
    'client_credentials,urn:ietf:params:oauth:grant-type:token-exchange',
  );
  const created = JSON.parse(stdout);
  assert.equal(created.app_type, 'non_interactive');
  assert.deepEqual(created.grant_types, ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange']);
  assert.equal(typeof created.client_secret, 'string');
  assert.equal(stderr, 'baton: the client secret is shown only now; store it safely\n');
  const stored = await t.ctx.repos.clients.get(created.client_id);
  assert.equal(stored?.name, 'CLI client');
  const listed = JSON.parse((await baton('clients', 'list', '--per-page', '100')).stdout) as Array<{
    client_id: string;
    client_secret?: string;
  }>;
  assert.ok(listed.some((c) => c.client_id === created.client_id));
  assert.ok(listed.every((c) => c.client_secret === undefined));
});
