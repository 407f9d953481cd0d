/**
 * Writing a user's rows for the users repository (users.ts): the profile columns of its attributes, and a new
 * user with its first identity (the `user_identities` primary key is what makes concurrent first logins safe).
 */
import type { Db } from '../database.js';
import type { UsersTable } from '../schema.js';
import { fromBool, toJson, nowIso } from '../codec.js';
import type { Connection } from './connections.js';
import {
  PROFILE_FIELDS,
  isSocialStrategy,
  normalizeEmail,
  userIdFor,
  type Metadata,
  type ProfileAttributes,
} from './user-shape.js';

export interface NewUser {
  attributes: ProfileAttributes;
  /** Id inside the connection; generated (24 hex characters) when omitted. */
  providerUserId?: string;
  passwordHash?: string | null;
  app_metadata?: Metadata;
  user_metadata?: Metadata;
  blocked?: boolean;
}

export function profileColumns(a: ProfileAttributes, replace: boolean): Partial<UsersTable> {
  const row: Partial<UsersTable> = {};
  for (const f of PROFILE_FIELDS) {
    const v = f === 'email' ? normalizeEmail(a.email) : a[f];
    if (v !== undefined) row[f] = v;
    else if (replace) row[f] = null;
  }
  if (a.email_verified !== undefined || replace) row.email_verified = fromBool(a.email_verified);
  if (a.phone_verified !== undefined || replace) row.phone_verified = fromBool(a.phone_verified);
  return row;
}

export async function insertUser(
  q: Db,
  connection: Connection,
  user: NewUser,
  providerUserId: string,
): Promise<string> {
  const now = nowIso();
  const userId = userIdFor(connection, providerUserId);
  await q
    .insertInto('users')
    .values({
      ...(profileColumns(user.attributes, true) as UsersTable),
      user_id: userId,
      connection_id: connection.id,
      blocked: fromBool(user.blocked),
      app_metadata: toJson(user.app_metadata ?? {}),
      user_metadata: toJson(user.user_metadata ?? {}),
      logins_count: 0,
      last_login: null,
      last_ip: null,
      password_hash: user.passwordHash ?? null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  await q
    .insertInto('user_identities')
    .values({
      connection_id: connection.id,
      provider_user_id: providerUserId,
      user_id: userId,
      provider: connection.strategy,
      connection: connection.name,
      is_social: fromBool(isSocialStrategy(connection.strategy)),
      profile_data: null,
      created_at: now,
    })
    .execute();
  return userId;
}
