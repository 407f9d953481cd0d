/**
 * The Auth0 user object as Baton reads it from `users` + `user_identities`, and how user ids are built.
 * Auth0 builds `user_id` as `<provider>|<id>`: `auth0|<id>` for database connections, `<strategy>|<id>` for social
 * connections, `<strategy>|<connection name>|<id>` for enterprise and custom connections (so two connections of
 * the same strategy cannot collide). `identities[].user_id` is always the id inside the connection, the value
 * `setUserByConnection` receives (spec section 6.3).
 */
import type { UsersTable, UserIdentitiesTable } from '../schema.js';
import { fromJson, toBool } from '../codec.js';
import { DATABASE_STRATEGY, type Connection } from './connections.js';

/** Social strategies whose user ids are `<strategy>|<id>`. */
const SOCIAL = new Set([
  'google-oauth2',
  'facebook',
  'apple',
  'github',
  'windowslive',
  'twitter',
  'linkedin',
  'microsoft-account',
]);

export const isSocialStrategy = (strategy: string): boolean => SOCIAL.has(strategy) || strategy === 'oauth2';

export function userIdFor(connection: Pick<Connection, 'name' | 'strategy'>, providerUserId: string): string {
  if (connection.strategy === DATABASE_STRATEGY || SOCIAL.has(connection.strategy))
    return `${connection.strategy}|${providerUserId}`;
  return `${connection.strategy}|${connection.name}|${providerUserId}`;
}

/** Profile attributes a connection supplies (spec section 6.3 table, metadata excluded). */
export interface ProfileAttributes {
  email?: string | null;
  email_verified?: boolean;
  username?: string | null;
  phone_number?: string | null;
  phone_verified?: boolean;
  name?: string | null;
  given_name?: string | null;
  family_name?: string | null;
  nickname?: string | null;
  picture?: string | null;
}

export const PROFILE_FIELDS = [
  'email',
  'username',
  'phone_number',
  'name',
  'given_name',
  'family_name',
  'nickname',
  'picture',
] as const;

export interface UserIdentity {
  connection: string;
  provider: string;
  user_id: string;
  isSocial: boolean;
}

export interface User {
  user_id: string;
  email?: string;
  email_verified: boolean;
  username?: string;
  phone_number?: string;
  phone_verified?: boolean;
  name?: string;
  given_name?: string;
  family_name?: string;
  nickname?: string;
  picture?: string;
  identities: UserIdentity[];
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  blocked: boolean;
  logins_count: number;
  last_login?: string;
  last_ip?: string;
  created_at: string;
  updated_at: string;
  /** Baton's id of the primary connection (not an Auth0 field; routes strip it). */
  connection_id: string;
}

export type Metadata = Record<string, unknown>;

/** Auth0 stores e-mail addresses lower-cased. */
export const normalizeEmail = (email: string | null | undefined): string | null | undefined =>
  typeof email === 'string' ? email.trim().toLowerCase() : email;

export function toUser(r: UsersTable, identities: UserIdentitiesTable[]): User {
  const u: User = {
    user_id: r.user_id,
    email_verified: toBool(r.email_verified),
    identities: identities.map((i) => ({
      connection: i.connection,
      provider: i.provider,
      user_id: i.provider_user_id,
      isSocial: toBool(i.is_social),
    })),
    app_metadata: fromJson(r.app_metadata, {}),
    user_metadata: fromJson(r.user_metadata, {}),
    blocked: toBool(r.blocked),
    logins_count: Number(r.logins_count),
    created_at: r.created_at,
    updated_at: r.updated_at,
    connection_id: r.connection_id,
  };
  for (const f of PROFILE_FIELDS) if (r[f] !== null) u[f] = r[f];
  if (r.phone_number !== null) u.phone_verified = toBool(r.phone_verified);
  if (r.last_login !== null) u.last_login = r.last_login;
  if (r.last_ip !== null) u.last_ip = r.last_ip;
  return u;
}

/** Auth0's top-level metadata merge: each key replaces the stored one; a key set to null is removed. */
export function mergeTopLevel(current: Metadata, patch: Metadata): Metadata {
  const out: Metadata = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}
