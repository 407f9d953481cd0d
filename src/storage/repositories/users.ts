/**
 * Users and their identities. `findOrCreateByIdentity` is what `setUserByConnection` (spec section 6.3) needs:
 * the `user_identities` primary key (connection_id, provider_user_id) together with the `users` primary key makes
 * concurrent first logins of one external user end with exactly one Baton user, on SQLite and PostgreSQL alike.
 */
import type { ExpressionBuilder } from 'kysely';
import { jsonArrayFrom as pgJsonArrayFrom } from 'kysely/helpers/postgres';
import { jsonArrayFrom as sqliteJsonArrayFrom } from 'kysely/helpers/sqlite';
import type { Db, DialectName, ReadQuery } from '../database.js';
import { isUniqueViolation } from '../database.js';
import { written, type Written } from './outcome.js';
import { preparedRead } from '../prepared.js';
import { loginRecorder } from './user-logins.js';
import { userLister } from './user-list.js';
import { insertUser, profileColumns, type NewUser } from './user-rows.js';
import type { Database, UsersTable, UserIdentitiesTable } from '../schema.js';
import { fromBool, toJson, fromJson, nowIso } from '../codec.js';
import { newUserId } from '../ids.js';
import { DATABASE_STRATEGY, type Connection } from './connections.js';
import {
  mergeTopLevel,
  normalizeEmail,
  toUser,
  userIdFor,
  type Metadata,
  type ProfileAttributes,
  type User,
} from './user-shape.js';

export * from './user-shape.js';
export type { NewUser } from './user-rows.js';
/**
 * A user with this id or e-mail already exists in the connection: thrown by `create` (the Management API uses
 * `add`, which returns the refusal) and by `findOrCreateByIdentity` when the user id belongs to another identity.
 */
export class UserExistsError extends Error {
  override name = 'UserExistsError';
}

export interface UserUpdate {
  attributes?: ProfileAttributes;
  /** `replace`: profile fields not in `attributes` are removed (spec section 6.3 `updateBehavior: replace`). */
  mode?: 'merge' | 'replace';
  app_metadata?: Metadata;
  user_metadata?: Metadata;
  blocked?: boolean;
  passwordHash?: string;
}

