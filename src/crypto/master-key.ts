/**
 * The master key encrypts what must be readable again (signing keys, Action secrets, connection secrets) at rest.
 * The 256-bit key comes from BATON_SECRET_KEY through HKDF-SHA256, or from a random key generated once into
 * `${dataDir}/master.key` (mode 0600, in a data folder of mode 0700).
 *
 * A sealed value is bound to where it belongs (issue 10, L5): jose's JWE with `dir` + `A256GCM` and, as JWE
 * Additional Authenticated Data, the purpose and the row id it was sealed for. It is stored in the compact JWE
 * shape, `<protected>..<iv>.<ciphertext>.<tag>`, its protected header marking the version (`"baton_seal": 2`); the
 * AAD is not stored, the opener supplies it, so a value copied into another row or read for another purpose fails
 * its authentication tag. Values sealed before (plain compact JWE, no AAD, no version) still open; `isLegacy`
 * tells a writer to reseal them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { hkdfSync, randomBytes } from 'node:crypto';
import { FlattenedEncrypt, compactDecrypt, decodeProtectedHeader, flattenedDecrypt } from 'jose';
import { ensurePrivateDir, restrictFile } from '../storage/file-modes.js';

/** What a sealed value is: signing_keys.private_jwk_enc, actions/action_versions.secrets_enc, a connection option. */
type SealPurpose = 'signing-key' | 'action-secrets' | 'connection-secret';

/** The row (and, for connection options, the option's path) a sealed value belongs to. */
export interface SealContext {
  purpose: SealPurpose;
  id: string;
}

export interface Sealer {
  seal(plaintext: string, context: SealContext): Promise<string>;
  /** Throws SealedValueError when the value was not sealed for this context (or with this key). */
  open(sealed: string, context: SealContext): Promise<string>;
  /** True for a value sealed without a context (before L5): it opens anywhere, so reseal it when writing. */
  isLegacy(sealed: string): boolean;
}

export class SealedValueError extends Error {
  override name = 'SealedValueError';
}

/** The protected header member that marks a value sealed with AAD, and its version. */
const SEAL_VERSION_HEADER = 'baton_seal';
const SEAL_VERSION = 2;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JSON of [purpose, id]: unambiguous whatever the id contains. */
const aadOf = (context: SealContext): Uint8Array => encoder.encode(JSON.stringify([context.purpose, context.id]));

function versionOf(sealed: string): unknown {
  try {
    return decodeProtectedHeader(sealed)[SEAL_VERSION_HEADER];
  } catch {
    return undefined;
  }
}

export function createSealer(key: Uint8Array): Sealer {
  if (key.length !== 32) throw new TypeError('the master key must be 32 bytes');
  const refuse = (context: SealContext) =>
    new SealedValueError(`sealed value does not open as ${context.purpose} of ${context.id}`);
  return {
    async seal(plaintext, context) {
      const jwe = await new FlattenedEncrypt(encoder.encode(plaintext))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', [SEAL_VERSION_HEADER]: SEAL_VERSION })
        .setAdditionalAuthenticatedData(aadOf(context))
        .encrypt(key);
      return `${jwe.protected}..${jwe.iv}.${jwe.ciphertext}.${jwe.tag}`;
    },
    async open(sealed, context) {
      try {
        const version = versionOf(sealed);
        if (version === undefined) return decoder.decode((await compactDecrypt(sealed, key)).plaintext);
        const parts = sealed.split('.');
        if (version !== SEAL_VERSION || parts.length !== 5 || parts[1] !== '') throw refuse(context);
        const [protectedHeader, , iv, ciphertext, tag] = parts as [string, string, string, string, string];
        const aad = Buffer.from(aadOf(context)).toString('base64url');
        const { plaintext } = await flattenedDecrypt({ protected: protectedHeader, iv, ciphertext, tag, aad }, key);
        return decoder.decode(plaintext);
      } catch (err) {
        if (err instanceof SealedValueError) throw err;
        throw refuse(context);
      }
    },
    isLegacy: (sealed) => versionOf(sealed) === undefined,
  };
}

/** Derives the 32-byte key from a configured secret, or loads/generates the data dir's key file. */
export function resolveMasterKey(opts: { secretKey?: string | undefined; dataDir?: string | undefined }): Uint8Array {
  if (opts.secretKey) {
    return new Uint8Array(hkdfSync('sha256', opts.secretKey, 'baton', 'baton master key v1', 32));
  }
  if (!opts.dataDir) return new Uint8Array(randomBytes(32));
  const file = path.join(opts.dataDir, 'master.key');
  ensurePrivateDir(opts.dataDir);
  try {
    const raw = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64url');
    restrictFile(file);
    if (raw.length !== 32) throw new TypeError(`${file} does not hold a 32-byte key`);
    return new Uint8Array(raw);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const key = randomBytes(32);
    fs.writeFileSync(file, key.toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
    return new Uint8Array(key);
  }
}
