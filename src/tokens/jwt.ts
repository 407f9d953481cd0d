/**
 * Signing and verifying Baton's own JWTs. Every JOSE operation goes through jose.
 */
import { SignJWT, jwtVerify, type JWTPayload, type JWTVerifyResult } from 'jose';
import type { KeySet, SigningAlg } from '../keys/key-set.js';
import { systemClock, type Clock } from '../clock.js';

export interface TokenSigner {
  sign(claims: JWTPayload, alg: SigningAlg, typ?: string): Promise<string>;
  /** Verifies a token Baton issued: signature against the published key set, `iss`, and the given audience. */
  verify(
    token: string,
    opts: { audience?: string | string[]; typ?: string; clockTolerance?: number },
  ): Promise<JWTVerifyResult>;
}

/** `clock`: the time `exp`, `nbf` and `iat` are checked against. */
export function createTokenSigner(keys: KeySet, issuer: string, clock: Clock = systemClock): TokenSigner {
  return {
    async sign(claims, alg, typ) {
      const key = keys.signingKey(alg);
      const header: { alg: string; kid: string; typ?: string } = { alg, kid: key.kid };
      if (typ) header.typ = typ;
      return new SignJWT(claims).setProtectedHeader(header).sign(key.privateKey);
    },
    async verify(token, opts) {
      return jwtVerify(token, keys.verificationKeys(), {
        issuer,
        audience: opts.audience,
        typ: opts.typ,
        clockTolerance: opts.clockTolerance,
        currentDate: new Date(clock.now()),
        algorithms: ['RS256', 'PS256', 'ES256'],
      });
    },
  };
}
