/**
 * The Management API's user list (GET /api/v2/users): Auth0's e-mail and connection filters, paged in creation
 * order. Part of the users repository (users.ts), which passes its loader of users with their identities.
 */
import type { Db } from '../database.js';
import { normalizeEmail, type User } from './user-shape.js';

export interface UserListOptions {
  page: number;
  perPage: number;
  /** Exact e-mail (case-insensitive). */
  email?: string;
  /** E-mail prefix (Auth0 `email:jo*`). */
  emailPrefix?: string;
  connection?: string;
}

/** `load` reads the users with the given ids, with their identities, in the order of the ids. */
export function userLister(db: Db, load: (q: Db, userIds: string[]) => Promise<User[]>) {
  return async function list(opts: UserListOptions): Promise<{ users: User[]; total: number }> {
    let q = db.selectFrom('users');
    if (opts.email !== undefined) q = q.where('email', '=', normalizeEmail(opts.email)!);
    if (opts.emailPrefix !== undefined) {
      // substr, not LIKE: no wildcard escaping to get right on two dialects.
      const prefix = normalizeEmail(opts.emailPrefix)!;
      q = q.where((eb) => eb(eb.fn('substr', ['email', eb.lit(1), eb.lit(prefix.length)]), '=', prefix));
    }
    if (opts.connection !== undefined) {
      q = q.where('connection_id', 'in', db.selectFrom('connections').select('id').where('name', '=', opts.connection));
    }
    const [rows, total] = await Promise.all([
      q
        .select('user_id')
        .orderBy('created_at')
        .orderBy('user_id')
        .limit(opts.perPage)
        .offset(opts.page * opts.perPage)
        .execute(),
      q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return {
      users: await load(
        db,
        rows.map((r) => r.user_id),
      ),
      total: Number(total.n),
    };
  };
}
