/**
 * The modules `jose`, whose keys are opaque handles to host keys (keys.js), and the Node `crypto` subset (with
 * `webcrypto` and `subtle`, subtle.js); plus the global `crypto` (Web Crypto's randomUUID, getRandomValues,
 * subtle). Every operation is a host call. Called once by prelude.js.
 */
'use strict';
(function modules({ call, callAsync, makeError, joseErrors, bytes, URL, keys, subtle, toBuffer }) {
  const O = Object;
  const { b64encode, b64decode, utf8Decode, toBytes, concat, encodeOut } = bytes;
  /**
   * A digest as Node returns it: a Buffer when no encoding is asked for; the common encodings without loading the
   * vendored Buffer, the others through it.
   */
  const digestOut = (u8, enc) =>
    enc === undefined ? toBuffer(u8) : ENCODINGS.has(enc) ? encodeOut(u8, enc) : toBuffer(u8).toString(enc);
  const ENCODINGS = new Set(['hex', 'base64', 'base64url', 'latin1', 'binary']);

  // ---- jose (keys are opaque handles to host keys: keys.js) ----
  const { wrapKey, keyRef, registerJwks, isJwks } = keys;
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
    return registerJwks(fn, id);
  }
  async function jwtVerify(jwt, key, options) {
    if (typeof key === 'function' && !isJwks(key))
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
        return digestOut(b64decode(call(op, { alg: String(alg), key, data: b64encode(concat(chunks), false) })), enc);
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
      return toBuffer(b64decode(call('crypto.randomBytes', n)));
    },
    getRandomValues,
    subtle,
    get webcrypto() {
      return webcrypto;
    },
  });
  function getRandomValues(arr) {
    const b = b64decode(call('crypto.randomBytes', arr.byteLength));
    new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).set(b);
    return arr;
  }
  // The global `crypto`, and require('crypto').webcrypto (the same object, as in Node).
  const webcrypto = O.freeze({ randomUUID: crypto.randomUUID, getRandomValues, subtle, CryptoKey: keys.CryptoKey });

  return { modules: { jose, crypto }, webcrypto };
});
