/**
 * L2 (issue 10): client secrets are stored as HMAC-SHA256 under a pepper derived from the master key (HKDF), not as
 * a bare SHA-256; legacy unpeppered rows keep working and are rehashed (at bootstrap, and on a successful
 * authentication); an operator-chosen admin secret needs at least 256 bits of estimated entropy, or Baton does not
 * start.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { startTestApp, DIALECTS, ADMIN_ID, ADMIN_SECRET, type TestApp } from '../helpers/app.js';
import { loadConfig, ConfigError } from '../../src/config/index.js';
import { resolveMasterKey } from '../../src/crypto/master-key.js';
import { sha256Hex } from '../../src/crypto/hashing.js';
import { bootstrap } from '../../src/bootstrap.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const INVALID_CLIENT = { error: 'invalid_client', error_description: 'Client authentication failed' };

/** The expected stored form, computed here from the specification of the scheme, not through Baton's code. */
function peppered(secretKey: string, secret: string): string {
  const masterKey = resolveMasterKey({ secretKey });
  const pepper = Buffer.from(hkdfSync('sha256', masterKey, 'baton', 'baton client secret pepper v1', 32));
  return (
    'hs1$' + createHmac('sha256', pepper).update(createHash('sha256').update(secret, 'utf8').digest()).digest('hex')
  );
}

const weakMessage = (bits: number, distinct: number) =>
  'invalid configuration:\n  BATON_ADMIN_CLIENT_SECRET: must carry at least 256 bits of estimated entropy (length x log2 of the character classes used) ' +
  `with at least 12 distinct characters; this one has about ${bits} bits and ${distinct} distinct characters. ` +
  'Generate one with `openssl rand -hex 32`, or leave it unset for Baton to generate one';

