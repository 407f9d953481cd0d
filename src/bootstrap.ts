/**
 * Start-up seeding (DESIGN section 2): the Management API as a system resource server, and the admin client that
 * may call it with every scope. The admin client comes from BATON_ADMIN_CLIENT_ID/SECRET (created or updated at
 * every start), or is generated on first start and its secret printed once. It is the global client: the
 * Management API cannot change its authentication method, credentials or grant types, nor delete it.
 * Client secrets are stored peppered (crypto/hashing.ts); legacy unpeppered hashes are rehashed here, at every start.
 */
import type { AppContext } from './context.js';
import { MANAGEMENT_SCOPES } from './management/scopes.js';
import { newClientGrantId, newClientId, newClientSecret, newResourceServerId } from './storage/ids.js';

const ADMIN_CLIENT_NAME = 'Baton Management (admin)';
/**
 * Auth0's name for its system API. Tools that copy a tenant recognise the system API by this name (Auth0's Deploy
 * CLI leaves it out of exports), so Baton's, the same API at `{issuer}api/v2/`, carries it too.
 */
const MANAGEMENT_API_NAME = 'Auth0 Management API';

export interface BootstrapResult {
  adminClientId: string;
  /** Set only when the secret was generated now: print it once. */
  generatedSecret?: string;
}

/** What bootstrap reads: a context, or (the `--workers` primary, cluster/workers.ts) just storage and the hasher. */
type BootstrapDeps = Pick<AppContext, 'repos' | 'managementAudience' | 'secretHasher' | 'config'>;

export async function bootstrap(ctx: BootstrapDeps): Promise<BootstrapResult> {
  const { repos } = ctx;
  const audience = ctx.managementAudience;
  const scopes = MANAGEMENT_SCOPES.map((value) => ({ value, description: value }));
  const existingApi = await repos.resourceServers.getByIdentifier(audience);
  if (!existingApi) {
    await repos.resourceServers.create({
      id: newResourceServerId(),
      identifier: audience,
      name: MANAGEMENT_API_NAME,
      scopes,
      signing_alg: 'RS256',
      token_lifetime: 86400,
      allow_offline_access: false,
      skip_consent_for_verifiable_first_party_clients: false,
      is_system: true,
    });
  } else {
    await repos.resourceServers.update(existingApi.id, { name: MANAGEMENT_API_NAME, scopes });
  }

  const hasher = ctx.secretHasher;
  await repos.clients.upgradeSecretHashes(hasher.upgrade);

  let clientId = ctx.config.adminClientId;
  let generatedSecret: string | undefined;
  if (clientId) {
    const hash = hasher.hash(ctx.config.adminClientSecret!);
    const existing = await repos.clients.get(clientId);
    // The operator's client is the admin client as Baton defines it, whatever was stored under its id before.
    if (existing)
      await repos.clients.update(clientId, { ...adminClientAuth(), client_secret_hash: hash, global: true }, []);
    else await createAdminClient(ctx, clientId, hash);
  } else {
    const existing = (await repos.clients.list({ page: 0, perPage: 1, isGlobal: true })).clients[0];
    if (existing) clientId = existing.client_id;
    else {
      clientId = newClientId();
      generatedSecret = newClientSecret();
      await createAdminClient(ctx, clientId, hasher.hash(generatedSecret));
    }
  }
  const grant = await repos.clientGrants.find(clientId, audience);
  if (!grant)
    await repos.clientGrants.create({
      id: newClientGrantId(),
      client_id: clientId,
      audience,
      scope: MANAGEMENT_SCOPES,
    });
  else await repos.clientGrants.updateScope(grant.id, MANAGEMENT_SCOPES);
  return generatedSecret ? { adminClientId: clientId, generatedSecret } : { adminClientId: clientId };
}

/** What the Management API may not change on the admin client (it may rename it). */
const adminClientAuth = (): { token_endpoint_auth_method: 'client_secret_post'; grant_types: string[] } => ({
  token_endpoint_auth_method: 'client_secret_post',
  grant_types: ['client_credentials'],
});

async function createAdminClient(ctx: BootstrapDeps, clientId: string, secretHash: string): Promise<void> {
  await ctx.repos.clients.create({
    client_id: clientId,
    name: ADMIN_CLIENT_NAME,
    description: 'Created by Baton at first start; calls the Management API.',
    app_type: 'non_interactive',
    is_first_party: true,
    oidc_conformant: true,
    client_secret_hash: secretHash,
    ...adminClientAuth(),
    callbacks: [],
    allowed_origins: [],
    client_metadata: {},
    token_exchange: null,
    organization_usage: null,
    organization_require_behavior: null,
    jwt_configuration: { alg: 'RS256', lifetime_in_seconds: 36000 },
    refresh_token: null,
    is_token_endpoint_ip_header_trusted: false,
    global: true,
  });
}
