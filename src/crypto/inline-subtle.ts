/**
 * WebCrypto's `sign` and `verify`, served inline by `node:crypto` where that is cheaper than Node's WebCrypto.
 *
 * jose (Baton's only JWT library) signs and verifies through `crypto.subtle`. Node runs every `subtle.sign` and
 * `subtle.verify` as a job on libuv's thread pool: the calling thread hands the job over, a pool thread wakes,
 * runs it and wakes the caller again. For a P-256 signature that round trip costs more than the signature itself.
 * Measured on this machine through jose (`npx tsx bench/subtle-micro.ts`, process CPU per operation, WebCrypto
 * then inline): ES256 sign 164 → 79 µs, ES256 verify 210 → 112 µs, RS256 verify 134 → 44 µs. Every exchange
 * signs at least one token and its Action usually verifies one, so Baton installs this wrapper in the server's
 * thread and in each sandbox worker (`installInlineSubtle`).
 *
 * What runs inline: ECDSA, Ed25519 and HMAC sign and verify, RSASSA-PKCS1-v1_5 and RSA-PSS verify. RSA signing
 * (hundreds of µs for a 2048-bit key) stays on the pool, where it runs beside the event loop on another core.
 * Everything else, and any call whose arguments are not the plain well-formed case (wrong key type or usage, an
 * algorithm that does not match the key), goes to Node's own WebCrypto, so errors keep WebCrypto's names and
 * messages. The cryptography is node:crypto's (OpenSSL) in both paths; only the scheduling differs.
 */
import nodeCrypto, { KeyObject, webcrypto } from 'node:crypto';

type Subtle = typeof webcrypto.subtle;
type Key = webcrypto.CryptoKey;
type AlgorithmArg = string | { name: string; hash?: string | { name: string }; saltLength?: number };
type Bytes = ArrayBuffer | ArrayBufferView;

const HASHES: Record<string, string> = {
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};
const keyObjects = new WeakMap<Key, KeyObject>();
// Node's CryptoKey class is a global (node:crypto's `webcrypto` object does not carry it).
const CryptoKey = globalThis.CryptoKey;

function keyObjectOf(key: Key): KeyObject {
  let k = keyObjects.get(key);
  if (!k) {
    k = KeyObject.from(key);
    keyObjects.set(key, k);
  }
  return k;
}

const bytes = (b: Bytes): Uint8Array =>
  ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(b);

const toArrayBuffer = (b: Buffer): ArrayBuffer =>
  b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

function hashName(h: string | { name: string } | undefined): string | undefined {
  const name = typeof h === 'string' ? h : h?.name;
  return name === undefined ? undefined : HASHES[name.toUpperCase()];
}

/** The key's own hash (RSA, HMAC keys carry one). */
const keyHash = (key: Key): string | undefined => hashName((key.algorithm as { hash?: { name: string } }).hash);

/**
 * The algorithm name when the call is one this module serves inline: a CryptoKey of the named algorithm, of the
 * type the operation needs (secret for HMAC, private to sign, public to verify) and with its usage, and byte
 * arguments. Anything else (null) is Node's WebCrypto's to accept or refuse.
 */
function served(alg: AlgorithmArg, key: Key, usage: 'sign' | 'verify', ...data: unknown[]): string | null {
  if (!(key instanceof CryptoKey) || !key.usages.includes(usage)) return null;
  const name = (typeof alg === 'string' ? alg : alg?.name)?.toUpperCase();
  if (!name || name !== key.algorithm.name.toUpperCase()) return null;
  if (!data.every((d) => d instanceof ArrayBuffer || ArrayBuffer.isView(d))) return null;
  const type = name === 'HMAC' ? 'secret' : usage === 'sign' ? 'private' : 'public';
  return key.type === type ? name : null;
}

/** ECDSA names its hash in the call's parameters. */
const callHash = (alg: AlgorithmArg): string | undefined => (typeof alg === 'object' ? hashName(alg.hash) : undefined);

function hmac(key: Key, data: Bytes): Buffer | undefined {
  const hash = keyHash(key);
  return hash ? nodeCrypto.createHmac(hash, keyObjectOf(key)).update(bytes(data)).digest() : undefined;
}

