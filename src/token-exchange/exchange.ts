/**
 * The Custom Token Exchange pipeline (RFC 8693 on Auth0's CTE, spec section 1.2), as named steps:
 * tenant rate limit → parse parameters → client policy → audience and consent → IP throttling → profile → request organization →
 * actor ID token → Action → apply its decision → scopes → post-login → write user changes → mint → log.
 * Decide first, mint last: a denial (the Action's or post-login's), a thrown Action or a timeout leaves no token,
 * no refresh token, no metadata, no replaced profile and no membership written (a user created by
 * setUserByConnection stays, as with any federated first login).
 */
import type { AppContext } from '../context.js';
import type { TokenParams, TokenRequest, TokenResponse } from '../oauth/grants/types.js';
import type { FastifyRequest } from 'fastify';
import { type OAuthError, asOAuthError, invalidRequest, serverError } from '../oauth/errors.js';
import { resolveAudience } from '../oauth/grants/audience.js';
import { issueTokens } from '../tokens/issue.js';
import { OIDC_SCOPES } from '../tokens/user-claims.js';
import { parseExchangeParams, redactedBody, ACCESS_TOKEN_TYPE, NO_HANDLER, type ExchangeParams } from './parameters.js';
import { checkClientMayExchange } from './client-policy.js';
import { validateActorIdToken } from './actor-token.js';
import { runExchangeAction } from './run-action.js';
import { applyExchangeDecision, writeExchangeDecision } from './apply-commands.js';
import { resolveRequestOrganization } from './organization.js';
import { applyPostLoginOutcome, runPostLogin } from '../login/post-login.js';
import { logFailure, logRateLimited, logSuccess } from './audit.js';
import type { ExchangeTransaction } from './transaction.js';
import { tooManyAttempts } from '../attack-protection/throttle.js';
import { mergeTopLevel } from '../users/user.js';

const CONSENT_REQUIRED =
  "Consent required: enable 'Allow Skipping User Consent' (skip_consent_for_verifiable_first_party_clients) on the API";

/** Spec 9.6: CTE is non-interactive, so the API must let first-party clients skip consent. */
function checkConsent(tx: ExchangeTransaction): void {
  if (!tx.api!.skip_consent_for_verifiable_first_party_clients) {
    throw invalidRequest(CONSENT_REQUIRED, `API ${tx.api!.identifier} does not allow skipping consent`);
  }
}

async function checkThrottle(ctx: AppContext, tx: ExchangeTransaction): Promise<void> {
  if (await ctx.throttle.isBlocked(tx.ip)) throw tooManyAttempts(tx.ip);
}

async function resolveProfile(ctx: AppContext, tx: ExchangeTransaction): Promise<void> {
  const profile = await ctx.profileLookup.find(tx.params.subjectTokenType);
  if (!profile)
    throw invalidRequest(NO_HANDLER, `no token exchange profile for subject_token_type ${tx.params.subjectTokenType}`);
  tx.profile = profile;
}

/**
 * Scope ceiling (DESIGN section 8): OIDC scopes, plus the API's own scopes; when the client holds a client grant
 * for the API, only the scopes it lists. An exchanged token can only narrow.
 */
async function scopeFilter(ctx: AppContext, tx: ExchangeTransaction): Promise<(s: string) => boolean> {
  const defined = new Set(tx.api!.scopes.map((s) => s.value));
  const grant = await ctx.configReads.clientGrant(tx.client.client_id, tx.api!.identifier);
  return (s) =>
    (OIDC_SCOPES as readonly string[]).includes(s) || (defined.has(s) && (!grant || grant.scope.includes(s)));
}

