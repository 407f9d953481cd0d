/**
 * The modules Action code may `require` (contract.ts PROVIDED_MODULES): `jose`, whose keys are opaque handles to
 * host keys, and the Node `crypto` subset; plus the global `crypto` (Web Crypto's randomUUID, getRandomValues).
 * Every operation is a host call. Called once by prelude.js.
 */
'use strict';
(function modules({ hostCall, call, callAsync, makeError, joseErrors, bytes, URL }) {
  const O = Object;
  const { b64encode, b64decode, utf8Decode, toBytes, concat, encodeOut } = bytes;

  // ---- jose (keys are opaque handles to host keys) ----
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
  class KeyObject {}
  function wrapKey(d) {
    if (d.secret !== undefined) return b64decode(d.secret);
    const k = O.create(KeyObject.prototype, {
      type: { value: d.type, enumerable: true },
      algorithm: { value: d.algorithm, enumerable: true },
      extractable: { value: false, enumerable: true },
      usages: { value: d.usages, enumerable: true },
    });
    keyIds.set(k, d.id);
    if (release) release.register(k, d.id);
    return O.freeze(k);
  }
  function keyRef(key) {
    if (keyIds.has(key)) return { h: keyIds.get(key) };
    if (typeof key === 'function' && jwksIds.has(key)) return { jwks: jwksIds.get(key) };
    if (key instanceof Uint8Array || ArrayBuffer.isView(key) || key instanceof ArrayBuffer)
      return { secret: b64encode(toBytes(key), false) };
    if (key && typeof key === 'object' && typeof key.kty === 'string') return { jwk: key };
    throw new TypeError('Key must be one of type KeyObject, CryptoKey, JSON Web Key, or Uint8Array.');
  }
  function verifyOptions(o) {
    if (o === undefined || o === null) return undefined;
    const out = O.assign({}, o);
    if (o.currentDate instanceof Date) out.currentDate = o.currentDate.getTime();
    return out;
  }
  function wrapJwks(id) {
    // eslint-disable-next-line no-unused-vars -- `token` keeps jwks.length at 2, the arity of jose's own resolver
    const fn = async function jwks(protectedHeader, token) {
      return wrapKey(await callAsync('jose.jwksResolve', { id, protectedHeader }));
    };
    jwksIds.set(fn, id);
    if (release) release.register(fn, id);
    return fn;
  }
  async function jwtVerify(jwt, key, options) {
    if (typeof key === 'function' && !jwksIds.has(key))
      key = await key(decodeProtectedHeader(jwt), { payload: String(jwt).split('.')[1] });
    const r = await callAsync('jose.jwtVerify', {
      jwt: String(jwt),
      key: keyRef(key),
      options: verifyOptions(options),
    });
    const out = { payload: r.payload, protectedHeader: r.protectedHeader };
    if (r.key) out.key = wrapKey(r.key);
    return out;
  }
  function decodeProtectedHeader(token) {
    return call('jose.decodeProtectedHeader', String(token));
  }
  const importer = (kind) =>
    async function (data, alg, options) {
      return wrapKey(await callAsync('jose.import', { kind, data, alg, options }));
    };
  const jose = O.freeze({
    jwtVerify,
    createRemoteJWKSet(url, options) {
      return wrapJwks(
        call('jose.createRemoteJWKSet', { url: url instanceof URL ? url.href : String(url), options: options || {} }),
      );
    },
    createLocalJWKSet(jwks) {
      return wrapJwks(call('jose.createLocalJWKSet', jwks));
    },
    importSPKI: importer('spki'),
    importPKCS8: importer('pkcs8'),
    importX509: importer('x509'),
    importJWK: importer('jwk'),
    decodeJwt(token) {
      return call('jose.decodeJwt', String(token));
    },
    decodeProtectedHeader,
    base64url: O.freeze({
      encode(x) {
        return b64encode(toBytes(x), true);
      },
      decode(x) {
        return b64decode(typeof x === 'string' ? x : utf8Decode(toBytes(x)));
      },
    }),
    errors: O.freeze(O.assign({}, joseErrors)),
  });

  // ---- crypto (Node subset) ----
  const finalized = () =>
    makeError({ kind: 'error', message: 'Digest already called', code: 'ERR_CRYPTO_HASH_FINALIZED' });
  function hashLike(op, alg, key) {
    const chunks = [];
    let done = false;
    return {
      update(data, enc) {
        if (done) throw finalized();
        chunks.push(toBytes(data, enc));
        return this;
      },
      digest(enc) {
        if (done) throw finalized();
        done = true;
        return encodeOut(b64decode(call(op, { alg: String(alg), key, data: b64encode(concat(chunks), false) })), enc);
      },
    };
  }
  const crypto = O.freeze({
    createHash(alg) {
      call('crypto.checkHash', String(alg));
      return hashLike('crypto.hash', alg);
    },
    createHmac(alg, key) {
      call('crypto.checkHash', String(alg));
      return hashLike('crypto.hmac', alg, b64encode(toBytes(key), false));
    },
    timingSafeEqual(a, b) {
      return call('crypto.timingSafeEqual', { a: b64encode(toBytes(a), false), b: b64encode(toBytes(b), false) });
    },
    randomUUID() {
      return call('crypto.randomUUID');
    },
    randomBytes(n) {
      return encodeOut(b64decode(call('crypto.randomBytes', n)));
    },
  });
  const webcrypto = O.freeze({
    randomUUID: crypto.randomUUID,
    getRandomValues(arr) {
      const b = b64decode(call('crypto.randomBytes', arr.byteLength));
      new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).set(b);
      return arr;
    },
  });

  return { modules: { jose, crypto }, webcrypto };
});
