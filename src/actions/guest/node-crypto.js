/**
 * Node `crypto` key functions for npm packages (issue 12): `KeyObject`, `createSecretKey`, `createPublicKey`,
 * `createPrivateKey`, `createSign`, `createVerify`, `sign`, `verify` and `constants`, added to the `crypto` module
 * of modules.js (whose `createHmac` also takes a secret KeyObject here). jsonwebtoken calls them through jws and
 * jwa. Asymmetric keys are handles to Node KeyObjects on the host (runtime/host-node-crypto.ts), released when
 * QuickJS collects the guest object; a secret key's bytes stay in the guest. Called once by prelude.js.
 */
'use strict';
(function nodeCrypto({ call, bytes, toBuffer, base, keys }) {
  const O = Object;
  const { b64encode, b64decode, utf8Decode, toBytes, concat, encodeOut } = bytes;
  const ENCODINGS = new Set(['hex', 'base64', 'base64url', 'latin1', 'binary']);
  const out = (u8, enc) =>
    enc === undefined || enc === 'buffer'
      ? toBuffer(u8)
      : ENCODINGS.has(enc)
        ? encodeOut(u8, enc)
        : toBuffer(u8).toString(enc);

  const state = new WeakMap();

  class KeyObject {
    constructor() {
      throw new TypeError('Illegal constructor');
    }
    get type() {
      return state.get(this).type;
    }
    get asymmetricKeyType() {
      return state.get(this).asymmetricKeyType;
    }
    get asymmetricKeyDetails() {
      const d = state.get(this).details;
      if (!d) return undefined;
      const copy = O.assign({}, d);
      if (copy.publicExponent !== undefined) copy.publicExponent = BigInt(copy.publicExponent);
      return copy;
    }
    get symmetricKeySize() {
      const s = state.get(this);
      return s.secret ? s.secret.length : undefined;
    }
    export(options) {
      const s = state.get(this);
      const o = options || {};
      if (s.secret) {
        if (o.format === 'jwk') return { kty: 'oct', k: b64encode(s.secret, true) };
        return toBuffer(s.secret.slice());
      }
      const r = call('ncrypto.export', { h: s.id, format: o.format, type: o.type });
      if (r.jwk) return r.jwk;
      if (r.pem !== undefined) return r.pem;
      return toBuffer(b64decode(r.der));
    }
    equals(other) {
      const a = state.get(this);
      const b = other && state.get(other);
      if (!b || a.type !== b.type) return false;
      if (a.secret) return base.timingSafeEqual(a.secret, b.secret);
      return this.export({ format: 'jwk' }).n === other.export({ format: 'jwk' }).n;
    }
    get [Symbol.toStringTag]() {
      return 'KeyObject';
    }
  }

  function newKey(s) {
    const k = O.create(KeyObject.prototype);
    state.set(k, s);
    if (s.id !== undefined) keys.releaseWhenCollected(k, s.id);
    return k;
  }
  const secretOf = (key) => {
    const s = state.get(key);
    return s && s.secret;
  };

  /** How the host finds a key argument: a handle, PEM text, DER bytes or a JWK (Node's input forms). */
  function keyRef(input) {
    const s = input && state.get(input);
    if (s) {
      if (s.secret) throw new TypeError('Invalid key object type secret, expected public or private.');
      return { h: s.id };
    }
    if (typeof input === 'string') return { pem: input };
    if (input instanceof Uint8Array || ArrayBuffer.isView(input)) return { pem: utf8Decode(toBytes(input)) };
    if (input && typeof input === 'object') {
      if (input.format === 'jwk') return { jwk: input.key };
      if (input.format === 'der')
        return { der: b64encode(toBytes(input.key, input.encoding), false), type: input.type };
      if (input.key !== undefined) return keyRef(input.key);
    }
    throw new TypeError(
      'The "key" argument must be of type string or an instance of ArrayBuffer, Buffer, TypedArray, DataView, KeyObject, or CryptoKey.',
    );
  }
  const asymmetric = (d) =>
    newKey({ type: d.type, id: d.id, asymmetricKeyType: d.asymmetricKeyType, details: d.details });

  function createSecretKey(key, encoding) {
    return newKey({ type: 'secret', secret: toBytes(key, encoding).slice() });
  }
  function createPublicKey(input) {
    return asymmetric(call('ncrypto.createPublicKey', keyRef(input)));
  }
  function createPrivateKey(input) {
    return asymmetric(call('ncrypto.createPrivateKey', keyRef(input)));
  }

  /** The key and Node's signing options (`padding`, `saltLength`, `dsaEncoding`) of a sign/verify call. */
  function signArgs(key) {
    const a = { key: keyRef(key) };
    if (key && typeof key === 'object' && !state.has(key) && !ArrayBuffer.isView(key)) {
      if (key.padding !== undefined) a.padding = key.padding;
      if (key.saltLength !== undefined) a.saltLength = key.saltLength;
      if (key.dsaEncoding !== undefined) a.dsaEncoding = key.dsaEncoding;
    }
    return a;
  }
  function sign(alg, data, key) {
    const sig = call('ncrypto.sign', O.assign(signArgs(key), { alg, data: b64encode(toBytes(data), false) }));
    return toBuffer(b64decode(sig));
  }
  function verify(alg, data, key, signature) {
    return call(
      'ncrypto.verify',
      O.assign(signArgs(key), {
        alg,
        data: b64encode(toBytes(data), false),
        signature: b64encode(toBytes(signature), false),
      }),
    );
  }
  function streamLike(alg) {
    const chunks = [];
    return {
      update(data, enc) {
        chunks.push(toBytes(data, enc));
        return this;
      },
      end() {
        return this;
      },
      concat: () => concat(chunks),
      alg: String(alg),
    };
  }
  function createSign(alg) {
    const s = streamLike(alg);
    s.sign = (key, enc) => out(toBytes(sign(s.alg, s.concat(), key)), enc);
    return s;
  }
  function createVerify(alg) {
    const s = streamLike(alg);
    s.verify = (key, signature, enc) => verify(s.alg, s.concat(), key, toBytes(signature, enc));
    return s;
  }
  function createHmac(alg, key, options) {
    const secret = key && secretOf(key);
    return base.createHmac(alg, secret || key, options);
  }

  const constants = O.freeze({
    RSA_PKCS1_PADDING: 1,
    RSA_NO_PADDING: 3,
    RSA_PKCS1_OAEP_PADDING: 4,
    RSA_PKCS1_PSS_PADDING: 6,
    RSA_PSS_SALTLEN_DIGEST: -1,
    RSA_PSS_SALTLEN_MAX_SIGN: -2,
    RSA_PSS_SALTLEN_AUTO: -2,
  });

  const crypto = {};
  const inherited = O.getOwnPropertyDescriptors(base);
  delete inherited.createHmac;
  O.defineProperties(crypto, inherited);
  O.assign(crypto, {
    KeyObject,
    createSecretKey,
    createPublicKey,
    createPrivateKey,
    createSign,
    createVerify,
    sign,
    verify,
    createHmac,
    constants,
  });
  return { crypto: O.freeze(crypto) };
});
