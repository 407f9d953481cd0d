import type { Db } from '../database.js';
import { fromJson, toJson, nowIso } from '../codec.js';
import { checkpointPage } from './checkpoint-page.js';

export interface ClientGrant {
  id: string;
  client_id: string;
  audience: string;
  scope: string[];
}

export function clientGrantsRepository(db: Db) {
  const fromRow = (r: { id: string; client_id: string; audience: string; scope: string }): ClientGrant => ({
    id: r.id,
    client_id: r.client_id,
    audience: r.audience,
    scope: fromJson(r.scope, []),
  });
  return {
    async create(g: ClientGrant): Promise<ClientGrant> {
      await db
        .insertInto('client_grants')
        .values({ ...g, scope: toJson(g.scope), created_at: nowIso() })
        .execute();
      return g;
    },
    async get(id: string): Promise<ClientGrant | undefined> {
      const r = await db.selectFrom('client_grants').selectAll().where('id', '=', id).executeTakeFirst();
      return r && fromRow(r);
    },
    async find(clientId: string, audience: string): Promise<ClientGrant | undefined> {
      const r = await db
        .selectFrom('client_grants')
        .selectAll()
        .where('client_id', '=', clientId)
        .where('audience', '=', audience)
        .executeTakeFirst();
      return r && fromRow(r);
    },
    async list(opts: { page: number; perPage: number; clientId?: string; audience?: string }) {
      let q = db.selectFrom('client_grants');
      if (opts.clientId) q = q.where('client_id', '=', opts.clientId);
      if (opts.audience) q = q.where('audience', '=', opts.audience);
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
      return { client_grants: rows.map(fromRow), total: Number(total.n) };
    },
    /** Checkpoint paging: the grants after `from` (a grant id) in id order, and the id to continue from if any remain. */
    async listAfter(opts: { from?: string; take: number; clientId?: string; audience?: string }) {
      let q = db.selectFrom('client_grants').selectAll();
      if (opts.clientId) q = q.where('client_id', '=', opts.clientId);
      if (opts.audience) q = q.where('audience', '=', opts.audience);
      if (opts.from !== undefined) q = q.where('id', '>', opts.from);
      const rows = await q
        .orderBy('id')
        .limit(opts.take + 1)
        .execute();
      const { page, next } = checkpointPage(rows, opts.take, fromRow);
      return { client_grants: page, ...(next !== undefined ? { next } : {}) };
    },
    async updateScope(id: string, scope: string[]): Promise<ClientGrant | undefined> {
      const r = await db
        .updateTable('client_grants')
        .set({ scope: toJson(scope) })
        .where('id', '=', id)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return undefined;
      return this.get(id);
    },
    async delete(id: string): Promise<boolean> {
      const r = await db.deleteFrom('client_grants').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
