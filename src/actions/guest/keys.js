/**
 * Keys in the guest are opaque handles to host keys (runtime/host-keys.ts): a frozen `CryptoKey` showing the key's
 * `type`, `algorithm`, `extractable` and `usages`, whose host id only this closure knows. The `jose` shim and
 * `crypto.subtle` share them, so a key from `crypto.subtle.importKey` verifies with `jose.jwtVerify` and a key
 * from `jose.importJWK` signs with `crypto.subtle.sign`. A key the guest drops is released on the host when
 * QuickJS collects it. Called once by prelude.js.
 */
'use strict';
(function keys({ hostCall, bytes }) {
  const O = Object;
  const { b64encode, b64decode, toBytes } = bytes;
  const keyIds = new WeakMap();
  const jwksIds = new WeakMap();
  const release =
    typeof FinalizationRegistry === 'function'
      ? new FinalizationRegistry((id) => {
          try {
            hostCall('jose.release', JSON.stringify(id));
          } catch {
            // Best effort: a handle not released goes with the context's key table.
          }
        })
      : null;

  class CryptoKey {
    constructor() {
      throw new TypeError('Illegal constructor');
    }
    // As WebCrypto's: packages tell a CryptoKey from a KeyObject by it (jwks-rsa).
    get [Symbol.toStringTag]() {
      return 'CryptoKey';
    }
  }
  /** A host key description (host-keys.ts describeKey) as a guest key: a CryptoKey handle, or a secret's bytes. */
  function wrapKey(d) {
    if (d.secret !== undefined) return b64decode(d.secret);
    const k = O.create(CryptoKey.prototype, {
      type: { value: d.type, enumerable: true },
      algorithm: { value: O.freeze(d.algorithm), enumerable: true },
      extractable: { value: d.extractable === true, enumerable: true },
      usages: { value: O.freeze(d.usages), enumerable: true },
    });
    keyIds.set(k, d.id);
    if (release) release.register(k, d.id);
    return O.freeze(k);
  }
  /** The host id of a guest CryptoKey, or undefined. */
  const keyId = (key) => keyIds.get(key);
  /** How the host finds a key the guest passes to jose: a handle, a key set, secret bytes or a JWK. */
  function keyRef(key) {
    if (keyIds.has(key)) return { h: keyIds.get(key) };
    if (typeof key === 'function' && jwksIds.has(key)) return { jwks: jwksIds.get(key) };
    if (key instanceof Uint8Array || ArrayBuffer.isView(key) || key instanceof ArrayBuffer)
      return { secret: b64encode(toBytes(key), false) };
    if (key && typeof key === 'object' && typeof key.kty === 'string') return { jwk: key };
    throw new TypeError('Key must be one of type KeyObject, CryptoKey, JSON Web Key, or Uint8Array.');
  }
  /** Marks `fn` as the guest side of host key set `id`. */
  function registerJwks(fn, id) {
    jwksIds.set(fn, id);
    if (release) release.register(fn, id);
    return fn;
  }
  const isJwks = (fn) => jwksIds.has(fn);
  /** Releases host handle `id` once the guest object that holds it is collected (node-crypto.js's KeyObjects too). */
  function releaseWhenCollected(obj, id) {
    if (release) release.register(obj, id);
  }

  return { CryptoKey, wrapKey, keyId, keyRef, registerJwks, isJwks, releaseWhenCollected };
});
