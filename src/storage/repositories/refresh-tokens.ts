import type { Db } from '../database.js';
import { fromJson, toJson, nowIso, nowEpoch } from '../codec.js';
import { sha256Hex } from '../../keys/hashing.js';

/** What a refresh grant needs to mint again (scopes, audience, org); never the token itself. */
export interface RefreshTokenData {
  scopes: string[];
  audience: string;
  org?: { id: string; name: string } | undefined;
  subject_token_type?: string | undefined;
}

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
}

/** Refresh tokens are stored as SHA-256 hashes (they are random 384-bit strings); the raw value is never kept. */
export function refreshTokensRepository(db: Db) {
  return {
    async create(rec: Omit<RefreshTokenRecord, 'created_at' | 'revoked_at'>, token: string): Promise<void> {
      await db
        .insertInto('refresh_tokens')
        .values({
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
        })
        .execute();
    },
    /** The live record for a presented token, or undefined (unknown, revoked or expired). */
    async findActive(token: string): Promise<RefreshTokenRecord | undefined> {
      const r = await db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', sha256Hex(token)).executeTakeFirst();
      if (!r || r.revoked_at || (r.expires_at_epoch !== null && Number(r.expires_at_epoch) < nowEpoch())) return undefined;
      return {
        id: r.id,
        client_id: r.client_id,
        user_id: r.user_id,
        audience: r.audience,
        scope: r.scope,
        org_id: r.org_id,
        data: fromJson<RefreshTokenData>(r.data, { scopes: [], audience: r.audience }),
        created_at: r.created_at,
        expires_at_epoch: r.expires_at_epoch === null ? null : Number(r.expires_at_epoch),
        revoked_at: r.revoked_at,
      };
    },
    async touch(id: string): Promise<void> {
      await db.updateTable('refresh_tokens').set({ last_used_at: nowIso() }).where('id', '=', id).execute();
    },
    /** Revokes the token presented by this client (RFC 7009: a token of another client is left alone). */
    async revoke(token: string, clientId: string): Promise<boolean> {
      const r = await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: nowIso() })
        .where('token_hash', '=', sha256Hex(token))
        .where('client_id', '=', clientId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async revokeAllForUser(userId: string): Promise<number> {
      const r = await db.updateTable('refresh_tokens').set({ revoked_at: nowIso() }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
  };
}

export type RefreshTokensRepository = ReturnType<typeof refreshTokensRepository>;
