/**
 * The Auth0 user object and its rules: how user ids are built, e-mail normalization, the top-level metadata merge.
 * Auth0 builds `user_id` as `<provider>|<id>`: `auth0|<id>` for database connections, `<strategy>|<id>` for social
 * connections, `<strategy>|<connection name>|<id>` for enterprise and custom connections (so two connections of
 * the same strategy cannot collide). `identities[].user_id` is always the id inside the connection, the value
 * `setUserByConnection` receives (spec section 6.3).
 */
import { DATABASE_STRATEGY, type Connection } from '../storage/repositories/connections.js';
import type { Profile } from './attributes.js';

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

interface UserIdentity {
  connection: string;
  provider: string;
  user_id: string;
  isSocial: boolean;
}

/** A user: the profile of users/attributes.ts (with `email_verified` always set), identities, metadata, state. */
export interface User extends Omit<Profile, 'email_verified'> {
  user_id: string;
  email_verified: boolean;
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

/** Auth0's top-level metadata merge: each key replaces the stored one; a key set to null is removed. */
export function mergeTopLevel(current: Metadata, patch: Metadata): Metadata {
  const out: Metadata = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}
