/**
 * Step 7 of spec 1.2 (spec 5.3, DESIGN D7, D18): an actor token of type id_token must be an ID token this
 * tenant issued (signature with the tenant keys, asymmetric only, `iss`, `exp`), for an existing, unblocked user.
 * Any failure stops the request before the Action with 400 `invalid_request` `Invalid actor token: ...`.
 */
import type { AppContext } from '../../../context.js';
import { invalidRequest } from '../../errors.js';
import { ID_TOKEN_TYPE, type ExchangeParams } from './parameters.js';
import { decodeProtectedHeader } from 'jose';

export async function validateActorIdToken(ctx: AppContext, p: ExchangeParams) {
  if (p.actorTokenType !== ID_TOKEN_TYPE || !p.actorToken) return undefined;
  const fail = (why: string) => invalidRequest(`Invalid actor token: ${why}`);
  let header;
  try {
    header = decodeProtectedHeader(p.actorToken);
  } catch {
    throw fail('malformed token');
  }
  if (header.alg === 'HS256' || header.alg === 'none') throw fail(`unsupported alg ${String(header.alg)}`);
  // Access tokens are typed at+jwt (RFC 9068); only ID tokens act as actor tokens.
  if (header.typ === 'at+jwt') throw fail('not an ID token');
  let sub: string;
  try {
    const { payload } = await ctx.tokens.verify(p.actorToken, {});
    if (typeof payload.sub !== 'string') throw fail("'sub' claim missing");
    sub = payload.sub;
  } catch (err) {
    if ((err as { name?: string }).name === 'OAuthError') throw err;
    const message = (err as Error).message.replace(/"/g, "'");
    throw fail((err as { code?: string }).code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'invalid signature' : message);
  }
  const user = await ctx.repos.users.get(sub);
  if (!user) throw fail('user not found');
  if (user.blocked) throw fail('user is blocked');
  return user;
}
