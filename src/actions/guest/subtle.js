/**
 * `crypto.subtle` in the guest: every method is a host call to the worker's WebCrypto, the same inline
 * `crypto.subtle` the server signs with (src/crypto/inline-subtle.ts); keys stay on the host and the guest holds
 * CryptoKey handles (keys.js). Bytes cross as base64: in an algorithm's parameters (`iv`, `salt`, `label`,
 * `additionalData`, `counter`, `publicExponent`, ...) as `{$b: base64}`, and the host sends errors as WebCrypto's
 * DOMException names (`NotSupportedError`, `DataError`, `InvalidAccessError`, `OperationError`), re-created here.
 * Called once by prelude.js.
 */
'use strict';
(function subtle({ callAsync, bytes, keys }) {
  const O = Object;
  const { b64encode, b64decode, toBytes } = bytes;
  const isBytes = (v) => v instanceof ArrayBuffer || ArrayBuffer.isView(v);
  const b64 = (v) => b64encode(toBytes(v), false);
  const toArrayBuffer = (u8) => u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.byteLength);

  function data(v, name) {
    if (!isBytes(v))
      throw new TypeError(
        'Failed to execute on SubtleCrypto: ' + name + ' is not of type ArrayBuffer, TypedArray or DataView.',
      );
    return b64(v);
  }
  function keyOf(key, name) {
    const id = keys.keyId(key);
    if (id === undefined) throw new TypeError('Failed to execute on SubtleCrypto: ' + name + ' is not a CryptoKey.');
    return id;
  }
  /** An algorithm argument as JSON: a name, or a dictionary whose byte fields become `{$b}` and keys handles. */
  function alg(a) {
    if (typeof a === 'string') return a;
    if (a === null || typeof a !== 'object') throw new TypeError('Algorithm: Unrecognized name');
    const out = {};
    for (const k of O.keys(a)) {
      const v = a[k];
      if (isBytes(v)) out[k] = { $b: b64(v) };
      else if (k === 'public' && keys.keyId(v) !== undefined) out[k] = { $k: keys.keyId(v) };
      else out[k] = v;
    }
    return out;
  }
  const usagesOf = (u) => [...u].map(String);
  const buffer = (s) => toArrayBuffer(b64decode(s));
  const wrapPair = (r) =>
    r.publicKey ? { publicKey: keys.wrapKey(r.publicKey), privateKey: keys.wrapKey(r.privateKey) } : keys.wrapKey(r);

  // Node's SubtleCrypto methods are async: a bad argument rejects, it does not throw.
  const subtle = {
    async digest(algorithm, d) {
      return buffer(await callAsync('subtle.digest', { alg: alg(algorithm), data: data(d, 'data') }));
    },
    async importKey(format, keyData, algorithm, extractable, usages) {
      const kd = String(format) === 'jwk' ? keyData : data(keyData, 'keyData');
      const r = await callAsync('subtle.importKey', {
        format: String(format),
        keyData: kd,
        alg: alg(algorithm),
        extractable: !!extractable,
        usages: usagesOf(usages),
      });
      return keys.wrapKey(r);
    },
    async exportKey(format, key) {
      const r = await callAsync('subtle.exportKey', { format: String(format), key: keyOf(key, 'key') });
      return String(format) === 'jwk' ? r : buffer(r);
    },
    async generateKey(algorithm, extractable, usages) {
      return wrapPair(
        await callAsync('subtle.generateKey', {
          alg: alg(algorithm),
          extractable: !!extractable,
          usages: usagesOf(usages),
        }),
      );
    },
    async sign(algorithm, key, d) {
      return buffer(
        await callAsync('subtle.sign', { alg: alg(algorithm), key: keyOf(key, 'key'), data: data(d, 'data') }),
      );
    },
    async verify(algorithm, key, signature, d) {
      return callAsync('subtle.verify', {
        alg: alg(algorithm),
        key: keyOf(key, 'key'),
        signature: data(signature, 'signature'),
        data: data(d, 'data'),
      });
    },
    async encrypt(algorithm, key, d) {
      return buffer(
        await callAsync('subtle.encrypt', { alg: alg(algorithm), key: keyOf(key, 'key'), data: data(d, 'data') }),
      );
    },
    async decrypt(algorithm, key, d) {
      return buffer(
        await callAsync('subtle.decrypt', { alg: alg(algorithm), key: keyOf(key, 'key'), data: data(d, 'data') }),
      );
    },
    async deriveBits(algorithm, baseKey, length) {
      return buffer(
        await callAsync('subtle.deriveBits', {
          alg: alg(algorithm),
          key: keyOf(baseKey, 'baseKey'),
          length: length === undefined || length === null ? null : Number(length),
        }),
      );
    },
  };
  return { subtle: O.freeze(subtle) };
});
