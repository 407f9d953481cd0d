/**
 * private_key_jwt (RFC 7523 section 2.2 and 3, OIDC Core section 9): a JWT signed with a key the client registered
 * (Auth0 `client_authentication_methods.private_key_jwt.credentials`), `iss` = `sub` = client_id, `aud` the issuer or
 * the token endpoint, a short `exp`, and a `jti` that is accepted once.
 */
import { StorageUnavailableError } from '../../storage/unavailable.js';
import { decodeJwt, importSPKI, importX509, jwtVerify, type CryptoKey } from 'jose';
import type { AppContext } from '../../context.js';
import { epochSeconds } from '../../clock.js';
import type { Client, ClientCredential } from '../../storage/repositories/clients.js';
import { invalidClient, type OAuthError } from '../errors.js';

export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Longest accepted assertion lifetime; longer-lived assertions are refused (replay window). */
const MAX_ASSERTION_LIFETIME_S = 600;

/** Imported keys, by the cached credential they came from: a changed credential is a new object, imported anew. */
const keyCache = new WeakMap<ClientCredential, CryptoKey>();

async function credentialKey(cred: ClientCredential): Promise<CryptoKey> {
  const pem = cred.pem.trim();
  return pem.includes('BEGIN CERTIFICATE') ? importX509(pem, cred.alg) : importSPKI(pem, cred.alg);
}

export async function verifyClientAssertion(
  ctx: Pick<AppContext, 'config' | 'clock' | 'configReads' | 'repos'>,
  client: Client,
  assertion: string,
  fail: (log: string) => OAuthError,
): Promise<void> {
  const credentials = await ctx.configReads.clientCredentials(client.client_id);
  if (!credentials.length) throw fail('client has no registered credentials');
  const audience = [ctx.config.issuer, `${ctx.config.issuer}oauth/token`];
  let lastError = 'no credential verified the assertion';
  for (const cred of credentials) {
    try {
      let key = keyCache.get(cred);
      if (!key) keyCache.set(cred, (key = await credentialKey(cred)));
      const { payload } = await jwtVerify(assertion, key, {
        issuer: client.client_id,
        subject: client.client_id,
        audience,
        algorithms: [cred.alg],
        requiredClaims: ['exp', 'jti'],
        clockTolerance: 5,
        currentDate: new Date(ctx.clock.now()),
      });
      const now = epochSeconds(ctx.clock);
      if (
        payload.exp! - (payload.iat ?? now) > MAX_ASSERTION_LIFETIME_S ||
        payload.exp! - now > MAX_ASSERTION_LIFETIME_S
      ) {
        throw fail('client assertion lifetime too long');
      }
      const fresh = await ctx.repos.usedJtis.claim(`${client.client_id}:${String(payload.jti)}`, payload.exp! + 5);
      if (!fresh) throw fail('client assertion jti replayed');
      return;
    } catch (err) {
      // A database that cannot be reached (the jti claim) is the server's fault, not the assertion's.
      if ((err as { name?: string }).name === 'OAuthError' || err instanceof StorageUnavailableError) throw err;
      lastError = `client assertion rejected: ${(err as { code?: string }).code ?? (err as Error).message}`;
    }
  }
  throw fail(lastError);
}

/** The client the assertion claims to be, before its signature is checked (to find the keys). */
verifyClientAssertion.peekClientId = (assertion: string, bodyClientId: string | undefined): string => {
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(assertion);
  } catch {
    throw invalidClient('Client authentication failed', 'client assertion is not a JWT');
  }
  const id = typeof claims.sub === 'string' ? claims.sub : typeof claims.iss === 'string' ? claims.iss : undefined;
  if (!id) throw invalidClient('Client authentication failed', 'client assertion has no sub');
  if (bodyClientId !== undefined && bodyClientId !== id) {
    throw invalidClient('Client authentication failed', 'client_id does not match the assertion');
  }
  return id;
};
