import type { Db } from '../database.js';
import type { ClientsTable, ClientCredentialsTable } from '../schema.js';
import { fromBool, fromJson, toBool, toJson, nowIso } from '../codec.js';

export type TokenEndpointAuthMethod = 'none' | 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt';

export interface Client {
  client_id: string;
  name: string;
  description: string;
  app_type: string;
  is_first_party: boolean;
  oidc_conformant: boolean;
  client_secret_hash: string | null;
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  grant_types: string[];
  callbacks: string[];
  allowed_origins: string[];
  client_metadata: Record<string, string>;
  token_exchange: { allow_any_profile_of_type: string[] } | null;
  organization_usage: 'deny' | 'allow' | 'require' | null;
  organization_require_behavior: string | null;
  jwt_configuration: { alg?: string; lifetime_in_seconds?: number };
  refresh_token: Record<string, unknown> | null;
  is_token_endpoint_ip_header_trusted: boolean;
  global: boolean;
  created_at: string;
  updated_at: string;
}

export interface ClientCredential {
  id: string;
  client_id: string;
  name: string;
  credential_type: string;
  alg: string;
  pem: string;
  kid: string | null;
  created_at: string;
}

/** A credential as stored: `enabled` is 1 when client_authentication_methods lists it (Auth0: created, then enabled). */
type StoredCredential = Omit<ClientCredential, 'client_id'>;
const CREDENTIAL_COLUMNS = ['id', 'client_id', 'name', 'credential_type', 'alg', 'pem', 'kid', 'created_at'] as const;

export type NewClient = Omit<Client, 'created_at' | 'updated_at'>;
export type ClientPatch = Partial<Omit<Client, 'client_id' | 'created_at' | 'updated_at'>>;

function toRow(c: Partial<Client>): Partial<ClientsTable> {
  const row: Partial<ClientsTable> = {};
  if (c.client_id !== undefined) row.client_id = c.client_id;
  if (c.name !== undefined) row.name = c.name;
  if (c.description !== undefined) row.description = c.description;
  if (c.app_type !== undefined) row.app_type = c.app_type;
  if (c.is_first_party !== undefined) row.is_first_party = fromBool(c.is_first_party);
  if (c.oidc_conformant !== undefined) row.oidc_conformant = fromBool(c.oidc_conformant);
  if (c.client_secret_hash !== undefined) row.client_secret_hash = c.client_secret_hash;
  if (c.token_endpoint_auth_method !== undefined) row.token_endpoint_auth_method = c.token_endpoint_auth_method;
  if (c.grant_types !== undefined) row.grant_types = toJson(c.grant_types);
  if (c.callbacks !== undefined) row.callbacks = toJson(c.callbacks);
  if (c.allowed_origins !== undefined) row.allowed_origins = toJson(c.allowed_origins);
  if (c.client_metadata !== undefined) row.client_metadata = toJson(c.client_metadata);
  if (c.token_exchange !== undefined) row.token_exchange = c.token_exchange === null ? null : toJson(c.token_exchange);
  if (c.organization_usage !== undefined) row.organization_usage = c.organization_usage;
  if (c.organization_require_behavior !== undefined)
    row.organization_require_behavior = c.organization_require_behavior;
  if (c.jwt_configuration !== undefined) row.jwt_configuration = toJson(c.jwt_configuration);
  if (c.refresh_token !== undefined) row.refresh_token = c.refresh_token === null ? null : toJson(c.refresh_token);
  if (c.is_token_endpoint_ip_header_trusted !== undefined)
    row.is_token_endpoint_ip_header_trusted = fromBool(c.is_token_endpoint_ip_header_trusted);
  if (c.global !== undefined) row.global = fromBool(c.global);
  return row;
}

