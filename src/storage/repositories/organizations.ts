/**
 * Organizations, their members and enabled connections (spec sections 6.5 and 7.3: `setOrganization` resolves by
 * id or name; membership and the connection's `assign_membership_on_login` decide whether a user may use it).
 */
import type { Db } from '../database.js';
import { written, type Written } from './outcome.js';
import type { OrganizationsTable } from '../schema.js';
import { fromBool, fromJson, toBool, toJson, nowIso } from '../codec.js';
import { checkpointPage } from './checkpoint-page.js';

export interface Organization {
  id: string;
  name: string;
  display_name: string | null;
  metadata: Record<string, string>;
  branding: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
}

export type NewOrganization = Omit<Organization, 'created_at' | 'updated_at'>;
export type OrganizationPatch = Partial<Pick<Organization, 'name' | 'display_name' | 'metadata' | 'branding'>>;

interface OrganizationMember {
  user_id: string;
  email?: string;
  name?: string;
  picture?: string;
}

export interface EnabledConnection {
  connection_id: string;
  assign_membership_on_login: boolean;
  connection: { name: string; strategy: string };
}

function fromRow(r: OrganizationsTable): Organization {
  return {
    id: r.id,
    name: r.name,
    display_name: r.display_name,
    metadata: fromJson(r.metadata, {}),
    branding: fromJson(r.branding, null),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function organizationsRepository(db: Db) {
  const repo = {
    /** `duplicate` when the name is taken. */
    async create(o: NewOrganization): Promise<Written<Organization>> {
      const now = nowIso();
      return written(async () => {
        await db
          .insertInto('organizations')
          .values({
            id: o.id,
            name: o.name,
            display_name: o.display_name,
            metadata: toJson(o.metadata),
            branding: o.branding === null ? null : toJson(o.branding),
            created_at: now,
            updated_at: now,
          })
          .execute();
        return { ...o, created_at: now, updated_at: now };
      });
    },
    async get(id: string): Promise<Organization | undefined> {
      const r = await db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
      return r && fromRow(r);
    },
    async getByName(name: string): Promise<Organization | undefined> {
      const r = await db.selectFrom('organizations').selectAll().where('name', '=', name).executeTakeFirst();
      return r && fromRow(r);
    },
    /** `org_…` ids first, then names (spec section 6.5). */
    async getByIdOrName(idOrName: string): Promise<Organization | undefined> {
      return (await repo.get(idOrName)) ?? (await repo.getByName(idOrName));
    },
    async list(opts: { page: number; perPage: number }) {
      const [rows, total] = await Promise.all([
        db
          .selectFrom('organizations')
          .selectAll()
          .orderBy('name')
          .limit(opts.perPage)
          .offset(opts.page * opts.perPage)
          .execute(),
        db
          .selectFrom('organizations')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow(),
      ]);
      return { organizations: rows.map(fromRow), total: Number(total.n) };
    },
    /** Checkpoint pagination (Auth0 `from`/`take`), by id; `next` when more remain. */
    async listAfter(opts: { from?: string; take: number }) {
      let q = db.selectFrom('organizations').selectAll();
      if (opts.from !== undefined) q = q.where('id', '>', opts.from);
      const rows = await q
        .orderBy('id')
        .limit(opts.take + 1)
        .execute();
      const { page, next } = checkpointPage(rows, opts.take, fromRow);
      return { organizations: page, ...(next !== undefined ? { next } : {}) };
    },
    /** `duplicate` when the new name is taken; undefined inside when the organization does not exist. */
    async update(id: string, patch: OrganizationPatch): Promise<Written<Organization | undefined>> {
      const set: Partial<OrganizationsTable> = { updated_at: nowIso() };
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.display_name !== undefined) set.display_name = patch.display_name;
      if (patch.metadata !== undefined) set.metadata = toJson(patch.metadata);
      if (patch.branding !== undefined) set.branding = patch.branding === null ? null : toJson(patch.branding);
      return written(async () => {
        const r = await db.updateTable('organizations').set(set).where('id', '=', id).executeTakeFirst();
        return Number(r.numUpdatedRows) === 0 ? undefined : repo.get(id);
      });
    },
    async delete(id: string): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom('organization_members').where('org_id', '=', id).execute();
        await trx.deleteFrom('organization_connections').where('org_id', '=', id).execute();
        const r = await trx.deleteFrom('organizations').where('id', '=', id).executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      });
    },

    /**
     * Adds members; adding an existing member is a no-op (Auth0 answers 204 either way). Returns the ids that do
     * not name a user (nothing is added then).
     */
    async addMembers(orgId: string, userIds: string[]): Promise<{ missing: string[] }> {
      const unique = [...new Set(userIds)];
      return db.transaction().execute(async (trx) => {
        const found = await trx.selectFrom('users').select('user_id').where('user_id', 'in', unique).execute();
        const known = new Set(found.map((r) => r.user_id));
        const missing = unique.filter((u) => !known.has(u));
        if (missing.length) return { missing };
        const now = nowIso();
        await trx
          .insertInto('organization_members')
          .values(unique.map((user_id) => ({ org_id: orgId, user_id, created_at: now })))
          .onConflict((oc) => oc.columns(['org_id', 'user_id']).doNothing())
          .execute();
        return { missing: [] };
      });
    },
    async removeMembers(orgId: string, userIds: string[]): Promise<number> {
      if (userIds.length === 0) return 0;
      const r = await db
        .deleteFrom('organization_members')
        .where('org_id', '=', orgId)
        .where('user_id', 'in', userIds)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async isMember(orgId: string, userId: string): Promise<boolean> {
      const r = await db
        .selectFrom('organization_members')
        .select('user_id')
        .where('org_id', '=', orgId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return r !== undefined;
    },
    /**
     * Members by user id: a page (`page`/`perPage`) or a checkpoint (`from`/`take`, Auth0's cursor, with `next`
     * when more remain).
     */
    async listMembers(orgId: string, opts: { page: number; perPage: number } | { from?: string; take: number }) {
      const base = db.selectFrom('organization_members').where('org_id', '=', orgId);
      const checkpoint = 'take' in opts;
      let q = base
        .innerJoin('users', 'users.user_id', 'organization_members.user_id')
        .select(['users.user_id', 'users.email', 'users.name', 'users.picture'])
        .orderBy('users.user_id');
      if (checkpoint && opts.from !== undefined) q = q.where('users.user_id', '>', opts.from);
      q = checkpoint ? q.limit(opts.take + 1) : q.limit(opts.perPage).offset(opts.page * opts.perPage);
      const [all, total] = await Promise.all([
        q.execute(),
        base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      const rows = checkpoint ? all.slice(0, opts.take) : all;
      const next = checkpoint && all.length > opts.take ? rows[rows.length - 1]!.user_id : undefined;
      const members: OrganizationMember[] = rows.map((r) => {
        const m: OrganizationMember = { user_id: r.user_id };
        if (r.email !== null) m.email = r.email;
        if (r.name !== null) m.name = r.name;
        if (r.picture !== null) m.picture = r.picture;
        return m;
      });
      return { members, total: Number(total.n), ...(next !== undefined ? { next } : {}) };
    },

    /** Enables a connection (or updates its flag when already enabled); `missing_reference` when it does not exist. */
    async enableConnection(
      orgId: string,
      connectionId: string,
      assignMembershipOnLogin: boolean,
    ): Promise<Written<void>> {
      return written(async () => {
        await db
          .insertInto('organization_connections')
          .values({
            org_id: orgId,
            connection_id: connectionId,
            assign_membership_on_login: fromBool(assignMembershipOnLogin),
          })
          .onConflict((oc) =>
            oc
              .columns(['org_id', 'connection_id'])
              .doUpdateSet({ assign_membership_on_login: fromBool(assignMembershipOnLogin) }),
          )
          .execute();
      });
    },
    async updateEnabledConnection(
      orgId: string,
      connectionId: string,
      assignMembershipOnLogin: boolean,
    ): Promise<boolean> {
      const r = await db
        .updateTable('organization_connections')
        .set({ assign_membership_on_login: fromBool(assignMembershipOnLogin) })
        .where('org_id', '=', orgId)
        .where('connection_id', '=', connectionId)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async disableConnection(orgId: string, connectionId: string): Promise<boolean> {
      const r = await db
        .deleteFrom('organization_connections')
        .where('org_id', '=', orgId)
        .where('connection_id', '=', connectionId)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async enabledConnections(orgId: string): Promise<EnabledConnection[]> {
      const rows = await db
        .selectFrom('organization_connections')
        .innerJoin('connections', 'connections.id', 'organization_connections.connection_id')
        .select(['connection_id', 'assign_membership_on_login', 'connections.name', 'connections.strategy'])
        .where('org_id', '=', orgId)
        .orderBy('connections.name')
        .execute();
      return rows.map((r) => ({
        connection_id: r.connection_id,
        assign_membership_on_login: toBool(r.assign_membership_on_login),
        connection: { name: r.name, strategy: r.strategy },
      }));
    },
    async enabledConnection(orgId: string, connectionId: string): Promise<EnabledConnection | undefined> {
      return (await repo.enabledConnections(orgId)).find((c) => c.connection_id === connectionId);
    },
  };
  return repo;
}
