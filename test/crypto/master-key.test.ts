/**
 * L5 (issue 10): a sealed value is bound to its row and purpose (JWE AAD), so a value copied into another row or
 * read for another purpose does not open; values sealed before (compact JWE, no AAD) still open and are recognised
 * as legacy so that the next write reseals them.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CompactEncrypt } from 'jose';
import { createSealer, SealedValueError } from '../../src/crypto/master-key.js';

const key = new Uint8Array(randomBytes(32));
const sealer = createSealer(key);

describe('sealer', () => {
  test('a sealed value opens only for the row and purpose it was sealed for', async () => {
    const sealed = await sealer.seal('s3cret', { purpose: 'action-secrets', id: 'act_1' });
    assert.equal(sealer.isLegacy(sealed), false);
    assert.equal(sealed.split('.').length, 5, 'the compact JWE shape');
    assert.deepEqual(JSON.parse(Buffer.from(sealed.split('.')[0]!, 'base64url').toString()), {
      alg: 'dir',
      enc: 'A256GCM',
      baton_seal: 2,
    });
    assert.equal(await sealer.open(sealed, { purpose: 'action-secrets', id: 'act_1' }), 's3cret');
    for (const other of [
      { purpose: 'action-secrets', id: 'act_2' },
      { purpose: 'connection-secret', id: 'act_1' },
      { purpose: 'signing-key', id: 'act_1' },
      { purpose: 'action-secrets', id: 'act_' },
    ] as const) {
      await assert.rejects(
        sealer.open(sealed, other),
        (e: unknown) => {
          assert.ok(e instanceof SealedValueError);
          assert.equal(e.message, `sealed value does not open as ${other.purpose} of ${other.id}`);
          return true;
        },
        JSON.stringify(other),
      );
    }
  });

  test('the binding is not ambiguous: purpose and id cannot trade characters', async () => {
    const sealed = await sealer.seal('x', { purpose: 'connection-secret', id: 'a/b' });
    await assert.rejects(sealer.open(sealed, { purpose: 'connection-secret', id: 'a/b ' }), SealedValueError);
    assert.equal(await sealer.open(sealed, { purpose: 'connection-secret', id: 'a/b' }), 'x');
  });

  test('another master key, or a tampered value, does not open', async () => {
    const sealed = await sealer.seal('s3cret', { purpose: 'signing-key', id: 'kid-1' });
    await assert.rejects(
      createSealer(new Uint8Array(randomBytes(32))).open(sealed, { purpose: 'signing-key', id: 'kid-1' }),
      SealedValueError,
    );
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    await assert.rejects(sealer.open(parts.join('.'), { purpose: 'signing-key', id: 'kid-1' }), SealedValueError);
    // The version marker cannot be removed to have the value opened without its binding (the header is authenticated).
    const unmarked = [
      Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A256GCM' })).toString('base64url'),
      ...sealed.split('.').slice(1),
    ].join('.');
    assert.equal(sealer.isLegacy(unmarked), true);
    await assert.rejects(sealer.open(unmarked, { purpose: 'signing-key', id: 'kid-1' }), SealedValueError);
    await assert.rejects(sealer.open('garbage', { purpose: 'signing-key', id: 'kid-1' }), SealedValueError);
  });

  test('a value sealed before L5 (compact JWE without AAD) still opens, and is legacy', async () => {
    const legacy = await new CompactEncrypt(new TextEncoder().encode('old'))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(key);
    assert.equal(sealer.isLegacy(legacy), true);
    assert.equal(await sealer.open(legacy, { purpose: 'action-secrets', id: 'any' }), 'old');
  });
});
