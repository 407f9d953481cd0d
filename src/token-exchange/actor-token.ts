/**
 * Step 7 of spec 1.2 (spec 5.3, DESIGN D7, D18): an actor token of type id_token must be an ID token this
 * tenant issued (signature with the tenant keys, asymmetric only, `iss`, `exp`), for an existing, unblocked user.
 *
 * Baton also holds it to RFC 8725 section 3.9 and OIDC Core 3.1.3.7 (issue 10, M2), where Auth0 documents only "a
 * valid ID token from the same tenant": the token must have been issued to the requesting client or to a client
 * the profile lists in `actor_token_audiences` (`aud` contains one; with several audiences `azp` must name one, and
 * an `azp` present must name one), and its `iat` must be neither ahead of the clock by more than
 * ACTOR_TOKEN_CLOCK_SKEW_S nor older than BATON_ACTOR_TOKEN_MAX_AGE.
 *
 * Any failure stops the request before the Action with 400 `invalid_request` `Invalid actor token: ...`.
 */
import { epochSeconds } from '../clock.js';
import type { AppContext } from '../context.js';
import { invalidRequest } from '../oauth/errors.js';
import { ID_TOKEN_TYPE, type ExchangeParams } from './parameters.js';
import { decodeProtectedHeader, type JWTPayload } from 'jose';

/** What these steps use of the context. */
type ActorTokenDeps = Pick<AppContext, 'clock' | 'config' | 'repos' | 'tokens'>;

/** Seconds a token's `iat` (and `exp`, `nbf`) may be off, for clocks of the nodes that issue and check it. */
const ACTOR_TOKEN_CLOCK_SKEW_S = 60;

/** Default of BATON_ACTOR_TOKEN_MAX_AGE: the longest ID token lifetime a client can have (30 days). */
const DEFAULT_ACTOR_TOKEN_MAX_AGE_S = 2_592_000;

const fail = (why: string) => invalidRequest(`Invalid actor token: ${why}`);

/** The profile's setting (storage/repositories/token-exchange-profiles.ts); absent on a profile object without it. */
type ActorAudiences = { actor_token_audiences?: readonly string[] } | undefined;

/** The clients whose ID tokens this exchange accepts as actor tokens: the requesting one first. */
function acceptedActorAudiences(clientId: string, profile: ActorAudiences): string[] {
  return [clientId, ...(profile?.actor_token_audiences ?? []).filter((c) => c !== clientId)];
}

/** OIDC Core 3.1.3.7 points 4 and 5 (jose has checked that `aud` contains an accepted client). */
function checkAuthorizedParty(payload: JWTPayload, accepted: readonly string[]): void {
  const several = Array.isArray(payload.aud) && payload.aud.length > 1;
  if (payload.azp === undefined) {
    if (several) throw fail("'azp' claim missing");
    return;
  }
  if (typeof payload.azp !== 'string' || !accepted.includes(payload.azp)) throw fail("unexpected 'azp' claim value");
}

/** `iat` present, not in the future beyond the skew, not older than the configured maximum (jose's wording). */
function checkIssuedAt(payload: JWTPayload, maxAge: number, nowS: number): void {
  if (payload.iat === undefined) throw fail("missing required 'iat' claim");
  const age = nowS - payload.iat;
  if (age < -ACTOR_TOKEN_CLOCK_SKEW_S) throw fail("'iat' claim timestamp check failed (it should be in the past)");
  if (age - ACTOR_TOKEN_CLOCK_SKEW_S > maxAge) throw fail("'iat' claim timestamp check failed (too far in the past)");
}

export async function validateActorIdToken(
  ctx: ActorTokenDeps,
  p: ExchangeParams,
  audience: { clientId: string; profile?: ActorAudiences },
) {
  if (p.actorTokenType !== ID_TOKEN_TYPE || !p.actorToken) return undefined;
  let header;
  try {
    header = decodeProtectedHeader(p.actorToken);
  } catch {
    throw fail('malformed token');
  }
  if (header.alg === 'HS256' || header.alg === 'none') throw fail(`unsupported alg ${String(header.alg)}`);
  // Access tokens are typed at+jwt (RFC 9068); only ID tokens act as actor tokens.
  if (header.typ === 'at+jwt') throw fail('not an ID token');
  const accepted = acceptedActorAudiences(audience.clientId, audience.profile);
  let sub: string;
  try {
    const { payload } = await ctx.tokens.verify(p.actorToken, {
      audience: accepted,
      clockTolerance: ACTOR_TOKEN_CLOCK_SKEW_S,
    });
    checkAuthorizedParty(payload, accepted);
    checkIssuedAt(payload, ctx.config.actorTokenMaxAge ?? DEFAULT_ACTOR_TOKEN_MAX_AGE_S, epochSeconds(ctx.clock));
    if (typeof payload.sub !== 'string') throw fail("'sub' claim missing");
    sub = payload.sub;
  } catch (err) {
    if ((err as { name?: string }).name === 'OAuthError') throw err;
    const message = (err as Error).message.replace(/"/g, "'");
    throw fail(
      (err as { code?: string }).code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'invalid signature' : message,
    );
  }
  const user = await ctx.repos.users.get(sub);
  if (!user) throw fail('user not found');
  if (user.blocked) throw fail('user is blocked');
  return user;
}
