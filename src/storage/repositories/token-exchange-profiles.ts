/**
 * Custom Token Exchange Profiles (spec section 3.1): the routing key `subject_token_type` → one Action.
 * `subject_token_type` is unique per tenant (a unique column), `action_id` references `actions.id`.
 */
import type { Selectable } from 'kysely';
import type { Db } from '../database.js';
import { written, type Written } from './outcome.js';
import type { TokenExchangeProfilesTable } from '../schema.js';
import { fromJson, nowIso } from '../codec.js';

type Row = Selectable<TokenExchangeProfilesTable>;

export interface TokenExchangeProfile extends Omit<Row, 'actor_token_audiences'> {
  /** Clients whose ID tokens are accepted as actor tokens besides the requesting client (issue 10, M2); [] = none. */
  actor_token_audiences: string[];
}
export type NewTokenExchangeProfile = Omit<
  TokenExchangeProfile,
  'created_at' | 'updated_at' | 'actor_token_audiences'
> & {
  actor_token_audiences?: string[];
};
/** `name` and `subject_token_type` (spec section 3.1), and Baton's `actor_token_audiences`. */
export type TokenExchangeProfilePatch = Partial<
  Pick<TokenExchangeProfile, 'name' | 'subject_token_type' | 'actor_token_audiences'>
>;

const decode = (r: Row): TokenExchangeProfile => ({
  ...r,
  actor_token_audiences: fromJson<string[]>(r.actor_token_audiences, []),
});
/** An empty list is stored as null: the column is absent on rows written before migration 0003. */
const encodeAudiences = (list: string[] | undefined): string | null =>
  list && list.length ? JSON.stringify(list) : null;

/** Position of the last row of a page, for checkpoint paging: profiles are ordered by (created_at, id). */
export interface ProfileCheckpoint {
  created_at: string;
  id: string;
}

export function tokenExchangeProfilesRepository(db: Db) {
  return {
    /** Refused as `duplicate` (the subject_token_type is taken) or `missing_reference` (no such Action). */
    async create(profile: NewTokenExchangeProfile): Promise<Written<TokenExchangeProfile>> {
      const now = nowIso();
      const row: Row = {
        ...profile,
        actor_token_audiences: encodeAudiences(profile.actor_token_audiences),
        created_at: now,
        updated_at: now,
      };
      return written(async () => {
        await db.insertInto('token_exchange_profiles').values(row).execute();
        return decode(row);
      });
    },
    async get(id: string): Promise<TokenExchangeProfile | undefined> {
      const row = await db.selectFrom('token_exchange_profiles').selectAll().where('id', '=', id).executeTakeFirst();
      return row && decode(row);
    },
    async all(): Promise<TokenExchangeProfile[]> {
      return (
        await db.selectFrom('token_exchange_profiles').selectAll().orderBy('created_at').orderBy('id').execute()
      ).map(decode);
    },
    /** One page after `after` (exclusive); `take + 1` rows are read so the caller knows whether more follow. */
    async page(opts: {
      take: number;
      after?: ProfileCheckpoint;
    }): Promise<{ profiles: TokenExchangeProfile[]; more: boolean }> {
      let q = db.selectFrom('token_exchange_profiles').selectAll();
      const after = opts.after;
      if (after) {
        q = q.where((eb) =>
          eb.or([
            eb('created_at', '>', after.created_at),
            eb.and([eb('created_at', '=', after.created_at), eb('id', '>', after.id)]),
          ]),
        );
      }
      const rows = await q
        .orderBy('created_at')
        .orderBy('id')
        .limit(opts.take + 1)
        .execute();
      return { profiles: rows.slice(0, opts.take).map(decode), more: rows.length > opts.take };
    },
    /** The value is false when no profile has the id; refused as `duplicate` when the subject_token_type is taken. */
    async update(id: string, patch: TokenExchangeProfilePatch): Promise<Written<boolean>> {
      const set: Partial<Row> = { updated_at: nowIso() };
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.subject_token_type !== undefined) set.subject_token_type = patch.subject_token_type;
      if (patch.actor_token_audiences !== undefined)
        set.actor_token_audiences = encodeAudiences(patch.actor_token_audiences);
      return written(async () => {
        const r = await db.updateTable('token_exchange_profiles').set(set).where('id', '=', id).executeTakeFirst();
        return Number(r.numUpdatedRows) > 0;
      });
    },
    async delete(id: string): Promise<boolean> {
      const r = await db.deleteFrom('token_exchange_profiles').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async count(): Promise<number> {
      const r = await db
        .selectFrom('token_exchange_profiles')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    /** Profiles that point at an Action (the Actions service refuses to delete such an Action, D12). */
    async countByAction(actionId: string): Promise<number> {
      const r = await db
        .selectFrom('token_exchange_profiles')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('action_id', '=', actionId)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}

export type TokenExchangeProfilesRepository = ReturnType<typeof tokenExchangeProfilesRepository>;
