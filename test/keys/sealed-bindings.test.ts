/**
 * L5 (issue 10), at every place Baton seals: Action secrets, connection secrets and signing keys are bound to
 * their row (and a connection secret to its option), so someone who can write the database but does not hold the
 * master key cannot move a sealed value to where it would be opened for them. Values sealed before L5 still open,
 * and are resealed with their binding when next written.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
import { CompactEncrypt } from 'jose';
import { startTestApp, ADMIN_ID, ADMIN_SECRET, type TestApp } from '../helpers/app.js';
import { SealedValueError } from '../../src/crypto/master-key.js';

const MASTER_SECRET = 'sealed-bindings-master-key-0123456789abcdef';
const INTERNAL = { statusCode: 500, error: 'Internal Server Error', message: 'Internal error' };

let t: TestApp;
before(async () => {
  t = await startTestApp({
    env: { BATON_SECRET_KEY: MASTER_SECRET, BATON_ACTION_CPU_MS: '300', BATON_ACTION_TIMEOUT_MS: '2000' },
  });
});
after(() => t.close());

/** A value sealed the way Baton sealed before L5: compact JWE under the same master key, no AAD. */
async function legacySeal(plaintext: string): Promise<string> {
  const key = new Uint8Array(hkdfSync('sha256', MASTER_SECRET, 'baton', 'baton master key v1', 32));
  return new CompactEncrypt(new TextEncoder().encode(plaintext))
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .encrypt(key);
}

