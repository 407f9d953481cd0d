/**
 * The Auth0 user object as Baton reads it from `users` + `user_identities` (`toUser`). The user itself and its rules
 * are domain (src/users/); they are re-exported here for the users repository, which re-exports this module.
 */
import type { UsersTable, UserIdentitiesTable } from '../schema.js';
import { fromJson, toBool } from '../codec.js';
import type { User } from '../../users/user.js';
import { PROFILE_FIELDS } from '../../users/attributes.js';

export * from '../../users/user.js';
export { PROFILE_FIELDS, type ProfileAttributes } from '../../users/attributes.js';

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
