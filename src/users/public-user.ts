/** The Auth0 user profile as Actions see it (`event.user`, `actor_token_user`): Baton's internal fields removed. */
import type { User } from './user.js';

export function publicUser(user: User): Record<string, unknown> {
  const { connection_id: _c, ...rest } = user;
  return rest;
}
