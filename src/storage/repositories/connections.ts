/**
 * Connections: where users come from. Strategy `auth0` is a database connection (users created and stored by
 * Baton); any other strategy (`oidc`, `samlp`, `google-oauth2`, `custom`, ...) is a named connection whose users
 * arrive through `api.authentication.setUserByConnection` (spec section 6.3). `enabled_clients` lists the clients
 * that may use it (DESIGN section 2).
 */
import type { Db, DialectName } from '../database.js';
import type { ConnectionsTable } from '../schema.js';
import { fromJson, toJson, nowIso } from '../codec.js';
import { checkpointPage } from './checkpoint-page.js';

export interface Connection {
  id: string;
  name: string;
  strategy: string;
  display_name: string | null;
  options: Record<string, unknown>;
  enabled_clients: string[];
  metadata: Record<string, string>;
  created_at: string;
}

export type NewConnection = Omit<Connection, 'created_at'>;
export type ConnectionPatch = Partial<Pick<Connection, 'display_name' | 'options' | 'enabled_clients' | 'metadata'>>;

/** Auth0's database strategy. */
export const DATABASE_STRATEGY = 'auth0';

/** Auth0: alphanumerics and single dashes, starting and ending with an alphanumeric, at most 128 characters. */
export const CONNECTION_NAME_PATTERN = '^[a-zA-Z0-9](-[a-zA-Z0-9]|[a-zA-Z0-9])*$';
export const CONNECTION_NAME_MAX_LENGTH = 128;
const connectionNameRe = new RegExp(CONNECTION_NAME_PATTERN);

/** Whether `name` can be a connection's name at all: checked before a lookup keyed by a name an Action chose. */
export const isConnectionName = (name: unknown): name is string =>
  typeof name === 'string' &&
  name.length >= 1 &&
  name.length <= CONNECTION_NAME_MAX_LENGTH &&
  connectionNameRe.test(name);

function fromRow(r: ConnectionsTable): Connection {
  return {
    id: r.id,
    name: r.name,
    strategy: r.strategy,
    display_name: r.display_name,
    options: fromJson(r.options, {}),
    enabled_clients: fromJson(r.enabled_clients, []),
    metadata: fromJson(r.metadata, {}),
    created_at: r.created_at,
  };
}

export function connectionsRepository(db: Db, dialect: DialectName) {
  const pg = dialect === 'postgres';
  return {
    async create(c: NewConnection): Promise<Connection> {
      const created_at = nowIso();
      await db
        .insertInto('connections')
        .values({
          id: c.id,
          name: c.name,
          strategy: c.strategy,
          display_name: c.display_name,
          options: toJson(c.options),
          enabled_clients: toJson([...new Set(c.enabled_clients)]),
          metadata: toJson(c.metadata),
          created_at,
        })
        .execute();
      return { ...c, enabled_clients: [...new Set(c.enabled_clients)], created_at };
    },
    async get(id: string): Promise<Connection | undefined> {
      const r = await db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirst();
      return r && fromRow(r);
    },
    async getByName(name: string): Promise<Connection | undefined> {
      const r = await db.selectFrom('connections').selectAll().where('name', '=', name).executeTakeFirst();
      return r && fromRow(r);
    },
    async list(opts: { page: number; perPage: number; strategy?: string[]; name?: string }) {
      let q = db.selectFrom('connections');
      if (opts.strategy?.length) q = q.where('strategy', 'in', opts.strategy);
      if (opts.name !== undefined) q = q.where('name', '=', opts.name);
      const [rows, total] = await Promise.all([
        q
          .selectAll()
          .orderBy('created_at')
          .orderBy('id')
          .limit(opts.perPage)
          .offset(opts.page * opts.perPage)
          .execute(),
        q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { connections: rows.map(fromRow), total: Number(total.n) };
    },
    /** Checkpoint pagination (Auth0 `from`/`take`): the `take` connections after id `from`, by id; `next` when more remain. */
    async listAfter(opts: { from?: string; take: number; strategy?: string[]; name?: string }) {
      let q = db.selectFrom('connections').selectAll();
      if (opts.strategy?.length) q = q.where('strategy', 'in', opts.strategy);
      if (opts.name !== undefined) q = q.where('name', '=', opts.name);
      if (opts.from !== undefined) q = q.where('id', '>', opts.from);
      const rows = await q
        .orderBy('id')
        .limit(opts.take + 1)
        .execute();
      const { page, next } = checkpointPage(rows, opts.take, fromRow);
      return { connections: page, ...(next !== undefined ? { next } : {}) };
    },
    async update(id: string, patch: ConnectionPatch): Promise<Connection | undefined> {
      const set: Partial<ConnectionsTable> = {};
      if (patch.display_name !== undefined) set.display_name = patch.display_name;
      if (patch.options !== undefined) set.options = toJson(patch.options);
      if (patch.enabled_clients !== undefined) set.enabled_clients = toJson([...new Set(patch.enabled_clients)]);
      if (patch.metadata !== undefined) set.metadata = toJson(patch.metadata);
      if (Object.keys(set).length === 0) return this.get(id);
      const r = await db.updateTable('connections').set(set).where('id', '=', id).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return undefined;
      return this.get(id);
    },
    /**
     * Enables or disables clients (Auth0 `PATCH /connections/{id}/clients`, body `[{client_id, status}]`), in one
     * transaction so concurrent patches do not lose each other's changes on PostgreSQL (row lock) or SQLite.
     */
    async setClientStatus(
      id: string,
      changes: Array<{ client_id: string; status: boolean }>,
    ): Promise<Connection | undefined> {
      return db.transaction().execute(async (trx) => {
        let q = trx.selectFrom('connections').select('enabled_clients').where('id', '=', id);
        if (pg) q = q.forUpdate();
        const row = await q.executeTakeFirst();
        if (!row) return undefined;
        const enabled = new Set(fromJson<string[]>(row.enabled_clients, []));
        for (const c of changes) {
          if (c.status) enabled.add(c.client_id);
          else enabled.delete(c.client_id);
        }
        await trx
          .updateTable('connections')
          .set({ enabled_clients: toJson([...enabled]) })
          .where('id', '=', id)
          .execute();
        const updated = await trx.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
        return fromRow(updated);
      });
    },
    /** Deletes the connection and the users whose primary connection it is (as Auth0 does). */
    async delete(id: string): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        const users = trx.selectFrom('users').select('user_id').where('connection_id', '=', id);
        await trx.deleteFrom('organization_members').where('user_id', 'in', users).execute();
        await trx.deleteFrom('user_identities').where('user_id', 'in', users).execute();
        await trx.deleteFrom('user_identities').where('connection_id', '=', id).execute();
        await trx.deleteFrom('users').where('connection_id', '=', id).execute();
        await trx.deleteFrom('organization_connections').where('connection_id', '=', id).execute();
        const r = await trx.deleteFrom('connections').where('id', '=', id).executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      });
    },
  };
}
