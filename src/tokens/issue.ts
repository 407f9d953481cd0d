/**
 * issueTokens: the one place user tokens are minted (decide, run hooks, then mint).
 * Access token for the API; ID token when `openid` was granted; refresh token only with `offline_access`, an API
 * that allows offline access, a client allowed the refresh_token grant, and no actor (spec 9.4, DESIGN D1).
 */
import { epochSeconds } from '../clock.js';
import type { JWTPayload } from 'jose';
import type { AppContext } from '../context.js';
import { DEFAULT_ID_TOKEN_LIFETIME } from './lifetimes.js';
import type { Client } from '../storage/repositories/clients.js';
import type { ResourceServer } from '../storage/repositories/resource-servers.js';
import { isSigningAlg } from '../keys/key-set.js';
import { mintAccessToken } from './access-token.js';
import { scopedUserClaims, allowedCustomClaims, type ClaimsUser } from './user-claims.js';
import { newJti, newRefreshToken, randomAlnum } from '../storage/ids.js';
import type { TokenResponse } from '../oauth/grants/types.js';
import type { ActorClaim } from './actor.js';
import type { User } from '../users/user.js';
import { refreshPolicy, idleDeadline } from './refresh-policy.js';

/** What these steps use of the context. */
type IssueDeps = Pick<AppContext, 'clock' | 'config' | 'repos' | 'tokens'>;

export interface IssueInput {
  client: Client;
  api: ResourceServer;
  /** `created_at` binds a new refresh token to this user row (a user created again later is another user). */
  user: ClaimsUser & Pick<User, 'created_at'>;
  /** Granted scopes, already limited to what the API and client allow. */
  scopes: string[];
  org?: { id: string; name: string } | undefined;
  actor?: ActorClaim | undefined;
  /** Suppresses the refresh token (an actor token was presented, DESIGN D1). */
  noRefreshToken?: boolean;
  accessTokenClaims?: Record<string, unknown>;
  idTokenClaims?: Record<string, unknown>;
  /** RFC 8693 section 2.2.1: present on token exchange responses. */
  issuedTokenType?: string;
  /** Stored with a new refresh token, so the refresh grant can re-mint. */
  subjectTokenType?: string;
  /** A refresh token the refresh grant already stored (rotation): returned as is, and no other is minted. */
  refreshToken?: string;
}

export interface Issued {
  response: TokenResponse;
  accessTokenJti: string;
  grantedScopes: string[];
}

export async function issueTokens(ctx: IssueDeps, input: IssueInput): Promise<Issued> {
  const { client, api, user, org, actor } = input;
  const wantsRefresh =
    input.refreshToken !== undefined ||
    (input.scopes.includes('offline_access') &&
      !actor &&
      !input.noRefreshToken &&
      api.allow_offline_access &&
      client.grant_types.includes('refresh_token'));
  // offline_access leaves the granted scope when no refresh token is issued (spec 9.4).
  const scopes = wantsRefresh ? input.scopes : input.scopes.filter((s) => s !== 'offline_access');
  const openid = scopes.includes('openid');
  const userinfoAudience = `${ctx.config.issuer}userinfo`;
  const aud = openid && api.identifier !== userinfoAudience ? [api.identifier, userinfoAudience] : api.identifier;

  const orgClaims = org ? { org_id: org.id, org_name: org.name } : {};
  const access = await mintAccessToken(ctx, api, {
    ...allowedCustomClaims(input.accessTokenClaims ?? {}),
    sub: user.user_id,
    aud,
    client_id: client.client_id,
    scope: scopes.join(' '),
    ...orgClaims,
    ...(actor ? { act: actor } : {}),
  });

  const response: TokenResponse = {
    access_token: access.token,
    ...(input.issuedTokenType ? { issued_token_type: input.issuedTokenType } : {}),
    token_type: 'Bearer',
    expires_in: access.expiresIn,
    scope: scopes.join(' '),
  };
  if (!response.scope) delete response.scope;

  if (openid)
    response.id_token = await mintIdToken(
      ctx,
      client,
      user,
      scopes,
      { ...orgClaims, ...(actor ? { act: actor } : {}) },
      input.idTokenClaims,
    );

  if (input.refreshToken !== undefined) {
    response.refresh_token = input.refreshToken;
  } else if (wantsRefresh) {
    // A new family, with the client's policy (tokens/refresh-policy.ts).
    const token = newRefreshToken();
    const policy = refreshPolicy(client);
    const nowS = epochSeconds(ctx.clock);
    const expiresAt = policy.absoluteS === null ? null : nowS + policy.absoluteS;
    await ctx.repos.refreshTokens.create(
      {
        id: newRefreshTokenId(),
        client_id: client.client_id,
        user_id: user.user_id,
        audience: api.identifier,
        scope: scopes.join(' '),
        org_id: org?.id ?? null,
        data: { scopes, audience: api.identifier, org, subject_token_type: input.subjectTokenType },
        expires_at_epoch: expiresAt,
        rotating: policy.rotating,
        idle_expires_at_epoch: idleDeadline(policy, nowS, expiresAt),
        user_created_at: user.created_at,
      },
      token,
    );
    response.refresh_token = token;
  }
  return { response, accessTokenJti: access.jti, grantedScopes: scopes };
}

export const newRefreshTokenId = () => `rt_${randomAlnum(20)}`;

async function mintIdToken(
  ctx: IssueDeps,
  client: Client,
  user: ClaimsUser,
  scopes: string[],
  extra: Record<string, unknown>,
  custom: Record<string, unknown> = {},
): Promise<string> {
  const iat = epochSeconds(ctx.clock);
  const lifetime = client.jwt_configuration.lifetime_in_seconds ?? DEFAULT_ID_TOKEN_LIFETIME;
  const alg = isSigningAlg(client.jwt_configuration.alg) ? client.jwt_configuration.alg : 'RS256';
  const payload: JWTPayload = {
    ...allowedCustomClaims(custom),
    ...scopedUserClaims(user, scopes),
    iss: ctx.config.issuer,
    sub: user.user_id,
    aud: client.client_id,
    iat,
    exp: iat + lifetime,
    jti: newJti(),
    ...extra,
  };
  return ctx.tokens.sign(payload, alg);
}
