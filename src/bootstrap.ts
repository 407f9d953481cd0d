/**
 * Start-up seeding (DESIGN section 2): the Management API as a system resource server, and the admin client that
 * may call it with every scope. The admin client comes from BATON_ADMIN_CLIENT_ID/SECRET (created or updated at
 * every start), or is generated on first start and its secret printed once.
 */
import type { AppContext } from './context.js';
import { MANAGEMENT_SCOPES } from './management/scopes.js';
import { newClientGrantId, newClientId, newClientSecret, newResourceServerId } from './storage/ids.js';
import { sha256Hex } from './keys/hashing.js';

export const ADMIN_CLIENT_NAME = 'Baton Management (admin)';

export interface BootstrapResult {
  adminClientId: string;
  /** Set only when the secret was generated now: print it once. */
  generatedSecret?: string;
}

export async function bootstrap(ctx: AppContext): Promise<BootstrapResult> {
  const { repos } = ctx;
  const audience = ctx.managementAudience;
  const scopes = MANAGEMENT_SCOPES.map((value) => ({ value, description: value }));
  const existingApi = await repos.resourceServers.getByIdentifier(audience);
  if (!existingApi) {
    await repos.resourceServers.create({
      id: newResourceServerId(),
      identifier: audience,
      name: 'Baton Management API',
      scopes,
      signing_alg: 'RS256',
      token_lifetime: 86400,
      allow_offline_access: false,
      skip_consent_for_verifiable_first_party_clients: false,
      is_system: true,
    });
  } else {
    await repos.resourceServers.update(existingApi.id, { scopes });
  }

  let clientId = ctx.config.adminClientId;
  let generatedSecret: string | undefined;
  if (clientId) {
    const hash = sha256Hex(ctx.config.adminClientSecret!);
    const existing = await repos.clients.get(clientId);
    if (existing) await repos.clients.update(clientId, { client_secret_hash: hash, global: true });
    else await createAdminClient(ctx, clientId, hash);
  } else {
    const existing = (await repos.clients.list({ page: 0, perPage: 1, isGlobal: true })).clients[0];
    if (existing) clientId = existing.client_id;
    else {
      clientId = newClientId();
      generatedSecret = newClientSecret();
      await createAdminClient(ctx, clientId, sha256Hex(generatedSecret));
    }
  }
  const grant = await repos.clientGrants.find(clientId, audience);
  if (!grant) await repos.clientGrants.create({ id: newClientGrantId(), client_id: clientId, audience, scope: MANAGEMENT_SCOPES });
  else await repos.clientGrants.updateScope(grant.id, MANAGEMENT_SCOPES);
  return generatedSecret ? { adminClientId: clientId, generatedSecret } : { adminClientId: clientId };
}

async function createAdminClient(ctx: AppContext, clientId: string, secretHash: string): Promise<void> {
  await ctx.repos.clients.create({
    client_id: clientId,
    name: ADMIN_CLIENT_NAME,
    description: 'Created by Baton at first start; calls the Management API.',
    app_type: 'non_interactive',
    is_first_party: true,
    oidc_conformant: true,
    client_secret_hash: secretHash,
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['client_credentials'],
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
