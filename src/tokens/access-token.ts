/**
 * Access tokens: JWTs signed with the API's `signing_alg`, in the RFC 9068 profile (`typ: at+jwt`, and the claims of
 * its section 2.2: `iss`, `exp`, `aud`, `sub`, `client_id`, `iat`, `jti`) with Auth0's claim set on top (`azp`,
 * `scope`, `org_id`, `gty`, ...). `client_id` and `azp` both name the client: RFC 9068 resource servers read the first,
 * Auth0 code the second.
 */
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
  claims: { sub: string; aud: string | string[]; client_id: string; scope?: string; [k: string]: unknown },
): Promise<MintedAccessToken> {
  const iat = epochSeconds(ctx.clock);
  const jti = newJti();
  const alg = isSigningAlg(api.signing_alg) ? api.signing_alg : 'RS256';
  const payload: JWTPayload = {
    iss: ctx.config.issuer,
    ...claims,
    azp: claims.client_id,
    iat,
    exp: iat + api.token_lifetime,
    jti,
  };
  if (payload.scope === undefined || payload.scope === '') delete payload.scope;
  const token = await ctx.tokens.sign(payload, alg, 'at+jwt');
  return { token, jti, expiresIn: api.token_lifetime, claims: payload };
}
