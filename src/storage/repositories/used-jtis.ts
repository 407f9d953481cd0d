import type { Db } from '../database.js';
import { isUniqueViolation } from '../database.js';
import { nowEpoch } from '../codec.js';

/** Remembers client-assertion `jti`s until they expire (RFC 7523 section 3, replay protection). */
export function usedJtisRepository(db: Db) {
  return {
    /** Records the jti; false when it was already used. */
    async claim(jti: string, expiresAtEpoch: number): Promise<boolean> {
      try {
        await db.insertInto('used_jtis').values({ jti, expires_at_epoch: expiresAtEpoch }).execute();
        return true;
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    },
    async purgeExpired(): Promise<number> {
      const r = await db.deleteFrom('used_jtis').where('expires_at_epoch', '<', nowEpoch()).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
