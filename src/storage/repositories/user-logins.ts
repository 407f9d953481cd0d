/**
 * Login counting for the users repository (users.ts): `logins_count`, `last_login` and `last_ip`, written behind
 * the exchange in batches (storage/login-recorder.ts), one statement per batch on PostgreSQL.
 */
import { sql } from 'kysely';
import type { Db } from '../database.js';
import { preparedWrite } from '../prepared.js';

export interface UserLogin {
  userId: string;
  count: number;
  at: string;
  ip: string | null;
}

/**
 * Counts logins (spec section 6.3: `logins_count` is incremented), several users in one transaction: atomic
 * increments, so no update is lost between nodes; rows are updated in user id order, so two nodes writing the
 * same users cannot deadlock. Users deleted meanwhile are skipped.
 */
export function loginRecorder(db: Db, pg: boolean) {
  const countLogin = preparedWrite<{ count: number; at: string; ip: string | null; userId: string }>((arg) =>
    db
      .updateTable('users')
      .set((eb) => ({
        logins_count: eb('logins_count', '+', arg('count')),
        last_login: arg('at'),
        last_ip: arg('ip'),
        updated_at: arg('at'),
      }))
      .where('user_id', '=', arg('userId')),
  );
  return async function recordLogins(logins: UserLogin[]): Promise<void> {
    const sorted = [...logins].sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
    if (sorted.length === 0) return;
    await db.transaction().execute(async (trx) => {
      if (!pg) {
        // SQLite is in process: one small UPDATE per user costs microseconds.
        for (const l of sorted) await countLogin(trx, l);
        return;
      }
      // PostgreSQL: a round trip per user was most of an exchange's database cost; one UPDATE joins them all,
      // the arrays bound as four parameters. The rows are locked in user id order first.
      const ids = sorted.map((l) => l.userId);
      await trx
        .selectFrom('users')
        .select('user_id')
        .where('user_id', 'in', ids)
        .orderBy('user_id')
        .forUpdate()
        .execute();
      await sql`update users set logins_count = users.logins_count + v.n, last_login = v.at, last_ip = v.ip, updated_at = v.at
        from unnest(${ids}::text[], ${sorted.map((l) => l.count)}::int[], ${sorted.map((l) => l.at)}::text[], ${sorted.map((l) => l.ip)}::text[])
          as v(user_id, n, at, ip)
        where users.user_id = v.user_id`.execute(trx);
    });
  };
}
