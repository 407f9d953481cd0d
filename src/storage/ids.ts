/** Identifiers in Auth0's formats, from a CSPRNG. */
import { randomBytes, randomInt } from 'node:crypto';

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
export const newLogId = () => randomBytes(28).toString('hex').slice(0, 56);
export const newUuid = () => crypto.randomUUID();
export const newJti = () => randomBytes(16).toString('base64url');
export const newRefreshToken = () => randomBytes(48).toString('base64url');
