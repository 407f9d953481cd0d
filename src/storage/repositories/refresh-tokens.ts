import type { Db, DialectName } from '../database.js';
import type { RefreshTokensTable } from '../schema.js';
import { fromJson, toJson, nowIso } from '../codec.js';
import { sha256Hex } from '../../crypto/hashing.js';

/** What a refresh grant needs to mint again (scopes, audience, org); never the token itself. */
interface RefreshTokenData {
  scopes: string[];
  audience: string;
  org?: { id: string; name: string } | undefined;
  subject_token_type?: string | undefined;
}

/**
 * A stored refresh token. Tokens form families (RFC 9700 section 4.14.2): a rotating token is retired when redeemed
 * (`rotated_at_ms`) and its successor joins the family; a retired token presented again outside the leeway revokes
 * the family. `expires_at_epoch` is the family's absolute end, `idle_expires_at_epoch` the token's inactivity end.
 */
export interface RefreshTokenRecord {
  id: string;
  client_id: string;
  user_id: string;
  audience: string;
  scope: string;
  org_id: string | null;
  data: RefreshTokenData;
  created_at: string;
  expires_at_epoch: number | null;
  revoked_at: string | null;
  family_id: string;
  parent_id: string | null;
  rotating: boolean;
  rotated_at_ms: number | null;
  idle_expires_at_epoch: number | null;
  /** created_at of the user row the token was issued for (null only for rows whose user was gone at migration). */
  user_created_at: string | null;
}

/** A token to store: `family_id` and `parent_id` default to a new family. */
export type NewRefreshToken = Omit<
  RefreshTokenRecord,
  'created_at' | 'revoked_at' | 'rotated_at_ms' | 'family_id' | 'parent_id'
> & {
  family_id?: string;
  parent_id?: string | null;
};

/** The user row a redemption must still find: same user_id, same row (created_at), not blocked. */
export interface RefreshBinding {
  user_id: string;
  user_created_at: string;
}

export type RotateOutcome = 'rotated' | 'conflict' | 'user';

function toRecord(r: RefreshTokensTable): RefreshTokenRecord {
  const n = (v: number | null) => (v === null ? null : Number(v));
  return {
    id: r.id,
    client_id: r.client_id,
    user_id: r.user_id,
    audience: r.audience,
    scope: r.scope,
    org_id: r.org_id,
    data: fromJson<RefreshTokenData>(r.data, { scopes: [], audience: r.audience }),
    created_at: r.created_at,
    expires_at_epoch: n(r.expires_at_epoch),
    revoked_at: r.revoked_at,
    family_id: r.family_id ?? r.id,
    parent_id: r.parent_id,
    rotating: Number(r.rotating) === 1,
    rotated_at_ms: n(r.rotated_at_ms),
    idle_expires_at_epoch: n(r.idle_expires_at_epoch),
    user_created_at: r.user_created_at,
  };
}

function row(rec: NewRefreshToken, token: string): RefreshTokensTable {
  return {
    id: rec.id,
    token_hash: sha256Hex(token),
    client_id: rec.client_id,
    user_id: rec.user_id,
    audience: rec.audience,
    scope: rec.scope,
    org_id: rec.org_id,
    data: toJson(rec.data),
    created_at: nowIso(),
    expires_at_epoch: rec.expires_at_epoch,
    revoked_at: null,
    last_used_at: null,
    family_id: rec.family_id ?? rec.id,
    parent_id: rec.parent_id ?? null,
    rotating: rec.rotating ? 1 : 0,
    rotated_at_ms: null,
    idle_expires_at_epoch: rec.idle_expires_at_epoch,
    user_created_at: rec.user_created_at,
  };
}

