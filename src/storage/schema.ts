/**
 * The database schema as Kysely sees it. The same tables exist on SQLite and PostgreSQL (storage/migrations.ts).
 * Portable column conventions, so one repository serves both dialects:
 * - JSON values are `text` columns (encode/decode with storage/codec.ts);
 * - booleans are `integer` 0/1 (toBool/fromBool in storage/codec.ts);
 * - timestamps are ISO 8601 strings with milliseconds and `Z`, except `*_epoch` columns (seconds, integer).
 */
import type { ColumnType, Generated } from 'kysely';

export interface ClientsTable {
  client_id: string;
  name: string;
  description: string;
  app_type: string;
  is_first_party: number;
  oidc_conformant: number;
  /** `hs1$` + HMAC-SHA256 under the master key's pepper of the secret's SHA-256 (crypto/hashing.ts); null: no secret. */
  client_secret_hash: string | null;
  token_endpoint_auth_method: string;
  grant_types: string; // json string[]
  callbacks: string; // json string[]
  allowed_origins: string; // json string[]
  client_metadata: string; // json Record<string,string>
  token_exchange: string | null; // json {allow_any_profile_of_type: string[]}
  organization_usage: string | null;
  organization_require_behavior: string | null;
  jwt_configuration: string; // json {alg, lifetime_in_seconds}
  refresh_token: string | null; // json Auth0 refresh_token config
  is_token_endpoint_ip_header_trusted: number;
  /** A client of the Management API itself (Auth0's `global`). */
  global: number;
  created_at: string;
  updated_at: string;
}

/** Public keys registered for private_key_jwt (Auth0 `client_authentication_methods.private_key_jwt.credentials`). */
export interface ClientCredentialsTable {
  id: string;
  client_id: string;
  name: string;
  credential_type: string;
  alg: string;
  pem: string;
  kid: string | null;
  created_at: string;
  /** 1 when the client's client_authentication_methods lists it; created through the API: 0 until then (0005). */
  enabled: number;
}

interface ClientGrantsTable {
  id: string;
  client_id: string;
  audience: string;
  scope: string; // json string[]
  created_at: string;
}

export interface ResourceServersTable {
  id: string;
  identifier: string;
  name: string;
  scopes: string; // json [{value, description}]
  signing_alg: string;
  token_lifetime: number;
  allow_offline_access: number;
  skip_consent_for_verifiable_first_party_clients: number;
  is_system: number;
  created_at: string;
  updated_at: string;
}

export interface ConnectionsTable {
  id: string;
  name: string;
  strategy: string;
  display_name: string | null;
  options: string; // json
  enabled_clients: string; // json string[]
  metadata: string | null; // json Record<string,string>
  created_at: string;
}

export interface UsersTable {
  user_id: string;
  connection_id: string;
  email: string | null;
  email_verified: number;
  username: string | null;
  phone_number: string | null;
  phone_verified: number;
  name: string | null;
  given_name: string | null;
  family_name: string | null;
  nickname: string | null;
  picture: string | null;
  blocked: number;
  app_metadata: string; // json
  user_metadata: string; // json
  logins_count: number;
  last_login: string | null;
  last_ip: string | null;
  /** scrypt hash (repositories/user-password.ts) for database-connection users; never returned. */
  password_hash: string | null;
  created_at: string;
  updated_at: string;
}

/** One row per linked identity; (connection_id, provider_user_id) is unique, which serialises concurrent creation. */
export interface UserIdentitiesTable {
  connection_id: string;
  provider_user_id: string;
  user_id: string;
  provider: string;
  connection: string;
  is_social: number;
  profile_data: string | null; // json
  created_at: string;
}

export interface OrganizationsTable {
  id: string;
  name: string;
  display_name: string | null;
  metadata: string; // json
  branding: string | null; // json
  created_at: string;
  updated_at: string;
}

interface OrganizationMembersTable {
  org_id: string;
  user_id: string;
  created_at: string;
}

interface OrganizationConnectionsTable {
  org_id: string;
  connection_id: string;
  assign_membership_on_login: number;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  /** Private JWK encrypted with the master key (compact JWE, dir + A256GCM). */
  private_jwk_enc: string;
  public_jwk: string; // json
  /** current | previous | next | revoked */
  status: string;
  created_at: string;
  /** When the key stopped signing; null while current. */
  rotated_at: string | null;
  /** Epoch seconds after which no token it signed can still be valid; null while current. */
  publish_until_epoch: number | null;
}