async function exchange(ctx: AppContext, tx: ExchangeTransaction): Promise<TokenResponse> {
  checkClientMayExchange(tx.client);
  tx.api = await resolveAudience(ctx, tx.params.audience);
  checkConsent(tx);
  await checkThrottle(ctx, tx);
  await resolveProfile(ctx, tx);
  await resolveRequestOrganization(ctx, tx);
  tx.actorTokenUser = await validateActorIdToken(ctx, tx.params, {
    clientId: tx.client.client_id,
    profile: tx.profile,
  });
  const decision = await runExchangeAction(ctx, tx);
  await applyExchangeDecision(ctx, tx, decision);

  const allowed = await scopeFilter(ctx, tx);
  const post = await runPostLogin(ctx, {
    protocol: 'oauth2-token-exchange',
    client: tx.client,
    api: tx.api,
    // Post-login sees the user as the exchange Action left it; nothing is written before post-login passed too.
    user: {
      ...tx.user!,
      app_metadata: mergeTopLevel(tx.user!.app_metadata, tx.metadata.app_metadata),
      user_metadata: mergeTopLevel(tx.user!.user_metadata, tx.metadata.user_metadata),
    },
    connection: tx.connection,
    org: tx.org,
    scopes: tx.params.scopes.filter(allowed),
    requestedScopes: tx.params.scopes,
    body: tx.body,
    ip: tx.ip,
    userAgent: tx.userAgent,
    hostname: tx.hostname,
    subjectTokenType: tx.params.subjectTokenType,
    actorTokenType: tx.params.actorTokenType,
    actor: tx.actor,
  });

  // Decided: the exchange answers 200. Now, and only now, the decisions are written.
  await writeExchangeDecision(ctx, tx);
  tx.user = await applyPostLoginOutcome(ctx, tx.user!, post, tx.metadata);
  ctx.logins.record(tx.user.user_id, tx.ip);

  const issued = await issueTokens(ctx, {
    client: tx.client,
    api: tx.api,
    user: tx.user,
    scopes: post.scopes.filter(allowed),
    org: tx.org ? { id: tx.org.id, name: tx.org.name } : undefined,
    actor: tx.actor,
    noRefreshToken: tx.params.actorToken !== undefined,
    accessTokenClaims: post.accessTokenClaims,
    idTokenClaims: post.idTokenClaims,
    issuedTokenType: ACCESS_TOKEN_TYPE,
    subjectTokenType: tx.params.subjectTokenType,
  });
  logSuccess(ctx, tx, issued.grantedScopes, issued.accessTokenJti);
  return issued.response;
}

function newTransaction(req: TokenRequest, params: ExchangeParams): ExchangeTransaction {
  const lang = req.http.headers['accept-language'];
  return {
    client: req.client,
    params,
    body: redactedBody(req.params),
    ip: req.ip,
    userAgent: req.userAgent,
    hostname: req.http.hostname,
    language: typeof lang === 'string' ? lang.split(',')[0]?.split(';')[0]?.trim() : undefined,
    metadata: { app_metadata: {}, user_metadata: {} },
    writes: {},
  };
}

/** Parameters as far as they parse, for logging a request that failed its parameter checks. */
function rawParams(req: TokenRequest): ExchangeParams {
  return {
    subjectToken: '',
    subjectTokenType: req.params.subject_token_type ?? '',
    requestedTokenType: req.params.requested_token_type ?? ACCESS_TOKEN_TYPE,
    audience: req.params.audience,
    scopes: (req.params.scope ?? '').split(' ').filter(Boolean),
  };
}

/**
 * One token exchange request, after client authentication: the tenant's rate limit first (E22, before the
 * parameters are read and the Action runs), then the steps; every failure is logged as `fecte`.
 */
export async function runTokenExchange(ctx: AppContext, req: TokenRequest): Promise<TokenResponse> {
  let tx = newTransaction(req, rawParams(req));
  const limit = ctx.exchangeRateLimit;
  const refusal = await limit?.take();
  if (limit && refusal) {
    if (refusal.toReport > 0) logRateLimited(ctx, tx, limit, refusal.toReport);
    throw refusal.error;
  }
  try {
    tx = { ...tx, params: parseExchangeParams(req.params) };
    return await exchange(ctx, tx);
  } catch (err) {
    const known = asOAuthError(err);
    const error = known ?? serverError(`unexpected error: ${(err as Error).message}`);
    if (!known) req.http.log.error({ err }, 'token exchange failed unexpectedly');
    logFailure(ctx, tx, error);
    throw error;
  }
}

/** E1: a failed client authentication is logged with the client_id the request claimed (spec 11.3: may be any value). */
export function logClientAuthFailure(
  ctx: AppContext,
  http: FastifyRequest,
  params: TokenParams,
  error: OAuthError,
): void {
  const claimed = { client_id: params.client_id ?? '', name: '' } as TokenRequest['client'];
  const req: TokenRequest = { params, client: claimed, ip: http.ip, userAgent: http.headers['user-agent'], http };
  logFailure(ctx, newTransaction(req, rawParams(req)), error);
}