/** Refresh tokens are stored as SHA-256 hashes (they are random 384-bit strings); the raw value is never kept. */
export function refreshTokensRepository(db: Db, dialect: DialectName) {
  const pg = dialect === 'postgres';
  const repo = {
    async create(rec: NewRefreshToken, token: string): Promise<void> {
      await db.insertInto('refresh_tokens').values(row(rec, token)).execute();
    },

    /** The record for a presented token in any state (revoked, retired, expired: the grant decides), or undefined. */
    async find(token: string): Promise<RefreshTokenRecord | undefined> {
      const r = await db
        .selectFrom('refresh_tokens')
        .selectAll()
        .where('token_hash', '=', sha256Hex(token))
        .executeTakeFirst();
      return r ? toRecord(r) : undefined;
    },

    /** True when a successor of this token was itself redeemed (then it is no longer "the previous token"). */
    async hasRotatedSuccessor(id: string): Promise<boolean> {
      const r = await db
        .selectFrom('refresh_tokens')
        .select('id')
        .where('parent_id', '=', id)
        .where('rotated_at_ms', 'is not', null)
        .executeTakeFirst();
      return r !== undefined;
    },

    /** A reusable token was used: record it and move its idle deadline. */
    async touch(id: string, idleExpiresAtEpoch: number | null): Promise<void> {
      await db
        .updateTable('refresh_tokens')
        .set({ last_used_at: nowIso(), idle_expires_at_epoch: idleExpiresAtEpoch })
        .where('id', '=', id)
        .execute();
    },

    /**
     * Redeems `old` and stores `successor`, in one transaction: the user row is read first (on PostgreSQL under a
     * share lock, so a concurrent block or delete, which revokes or deletes the user's tokens in its own
     * transaction after updating that row, either comes first and is seen here, or waits and then sees the
     * successor). `old` is retired only if it is still live and not retired, or retired no earlier than
     * `retiredSinceMs` (a reuse inside the leeway); else `conflict` (a concurrent redemption won). With
     * `revokeFamily` (rotation switched off) the old family is revoked instead; with `revokeReusable` (rotation
     * switched on) the other reusable tokens of the client, API and user are revoked (Auth0's migration rules).
     */
    async rotate(opts: {
      old: RefreshTokenRecord;
      binding: RefreshBinding;
      successor: NewRefreshToken;
      token: string;
      retiredSinceMs?: number | undefined;
      /** When the rotation happens (the grant's clock): the old token's `rotated_at_ms`. */
      nowMs: number;
      revokeFamily?: boolean;
      revokeReusable?: boolean;
    }): Promise<RotateOutcome> {
      const { old } = opts;
      return db.transaction().execute(async (trx) => {
        let userQuery = trx
          .selectFrom('users')
          .select(['created_at', 'blocked'])
          .where('user_id', '=', opts.binding.user_id);
        if (pg) userQuery = userQuery.forShare();
        const user = await userQuery.executeTakeFirst();
        if (!user || user.created_at !== opts.binding.user_created_at || Number(user.blocked) === 1) return 'user';
        const { nowMs } = opts;
        const at = nowIso();
        let retire = trx
          .updateTable('refresh_tokens')
          .set((eb) => ({ rotated_at_ms: eb.fn.coalesce('rotated_at_ms', eb.val(nowMs)), last_used_at: at }))
          .where('id', '=', old.id)
          .where('revoked_at', 'is', null);
        retire =
          opts.retiredSinceMs === undefined
            ? retire.where('rotated_at_ms', 'is', null)
            : retire.where((eb) =>
                eb.or([eb('rotated_at_ms', 'is', null), eb('rotated_at_ms', '>=', opts.retiredSinceMs!)]),
              );
        const retired = await retire.executeTakeFirst();
        if (Number(retired.numUpdatedRows) !== 1) return 'conflict';
        if (opts.revokeFamily) {
          await trx
            .updateTable('refresh_tokens')
            .set({ revoked_at: at })
            .where('family_id', '=', old.family_id)
            .where('revoked_at', 'is', null)
            .execute();
        }
        if (opts.revokeReusable) {
          await trx
            .updateTable('refresh_tokens')
            .set({ revoked_at: at })
            .where('client_id', '=', old.client_id)
            .where('audience', '=', old.audience)
            .where('user_id', '=', old.user_id)
            .where('rotating', '=', 0)
            .where('id', '!=', old.id)
            .where('revoked_at', 'is', null)
            .execute();
        }
        await trx.insertInto('refresh_tokens').values(row(opts.successor, opts.token)).execute();
        return 'rotated';
      });
    },

    /** Revokes every live token of a family (reuse detected, or a family member revoked). */
    async revokeFamily(familyId: string): Promise<number> {
      const r = await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: nowIso() })
        .where('family_id', '=', familyId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },

    /**
     * Revokes the token presented by this client and its whole family (RFC 7009; a rotated token's family shares
     * one grant). A token of another client is left alone.
     */
    async revoke(token: string, clientId: string): Promise<boolean> {
      const r = await db
        .selectFrom('refresh_tokens')
        .select(['id', 'family_id'])
        .where('token_hash', '=', sha256Hex(token))
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      if (!r) return false;
      return (await repo.revokeFamily(r.family_id ?? r.id)) > 0;
    },

    async revokeAllForUser(userId: string): Promise<number> {
      const r = await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: nowIso() })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
  };
  return repo;
}
