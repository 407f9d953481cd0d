/**
 * Hashes for high-entropy secrets. Refresh tokens: a plain SHA-256 digest (`sha256Hex`), enough for random 384-bit
 * values. Client secrets (issue 10, L2): a keyed hash, HMAC-SHA256 over the secret's SHA-256 digest with a pepper
 * derived from the master key through HKDF, stored as `hs1$<hex>`. A database read alone then allows no offline
 * guessing, even of an operator-chosen admin secret. Comparisons are constant time.
 *
 * A legacy row (64 hex characters: the unpeppered SHA-256 of earlier versions) still verifies; bootstrap rehashes
 * every legacy row at start (the HMAC input is the digest, so no plaintext is needed), and a successful
 * authentication against a legacy row written since (a node of an earlier version in the same cluster) rehashes it.
 */
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/** Prefix of a peppered client-secret hash (version 1: HMAC-SHA256(pepper, SHA-256(secret))). */
const PEPPERED_PREFIX = 'hs1$';
const PEPPER_SALT = 'baton';
const PEPPER_INFO = 'baton client secret pepper v1';
const LEGACY = /^[0-9a-f]{64}$/;

export interface SecretHasher {
  /** The stored form of a secret: `hs1$` + hex HMAC. */
  hash(secret: string): string;
  /** Whether `presented` is the secret behind `stored`; `rehash` is set when `stored` is a legacy hash. */
  verify(presented: string, stored: string | null): { match: boolean; rehash?: string };
  /** The peppered form of a legacy (unpeppered SHA-256) hash, or undefined when `stored` is not one. */
  upgrade(this: void, stored: string): string | undefined;
}

export function createSecretHasher(masterKey: Uint8Array): SecretHasher {
  const pepper = Buffer.from(hkdfSync('sha256', masterKey, PEPPER_SALT, PEPPER_INFO, 32));
  const keyed = (digest: Buffer) => PEPPERED_PREFIX + createHmac('sha256', pepper).update(digest).digest('hex');
  const digestOf = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();
  const equal = (a: string, b: string) => {
    const x = Buffer.from(a, 'utf8');
    const y = Buffer.from(b, 'utf8');
    return x.length === y.length && timingSafeEqual(x, y);
  };
  return {
    hash: (secret) => keyed(digestOf(secret)),
    verify(presented, stored) {
      if (!stored) return { match: false };
      if (stored.startsWith(PEPPERED_PREFIX)) return { match: equal(keyed(digestOf(presented)), stored) };
      if (LEGACY.test(stored)) {
        const match = timingSafeEqual(digestOf(presented), Buffer.from(stored, 'hex'));
        return match ? { match, rehash: keyed(Buffer.from(stored, 'hex')) } : { match };
      }
      return { match: false };
    },
    upgrade: (stored) => (LEGACY.test(stored) ? keyed(Buffer.from(stored, 'hex')) : undefined),
  };
}

/**
 * Client authentication's secret check: constant time, against a peppered or a legacy hash; a legacy hash that
 * matched is replaced by its peppered form (only if the row still holds it).
 */
export async function clientSecretMatches(
  ctx: {
    secretHasher: SecretHasher;
    repos: { clients: { replaceSecretHash(clientId: string, from: string, to: string): Promise<boolean> } };
  },
  client: { client_id: string; client_secret_hash: string | null },
  presented: string,
): Promise<boolean> {
  const { match, rehash } = ctx.secretHasher.verify(presented, client.client_secret_hash);
  if (match && rehash) await ctx.repos.clients.replaceSecretHash(client.client_id, client.client_secret_hash!, rehash);
  return match;
}
