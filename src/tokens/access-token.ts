/** Access tokens: JWTs signed with the API's `signing_alg` (RFC 9068 profile, Auth0 claim set). */
import { epochSeconds } from '../clock.js';
import type { JWTPayload } from 'jose';
import type { AppContext } from '../context.js';
import type { ResourceServer } from '../storage/repositories/resource-servers.js';
import { isSigningAlg } from '../keys/key-set.js';
import { newJti } from '../storage/ids.js';

/** What these steps use of the context. */
type AccessTokenDeps = Pick<AppContext, 'clock' | 'config' | 'tokens'>;

export interface MintedAccessToken {
  token: string;
  jti: string;
  expiresIn: number;
  claims: JWTPayload;
}

export async function mintAccessToken(
  ctx: AccessTokenDeps,
  api: ResourceServer,
  claims: { sub: string; aud: string | string[]; azp: string; scope?: string; [k: string]: unknown },
): Promise<MintedAccessToken> {
  const iat = epochSeconds(ctx.clock);
  const jti = newJti();
  const alg = isSigningAlg(api.signing_alg) ? api.signing_alg : 'RS256';
  const payload: JWTPayload = { iss: ctx.config.issuer, ...claims, iat, exp: iat + api.token_lifetime, jti };
  if (payload.scope === undefined || payload.scope === '') delete payload.scope;
  const token = await ctx.tokens.sign(payload, alg, 'at+jwt');
  return { token, jti, expiresIn: api.token_lifetime, claims: payload };
}
