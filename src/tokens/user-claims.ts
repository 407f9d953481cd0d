/**
 * Standard OIDC claims of a user, released by scope (OIDC Core section 5.4): `profile`, `email`, `phone`.
 * Shared by the ID token and /userinfo. Claims an Action sets through custom claims cannot override these.
 */
import type { User } from '../users/user.js';

/** The fields of an Auth0 user that claims are made from. */
export type ClaimsUser = Pick<
  User,
  | 'user_id'
  | 'email'
  | 'email_verified'
  | 'phone_number'
  | 'phone_verified'
  | 'name'
  | 'given_name'
  | 'family_name'
  | 'nickname'
  | 'picture'
  | 'username'
  | 'updated_at'
>;

export const OIDC_SCOPES = ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'] as const;

/**
 * Claims Auth0 restricts: an Action's custom claim of one of these names is left out of the token ("Create Custom
 * Claims", General restrictions; https://auth0.com/docs/secure/tokens/json-web-tokens/create-custom-claims).
 * Registered JWT claims, OIDC and RFC 8693 claims (`amr`, `acr`, `may_act`, `c_hash`, ...), Auth0's own.
 */
const AUTH0_RESTRICTED_CLAIMS = [
  'acr',
  'act',
  'active',
  'amr',
  'at_hash',
  'ath',
  'attest',
  'aud',
  'auth_time',
  'authorization_details',
  'azp',
  'c_hash',
  'client_id',
  'cnf',
  'cty',
  'dest',
  'entitlements',
  'events',
  'exp',
  'groups',
  'gty',
  'htm',
  'htu',
  'iat',
  'internalService',
  'iss',
  'jcard',
  'jku',
  'jti',
  'jwe',
  'jwk',
  'kid',
  'may_act',
  'mky',
  'nbf',
  'nonce',
  'object_id',
  'org_id',
  'org_name',
  'orig',
  'origid',
  'permissions',
  'roles',
  'rph',
  's_hash',
  'sid',
  'sip_callid',
  'sip_cseq_num',
  'sip_date',
  'sip_from_tag',
  'sip_via_branch',
  'sub',
  'sub_jwk',
  'toe',
  'txn',
  'typ',
  'uuid',
  'vot',
  'vtm',
  'x5t#S256',
] as const;

/**
 * Every claim a custom claim cannot set: Auth0's restricted list, plus the OIDC standard claims Baton releases by
 * scope ("OpenID standard claims ... cannot be customized or modified") and `scope`.
 */
export const RESTRICTED_CLAIMS: ReadonlySet<string> = new Set<string>([
  ...AUTH0_RESTRICTED_CLAIMS,
  'scope',
  'name',
  'given_name',
  'family_name',
  'nickname',
  'picture',
  'updated_at',
  'email',
  'email_verified',
  'phone_number',
  'phone_number_verified',
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
 * Custom claims from post-login without the restricted ones: as on Auth0, a restricted claim does not fail the
 * transaction, it is left out of the token (the token keeps Baton's own value of that claim, if any).
 */
export function allowedCustomClaims(custom: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(custom)) if (!RESTRICTED_CLAIMS.has(k)) out[k] = v;
  return out;
}
