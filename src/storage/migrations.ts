/**
 * Schema migrations, written once with Kysely's schema builder and run on SQLite and PostgreSQL.
 * Run at every start (idempotent) and by `baton migrate`. Never edit a shipped migration: add a new one.
 */
import { Migrator, sql, type ColumnDefinitionBuilder, type Migration, type MigrationProvider } from 'kysely';
import type { DialectName } from './database.js';

/**
 * The database as Kysely's Migrator hands it to a migration (its own type, over any table): a migration sees the
 * schema as it was when it was written, not today's `Database`.
 */
type Db = Parameters<Migration['up']>[0];

/** The one migration that writes dialect-specific DDL takes the dialect from its caller (openDatabase knows it). */
const m0001 = (dialect: DialectName): Migration => ({
  async up(db: Db) {
    const pg = dialect === 'postgres';
    await db.schema
      .createTable('clients')
      .addColumn('client_id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('app_type', 'text', (c) => c.notNull())
      .addColumn('is_first_party', 'integer', (c) => c.notNull())
      .addColumn('oidc_conformant', 'integer', (c) => c.notNull())
      .addColumn('client_secret_hash', 'text')
      .addColumn('token_endpoint_auth_method', 'text', (c) => c.notNull())
      .addColumn('grant_types', 'text', (c) => c.notNull())
      .addColumn('callbacks', 'text', (c) => c.notNull())
      .addColumn('allowed_origins', 'text', (c) => c.notNull())
      .addColumn('client_metadata', 'text', (c) => c.notNull())
      .addColumn('token_exchange', 'text')
      .addColumn('organization_usage', 'text')
      .addColumn('organization_require_behavior', 'text')
      .addColumn('jwt_configuration', 'text', (c) => c.notNull())
      .addColumn('refresh_token', 'text')
      .addColumn('is_token_endpoint_ip_header_trusted', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('global', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('client_credentials')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('client_id', 'text', (c) => c.notNull().references('clients.client_id').onDelete('cascade'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('credential_type', 'text', (c) => c.notNull())
      .addColumn('alg', 'text', (c) => c.notNull())
      .addColumn('pem', 'text', (c) => c.notNull())
      .addColumn('kid', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('client_credentials_client').on('client_credentials').column('client_id').execute();

    await db.schema
      .createTable('client_grants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('client_id', 'text', (c) => c.notNull().references('clients.client_id').onDelete('cascade'))
      .addColumn('audience', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('client_grants_client_audience', ['client_id', 'audience'])
      .execute();

    await db.schema
      .createTable('resource_servers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('identifier', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('signing_alg', 'text', (c) => c.notNull())
      .addColumn('token_lifetime', 'integer', (c) => c.notNull())
      .addColumn('allow_offline_access', 'integer', (c) => c.notNull())
      .addColumn('skip_consent_for_verifiable_first_party_clients', 'integer', (c) => c.notNull())
      .addColumn('is_system', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('connections')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('strategy', 'text', (c) => c.notNull())
      .addColumn('display_name', 'text')
      .addColumn('options', 'text', (c) => c.notNull())
      .addColumn('enabled_clients', 'text', (c) => c.notNull())
      .addColumn('metadata', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('users')
      .addColumn('user_id', 'text', (c) => c.primaryKey())
      .addColumn('connection_id', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('username', 'text')
      .addColumn('phone_number', 'text')
      .addColumn('phone_verified', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('name', 'text')
      .addColumn('given_name', 'text')
      .addColumn('family_name', 'text')
      .addColumn('nickname', 'text')
      .addColumn('picture', 'text')
      .addColumn('blocked', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('app_metadata', 'text', (c) => c.notNull())
      .addColumn('user_metadata', 'text', (c) => c.notNull())
      .addColumn('logins_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_login', 'text')
      .addColumn('last_ip', 'text')
      .addColumn('password_hash', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('users_email').on('users').column('email').execute();

    await db.schema
      .createTable('user_identities')
      .addColumn('connection_id', 'text', (c) => c.notNull())
      .addColumn('provider_user_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id').onDelete('cascade'))
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('connection', 'text', (c) => c.notNull())
      .addColumn('is_social', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('profile_data', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('user_identities_pk', ['connection_id', 'provider_user_id'])
      .execute();
    await db.schema.createIndex('user_identities_user').on('user_identities').column('user_id').execute();

    await db.schema
      .createTable('organizations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('display_name', 'text')
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('branding', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('organization_members')
      .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.user_id').onDelete('cascade'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('organization_members_pk', ['org_id', 'user_id'])
      .execute();

    await db.schema
      .createTable('organization_connections')
      .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
      .addColumn('connection_id', 'text', (c) => c.notNull().references('connections.id').onDelete('cascade'))
      .addColumn('assign_membership_on_login', 'integer', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('organization_connections_pk', ['org_id', 'connection_id'])
      .execute();

    await db.schema
      .createTable('signing_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('alg', 'text', (c) => c.notNull())
      .addColumn('private_jwk_enc', 'text', (c) => c.notNull())
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('rotated_at', 'text')
      .addColumn('publish_until_epoch', 'bigint')
      .execute();

    await db.schema
      .createTable('refresh_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('audience', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('org_id', 'text')
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at_epoch', 'bigint')
      .addColumn('revoked_at', 'text')
      .addColumn('last_used_at', 'text')
      .execute();
    await db.schema.createIndex('refresh_tokens_user').on('refresh_tokens').column('user_id').execute();

    let logs = db.schema.createTable('logs');
    logs = pg
      ? logs.addColumn('seq', 'bigserial', (c) => c.primaryKey())
      : logs.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement());
    await logs
      .addColumn('log_id', 'text', (c) => c.notNull().unique())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('date', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('client_id', 'text')
      .addColumn('client_name', 'text')
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('user_id', 'text')
      .addColumn('user_name', 'text')
      .addColumn('connection_id', 'text')
      .addColumn('connection', 'text')
      .addColumn('audience', 'text')
      .addColumn('scope', 'text')
      .addColumn('strategy', 'text')
      .addColumn('strategy_type', 'text')
      .addColumn('hostname', 'text')
      .addColumn('tenant_name', 'text')
      .addColumn('organization_id', 'text')
      .addColumn('organization_name', 'text')
      .addColumn('identity_user_id', 'text')
      .addColumn('details', 'text')
      .execute();
    await db.schema.createIndex('logs_type').on('logs').columns(['type', 'seq']).execute();

    await db.schema
      .createTable('actions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('trigger_id', 'text', (c) => c.notNull())
      .addColumn('trigger_version', 'text', (c) => c.notNull())
      .addColumn('code', 'text', (c) => c.notNull())
      .addColumn('runtime', 'text', (c) => c.notNull())
      .addColumn('dependencies', 'text', (c) => c.notNull())
      .addColumn('secrets_enc', 'text', (c) => c.notNull())
      .addColumn('secret_names', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('deployed_version_id', 'text')
      .addColumn('all_changes_deployed', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('action_versions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('action_id', 'text', (c) => c.notNull().references('actions.id').onDelete('cascade'))
      .addColumn('number', 'integer', (c) => c.notNull())
      .addColumn('code', 'text', (c) => c.notNull())
      .addColumn('runtime', 'text', (c) => c.notNull())
      .addColumn('dependencies', 'text', (c) => c.notNull())
      .addColumn('secrets_enc', 'text', (c) => c.notNull())
      .addColumn('secret_names', 'text', (c) => c.notNull())
      .addColumn('deployed', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('action_versions_number', ['action_id', 'number'])
      .execute();

    await db.schema
      .createTable('trigger_bindings')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('trigger_id', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('action_id', 'text', (c) => c.notNull().references('actions.id'))
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('trigger_bindings_position', ['trigger_id', 'position'])
      .execute();

    await db.schema
      .createTable('token_exchange_profiles')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('subject_token_type', 'text', (c) => c.notNull().unique())
      .addColumn('action_id', 'text', (c) => c.notNull().references('actions.id'))
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('used_jtis')
      .addColumn('jti', 'text', (c) => c.primaryKey())
      .addColumn('expires_at_epoch', 'bigint', (c) => c.notNull())
      .execute();
  },
});

/**
 * Refresh token families (issue 10, M3): rotation with reuse detection, idle lifetime, binding to the user row;
 * an index to purge expired client-assertion jtis in bounded batches (L7). Existing tokens become one-token
 * families bound to their user's current row; tokens whose user no longer exists are deleted.
 */
const m0002: Migration = {
  async up(db: Db) {
    const add = (column: string, type: 'text' | 'bigint' | 'integer', build = (c: ColumnDefinitionBuilder) => c) =>
      db.schema.alterTable('refresh_tokens').addColumn(column, type, build).execute();
    await add('family_id', 'text');
    await add('parent_id', 'text');
    await add('rotating', 'integer', (c) => c.notNull().defaultTo(0));
    await add('rotated_at_ms', 'bigint');
    await add('idle_expires_at_epoch', 'bigint');
    await add('user_created_at', 'text');
    await sql`delete from refresh_tokens where user_id not in (select user_id from users)`.execute(db);
    await sql`update refresh_tokens set family_id = id,
      user_created_at = (select u.created_at from users u where u.user_id = refresh_tokens.user_id)`.execute(db);
    await db.schema.createIndex('refresh_tokens_family').on('refresh_tokens').column('family_id').execute();
    await db.schema.createIndex('refresh_tokens_parent').on('refresh_tokens').column('parent_id').execute();
    await db.schema.createIndex('used_jtis_expires').on('used_jtis').column('expires_at_epoch').execute();
  },
};

/** Clients whose ID tokens a profile accepts as actor tokens besides the requesting client (issue 10, M2). */
const m0003: Migration = {
  async up(db: Db) {
    await db.schema.alterTable('token_exchange_profiles').addColumn('actor_token_audiences', 'text').execute();
  },
};

/**
 * Tenant log retention (issue 10, M4): the periodic purge deletes entries older than BATON_LOG_RETENTION_DAYS in
 * bounded batches, found through this index rather than a scan of the whole table (logs/retention.ts).
 */
const m0004: Migration = {
  async up(db: Db) {
    await db.schema.createIndex('logs_date').on('logs').column('date').execute();
  },
};

/**
 * Issue 10 (H1, L2). Client secrets are peppered from now on (crypto/hashing.ts: bootstrap rehashes legacy rows, no
 * schema change needed); private_key_jwt credentials gain Auth0's created-then-enabled state: a credential created
 * through POST /clients/{id}/credentials is used only once client_authentication_methods lists it. Rows that exist
 * already were all in use: they stay enabled.
 */
const m0005: Migration = {
  async up(db: Db) {
    await db.schema
      .alterTable('client_credentials')
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
  },
};

/**
 * Issue 12: the npm packages Actions declare as dependencies, bundled once per name and exact version
 * (actions/packages/). Stored in the database so a bundle built by the node that served the deploy is there for
 * every node sharing it; bundles are immutable, so a second build of the same name and version is dropped.
 */
const m0006: Migration = {
  async up(db: Db) {
    await db.schema
      .createTable('action_packages')
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('code', 'text', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('bytes', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('action_packages_pk', ['name', 'version'])
      .execute();
  },
};

const migrationsFor = (dialect: DialectName): Record<string, Migration> => ({
  '0001_initial': m0001(dialect),
  '0002_refresh_token_families': m0002,
  '0003_profile_actor_audiences': m0003,
  '0004_log_retention': m0004,
  '0005_client_secret_pepper': m0005,
  '0006_action_packages': m0006,
});

/**
 * Brings the schema up to date; returns the names of the migrations it applied. `dialect` is the one that
 * openDatabase returned with `db` (SQLite when omitted, as for the in-memory databases of tests).
 */
export async function migrateToLatest(db: Db, dialect: DialectName = 'sqlite'): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrationsFor(dialect)) };
  // Kysely looks for its migration tables in every schema unless told which one: pin it to the current schema, or
  // a second database sharing the PostgreSQL server (another schema) would be taken as already migrated.
  const schema =
    dialect === 'postgres'
      ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s
      : undefined;
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'baton_migrations',
    migrationLockTableName: 'baton_migrations_lock',
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error)
    throw error instanceof Error
      ? error
      : new Error(typeof error === 'string' ? error : 'migration failed', { cause: error });
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
