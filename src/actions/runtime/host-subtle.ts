/**
 * The host side of the guest's `crypto.subtle` (guest/subtle.js): each call runs on this worker's WebCrypto,
 * `globalThis.crypto.subtle`, which worker.ts made the inline wrapper of src/crypto/inline-subtle.ts, so an
 * Action's HMAC, ECDSA, Ed25519 and RSA verifications cost what the server's own do. Keys live in the context's key
 * table (host-keys.ts) and the guest holds their ids; bytes arrive as base64 (`{$b}` inside an algorithm's
 * parameters, `{$k}` a key handle, ECDH's `public`). WebCrypto checks every argument itself: the casts below only
 * name what the guest sends, and its DOMExceptions go back to the guest by name (host-ops.ts describeError).
 */
import { describeKey, type KeyTable } from './host-keys.js';

type Subtle = typeof globalThis.crypto.subtle;
type Json = Readonly<Record<string, unknown>>;

const bytes = (b64: unknown): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(String(b64), 'base64'));
const base64 = (buf: ArrayBuffer): string => Buffer.from(buf).toString('base64');

function cryptoKey(keys: KeyTable, id: unknown): CryptoKey {
  const k = keys.get(id);
  if (!(k instanceof globalThis.CryptoKey)) throw new TypeError('the key handle is not a CryptoKey');
  return k;
}

/** An algorithm argument from the guest: a name, or a dictionary with `{$b}` bytes and `{$k}` key handles. */
function algorithm(keys: KeyTable, a: unknown): AlgorithmIdentifier {
  if (typeof a === 'string') return a;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((a ?? {}) as Json)) {
    const tagged = v !== null && typeof v === 'object' ? (v as Json) : undefined;
    if (tagged && typeof tagged.$b === 'string') out[k] = bytes(tagged.$b);
    else if (tagged && tagged.$k !== undefined) out[k] = cryptoKey(keys, tagged.$k);
    else out[k] = v;
  }
  return out as unknown as Algorithm;
}

function describeGenerated(keys: KeyTable, r: CryptoKey | CryptoKeyPair): unknown {
  return 'publicKey' in r
    ? { publicKey: describeKey(keys, r.publicKey), privateKey: describeKey(keys, r.privateKey) }
    : describeKey(keys, r);
}

/** Runs `subtle.<method>` for the guest; answers JSON-ready values (ArrayBuffers as base64). */
export async function subtleOp(op: string, p: Json, keys: KeyTable): Promise<unknown> {
  const subtle: Subtle = globalThis.crypto.subtle;
  const alg = () => algorithm(keys, p.alg);
  const key = () => cryptoKey(keys, p.key);
  const usages = () => (Array.isArray(p.usages) ? p.usages.map(String) : []) as KeyUsage[];
  switch (op) {
    case 'subtle.digest':
      return base64(await subtle.digest(alg(), bytes(p.data)));
    case 'subtle.importKey': {
      const format = String(p.format);
      const k =
        format === 'jwk'
          ? await subtle.importKey('jwk', p.keyData as JsonWebKey, alg(), p.extractable === true, usages())
          : await subtle.importKey(
              format as 'raw' | 'spki' | 'pkcs8',
              bytes(p.keyData),
              alg(),
              p.extractable === true,
              usages(),
            );
      return describeKey(keys, k);
    }
    case 'subtle.exportKey': {
      const format = String(p.format);
      if (format === 'jwk') return await subtle.exportKey('jwk', key());
      return base64(await subtle.exportKey(format as 'raw' | 'spki' | 'pkcs8', key()));
    }
    case 'subtle.generateKey':
      return describeGenerated(
        keys,
        await subtle.generateKey(alg() as RsaHashedKeyGenParams, p.extractable === true, usages()),
      );
    case 'subtle.sign':
      return base64(await subtle.sign(alg(), key(), bytes(p.data)));
    case 'subtle.verify':
      return await subtle.verify(alg(), key(), bytes(p.signature), bytes(p.data));
    case 'subtle.encrypt':
      return base64(await subtle.encrypt(alg(), key(), bytes(p.data)));
    case 'subtle.decrypt':
      return base64(await subtle.decrypt(alg(), key(), bytes(p.data)));
    case 'subtle.deriveBits':
      return base64(await subtle.deriveBits(alg(), key(), p.length as number | null));
    default:
      throw new Error(`unknown host call ${op}`);
  }
}
