/** `baton users` and `baton logs tail` drive a real, listening Baton through the Management API. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { ADMIN_ID, ADMIN_SECRET } from '../helpers/app.js';
import { startListeningApp, type ListeningApp } from '../sdk/listen.js';
import { verifyPassword } from '../../src/storage/repositories/user-password.js';

const run = promisify(execFile);
const cli = path.resolve(import.meta.dirname, '../../src/cli/index.ts');
let t: ListeningApp;
let env: NodeJS.ProcessEnv;

before(async () => {
  t = await startListeningApp();
  env = {
    ...process.env,
    BATON_URL: t.issuer,
    BATON_ADMIN_CLIENT_ID: ADMIN_ID,
    BATON_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
  };
  assert.equal((await t.api('POST', '/connections', { name: 'db', strategy: 'auth0' })).statusCode, 201);
});
after(() => t.close());

const baton = (...args: string[]) => run(process.execPath, ['--import', 'tsx', cli, ...args], { env });

test('baton users create / list', async () => {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', cli, 'users', 'create', '--connection', 'db', '--email', 'cli@example.com'],
    {
      env: { ...env, BATON_USER_PASSWORD: 'a long cli password' },
    },
  );
  const created = JSON.parse(stdout);
  assert.match(created.user_id, /^auth0\|/);
  assert.equal(created.email, 'cli@example.com');
  assert.equal(
    await verifyPassword('a long cli password', (await t.ctx.repos.users.passwordHash(created.user_id))!),
    true,
  );
  await baton('users', 'create', '--connection', 'db', '--email', 'other@example.com');
  const found = JSON.parse((await baton('users', 'list', '--q', 'email:"cli@example.com"')).stdout) as Array<{
    user_id: string;
  }>;
  assert.deepEqual(
    found.map((u) => u.user_id),
    [created.user_id],
  );
  assert.equal(JSON.parse((await baton('users', 'list')).stdout).length, 2);
  await assert.rejects(
    baton('users', 'create', '--connection', 'nope', '--email', 'x@example.com'),
    (err: { code?: number; stderr?: string }) => {
      assert.equal(err.code, 1);
      assert.equal(err.stderr, 'baton: The connection does not exist.\n');
      return true;
    },
  );
});

test('baton logs tail prints the latest entries oldest first, filtered by type; --follow prints new ones', async () => {
  for (const [type, description] of [
    ['secte', 'first'],
    ['fecte', 'failed'],
    ['secte', 'second'],
  ])
    t.ctx.logs.write({ type: type!, description: description! });
  await t.ctx.logs.flush();
  const { stdout } = await baton('logs', 'tail', '--type', 'secte', '--format', 'json');
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; description: string });
  assert.deepEqual(
    lines.map((l) => l.description),
    ['first', 'second'],
  );

  const child = spawn(
    process.execPath,
    ['--import', 'tsx', cli, 'logs', 'tail', '--type', 'secte,fecte', '--follow', '--interval', '100'],
    { env },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const waitFor = async (text: string) => {
      for (let i = 0; i < 200 && !out.includes(text); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(out.includes(text), `expected ${text} in ${out}`);
    };
    await waitFor('second');
    t.ctx.logs.write({ type: 'fecte', description: 'arrived later' });
    t.ctx.logs.write({ type: 'limit_mu', description: 'not shown' });
    await t.ctx.logs.flush();
    await waitFor('arrived later');
    const text = out.trim().split('\n');
    assert.match(text[0]!, /^\d{4}-\d\d-\d\dT\S+Z {2}secte {5}first$/);
    assert.deepEqual(
      text.map((l) => l.split(/\s{2,}/).pop()),
      ['first', 'failed', 'second', 'arrived later'],
    );
  } finally {
    child.kill();
  }
});
