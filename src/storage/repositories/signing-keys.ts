import type { Db } from '../database.js';
import type { SigningKeysTable } from '../schema.js';

export type SigningKeyRow = SigningKeysTable;

export function signingKeysRepository(db: Db) {
  return {
    async list(): Promise<SigningKeyRow[]> {
      return db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute();
    },
    async get(kid: string): Promise<SigningKeyRow | undefined> {
      return db.selectFrom('signing_keys').selectAll().where('kid', '=', kid).executeTakeFirst();
    },
    /** Inserts the new current keys and retires the old ones in one transaction. */
    async rotate(newKeys: SigningKeyRow[], retiredAt: string, publishUntilEpoch: number): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('signing_keys')
          .set({ status: 'previous', rotated_at: retiredAt, publish_until_epoch: publishUntilEpoch })
          .where('status', '=', 'current')
          .execute();
        if (newKeys.length) await trx.insertInto('signing_keys').values(newKeys).execute();
      });
    },
    async insertIfNone(newKeys: SigningKeyRow[]): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        const existing = await trx
          .selectFrom('signing_keys')
          .select('kid')
          .where('status', '=', 'current')
          .executeTakeFirst();
        if (existing) return false;
        await trx.insertInto('signing_keys').values(newKeys).execute();
        return true;
      });
    },
    /** Replaces a sealed private key by its resealed form, only if the row still holds `sealed` (L5 upgrade). */
    async reseal(kid: string, sealed: string, resealed: string): Promise<void> {
      await db
        .updateTable('signing_keys')
        .set({ private_jwk_enc: resealed })
        .where('kid', '=', kid)
        .where('private_jwk_enc', '=', sealed)
        .execute();
    },
    async revoke(kid: string, at: string): Promise<boolean> {
      const r = await db
        .updateTable('signing_keys')
        .set({ status: 'revoked', rotated_at: at, publish_until_epoch: 0 })
        .where('kid', '=', kid)
        .where('status', '!=', 'current')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
