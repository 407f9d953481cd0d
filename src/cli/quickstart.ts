/**
 * `baton quickstart`: seeds a working Custom Token Exchange through the Management API (an API, a CTE client, a
 * connection, the HMAC example Action with a fresh secret, a profile), mints a sample subject token, and prints the
 * one curl that exchanges it. Safe to run again: it reuses what exists and rotates the Action's secret.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Command } from 'commander';
import { withApi, api } from './command-helpers.js';
import { ManagementApiError, type ApiClient } from './api-client.js';

const QUICKSTART = {
  api: 'https://api.quickstart.example',
  clientName: 'Quickstart CTE client',
  connection: 'partner-idp',
  actionName: 'quickstart-hmac-exchange',
  subjectTokenType: 'urn:partner:session-token',
};

const here = path.dirname(fileURLToPath(import.meta.url));
const ACTION_FILE = path.resolve(here, '../../examples/actions/hmac-shared-secret.js');

async function findOrCreate<T>(find: () => Promise<T | undefined>, create: () => Promise<T>): Promise<T> {
  const found = await find();
  return found ?? create();
}

interface QuickstartResult {
  clientId: string;
  clientSecret: string;
  subjectToken: string;
  curl: string;
}

async function quickstart(client: ApiClient, baseUrl: string): Promise<QuickstartResult> {
  const issuer = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  await findOrCreate(
    async () => {
      try {
        return await client.request('GET', `resource-servers/${encodeURIComponent(QUICKSTART.api)}`);
      } catch (err) {
        if (err instanceof ManagementApiError && err.status === 404) return undefined;
        throw err;
      }
    },
    () =>
      client.request('POST', 'resource-servers', {
        identifier: QUICKSTART.api,
        name: 'Quickstart API',
        scopes: [{ value: 'read:messages', description: 'Read messages' }],
        skip_consent_for_verifiable_first_party_clients: true,
        allow_offline_access: true,
      }),
  );

  // A client's secret is only shown at creation or rotation: rotate it when the client already exists.
  const clients = await client.request<Array<{ client_id: string; name: string }>>('GET', 'clients?per_page=100');
  const existing = clients.find((c) => c.name === QUICKSTART.clientName);
  const cte = existing
    ? await client.request<{ client_id: string; client_secret: string }>(
        'POST',
        `clients/${existing.client_id}/rotate-secret`,
      )
    : await client.request<{ client_id: string; client_secret: string }>('POST', 'clients', {
        name: QUICKSTART.clientName,
        app_type: 'regular_web',
        grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_post',
        token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
      });

  const connections = await client.request<Array<{ id: string; name: string }>>(
    'GET',
    `connections?name=${QUICKSTART.connection}`,
  );
  const connection = connections.find((c) => c.name === QUICKSTART.connection);
  if (connection) {
    await client.request('PATCH', `connections/${connection.id}/clients`, [{ client_id: cte.client_id, status: true }]);
  } else {
    await client.request('POST', 'connections', {
      name: QUICKSTART.connection,
      strategy: 'oidc',
      enabled_clients: [cte.client_id],
    });
  }

  const secret = randomBytes(32).toString('base64url');
  const code = fs.readFileSync(ACTION_FILE, 'utf8');
  const actions = await client.request<{ actions: Array<{ id: string; name: string }> }>(
    'GET',
    `actions/actions?actionName=${QUICKSTART.actionName}`,
  );
  let actionId = actions.actions.find((a) => a.name === QUICKSTART.actionName)?.id;
  if (actionId) {
    await client.request('PATCH', `actions/actions/${actionId}`, {
      code,
      secrets: [{ name: 'SHARED_SECRET', value: secret }],
    });
  } else {
    const created = await client.request<{ id: string }>('POST', 'actions/actions', {
      name: QUICKSTART.actionName,
      supported_triggers: [{ id: 'custom-token-exchange', version: 'v1' }],
      code,
      secrets: [{ name: 'SHARED_SECRET', value: secret }],
    });
    actionId = created.id;
  }
  await client.request('POST', `actions/actions/${actionId}/deploy`);

  const profiles = await client.request<{ token_exchange_profiles: Array<{ subject_token_type: string }> }>(
    'GET',
    'token-exchange-profiles?take=100',
  );
  if (!profiles.token_exchange_profiles.some((p) => p.subject_token_type === QUICKSTART.subjectTokenType)) {
    await client.request('POST', 'token-exchange-profiles', {
      name: 'Quickstart partner tokens',
      subject_token_type: QUICKSTART.subjectTokenType,
      action_id: actionId,
      type: 'custom_authentication',
    });
  }

  const subjectToken = await new SignJWT({ email: 'jane@partner.example' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('urn:partner:issuer')
    .setAudience('urn:baton:exchange')
    .setSubject('partner-user-1')
    .setIssuedAt()
    .setExpirationTime('24h')
    .sign(new TextEncoder().encode(secret));

  const curl = [
    `curl -s ${issuer}oauth/token \\`,
    `  -d grant_type=urn:ietf:params:oauth:grant-type:token-exchange \\`,
    `  -d client_id=${cte.client_id} -d client_secret=${cte.client_secret} \\`,
    `  -d subject_token_type=${QUICKSTART.subjectTokenType} \\`,
    `  -d subject_token=${subjectToken} \\`,
    `  --data-urlencode audience=${QUICKSTART.api} -d 'scope=openid email read:messages'`,
  ].join('\n');
  return { clientId: cte.client_id, clientSecret: cte.client_secret, subjectToken, curl };
}

export function registerQuickstartCommand(program: Command): void {
  withApi(
    program.command('quickstart').description('seed a working token exchange example and print the curl that runs it'),
  ).action(async (opts: { url?: string; clientId?: string; clientSecret?: string }) => {
    const port = process.env.PORT ?? '3000';
    const url = opts.url ?? process.env.BATON_URL ?? `http://127.0.0.1:${port}/`;
    const result = await quickstart(api({ ...opts, url }), url);
    process.stdout.write(
      [
        'Seeded: API, client, connection, Action (examples/actions/hmac-shared-secret.js) and profile.',
        'Exchange the sample partner token (valid 24 hours) for Baton tokens:',
        '',
        result.curl,
        '',
      ].join('\n'),
    );
  });
}
