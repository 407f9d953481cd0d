/** Identifiers in Auth0's formats, from a CSPRNG. */
import { randomBytes, randomFillSync, randomInt } from 'node:crypto';

/**
 * Random bytes for the per-request identifiers (jti, log ids), taken from a buffer the CSPRNG refills 4 kB at a
 * time: one call into OpenSSL per hundred or so ids instead of one each (as node's own randomUUID does). Every
 * byte is handed out once; the text is made before the buffer is refilled.
 */
const POOL = Buffer.alloc(4096);
let poolOffset = POOL.length;
function pooledRandom(n: number, encoding: 'hex' | 'base64url'): string {
  if (poolOffset + n > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const text = POOL.toString(encoding, poolOffset, poolOffset + n);
  poolOffset += n;
  return text;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomAlnum(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

export const newClientId = () => randomAlnum(32);
/** 64 characters of base64url, about 384 bits: a client secret. */
export const newClientSecret = () => randomBytes(48).toString('base64url');
export const newClientGrantId = () => `cgr_${randomAlnum(16)}`;
export const newResourceServerId = () => randomBytes(12).toString('hex');
export const newConnectionId = () => `con_${randomAlnum(16)}`;
export const newUserId = () => randomBytes(12).toString('hex');
export const newOrganizationId = () => `org_${randomAlnum(16)}`;
export const newProfileId = () => `tep_${randomAlnum(16)}`;
export const newLogId = () => pooledRandom(28, 'hex');
export const newJti = () => pooledRandom(16, 'base64url');
export const newRefreshToken = () => randomBytes(48).toString('base64url');
