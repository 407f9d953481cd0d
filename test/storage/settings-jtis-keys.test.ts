/** Storage conformance: tenant settings, used client-assertion jtis, signing keys, on every dialect. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, startTestApp, type TestApp } from '../helpers/app.js';
import type { SigningKeyRow } from '../../src/storage/repositories/signing-keys.js';

const key = (kid: string, status = 'current'): SigningKeyRow => ({
  kid,
  alg: 'RS256',
  private_jwk_enc: 'a.b.c.d.e',
  public_jwk: '{"kty":"RSA"}',
  status,
  created_at: new Date().toISOString(),
  rotated_at: null,
  publish_until_epoch: null,
});

for (const dialect of DIALECTS) {
  describe(`settings, used jtis, signing keys (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ dialect });
    });
    after(() => t.close());

    test('settings: get of a missing key, set, overwrite (upsert), JSON values round-trip', async () => {
      const s = t.ctx.repos.settings;
      assert.equal(await s.get('nope'), undefined);
      await s.set('suspicious_ip_throttling', {
        enabled: true,
        stage: { 'pre-custom-token-exchange': { max_attempts: 10 } },
      });
      await s.set('suspicious_ip_throttling', { enabled: false, allowlist: ['10.0.0.0/8'] });
      assert.deepEqual(await s.get('suspicious_ip_throttling'), { enabled: false, allowlist: ['10.0.0.0/8'] });
      await s.set('flag', false);
      assert.equal(await s.get('flag'), false);
    });

    test('used jtis: the first claim wins, concurrent claims of one jti succeed once, expired ones are purged', async () => {
      const j = t.ctx.repos.usedJtis;
      const now = Math.floor(Date.now() / 1000);
      const claims = await Promise.all(Array.from({ length: 20 }, () => j.claim('jti-1', now + 60)));
      assert.equal(claims.filter(Boolean).length, 1);
      assert.equal(await j.claim('jti-old', now - 10), true);
      assert.equal(await j.purgeExpired(), 1);
      assert.equal(await j.claim('jti-old', now + 60), true, 'a purged jti can be seen again');
      assert.equal(await j.claim('jti-1', now + 60), false);
    });

    test('signing keys: insertIfNone, rotate retires current keys in one transaction, revoke only non-current', async () => {
      const k = t.ctx.repos.signingKeys;
      const initial = await k.list();
      assert.equal(initial.filter((r) => r.status === 'current').length, 3, 'bootstrapped RS256, PS256, ES256');
      assert.equal(await k.insertIfNone([key('never')]), false);
      assert.equal(await k.get('never'), undefined);
      await k.rotate([key('k-new')], '2026-01-01T00:00:00.000Z', 1_900_000_000);
      const after = await k.list();
      assert.deepEqual(
        after.filter((r) => r.status === 'current').map((r) => r.kid),
        ['k-new'],
      );
      for (const old of initial) {
        const row = await k.get(old.kid);
        assert.deepEqual(
          [row?.status, row?.rotated_at, row?.publish_until_epoch],
          ['previous', '2026-01-01T00:00:00.000Z', 1_900_000_000],
        );
      }
      assert.equal(await k.revoke('k-new', '2026-01-02T00:00:00.000Z'), false, 'the current key cannot be revoked');
      assert.equal(await k.revoke(initial[0]!.kid, '2026-01-02T00:00:00.000Z'), true);
      assert.deepEqual(
        [(await k.get(initial[0]!.kid))?.status, (await k.get(initial[0]!.kid))?.publish_until_epoch],
        ['revoked', 0],
      );
      assert.equal(await k.revoke('missing', '2026-01-02T00:00:00.000Z'), false);
    });
  });
}
