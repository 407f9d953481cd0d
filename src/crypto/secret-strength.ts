/**
 * How strong an operator-chosen secret is: the entropy estimate config loading applies to
 * BATON_ADMIN_CLIENT_SECRET before Baton accepts it.
 */
/**
 * An operator-chosen admin secret (BATON_ADMIN_CLIENT_SECRET) must carry at least 256 bits of estimated entropy,
 * as much as the secrets Baton generates carry at least. The estimate is deliberately simple: length x log2 of
 * the sum of the sizes of the character classes the secret uses (lowercase 26, uppercase 26, digits 10, ASCII
 * punctuation and space 33, anything else 32), and at least 12 distinct characters, which refuses repeated
 * patterns the product would overrate. `openssl rand -hex 32` (64 characters, about 331 estimated bits) or
 * `openssl rand -base64 32` (44 characters, about 289) pass; a 34-character phrase of lowercase, digits and dashes
 * (about 208) does not. Not configurable: an operator who wants no such rule lets Baton generate the secret.
 */
const ADMIN_SECRET_MIN_BITS = 256;
const ADMIN_SECRET_MIN_DISTINCT = 12;

const CHARACTER_CLASSES: Array<[RegExp, number]> = [
  [/[a-z]/, 26],
  [/[A-Z]/, 26],
  [/[0-9]/, 10],
  [/[ !-/:-@[-`{-~]/, 33],
  [/[^ -~]/u, 32],
];

/** Estimated entropy in bits: length x log2(pool of the character classes used). */
function estimateSecretBits(secret: string): number {
  const chars = [...secret];
  const pool = CHARACTER_CLASSES.reduce((n, [re, size]) => (re.test(secret) ? n + size : n), 0);
  return pool > 1 ? chars.length * Math.log2(pool) : 0;
}

/** Why a chosen admin secret is too weak, or undefined when it is strong enough. */
export function adminSecretWeakness(secret: string): string | undefined {
  const bits = Math.floor(estimateSecretBits(secret));
  const distinct = new Set([...secret]).size;
  if (bits >= ADMIN_SECRET_MIN_BITS && distinct >= ADMIN_SECRET_MIN_DISTINCT) return undefined;
  return (
    `must carry at least ${ADMIN_SECRET_MIN_BITS} bits of estimated entropy (length x log2 of the character classes used) ` +
    `with at least ${ADMIN_SECRET_MIN_DISTINCT} distinct characters; this one has about ${bits} bits and ${distinct} distinct ` +
    'characters. Generate one with `openssl rand -hex 32`, or leave it unset for Baton to generate one'
  );
}
