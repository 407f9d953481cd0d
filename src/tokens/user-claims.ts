/**
 * Standard OIDC claims of a user, released by scope (OIDC Core section 5.4): `profile`, `email`, `phone`.
 * Shared by the ID token and /userinfo. Claims an Action sets through custom claims cannot override these.
 */
import type { User } from '../storage/repositories/users.js';

/** The fields of an Auth0 user that claims are made from. */
export type ClaimsUser = Pick<
  User,
  'user_id' | 'email' | 'email_verified' | 'phone_number' | 'phone_verified' | 'name' | 'given_name' | 'family_name' | 'nickname' | 'picture' | 'username' | 'updated_at'
>;

export const OIDC_SCOPES = ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'] as const;

export const STANDARD_CLAIMS = new Set([
  'iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'azp', 'scope', 'act', 'org_id', 'org_name', 'gty', 'permissions',
  'name', 'given_name', 'family_name', 'nickname', 'picture', 'updated_at', 'email', 'email_verified',
  'phone_number', 'phone_number_verified', 'nonce', 'auth_time', 'sid', 'at_hash', 'client_id', 'cnf',
]);

export function scopedUserClaims(user: ClaimsUser, scopes: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  const put = (k: string, v: unknown) => {
    if (v !== undefined && v !== null && v !== '') claims[k] = v;
  };
  if (scopes.includes('profile')) {
    put('name', user.name ?? user.email ?? user.username);
    put('given_name', user.given_name);
    put('family_name', user.family_name);
    put('nickname', user.nickname ?? user.username ?? user.email?.split('@')[0]);
    put('picture', user.picture);
    put('updated_at', user.updated_at);
  }
  if (scopes.includes('email')) {
    put('email', user.email);
    if (user.email) claims.email_verified = Boolean(user.email_verified);
  }
  if (scopes.includes('phone')) {
    put('phone_number', user.phone_number);
    if (user.phone_number) claims.phone_number_verified = Boolean(user.phone_verified);
  }
  return claims;
}

/**
 * Custom claims from post-login: Auth0 refuses to let Actions overwrite registered/standard claims; Baton drops
 * them (and says so in the log description of the caller).
 */
export function allowedCustomClaims(custom: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(custom)) if (!STANDARD_CLAIMS.has(k)) out[k] = v;
  return out;
}