export interface RefreshTokensTable {
  id: string;
  /** sha256 of the token, hex. */
  token_hash: string;
  client_id: string;
  user_id: string;
  audience: string;
  scope: string;
  org_id: string | null;
  data: string; // json: what the refresh grant needs to re-mint
  created_at: string;
  /** Absolute expiry of the token's family (epoch seconds); null: no absolute lifetime. */
  expires_at_epoch: number | null;
  revoked_at: string | null;
  last_used_at: string | null;
  /** The family: the first token's id, shared by every token rotated from it (0002). */
  family_id: string | null;
  /** The token this one was rotated from; null for the first of a family (0002). */
  parent_id: string | null;
  /** 1: rotating (every redemption retires it and issues a successor); 0: reusable (0002). */
  rotating: number;
  /** When the token was redeemed and retired by rotation (epoch ms); null while current (0002). */
  rotated_at_ms: number | null;
  /** Inactivity expiry (epoch seconds), moved on each use; null: no idle lifetime (0002). */
  idle_expires_at_epoch: number | null;
  /** created_at of the user row it was issued for: a user created again with the same user_id is another (0002). */
  user_created_at: string | null;
}

export interface LogsTable {
  seq: Generated<number>;
  log_id: string;
  type: string;
  date: string;
  description: string | null;
  client_id: string | null;
  client_name: string | null;
  ip: string | null;
  user_agent: string | null;
  user_id: string | null;
  user_name: string | null;
  connection_id: string | null;
  connection: string | null;
  audience: string | null;
  scope: string | null;
  strategy: string | null;
  strategy_type: string | null;
  hostname: string | null;
  tenant_name: string | null;
  organization_id: string | null;
  organization_name: string | null;
  identity_user_id: string | null;
  details: string | null; // json
}

export interface ActionsTable {
  id: string;
  name: string;
  trigger_id: string;
  trigger_version: string;
  code: string;
  runtime: string;
  dependencies: string; // json [{name, version}]
  /** json [{name, value}] encrypted with the master key (compact JWE). */
  secrets_enc: string;
  /** json [{name, updated_at}], names only, for responses. */
  secret_names: string;
  status: string;
  deployed_version_id: string | null;
  /** 1 when the draft (code, dependencies, runtime, secrets) equals the deployed version. */
  all_changes_deployed: number;
  created_at: string;
  updated_at: string;
}

export interface ActionVersionsTable {
  id: string;
  action_id: string;
  number: number;
  code: string;
  runtime: string;
  dependencies: string;
  secrets_enc: string;
  /** json [{name, updated_at}], names only, for responses. */
  secret_names: string;
  deployed: number;
  status: string;
  created_at: string;
  updated_at: string;
}

/** One npm package bundled for the Actions sandbox (actions/packages/), immutable once written. */
interface ActionPackagesTable {
  name: string;
  version: string;
  /** The package and its own dependencies as one CommonJS module. */
  code: string;
  sha256: string;
  bytes: number;
  created_at: string;
}

export interface TriggerBindingsTable {
  id: string;
  trigger_id: string;
  position: number;
  action_id: string;
  display_name: string;
  created_at: string;
}

export interface TokenExchangeProfilesTable {
  id: string;
  name: string;
  subject_token_type: string;
  action_id: string;
  type: string;
  /** json string[]: clients whose ID tokens are accepted as actor tokens besides the requesting one (0003). */
  actor_token_audiences: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: string;
  updated_at: string;
}

/** Tenant-wide settings, one JSON document per key (default_audience, suspicious_ip_throttling, ...). */
interface SettingsTable {
  key: string;
  value: string; // json
  updated_at: string;
}

/** `jti`s of client assertions already seen (private_key_jwt replay protection, RFC 7523 section 3). */
interface UsedJtisTable {
  jti: string;
  expires_at_epoch: number;
}

export interface Database {
  clients: ClientsTable;
  client_credentials: ClientCredentialsTable;
  client_grants: ClientGrantsTable;
  resource_servers: ResourceServersTable;
  connections: ConnectionsTable;
  users: UsersTable;
  user_identities: UserIdentitiesTable;
  organizations: OrganizationsTable;
  organization_members: OrganizationMembersTable;
  organization_connections: OrganizationConnectionsTable;
  signing_keys: SigningKeysTable;
  refresh_tokens: RefreshTokensTable;
  logs: LogsTable;
  actions: ActionsTable;
  action_versions: ActionVersionsTable;
  action_packages: ActionPackagesTable;
  trigger_bindings: TriggerBindingsTable;
  token_exchange_profiles: TokenExchangeProfilesTable;
  settings: SettingsTable;
  used_jtis: UsedJtisTable;
}
