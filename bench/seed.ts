/**
 * Seeds a running Baton through its Management API over HTTP, as an operator would (like test/helpers/exchange.ts):
 * an API, a CTE client, the `legacy-idp` connection, a deployed Action that verifies the subject JWT against the
 * IdP's JWKS through the jose shim and calls setUserByConnection, and a profile pointing at it.
 */
import { ADMIN_ID, ADMIN_SECRET } from './targets.js';
import { IDP_AUDIENCE, IDP_ISSUER, type Idp } from './idp.js';
import { drive } from './load.js';

export const API_ID = 'https://api.bench.example';
export const SUBJECT_TOKEN_TYPE = 'urn:acme:legacy-token';
export const EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const CONNECTION = 'legacy-idp';

/**
 * The remote JWKS is created once per Action context (module scope), so jose's in-memory cache (cacheMaxAge,
 * cooldown) holds across requests, as Auth0's docs recommend; a JWKS built inside the handler would be fetched on
 * every run.
 */
export const VERIFY_ACTION = `
const jose = require('jose');
let jwks;
exports.onExecuteCustomTokenExchange = async (event, api) => {
  if (!jwks) jwks = jose.createRemoteJWKSet(new URL(event.secrets.JWKS_URL));
  let payload;
  try {
    ({ payload } = await jose.jwtVerify(event.transaction.subject_token, jwks, {
      issuer: ${JSON.stringify(IDP_ISSUER)}, audience: ${JSON.stringify(IDP_AUDIENCE)}, algorithms: ['ES256'] }));
  } catch (err) {
    return api.access.rejectInvalidSubjectToken('Invalid subject token');
  }
  api.authentication.setUserByConnection(${JSON.stringify(CONNECTION)},
    { user_id: payload.sub, email: payload.email, email_verified: true },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
};`;

export class Mgmt {
  private token = '';
  constructor(readonly base: string) {}

  async login(): Promise<void> {
    const r = await fetch(`${this.base}oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: ADMIN_ID,
        client_secret: ADMIN_SECRET,
        audience: `${this.base}api/v2/`,
      }),
    });
    if (r.status !== 200) throw new Error(`management token: ${r.status} ${await r.text()}`);
    this.token = ((await r.json()) as { access_token: string }).access_token;
  }

  async call<T = any>(method: string, path: string, body?: unknown, expect = [200, 201, 204]): Promise<T> {
    const r = await fetch(`${this.base}api/v2${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    if (!expect.includes(r.status)) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

export interface Seeded {
  apiId: string;
  clientId: string;
  clientSecret: string;
  actionId: string;
  connectionId: string;
}

/**
 * The Action, retried: on a busy machine the first compile can outlast its limit while the sandbox workers are
 * still starting (Management API 400 "did not finish loading within the limits").
 */
async function createAction(m: Mgmt, jwksUrl: string): Promise<{ id: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await m.call('POST', '/actions/actions', {
        name: 'bench-verify-subject',
        supported_triggers: [{ id: 'custom-token-exchange', version: 'v1' }],
        code: VERIFY_ACTION,
        secrets: [{ name: 'JWKS_URL', value: jwksUrl }],
        deploy: true,
      });
    } catch (err) {
      if (attempt >= 4 || !/did not finish loading/.test((err as Error).message)) throw err;
      process.stderr.write(
        `[bench] Action compile timed out while the sandbox started (attempt ${attempt}); retrying\n`,
      );
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

export async function seedExchange(base: string, jwksUrl: string): Promise<Seeded> {
  const m = new Mgmt(base);
  await m.login();
  const api = await m.call('POST', '/resource-servers', {
    identifier: API_ID,
    name: 'Bench API',
    scopes: [{ value: 'read:data', description: 'read' }],
    signing_alg: 'RS256',
    token_lifetime: 3600,
    skip_consent_for_verifiable_first_party_clients: true,
  });
  const client = await m.call('POST', '/clients', {
    name: 'bench-cte-client',
    app_type: 'regular_web',
    grant_types: [EXCHANGE_GRANT],
    token_endpoint_auth_method: 'client_secret_post',
    token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
  });
  const conn = await m.call('POST', '/connections', {
    name: CONNECTION,
    strategy: 'oidc',
    enabled_clients: [client.client_id],
  });
  const action = await createAction(m, jwksUrl);
  const current = await m.call('GET', `/actions/actions/${action.id}`);
  if (!current.deployed_version) await m.call('POST', `/actions/actions/${action.id}/deploy`);
  await m.call('POST', '/token-exchange-profiles', {
    name: 'Bench legacy tokens',
    subject_token_type: SUBJECT_TOKEN_TYPE,
    action_id: action.id,
    type: 'custom_authentication',
  });
  return {
    apiId: api.id,
    clientId: client.client_id,
    clientSecret: client.client_secret,
    actionId: action.id,
    connectionId: conn.id,
  };
}

export async function setSigningAlg(base: string, seeded: Seeded, alg: 'RS256' | 'ES256'): Promise<void> {
  const m = new Mgmt(base);
  await m.login();
  await m.call('PATCH', `/resource-servers/${encodeURIComponent(seeded.apiId)}`, { signing_alg: alg });
}

/** More profiles (other subject token types, same Action), up to `total` in all. */
export async function seedProfiles(base: string, seeded: Seeded, total: number): Promise<void> {
  const m = new Mgmt(base);
  await m.login();
  for (let i = 1; i < total; i++) {
    await m.call('POST', '/token-exchange-profiles', {
      name: `Bench profile ${i}`,
      subject_token_type: `urn:bench:token-type-${i}`,
      action_id: seeded.actionId,
      type: 'custom_authentication',
    });
  }
}

export function exchangeBody(seeded: Pick<Seeded, 'clientId' | 'clientSecret'>, subjectToken: string): string {
  return new URLSearchParams({
    grant_type: EXCHANGE_GRANT,
    client_id: seeded.clientId,
    client_secret: seeded.clientSecret,
    subject_token_type: SUBJECT_TOKEN_TYPE,
    subject_token: subjectToken,
    audience: API_ID,
    scope: 'read:data',
  }).toString();
}

/** Failed exchanges (`fecte` tenant log entries) of a run, counted by description, to explain non-2xx answers. */
export async function failedExchanges(base: string): Promise<Record<string, number>> {
  const m = new Mgmt(base);
  await m.login();
  const entries = await m.call<Array<{ description?: string; details?: { error?: { message?: string } } }>>(
    'GET',
    '/logs?q=type:fecte&per_page=100',
  );
  const out: Record<string, number> = {};
  for (const e of entries) {
    const why = e.details?.error?.message ?? e.description ?? 'unknown';
    out[why] = (out[why] ?? 0) + 1;
  }
  return out;
}

/**
 * A started Baton seeded like the bench and signing with `alg`: each pooled user's first exchange (user creation)
 * done and a short warm-up run, so what follows measures steady state. Returns the request bodies to drive.
 */
export async function seedAndWarm(
  base: string,
  idp: Idp,
  alg: 'RS256' | 'ES256',
  tokens: string[],
  warmS = 3,
): Promise<string[]> {
  const seeded = await seedExchange(base, idp.jwksUrl);
  await setSigningAlg(base, seeded, alg);
  const bodies = tokens.map((t) => exchangeBody(seeded, t));
  await drive(base, bodies, { connections: 10, amount: bodies.length });
  await drive(base, bodies, { connections: 10, duration: warmS });
  return bodies;
}
