import type { Db } from '../database.js';
import type { ResourceServersTable } from '../schema.js';
import { fromBool, fromJson, toBool, toJson, nowIso } from '../codec.js';

export interface ResourceServerScope {
  value: string;
  description?: string;
}

export interface ResourceServer {
  id: string;
  identifier: string;
  name: string;
  scopes: ResourceServerScope[];
  signing_alg: string;
  token_lifetime: number;
  allow_offline_access: boolean;
  skip_consent_for_verifiable_first_party_clients: boolean;
  is_system: boolean;
  created_at: string;
  updated_at: string;
}

export type NewResourceServer = Omit<ResourceServer, 'created_at' | 'updated_at'>;
export type ResourceServerPatch = Partial<
  Omit<ResourceServer, 'id' | 'identifier' | 'is_system' | 'created_at' | 'updated_at'>
>;

function toRow(r: Partial<ResourceServer>): Partial<ResourceServersTable> {
  const row: Partial<ResourceServersTable> = {};
  if (r.id !== undefined) row.id = r.id;
  if (r.identifier !== undefined) row.identifier = r.identifier;
  if (r.name !== undefined) row.name = r.name;
  if (r.scopes !== undefined) row.scopes = toJson(r.scopes);
  if (r.signing_alg !== undefined) row.signing_alg = r.signing_alg;
  if (r.token_lifetime !== undefined) row.token_lifetime = r.token_lifetime;
  if (r.allow_offline_access !== undefined) row.allow_offline_access = fromBool(r.allow_offline_access);
  if (r.skip_consent_for_verifiable_first_party_clients !== undefined)
    row.skip_consent_for_verifiable_first_party_clients = fromBool(r.skip_consent_for_verifiable_first_party_clients);
  if (r.is_system !== undefined) row.is_system = fromBool(r.is_system);
  return row;
}

function fromRow(r: ResourceServersTable): ResourceServer {
  return {
    id: r.id,
    identifier: r.identifier,
    name: r.name,
    scopes: fromJson(r.scopes, []),
    signing_alg: r.signing_alg,
    token_lifetime: Number(r.token_lifetime),
    allow_offline_access: toBool(r.allow_offline_access),
    skip_consent_for_verifiable_first_party_clients: toBool(r.skip_consent_for_verifiable_first_party_clients),
    is_system: toBool(r.is_system),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function resourceServersRepository(db: Db) {
  return {
    async create(rs: NewResourceServer): Promise<ResourceServer> {
      const now = nowIso();
      await db
        .insertInto('resource_servers')
        .values({ ...(toRow(rs) as ResourceServersTable), created_at: now, updated_at: now })
        .execute();
      return { ...rs, created_at: now, updated_at: now };
    },
    async get(id: string): Promise<ResourceServer | undefined> {
      const row = await db.selectFrom('resource_servers').selectAll().where('id', '=', id).executeTakeFirst();
      return row && fromRow(row);
    },
    async getByIdentifier(identifier: string): Promise<ResourceServer | undefined> {
      const row = await db
        .selectFrom('resource_servers')
        .selectAll()
        .where('identifier', '=', identifier)
        .executeTakeFirst();
      return row && fromRow(row);
    },
    async list(opts: { page: number; perPage: number; identifiers?: string[] }) {
      let q = db.selectFrom('resource_servers');
      if (opts.identifiers?.length) q = q.where('identifier', 'in', opts.identifiers);
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
      return { resource_servers: rows.map(fromRow), total: Number(total.n) };
    },
    async update(id: string, patch: ResourceServerPatch): Promise<ResourceServer | undefined> {
      const r = await db
        .updateTable('resource_servers')
        .set({ ...toRow(patch), updated_at: nowIso() })
        .where('id', '=', id)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return undefined;
      return this.get(id);
    },
    async delete(id: string): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        const rs = await trx
          .selectFrom('resource_servers')
          .select('identifier')
          .where('id', '=', id)
          .executeTakeFirst();
        if (!rs) return false;
        await trx.deleteFrom('client_grants').where('audience', '=', rs.identifier).execute();
        await trx.deleteFrom('resource_servers').where('id', '=', id).execute();
        return true;
      });
    },
    /** The longest access token lifetime of any API, in seconds. */
    async maxTokenLifetime(): Promise<number> {
      const r = await db
        .selectFrom('resource_servers')
        .select((eb) => eb.fn.max('token_lifetime').as('m'))
        .executeTakeFirst();
      return Number(r?.m ?? 0);
    },
  };
}
