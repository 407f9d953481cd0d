/**
 * The master key encrypts what must be readable again (signing keys, Action secrets) at rest.
 * Encryption is jose's compact JWE with `dir` + `A256GCM`; the 256-bit key comes from BATON_SECRET_KEY through
 * HKDF-SHA256, or from a random key generated once into `${dataDir}/master.key` (mode 0600).
 */
import fs from 'node:fs';
import path from 'node:path';
import { hkdfSync, randomBytes } from 'node:crypto';
import { CompactEncrypt, compactDecrypt } from 'jose';

export interface Sealer {
  seal(plaintext: string): Promise<string>;
  open(sealed: string): Promise<string>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function createSealer(key: Uint8Array): Sealer {
  if (key.length !== 32) throw new TypeError('the master key must be 32 bytes');
  return {
    seal: (plaintext) =>
      new CompactEncrypt(encoder.encode(plaintext)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(key),
    open: async (sealed) => decoder.decode((await compactDecrypt(sealed, key)).plaintext),
  };
}

/** Derives the 32-byte key from a configured secret, or loads/generates the data dir's key file. */
export function resolveMasterKey(opts: { secretKey?: string | undefined; dataDir?: string | undefined }): Uint8Array {
  if (opts.secretKey) {
    return new Uint8Array(hkdfSync('sha256', opts.secretKey, 'baton', 'baton master key v1', 32));
  }
  if (!opts.dataDir) return new Uint8Array(randomBytes(32));
  const file = path.join(opts.dataDir, 'master.key');
  fs.mkdirSync(opts.dataDir, { recursive: true });
  try {
    const raw = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64url');
    if (raw.length !== 32) throw new TypeError(`${file} does not hold a 32-byte key`);
    return new Uint8Array(raw);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const key = randomBytes(32);
    fs.writeFileSync(file, key.toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
    return new Uint8Array(key);
  }
}