/** `read` runs the exchange's hot reads (a user by id or by identity) outside Kysely (storage/prepared.ts). */
export function usersRepository(db: Db, read: ReadQuery, dialect: DialectName) {
  const pg = dialect === 'postgres';
  // A user and its identities in one statement: the identities as a JSON array (dialect helpers of Kysely).
  const jsonArrayFrom = pg ? pgJsonArrayFrom : sqliteJsonArrayFrom;
  const identityList = (eb: ExpressionBuilder<Database, 'users'>) =>
    jsonArrayFrom(
      eb
        .selectFrom('user_identities as ui')
        .select(['ui.connection', 'ui.provider', 'ui.provider_user_id', 'ui.is_social', 'ui.created_at'])
        .whereRef('ui.user_id', '=', 'users.user_id'),
    ).as('identity_list');
  type UserRow = UsersTable & { identity_list: string | UserIdentitiesTable[] };
  const userById = preparedRead<{ userId: string }, UserRow>(read, (arg) =>
    db.selectFrom('users').selectAll('users').select(identityList).where('users.user_id', '=', arg('userId')),
  );
  const userByIdentity = preparedRead<{ connectionId: string; providerUserId: string }, UserRow>(read, (arg) =>
    db
      .selectFrom('users')
      .innerJoin('user_identities', 'user_identities.user_id', 'users.user_id')
      .selectAll('users')
      .select(identityList)
      .where('user_identities.connection_id', '=', arg('connectionId'))
      .where('user_identities.provider_user_id', '=', arg('providerUserId')),
  );
  function fromUserRow(row: UserRow | undefined): User | undefined {
    if (!row) return undefined;
    // SQLite returns the JSON text, PostgreSQL the parsed array; oldest identity first, as the list queries order them.
    const list =
      typeof row.identity_list === 'string'
        ? (JSON.parse(row.identity_list) as UserIdentitiesTable[])
        : row.identity_list;
    list.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
    return toUser(row, list);
  }
  async function load(q: Db, userIds: string[]): Promise<User[]> {
    if (userIds.length === 0) return [];
    const rows = (await q
      .selectFrom('users')
      .selectAll('users')
      .select(identityList)
      .where('users.user_id', 'in', userIds)
      .execute()) as UserRow[];
    const users = new Map(rows.map((r) => [r.user_id, fromUserRow(r)!]));
    return userIds.map((id) => users.get(id)).filter((u): u is User => u !== undefined);
  }

  const repo = {
    async get(userId: string): Promise<User | undefined> {
      return fromUserRow((await userById({ userId }))[0]);
    },

    /** The user linked to this identity of the connection, if any. */
    async getByIdentity(connectionId: string, providerUserId: string): Promise<User | undefined> {
      return fromUserRow((await userByIdentity({ connectionId, providerUserId }))[0]);
    },

    /** Every user with this e-mail, across connections (Auth0 `GET /users-by-email`). */
    async getByEmail(email: string): Promise<User[]> {
      const rows = await db
        .selectFrom('users')
        .select('user_id')
        .where('email', '=', normalizeEmail(email)!)
        .orderBy('created_at')
        .execute();
      return load(
        db,
        rows.map((r) => r.user_id),
      );
    },

    /**
     * Creates a user in a connection; `duplicate` when the id or, for a database connection, the e-mail is taken
     * in the connection. Creations on one connection are serialised (row lock on PostgreSQL, SQLite's single
     * writer) so two concurrent requests cannot both pass the e-mail check.
     */
    async add(connection: Connection, user: NewUser): Promise<Written<User>> {
      const providerUserId = user.providerUserId ?? newUserId();
      const email = normalizeEmail(user.attributes.email);
      const inserted = await written(() =>
        db.transaction().execute(async (trx) => {
          if (pg)
            await trx.selectFrom('connections').select('id').where('id', '=', connection.id).forUpdate().execute();
          if (connection.strategy === DATABASE_STRATEGY && email) {
            const dup = await trx
              .selectFrom('users')
              .select('user_id')
              .where('connection_id', '=', connection.id)
              .where('email', '=', email)
              .executeTakeFirst();
            if (dup) return undefined;
          }
          return insertUser(trx, connection, user, providerUserId);
        }),
      );
      if (!inserted.ok) return inserted;
      if (inserted.value === undefined) return { ok: false, reason: 'duplicate' };
      return { ok: true, value: (await repo.get(inserted.value))! };
    },

    /** `add` for callers that treat a taken id or e-mail as an error: throws UserExistsError. */
    async create(connection: Connection, user: NewUser): Promise<User> {
      const result = await repo.add(connection, user);
      if (result.ok) return result.value;
      if (result.reason === 'duplicate') throw new UserExistsError('The user already exists.');
      throw new Error(`user not created: ${result.reason}`);
    },

    /**
     * The user of this connection identity, created with `attributes` when missing (spec section 6.3,
     * `creationBehavior: create_if_not_exists`). Atomic: concurrent calls for one new identity create one user and
     * all return it; the losers of the insert race see a unique violation and read the winner's row.
     */
    async findOrCreateByIdentity(
      connection: Connection,
      providerUserId: string,
      attributes: ProfileAttributes,
    ): Promise<{ user: User; created: boolean }> {
      for (let attempt = 0; attempt < 5; attempt++) {
        const existing = await repo.getByIdentity(connection.id, providerUserId);
        if (existing) return { user: existing, created: false };
        try {
          const userId = await db
            .transaction()
            .execute((trx) => insertUser(trx, connection, { attributes }, providerUserId));
          return { user: (await repo.get(userId))!, created: true };
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          // The winner has committed both rows by the time our insert fails; if its identity is not ours, the
          // user id is taken by another identity and retrying cannot help.
          const winner = await repo.getByIdentity(connection.id, providerUserId);
          if (winner) return { user: winner, created: false };
          if (await repo.get(userIdFor(connection, providerUserId))) {
            throw new UserExistsError(`user id ${userIdFor(connection, providerUserId)} belongs to another identity`);
          }
        }
      }
      throw new Error('findOrCreateByIdentity: too much contention');
    },

    /**
     * Applies profile, metadata (Auth0 top-level merge), blocked and password changes in one transaction.
     * Returns undefined when the user does not exist.
     */
    async update(userId: string, u: UserUpdate): Promise<User | undefined> {
      const found = await db.transaction().execute(async (trx) => {
        let q = trx.selectFrom('users').select(['app_metadata', 'user_metadata']).where('user_id', '=', userId);
        if (pg) q = q.forUpdate();
        const current = await q.executeTakeFirst();
        if (!current) return false;
        const set: Partial<UsersTable> = { updated_at: nowIso() };
        if (u.attributes || u.mode === 'replace')
          Object.assign(set, profileColumns(u.attributes ?? {}, u.mode === 'replace'));
        if (u.app_metadata)
          set.app_metadata = toJson(mergeTopLevel(fromJson(current.app_metadata, {}), u.app_metadata));
        if (u.user_metadata)
          set.user_metadata = toJson(mergeTopLevel(fromJson(current.user_metadata, {}), u.user_metadata));
        if (u.blocked !== undefined) set.blocked = fromBool(u.blocked);
        if (u.passwordHash !== undefined) set.password_hash = u.passwordHash;
        await trx.updateTable('users').set(set).where('user_id', '=', userId).execute();
        // Blocking revokes the user's refresh tokens (issue 10, M3): unblocking does not bring them back. After the
        // users row is updated, so a refresh rotating concurrently (it reads that row under a share lock) is seen.
        if (u.blocked === true) {
          await trx
            .updateTable('refresh_tokens')
            .set({ revoked_at: nowIso() })
            .where('user_id', '=', userId)
            .where('revoked_at', 'is', null)
            .execute();
        }
        return true;
      });
      return found ? repo.get(userId) : undefined;
    },

    updateProfile(userId: string, attributes: ProfileAttributes, mode: 'merge' | 'replace' = 'merge') {
      return repo.update(userId, { attributes, mode });
    },

    mergeMetadata(userId: string, patch: { app_metadata?: Metadata; user_metadata?: Metadata }) {
      return repo.update(userId, patch);
    },

    setBlocked(userId: string, blocked: boolean) {
      return repo.update(userId, { blocked });
    },

    recordLogins: loginRecorder(db, pg),

    /** The stored password hash (never part of the user object). */
    async passwordHash(userId: string): Promise<string | null | undefined> {
      const r = await db.selectFrom('users').select('password_hash').where('user_id', '=', userId).executeTakeFirst();
      return r?.password_hash;
    },

    list: userLister(db, load),

    async delete(userId: string): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom('organization_members').where('user_id', '=', userId).execute();
        await trx.deleteFrom('user_identities').where('user_id', '=', userId).execute();
        const r = await trx.deleteFrom('users').where('user_id', '=', userId).executeTakeFirst();
        // Its refresh tokens go with it (issue 10, M3), after the users row (see update): a user created again with
        // this user_id starts with none. Tokens also carry the row's created_at, which such a user does not share.
        await trx.deleteFrom('refresh_tokens').where('user_id', '=', userId).execute();
        return Number(r.numDeletedRows) > 0;
      });
    },
  };
  return repo;
}

export type UsersRepository = ReturnType<typeof usersRepository>;