function fromRow(r: ClientsTable): Client {
  return {
    client_id: r.client_id,
    name: r.name,
    description: r.description,
    app_type: r.app_type,
    is_first_party: toBool(r.is_first_party),
    oidc_conformant: toBool(r.oidc_conformant),
    client_secret_hash: r.client_secret_hash,
    token_endpoint_auth_method: r.token_endpoint_auth_method as TokenEndpointAuthMethod,
    grant_types: fromJson(r.grant_types, []),
    callbacks: fromJson(r.callbacks, []),
    allowed_origins: fromJson(r.allowed_origins, []),
    client_metadata: fromJson(r.client_metadata, {}),
    token_exchange: fromJson(r.token_exchange, null),
    organization_usage: r.organization_usage as Client['organization_usage'],
    organization_require_behavior: r.organization_require_behavior,
    jwt_configuration: fromJson(r.jwt_configuration, {}),
    refresh_token: fromJson(r.refresh_token, null),
    is_token_endpoint_ip_header_trusted: toBool(r.is_token_endpoint_ip_header_trusted),
    global: toBool(r.global),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function clientsRepository(db: Db) {
  return {
    /** Inserts a client; `credentials` (keys given inline on create) are enabled at once. */
    async create(client: NewClient, credentials: StoredCredential[] = []): Promise<Client> {
      const now = nowIso();
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('clients')
          .values({ ...(toRow(client) as ClientsTable), created_at: now, updated_at: now })
          .execute();
        for (const cred of credentials) {
          await trx
            .insertInto('client_credentials')
            .values({ ...cred, client_id: client.client_id, enabled: 1 })
            .execute();
        }
      });
      return { ...client, created_at: now, updated_at: now };
    },
    async get(clientId: string): Promise<Client | undefined> {
      const row = await db.selectFrom('clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
      return row && fromRow(row);
    },
    async list(opts: {
      page: number;
      perPage: number;
      appType?: string[];
      isGlobal?: boolean;
      isFirstParty?: boolean;
    }) {
      let q = db.selectFrom('clients');
      if (opts.appType?.length) q = q.where('app_type', 'in', opts.appType);
      if (opts.isGlobal !== undefined) q = q.where('global', '=', fromBool(opts.isGlobal));
      if (opts.isFirstParty !== undefined) q = q.where('is_first_party', '=', fromBool(opts.isFirstParty));
      const [rows, total] = await Promise.all([
        q
          .selectAll()
          .orderBy('created_at')
          .orderBy('client_id')
          .limit(opts.perPage)
          .offset(opts.page * opts.perPage)
          .execute(),
        q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { clients: rows.map(fromRow), total: Number(total.n) };
    },
    /**
     * Partial update. `enabledCredentials`, when given, is the set of the client's credential ids its
     * private_key_jwt method uses from now on, in the same transaction (others stay stored, disabled; an empty
     * array disables them all).
     */
    async update(clientId: string, patch: ClientPatch, enabledCredentials?: string[]): Promise<Client | undefined> {
      const set = { ...toRow(patch), updated_at: nowIso() };
      const updated = await db.transaction().execute(async (trx) => {
        const r = await trx.updateTable('clients').set(set).where('client_id', '=', clientId).executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) return false;
        if (enabledCredentials) {
          await trx.updateTable('client_credentials').set({ enabled: 0 }).where('client_id', '=', clientId).execute();
          if (enabledCredentials.length) {
            await trx
              .updateTable('client_credentials')
              .set({ enabled: 1 })
              .where('client_id', '=', clientId)
              .where('id', 'in', enabledCredentials)
              .execute();
          }
        }
        return true;
      });
      return updated ? this.get(clientId) : undefined;
    },
    async delete(clientId: string): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom('client_grants').where('client_id', '=', clientId).execute();
        await trx.deleteFrom('client_credentials').where('client_id', '=', clientId).execute();
        const r = await trx.deleteFrom('clients').where('client_id', '=', clientId).executeTakeFirst();
        return Number(r.numDeletedRows) > 0;
      });
    },
    /** The credentials client authentication uses: the enabled ones. */
    async credentials(clientId: string): Promise<ClientCredential[]> {
      return db
        .selectFrom('client_credentials')
        .select(CREDENTIAL_COLUMNS)
        .where('client_id', '=', clientId)
        .where('enabled', '=', 1)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    /** Every credential of the client, enabled or not (/clients/{id}/credentials). */
    async allCredentials(clientId: string): Promise<ClientCredential[]> {
      return db
        .selectFrom('client_credentials')
        .select(CREDENTIAL_COLUMNS)
        .where('client_id', '=', clientId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    /** Stores a credential created through /clients/{id}/credentials: not enabled until the client lists it. */
    async addCredential(cred: Omit<ClientCredentialsTable, 'enabled'>): Promise<void> {
      await db
        .insertInto('client_credentials')
        .values({ ...cred, enabled: 0 })
        .execute();
    },
    async deleteCredential(clientId: string, id: string): Promise<boolean> {
      const r = await db
        .deleteFrom('client_credentials')
        .where('client_id', '=', clientId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    /** Replaces a client's secret hash only if the row still holds `from` (a concurrent rotation wins). */
    async replaceSecretHash(clientId: string, from: string, to: string): Promise<boolean> {
      const r = await db
        .updateTable('clients')
        .set({ client_secret_hash: to })
        .where('client_id', '=', clientId)
        .where('client_secret_hash', '=', from)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    /** Rewrites every stored secret hash `upgrade` maps to a new form (legacy hashes, at bootstrap); returns how many. */
    async upgradeSecretHashes(upgrade: (stored: string) => string | undefined): Promise<number> {
      const rows = await db
        .selectFrom('clients')
        .select(['client_id', 'client_secret_hash'])
        .where('client_secret_hash', 'is not', null)
        .execute();
      let n = 0;
      for (const row of rows) {
        const to = upgrade(row.client_secret_hash!);
        if (to && (await this.replaceSecretHash(row.client_id, row.client_secret_hash!, to))) n++;
      }
      return n;
    },
    async count(): Promise<number> {
      const r = await db
        .selectFrom('clients')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
