/**
 * Hashes for high-entropy secrets (client secrets, refresh tokens). They are random 384-bit values, so a fast
 * SHA-256 digest is enough (no password stretching needed); comparison is constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

export function secretMatches(presented: string, storedHash: string | null): boolean {
  if (!storedHash) return false;
  const a = Buffer.from(sha256Hex(presented), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