for (const dialect of DIALECTS) {
  describe(`client secret hashes (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ dialect });
    });
    after(() => t.close());

    const hashOf = async (clientId: string) =>
      (
        await t.ctx.storage.db
          .selectFrom('clients')
          .select('client_secret_hash')
          .where('client_id', '=', clientId)
          .executeTakeFirstOrThrow()
      ).client_secret_hash;
    const setHash = (clientId: string, hash: string) =>
      t.ctx.storage.db
        .updateTable('clients')
        .set({ client_secret_hash: hash })
        .where('client_id', '=', clientId)
        .execute();
    const token = (clientId: string, secret: string) =>
      t.form('/oauth/token', {
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
        audience: t.ctx.managementAudience,
      });
    const m2m = async (name: string) => {
      const c = (await t.api('POST', '/clients', { name, app_type: 'non_interactive' })).json<{
        client_id: string;
        client_secret: string;
      }>();
      await t.api('POST', '/client-grants', {
        client_id: c.client_id,
        audience: t.ctx.managementAudience,
        scope: ['read:clients'],
      });
      return c;
    };

    test('secrets are stored as HMAC-SHA256 under a pepper derived from the master key', async () => {
      const c = await m2m('peppered');
      assert.equal(await hashOf(c.client_id), peppered(t.config.secretKey!, c.client_secret));
      assert.equal(await hashOf(ADMIN_ID), peppered(t.config.secretKey!, ADMIN_SECRET));
      const rotated = (await t.api('POST', `/clients/${c.client_id}/rotate-secret`)).json().client_secret as string;
      assert.equal(await hashOf(c.client_id), peppered(t.config.secretKey!, rotated));

      // The same admin secret under another master key is another hash; neither is the bare SHA-256.
      const other = await startTestApp({
        dialect,
        env: { BATON_SECRET_KEY: 'another-master-key-' + randomBytes(16).toString('hex') },
      });
      try {
        const otherHash = (
          await other.ctx.storage.db
            .selectFrom('clients')
            .select('client_secret_hash')
            .where('client_id', '=', ADMIN_ID)
            .executeTakeFirstOrThrow()
        ).client_secret_hash;
        assert.equal(otherHash, peppered(other.config.secretKey!, ADMIN_SECRET));
        assert.notEqual(otherHash, await hashOf(ADMIN_ID));
        assert.notEqual(otherHash, sha256Hex(ADMIN_SECRET));
      } finally {
        await other.close();
      }
    });

    test('a legacy unpeppered hash still authenticates and is rehashed on success; a wrong secret changes nothing', async () => {
      const c = await m2m('legacy');
      await setHash(c.client_id, sha256Hex(c.client_secret));
      t.ctx.configReads.clear();
      const wrong = await token(c.client_id, c.client_secret + 'x');
      assert.equal(wrong.statusCode, 401);
      assert.deepEqual(wrong.json(), INVALID_CLIENT);
      assert.equal(await hashOf(c.client_id), sha256Hex(c.client_secret));
      assert.equal((await token(c.client_id, c.client_secret)).statusCode, 200);
      assert.equal(await hashOf(c.client_id), peppered(t.config.secretKey!, c.client_secret));
      t.ctx.configReads.clear();
      assert.equal((await token(c.client_id, c.client_secret)).statusCode, 200);
      assert.deepEqual((await token(c.client_id, sha256Hex(c.client_secret))).json(), INVALID_CLIENT);
    });

    test('bootstrap rehashes every legacy row, and the secrets keep working', async () => {
      const a = await m2m('legacy a');
      const b = await m2m('legacy b');
      await setHash(a.client_id, sha256Hex(a.client_secret));
      await setHash(b.client_id, sha256Hex(b.client_secret));
      await setHash(ADMIN_ID, sha256Hex(ADMIN_SECRET));
      await bootstrap(t.ctx);
      assert.equal(await hashOf(a.client_id), peppered(t.config.secretKey!, a.client_secret));
      assert.equal(await hashOf(b.client_id), peppered(t.config.secretKey!, b.client_secret));
      assert.equal(await hashOf(ADMIN_ID), peppered(t.config.secretKey!, ADMIN_SECRET));
      t.ctx.configReads.clear();
      assert.equal((await token(a.client_id, a.client_secret)).statusCode, 200);
      assert.equal((await token(ADMIN_ID, ADMIN_SECRET)).statusCode, 200);
    });
  });
}

test('a weak BATON_ADMIN_CLIENT_SECRET is a ConfigError naming the variable; strong ones pass', () => {
  const env = { BATON_ADMIN_CLIENT_ID: 'admin' };
  const cases: Array<[string, string]> = [
    // The earlier test fixture: lowercase, digits and dashes, 34 characters.
    ['test-admin-secret-0123456789abcdef', weakMessage(207, 23)],
    // Long, but two characters repeated.
    ['ab'.repeat(100), weakMessage(940, 2)],
    ['x'.repeat(16), weakMessage(75, 1)],
  ];
  for (const [secret, message] of cases) {
    assert.throws(
      () => loadConfig({ ...env, BATON_ADMIN_CLIENT_SECRET: secret }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.message, message);
        return true;
      },
    );
  }
  // 20 random bytes in hex: 160 bits, about 206 estimated.
  const hex160 = randomBytes(20).toString('hex');
  assert.throws(
    () => loadConfig({ ...env, BATON_ADMIN_CLIENT_SECRET: hex160 }),
    /BATON_ADMIN_CLIENT_SECRET: must carry at least 256 bits/,
  );
  for (const strong of [randomBytes(32).toString('hex'), randomBytes(32).toString('base64'), ADMIN_SECRET]) {
    assert.equal(loadConfig({ ...env, BATON_ADMIN_CLIENT_SECRET: strong }).adminClientSecret, strong);
  }
});

test('baton serve refuses to start with a weak admin secret, naming the variable', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-weak-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('BATON_')) delete env[k];
  Object.assign(env, {
    PORT: '0',
    HOST: '127.0.0.1',
    BATON_DATA_DIR: dataDir,
    BATON_ADMIN_CLIENT_ID: 'admin',
    BATON_ADMIN_CLIENT_SECRET: 'test-admin-secret-0123456789abcdef',
  });
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve'], { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += String(c)));
    child.stderr.on('data', (c) => (stderr += String(c)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
    assert.equal(stderr, `baton: ${weakMessage(207, 23)}\n`);
    assert.equal(stdout, '');
    assert.deepEqual(fs.readdirSync(dataDir), [], 'nothing was created');
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