describe('Action secrets', () => {
  const CODE = `exports.onExecuteCustomTokenExchange = async (event, api) => { console.log('key=' + event.secrets.API_KEY); };`;
  async function action(name: string, value: string): Promise<string> {
    const res = await t.api('POST', '/actions/actions', {
      name,
      supported_triggers: [{ id: 'custom-token-exchange', version: 'v1' }],
      code: CODE,
      secrets: [{ name: 'API_KEY', value }],
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id;
  }
  const secretsOf = async (id: string) =>
    (await t.ctx.storage.db.selectFrom('actions').select('secrets_enc').where('id', '=', id).executeTakeFirstOrThrow())
      .secrets_enc;
  const setSecrets = (id: string, secrets_enc: string) =>
    t.ctx.storage.db.updateTable('actions').set({ secrets_enc }).where('id', '=', id).execute();
  const run = (id: string) => t.api('POST', `/actions/actions/${id}/test`, { payload: {} });

  test('secrets copied into another Action do not open there', async () => {
    const victim = await action('victim', 'victim-api-key');
    const attacker = await action('attacker', 'attacker-api-key');
    assert.deepEqual((await run(attacker)).json().payload.logs, [{ level: 'log', message: 'key=attacker-api-key' }]);
    await setSecrets(attacker, await secretsOf(victim));
    const res = await run(attacker);
    assert.equal(res.statusCode, 500, res.body);
    assert.deepEqual(res.json(), INTERNAL);
    assert.ok(!res.body.includes('victim-api-key'));
    assert.deepEqual((await run(victim)).json().payload.logs, [{ level: 'log', message: 'key=victim-api-key' }]);
  });

  test('legacy secrets still open, and are resealed with their binding on the next write', async () => {
    const id = await action('legacy-secrets', 'new-key');
    await setSecrets(
      id,
      await legacySeal(
        JSON.stringify([{ name: 'API_KEY', value: 'legacy-key', updated_at: '2026-01-01T00:00:00.000Z' }]),
      ),
    );
    assert.deepEqual((await run(id)).json().payload.logs, [{ level: 'log', message: 'key=legacy-key' }]);
    const patch = await t.api('PATCH', `/actions/actions/${id}`, {
      secrets: [{ name: 'API_KEY' }, { name: 'OTHER', value: 'o' }],
    });
    assert.equal(patch.statusCode, 200, patch.body);
    assert.equal(t.ctx.sealer.isLegacy(await secretsOf(id)), false);
    assert.deepEqual((await run(id)).json().payload.logs, [{ level: 'log', message: 'key=legacy-key' }]);
  });
});

describe('connection secrets', () => {
  const optionsOf = async (id: string) =>
    JSON.parse(
      (
        await t.ctx.storage.db
          .selectFrom('connections')
          .select('options')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).options,
    );
  const setOptions = (id: string, options: unknown) =>
    t.ctx.storage.db
      .updateTable('connections')
      .set({ options: JSON.stringify(options) })
      .where('id', '=', id)
      .execute();
  async function connection(name: string, options: Record<string, unknown>): Promise<string> {
    const res = await t.api('POST', '/connections', { name, strategy: 'oidc', options });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id;
  }

  test('a sealed option copied into another connection, or under another option name, does not open', async () => {
    const a = await connection('idp-a', { client_id: 'a', client_secret: 'secret-of-a' });
    const b = await connection('idp-b', { client_id: 'b', client_secret: 'secret-of-b', other_secret: 'other-of-b' });
    assert.equal((await t.api('GET', `/connections/${b}`)).json().options.client_secret, 'secret-of-b');
    const stolen = (await optionsOf(a)).client_secret;
    assert.ok(typeof stolen.$sealed === 'string' && !t.ctx.sealer.isLegacy(stolen.$sealed));

    const bOptions = await optionsOf(b);
    await setOptions(b, { ...bOptions, client_secret: stolen });
    const moved = await t.api('GET', `/connections/${b}`);
    assert.equal(moved.statusCode, 500);
    assert.deepEqual(moved.json(), INTERNAL);
    assert.ok(!moved.body.includes('secret-of-a'));

    await setOptions(b, { ...bOptions, client_secret: bOptions.other_secret, other_secret: bOptions.client_secret });
    assert.equal((await t.api('GET', `/connections/${b}`)).statusCode, 500, 'two options of one connection swapped');

    await setOptions(b, bOptions);
    assert.equal((await t.api('GET', `/connections/${b}`)).json().options.client_secret, 'secret-of-b');
  });

  test('a legacy sealed option still opens; PATCHing options reseals it bound', async () => {
    const c = await connection('idp-legacy', { client_id: 'c' });
    await setOptions(c, { client_id: 'c', client_secret: { $sealed: await legacySeal('legacy-secret') } });
    const got = await t.api('GET', `/connections/${c}`);
    assert.equal(got.json().options.client_secret, 'legacy-secret');
    const patch = await t.api('PATCH', `/connections/${c}`, { options: got.json().options });
    assert.equal(patch.statusCode, 200, patch.body);
    assert.equal(t.ctx.sealer.isLegacy((await optionsOf(c)).client_secret.$sealed), false);
  });
});

describe('signing keys', () => {
  const rows = () =>
    t.ctx.storage.db
      .selectFrom('signing_keys')
      .selectAll()
      .where('alg', '=', 'RS256')
      .orderBy('created_at', 'desc')
      .execute();

  test("a private key copied into another key's row does not load", async () => {
    await t.ctx.keys.rotate();
    const [current, previous] = await rows();
    assert.equal(current!.status, 'current');
    const own = current!.private_jwk_enc;
    await t.ctx.storage.db
      .updateTable('signing_keys')
      .set({ private_jwk_enc: previous!.private_jwk_enc })
      .where('kid', '=', current!.kid)
      .execute();
    await assert.rejects(t.ctx.keys.reload(), SealedValueError);
    await t.ctx.storage.db
      .updateTable('signing_keys')
      .set({ private_jwk_enc: own })
      .where('kid', '=', current!.kid)
      .execute();
    await t.ctx.keys.reload();
  });

  test('a legacy sealed private key loads and is resealed bound to its kid', async () => {
    const [current] = await rows();
    const plaintext = await t.ctx.sealer.open(current!.private_jwk_enc, { purpose: 'signing-key', id: current!.kid });
    await t.ctx.storage.db
      .updateTable('signing_keys')
      .set({ private_jwk_enc: await legacySeal(plaintext) })
      .where('kid', '=', current!.kid)
      .execute();
    await t.ctx.keys.reload();
    const [after] = await rows();
    assert.equal(t.ctx.sealer.isLegacy(after!.private_jwk_enc), false);
    assert.equal(
      await t.ctx.sealer.open(after!.private_jwk_enc, { purpose: 'signing-key', id: current!.kid }),
      plaintext,
    );
    const token = await t.form('/oauth/token', {
      grant_type: 'client_credentials',
      client_id: ADMIN_ID,
      client_secret: ADMIN_SECRET,
      audience: t.ctx.managementAudience,
    });
    assert.equal(token.statusCode, 200, token.body);
    await t.ctx.tokens.verify(token.json().access_token, { audience: t.ctx.managementAudience });
  });
});
