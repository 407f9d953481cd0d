/**
 * Host side of the guest's Node `crypto` key functions (guest/node-crypto.js; issue 12): `createPublicKey`,
 * `createPrivateKey`, `KeyObject.export`, `createSign`/`createVerify` and one-shot `sign`/`verify`, which npm
 * packages such as jsonwebtoken (through jws and jwa) call. Asymmetric keys live in the context's key table
 * (host-keys.ts) as Node KeyObjects; the guest holds an id and the key's public description. Node's crypto does
 * every operation: nothing is implemented here but the translation of arguments.
 */
import nodeCrypto, { KeyObject } from 'node:crypto';
import type { KeyTable } from './host-keys.js';

type Fields = Readonly<Record<string, unknown>>;
type PublicInput = Parameters<typeof nodeCrypto.createPublicKey>[0];
type PrivateInput = Parameters<typeof nodeCrypto.createPrivateKey>[0];

/** A key argument from the guest: a handle, PEM text, DER bytes (base64) or a JWK, with Node's options. */
function keyInput(keys: KeyTable, ref: Fields): KeyObject | PublicInput {
  if (ref.h !== undefined) {
    const k = keys.get(ref.h);
    if (!(k instanceof KeyObject)) throw new TypeError('The key is not a KeyObject');
    return k;
  }
  if (typeof ref.pem === 'string') return ref.pem;
  if (typeof ref.der === 'string') {
    return { key: Buffer.from(ref.der, 'base64'), format: 'der', type: String(ref.type) as 'spki' };
  }
  if (ref.jwk && typeof ref.jwk === 'object') return { key: ref.jwk as nodeCrypto.JsonWebKey, format: 'jwk' };
  throw new TypeError('The "key" argument must be of type string or an instance of Buffer, KeyObject or CryptoKey');
}

function describe(keys: KeyTable, k: KeyObject): Record<string, unknown> {
  const d = k.asymmetricKeyDetails ?? {};
  const details: Record<string, unknown> = {};
  if (d.modulusLength !== undefined) details.modulusLength = d.modulusLength;
  if (d.publicExponent !== undefined) details.publicExponent = Number(d.publicExponent);
  if (d.namedCurve !== undefined) details.namedCurve = d.namedCurve;
  if (d.hashAlgorithm !== undefined) details.hashAlgorithm = d.hashAlgorithm;
  if (d.mgf1HashAlgorithm !== undefined) details.mgf1HashAlgorithm = d.mgf1HashAlgorithm;
  if (d.saltLength !== undefined) details.saltLength = d.saltLength;
  return { id: keys.add(k), type: k.type, asymmetricKeyType: k.asymmetricKeyType, details };
}

/** Node's sign/verify key options beside the key itself. */
function signKey(keys: KeyTable, p: Fields): nodeCrypto.SignKeyObjectInput | KeyObject | nodeCrypto.KeyLike {
  const key = keyInput(keys, p.key as Fields);
  const opts: Record<string, unknown> = {};
  if (typeof p.padding === 'number') opts.padding = p.padding;
  if (typeof p.saltLength === 'number') opts.saltLength = p.saltLength;
  if (p.dsaEncoding === 'der' || p.dsaEncoding === 'ieee-p1363') opts.dsaEncoding = p.dsaEncoding;
  if (Object.keys(opts).length === 0) return key as KeyObject;
  return { key, ...opts } as unknown as nodeCrypto.SignKeyObjectInput;
}

/** A string field from the guest, or '' (what is not a string is not text). */
const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const data = (p: Fields) => Buffer.from(text(p.data), 'base64');
const alg = (p: Fields) => (typeof p.alg === 'string' ? p.alg : null);

export function nodeCryptoOp(op: string, p: Fields, keys: KeyTable): unknown {
  switch (op) {
    case 'ncrypto.createPublicKey': {
      const input = keyInput(keys, p);
      return describe(keys, nodeCrypto.createPublicKey(input));
    }
    case 'ncrypto.createPrivateKey': {
      const input = keyInput(keys, p);
      if (input instanceof KeyObject) throw new TypeError('Invalid key object type public, expected private.');
      return describe(keys, nodeCrypto.createPrivateKey(input as PrivateInput));
    }
    case 'ncrypto.export': {
      const k = keys.get(p.h);
      if (!(k instanceof KeyObject)) throw new TypeError('The key is not a KeyObject');
      if (p.format === 'jwk') return { jwk: k.export({ format: 'jwk' }) };
      const out = k.export({
        format: text(p.format) || 'pem',
        type: text(p.type),
      } as nodeCrypto.KeyExportOptions<'pem'>);
      return typeof out === 'string' ? { pem: out } : { der: Buffer.from(out).toString('base64') };
    }
    case 'ncrypto.sign':
      return nodeCrypto.sign(alg(p), data(p), signKey(keys, p)).toString('base64');
    case 'ncrypto.verify':
      return nodeCrypto.verify(alg(p), data(p), signKey(keys, p), Buffer.from(text(p.signature), 'base64'));
    default:
      throw new Error(`unknown host call ${op}`);
  }
}