function inlineSign(alg: AlgorithmArg, key: Key, data: Bytes): ArrayBuffer | undefined {
  switch (served(alg, key, 'sign', data)) {
    case 'HMAC': {
      const mac = hmac(key, data);
      return mac && toArrayBuffer(mac);
    }
    case 'ECDSA': {
      const hash = callHash(alg);
      return hash
        ? toArrayBuffer(nodeCrypto.sign(hash, bytes(data), { key: keyObjectOf(key), dsaEncoding: 'ieee-p1363' }))
        : undefined;
    }
    case 'ED25519':
      return toArrayBuffer(nodeCrypto.sign(null, bytes(data), keyObjectOf(key)));
    default:
      return undefined;
  }
}

function inlineVerify(alg: AlgorithmArg, key: Key, signature: Bytes, data: Bytes): boolean | undefined {
  switch (served(alg, key, 'verify', signature, data)) {
    case 'HMAC': {
      const expected = hmac(key, data);
      if (!expected) return undefined;
      const given = bytes(signature);
      return expected.byteLength === given.byteLength && nodeCrypto.timingSafeEqual(expected, given);
    }
    case 'ECDSA': {
      const hash = callHash(alg);
      if (!hash) return undefined;
      return nodeCrypto.verify(
        hash,
        bytes(data),
        { key: keyObjectOf(key), dsaEncoding: 'ieee-p1363' },
        bytes(signature),
      );
    }
    case 'ED25519':
      return nodeCrypto.verify(null, bytes(data), keyObjectOf(key), bytes(signature));
    case 'RSASSA-PKCS1-V1_5': {
      const hash = keyHash(key);
      if (!hash) return undefined;
      return nodeCrypto.verify(
        hash,
        bytes(data),
        { key: keyObjectOf(key), padding: nodeCrypto.constants.RSA_PKCS1_PADDING },
        bytes(signature),
      );
    }
    case 'RSA-PSS': {
      const hash = keyHash(key);
      const saltLength = typeof alg === 'object' ? alg.saltLength : undefined;
      if (!hash || typeof saltLength !== 'number' || !Number.isInteger(saltLength) || saltLength < 0) return undefined;
      return nodeCrypto.verify(
        hash,
        bytes(data),
        { key: keyObjectOf(key), padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength },
        bytes(signature),
      );
    }
    default:
      return undefined;
  }
}

/** The inline result when there is one (a throw counts as none), else Node's WebCrypto's answer. */
function inlineOr<T>(inline: () => T | undefined, real: () => Promise<T>): Promise<T> {
  let out: T | undefined;
  try {
    out = inline();
  } catch {
    out = undefined;
  }
  return out === undefined ? real() : Promise.resolve(out);
}

/** A SubtleCrypto that serves the cases above inline and hands every other call to `real`. */
export function inlineSubtle(real: Subtle = webcrypto.subtle): Subtle {
  const wrapper = Object.create(Object.getPrototypeOf(real) as object) as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(real) as object)) {
    const member = (real as unknown as Record<string, unknown>)[name];
    if (name !== 'constructor' && typeof member === 'function')
      wrapper[name] = (...args: unknown[]) => (member as (...a: unknown[]) => unknown).apply(real, args);
  }
  wrapper.sign = (alg: AlgorithmArg, key: Key, data: Bytes): Promise<ArrayBuffer> =>
    inlineOr(
      () => inlineSign(alg, key, data),
      () => real.sign(alg as never, key, data as never),
    );
  wrapper.verify = (alg: AlgorithmArg, key: Key, signature: Bytes, data: Bytes): Promise<boolean> =>
    inlineOr(
      () => inlineVerify(alg, key, signature, data),
      () => real.verify(alg as never, key, signature as never, data as never),
    );
  return wrapper as unknown as Subtle;
}

const INSTALLED = Symbol.for('baton.inlineSubtle');

/**
 * Makes `globalThis.crypto.subtle` (the same object as node:crypto's `webcrypto.subtle`) the inline wrapper in
 * this thread; idempotent. The wrapper keeps Node's own SubtleCrypto for what it hands on; `globalThis.crypto`
 * keeps its other members.
 */
export function installInlineSubtle(): void {
  const c = globalThis.crypto as unknown as Record<symbol, unknown>;
  if (c[INSTALLED]) return;
  Object.defineProperty(c, 'subtle', {
    value: inlineSubtle(webcrypto.subtle),
    configurable: true,
    enumerable: true,
    writable: false,
  });
  Object.defineProperty(c, INSTALLED, { value: true });
}
