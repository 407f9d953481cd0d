/**
 * A realistic tenant for the Deploy CLI round trip (test/e2e/deploy-cli.test.ts), set up through the Management API
 * as an operator would: an API with scopes, a CTE client and a machine client granted the API, a connection enabled
 * for the CTE client, an organization on that connection, a Custom Token Exchange Action that checks the subject
 * token against an Action secret, a post-login Action bound to its trigger, and the profile behind the CTE Action.
 */
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './app.js';
import { API_ID, EXCHANGE_GRANT, TOKEN_TYPE, bindPostLogin, createApi, deployAction } from './exchange.js';

export const SEED = {
  cteClient: 'Legacy portal',
  machineClient: 'Nightly sync',
  connection: 'legacy-idp',
  organization: 'acme',
  cteAction: 'legacy-token-exchange',
  postLoginAction: 'add-tier-claim',
  secretName: 'EXPECTED_SUBJECT_TOKEN',
  secretValue: 'legacy-token-4711',
  profile: 'Legacy tokens',
} as const;

export const CTE_CODE = `exports.onExecuteCustomTokenExchange = async (event, api) => {
  if (event.transaction.subject_token !== event.secrets.${SEED.secretName}) {
    return api.access.rejectInvalidSubjectToken('unknown legacy token');
  }
  api.authentication.setUserByConnection('${SEED.connection}', { user_id: 'legacy-1', email: 'legacy1@example.com' },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
};`;

const POST_LOGIN_CODE = `exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/tier', 'gold');
};`;

async function created(res: LightMyRequestResponse, what: string) {
  assert.equal(res.statusCode, 201, `${what}: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function seedTenant(t: TestApp): Promise<void> {
  await createApi(t);
  const cte = await created(
    await t.api('POST', '/clients', {
      name: SEED.cteClient,
      app_type: 'regular_web',
      grant_types: [EXCHANGE_GRANT, 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_post',
      token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
    }),
    'CTE client',
  );
  const machine = await created(
    await t.api('POST', '/clients', {
      name: SEED.machineClient,
      app_type: 'non_interactive',
      grant_types: ['client_credentials'],
    }),
    'machine client',
  );
  await created(
    await t.api('POST', '/client-grants', { client_id: machine.client_id, audience: API_ID, scope: ['read:data'] }),
    'client grant',
  );
  const connection = await created(
    await t.api('POST', '/connections', {
      name: SEED.connection,
      strategy: 'oidc',
      options: { issuer: 'https://legacy.example.com/', client_id: 'baton', type: 'back_channel' },
      enabled_clients: [cte.client_id],
    }),
    'connection',
  );
  const org = await created(
    await t.api('POST', '/organizations', { name: SEED.organization, display_name: 'Acme' }),
    'organization',
  );
  await created(
    await t.api('POST', `/organizations/${org.id}/enabled_connections`, {
      connection_id: connection.id,
      assign_membership_on_login: false,
    }),
    'organization connection',
  );
  const cteAction = await deployAction(t, SEED.cteAction, CTE_CODE, 'custom-token-exchange', [
    { name: SEED.secretName, value: SEED.secretValue },
  ]);
  await bindPostLogin(t, [await deployAction(t, SEED.postLoginAction, POST_LOGIN_CODE, 'post-login')]);
  await created(
    await t.api('POST', '/token-exchange-profiles', {
      name: SEED.profile,
      subject_token_type: TOKEN_TYPE,
      action_id: cteAction,
      type: 'custom_authentication',
    }),
    'profile',
  );
}
