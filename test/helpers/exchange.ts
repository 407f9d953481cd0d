/**
 * Token exchange fixtures, set up through the Management API as an operator would: an API, a CTE-enabled client,
 * a connection enabled for it, and a deployed Action behind a profile.
 */
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './app.js';

export const API_ID = 'https://api.example.com';
export const TOKEN_TYPE = 'urn:acme:legacy-token';
export const EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

export interface ExchangeFixture {
  clientId: string;
  clientSecret: string;
  connectionId: string;
  actionId: string;
  profileId: string;
  exchange(fields?: Record<string, string>, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

async function ok(res: LightMyRequestResponse, status: number, what: string) {
  assert.equal(res.statusCode, status, `${what}: ${res.statusCode} ${res.body}`);
  return res.body ? res.json() : undefined;
}

export async function createApi(t: TestApp, patch: Record<string, unknown> = {}) {
  return ok(
    await t.api('POST', '/resource-servers', {
      identifier: API_ID,
      name: 'Example API',
      scopes: [
        { value: 'read:data', description: 'read' },
        { value: 'write:data', description: 'write' },
      ],
      signing_alg: 'RS256',
      token_lifetime: 3600,
      allow_offline_access: true,
      skip_consent_for_verifiable_first_party_clients: true,
      ...patch,
    }),
    201,
    'create API',
  );
}

/** Creates and deploys an Action; returns its id. */
export async function deployAction(
  t: TestApp,
  name: string,
  code: string,
  trigger = 'custom-token-exchange',
  secrets: Array<{ name: string; value: string }> = [],
) {
  const action = await ok(
    await t.api('POST', '/actions/actions', {
      name,
      supported_triggers: [{ id: trigger, version: trigger === 'post-login' ? 'v3' : 'v1' }],
      code,
      secrets,
      deploy: true,
    }),
    201,
    'create action',
  );
  const deployed = await t.api('GET', `/actions/actions/${action.id}`);
  if (!deployed.json().deployed_version)
    await ok(await t.api('POST', `/actions/actions/${action.id}/deploy`), 200, 'deploy action');
  return action.id as string;
}

export async function bindPostLogin(t: TestApp, actionIds: string[]) {
  await ok(
    await t.api('PATCH', '/actions/triggers/post-login/bindings', {
      bindings: actionIds.map((id, i) => ({ ref: { type: 'action_id', value: id }, display_name: `step ${i}` })),
    }),
    200,
    'bind post-login',
  );
}

export async function setupExchange(
  t: TestApp,
  opts: {
    code: string;
    client?: Record<string, unknown>;
    api?: Record<string, unknown>;
    subjectTokenType?: string;
    name?: string;
    skipApi?: boolean;
  },
): Promise<ExchangeFixture> {
  if (!opts.skipApi) await createApi(t, opts.api);
  const client = await ok(
    await t.api('POST', '/clients', {
      name: `cte-client-${Math.random().toString(36).slice(2, 8)}`,
      app_type: 'regular_web',
      grant_types: [EXCHANGE_GRANT, 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_post',
      token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
      ...opts.client,
    }),
    201,
    'create client',
  );
  const connections = await t.api('GET', '/connections?name=legacy-idp');
  let connectionId: string;
  const existing = connections.json<Array<{ id: string; name: string }>>().find?.((c) => c.name === 'legacy-idp');
  if (existing) {
    connectionId = existing.id;
    await ok(
      await t.api('PATCH', `/connections/${connectionId}/clients`, [{ client_id: client.client_id, status: true }]),
      204,
      'enable connection',
    );
  } else {
    const conn = await ok(
      await t.api('POST', '/connections', {
        name: 'legacy-idp',
        strategy: 'oidc',
        enabled_clients: [client.client_id],
      }),
      201,
      'create connection',
    );
    connectionId = conn.id;
  }
  const actionId = await deployAction(t, opts.name ?? `cte-${Math.random().toString(36).slice(2, 8)}`, opts.code);
  const profile = await ok(
    await t.api('POST', '/token-exchange-profiles', {
      name: 'Legacy tokens',
      subject_token_type: opts.subjectTokenType ?? TOKEN_TYPE,
      action_id: actionId,
      type: 'custom_authentication',
    }),
    201,
    'create profile',
  );
  return {
    clientId: client.client_id,
    clientSecret: client.client_secret,
    connectionId,
    actionId,
    profileId: profile.id,
    exchange(fields = {}, headers = {}) {
      return t.form(
        '/oauth/token',
        {
          grant_type: EXCHANGE_GRANT,
          client_id: client.client_id,
          client_secret: client.client_secret,
          subject_token_type: opts.subjectTokenType ?? TOKEN_TYPE,
          subject_token: 'subject-token-value',
          audience: API_ID,
          ...fields,
        },
        headers,
      );
    },
  };
}

/** Waits for the batched log writer and returns the newest log entry of a type. */
export async function lastLog(t: TestApp, type: string) {
  await t.ctx.logs.flush();
  const res = await t.api('GET', `/logs?q=type:${type}&per_page=1`);
  assert.equal(res.statusCode, 200, res.body);
  const entry = res.json<Array<Record<string, any>>>()[0];
  assert.ok(entry, `no ${type} log entry`);
  return entry;
}
