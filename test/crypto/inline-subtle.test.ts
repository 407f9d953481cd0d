/**
 * The inline SubtleCrypto (src/crypto/inline-subtle.ts) must be indistinguishable from Node's WebCrypto: every
 * signature it makes verifies with WebCrypto and the other way round, tampered input fails the same way, and what
 * it does not serve inline (RSA signing, misused keys) reaches WebCrypto, which accepts or refuses it itself.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import * as jose from 'jose';
import { inlineSubtle } from '../../src/crypto/inline-subtle.js';

const real = webcrypto.subtle;

/** A SubtleCrypto that forwards to Node's and counts the sign and verify calls that reach it. */
function countingReal() {
  const calls = { sign: 0, verify: 0 };
  const proxy = new Proxy(real, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (prop === 'sign' || prop === 'verify') calls[prop]++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { calls, subtle: inlineSubtle(proxy) };
}

const data = new TextEncoder().encode('header.payload');
const flip = (sig: ArrayBuffer) => {
  const b = new Uint8Array(sig.slice(0));
  b[b.length - 1]! ^= 1;
  return b;
};

/** A generator of a fresh, non-extractable key pair for signing and verifying. */
const pair = (params: EcKeyGenParams | RsaHashedKeyGenParams | Algorithm) => async () => {
  const k = (await real.generateKey(params, false, ['sign', 'verify'])) as CryptoKeyPair;
  return { sign: k.privateKey, verify: k.publicKey };
};

const cases: Array<{
  name: string;
  keys: () => Promise<{ sign: CryptoKey; verify: CryptoKey }>;
  alg: Parameters<typeof real.sign>[0];
  signsInline: boolean;
}> = [
  {
    name: 'ECDSA P-256 / SHA-256',
    keys: pair({ name: 'ECDSA', namedCurve: 'P-256' }),
    alg: { name: 'ECDSA', hash: 'SHA-256' },
    signsInline: true,
  },
  {
    name: 'ECDSA P-384 / SHA-384',
    keys: pair({ name: 'ECDSA', namedCurve: 'P-384' }),
    alg: { name: 'ECDSA', hash: { name: 'SHA-384' } },
    signsInline: true,
  },
  {
    name: 'Ed25519',
    keys: pair({ name: 'Ed25519' }),
    alg: 'Ed25519',
    signsInline: true,
  },
  {
    name: 'HMAC SHA-256',
    keys: async () => {
      const k = await real.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
      return { sign: k, verify: k };
    },
    alg: 'HMAC',
    signsInline: true,
  },
  {
    name: 'RSASSA-PKCS1-v1_5 SHA-256',
    keys: pair({
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    }),
    alg: 'RSASSA-PKCS1-v1_5',
    signsInline: false,
  },
  {
    name: 'RSA-PSS SHA-256, salt 32',
    keys: pair({ name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }),
    alg: { name: 'RSA-PSS', saltLength: 32 },
    signsInline: false,
  },
];

describe('inline sign and verify agree with WebCrypto', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const { sign, verify } = await c.keys();
      const { calls, subtle } = countingReal();

      const inlineSig = await subtle.sign(c.alg, sign, data);
      assert.equal(calls.sign, c.signsInline ? 0 : 1, 'signed inline only where cheap');
      assert.equal(await real.verify(c.alg, verify, inlineSig, data), true, 'WebCrypto accepts the inline signature');

      const realSig = await real.sign(c.alg, sign, data);
      assert.equal(await subtle.verify(c.alg, verify, realSig, data), true, 'inline accepts the WebCrypto signature');
      assert.equal(await subtle.verify(c.alg, verify, flip(realSig), data), false, 'tampered signature');
      assert.equal(
        await subtle.verify(c.alg, verify, realSig, new TextEncoder().encode('header.payloaD')),
        false,
        'tampered data',
      );
      assert.equal(
        await subtle.verify(c.alg, verify, new Uint8Array(realSig).subarray(0, 10), data),
        await real.verify(c.alg, verify, new Uint8Array(realSig).subarray(0, 10), data),
        'short signature',
      );
      assert.equal(calls.verify, 0, 'verified inline');
    });
  }
});

describe('calls it does not serve go to WebCrypto', () => {
  test('a key without the usage is refused by WebCrypto, with its error', async () => {
    const k = await real.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const signOnly = await real.importKey(
      'jwk',
      await real.exportKey(
        'jwk',
        (await real.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])).privateKey,
      ),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign'],
    );
    const { calls, subtle } = countingReal();
    const expected = await real.sign({ name: 'ECDSA', hash: 'SHA-256' }, k.publicKey, data).catch((e: Error) => e);
    const got = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, k.publicKey, data).catch((e: Error) => e);
    assert.ok(expected instanceof Error && got instanceof Error);
    assert.equal(got.name, expected.name);
    assert.equal(got.message, expected.message);
    assert.equal(calls.sign, 1);
    const refused = await subtle
      .verify({ name: 'ECDSA', hash: 'SHA-256' }, signOnly, new Uint8Array(64), data)
      .catch((e: Error) => e);
    assert.ok(refused instanceof Error);
    assert.equal(calls.verify, 1);
  });

  test('an algorithm that does not match the key is refused by WebCrypto', async () => {
    const k = await real.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const { calls, subtle } = countingReal();
    const got = await subtle.sign('Ed25519', k.privateKey, data).catch((e: Error) => e);
    assert.ok(got instanceof Error);
    assert.equal(got.name, 'InvalidAccessError');
    assert.equal(calls.sign, 1);
  });

  test("other members are WebCrypto's", async () => {
    const { subtle } = countingReal();
    const digest = await subtle.digest('SHA-256', data);
    assert.deepEqual(new Uint8Array(digest), new Uint8Array(await real.digest('SHA-256', data)));
  });
});

test('jose signs and verifies JWTs through it', async () => {
  const { calls, subtle } = countingReal();
  const saved = Object.getOwnPropertyDescriptor(globalThis.crypto, 'subtle');
  Object.defineProperty(globalThis.crypto, 'subtle', { value: subtle, configurable: true });
  try {
    for (const alg of ['ES256', 'PS256', 'RS256', 'EdDSA', 'HS256'] as const) {
      const secret = alg === 'HS256' ? new Uint8Array(32).fill(7) : undefined;
      const pair = secret ? { privateKey: secret, publicKey: secret } : await jose.generateKeyPair(alg);
      const jwt = await new jose.SignJWT({ sub: 'u1' })
        .setProtectedHeader({ alg })
        .setExpirationTime('1m')
        .sign(pair.privateKey);
      const { payload } = await jose.jwtVerify(jwt, pair.publicKey, { algorithms: [alg] });
      assert.equal(payload.sub, 'u1');
      await assert.rejects(
        jose.jwtVerify(`${jwt.slice(0, -4)}AAAA`, pair.publicKey),
        (e: Error) => e instanceof jose.errors.JWSSignatureVerificationFailed || e instanceof jose.errors.JWSInvalid,
      );
    }
    assert.equal(calls.verify, 0);
    assert.equal(calls.sign, 2, 'RS256 and PS256 signing only');
  } finally {
    if (saved) Object.defineProperty(globalThis.crypto, 'subtle', saved);
    else delete (globalThis.crypto as unknown as Record<string, unknown>).subtle;
  }
});
