import type { Db } from '../database.js';
import { isUniqueViolation } from '../database.js';

/** Most expired rows one purge deletes (one indexed, bounded statement). */
export const USED_JTI_PURGE_BATCH = 500;
/** A claim purges at most this often, unless the last purge was a full batch (a backlog remains). */
export const USED_JTI_PURGE_INTERVAL_MS = 60_000;

/**
 * Remembers client-assertion `jti`s until they expire (RFC 7523 section 3, replay protection). Expired rows are
 * purged as the table is used (issue 10, L7): a claim first deletes at most USED_JTI_PURGE_BATCH expired rows, once
 * per USED_JTI_PURGE_INTERVAL_MS, or on every claim while the previous purge found a full batch. Each claim adds
 * one row and a purge during a backlog removes up to a batch, so the table cannot outgrow the live jtis by more
 * than a batch plus an interval's claims, and no single request does more than a batch of work. `now` is
 * injectable for tests.
 */
export function usedJtisRepository(db: Db, opts: { now?: () => number } = {}) {
  const now = opts.now ?? Date.now;
  let lastPurgeMs = -Infinity;
  let backlog = false;

  const repo = {
    /** Records the jti; false when it was already used. */
    async claim(jti: string, expiresAtEpoch: number): Promise<boolean> {
      const t = now();
      if (backlog || t - lastPurgeMs >= USED_JTI_PURGE_INTERVAL_MS) {
        lastPurgeMs = t;
        backlog = (await repo.purgeExpired(USED_JTI_PURGE_BATCH)) >= USED_JTI_PURGE_BATCH;
      }
      try {
        await db.insertInto('used_jtis').values({ jti, expires_at_epoch: expiresAtEpoch }).execute();
        return true;
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    },
    /** Deletes expired jtis, at most `limit` (the oldest first, through the expires_at_epoch index). */
    async purgeExpired(limit = USED_JTI_PURGE_BATCH): Promise<number> {
      const nowS = Math.floor(now() / 1000);
      const expired = db
        .selectFrom('used_jtis')
        .select('jti')
        .where('expires_at_epoch', '<', nowS)
        .orderBy('expires_at_epoch')
        .limit(limit);
      const r = await db.deleteFrom('used_jtis').where('jti', 'in', expired).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
  return repo;
}
