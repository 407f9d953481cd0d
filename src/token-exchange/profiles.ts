/**
 * Custom Token Exchange Profiles as the token endpoint sees them: the rules for a `subject_token_type`
 * (spec section 3.1, section 4.3, DESIGN D3/D4) and profile resolution by exact match (spec section 3.4).
 *
 * Profiles are read on every exchange, so they are cached in process (DESIGN section 5): all of them (at most 100,
 * spec section 3.3) in one map, loaded on first use and dropped on every write through the Management API. The cache
 * also expires after PROFILE_CACHE_TTL_MS so that another node's write is honoured within that time even before
 * cluster-wide invalidation exists; `invalidateProfiles(ctx)` is the hook for it.
 */
import type {
  TokenExchangeProfile,
  TokenExchangeProfilesRepository,
} from '../storage/repositories/token-exchange-profiles.js';

/** Reserved namespaces (spec section 4.3), compared case-insensitively (DESIGN D4). */
export const RESERVED_TOKEN_TYPE_PREFIXES = [
  'http://auth0.com',
  'https://auth0.com',
  'http://okta.com',
  'https://okta.com',
  'urn:ietf',
  'urn:auth0',
  'urn:okta',
] as const;

/** The reserved prefix `value` starts with, or undefined. */
export function reservedPrefixOf(value: string): string | undefined {
  const lower = value.toLowerCase();
  return RESERVED_TOKEN_TYPE_PREFIXES.find((p) => lower.startsWith(p));
}

/** True when `value` lies in a namespace owned by Auth0, Okta or the IETF (spec section 4.3). */
export function isReservedTokenType(value: string): boolean {
  return reservedPrefixOf(value) !== undefined;
}

export const SUBJECT_TOKEN_TYPE_MIN_LENGTH = 8;
export const SUBJECT_TOKEN_TYPE_MAX_LENGTH = 100;

// RFC 8141: `urn:` NID (2 to 32 letters, digits, hyphens, not starting with a hyphen) `:` NSS.
const URN = /^urn:[a-z0-9][a-z0-9-]{1,31}:[^\s]+$/i;
// No whitespace or control characters anywhere; URL parsing alone would silently strip or encode them.
const PRINTABLE = /^[\x21-\x7e]+$/;

/**
 * Checks the shape of a `subject_token_type` (DESIGN D3): 8 to 100 characters and an `http:`, `https:` or `urn:`
 * URI. Returns null when valid, else the reason. Reserved namespaces are a separate check (isReservedTokenType).
 */
export function validateSubjectTokenType(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length < SUBJECT_TOKEN_TYPE_MIN_LENGTH)
    return `must be at least ${SUBJECT_TOKEN_TYPE_MIN_LENGTH} characters`;
  if (value.length > SUBJECT_TOKEN_TYPE_MAX_LENGTH)
    return `must be at most ${SUBJECT_TOKEN_TYPE_MAX_LENGTH} characters`;
  if (!PRINTABLE.test(value)) return 'must be a URI without spaces or control characters';
  const scheme = value.slice(0, value.indexOf(':') + 1).toLowerCase();
  if (scheme === 'urn:') return URN.test(value) ? null : 'must be a valid URN (urn:<namespace>:<name>)';
  if (scheme === 'http:' || scheme === 'https:') {
    if (!/^https?:\/\/[^/?#]/i.test(value)) return 'must be an absolute http(s) URL';
    try {
      new URL(value);
      return null;
    } catch {
      return 'must be an absolute http(s) URL';
    }
  }
  return 'must be a URI starting with https://, http:// or urn:';
}

export const PROFILE_CACHE_TTL_MS = 10_000;

interface ProfileCache {
  byType: Map<string, TokenExchangeProfile>;
  loadedAt: number;
}

/** What the profile cache reads from: the application context, or anything holding the profiles repository. */
export interface ProfileSource {
  repos: { profiles: Pick<TokenExchangeProfilesRepository, 'all'> };
}

const caches = new WeakMap<ProfileSource, Promise<ProfileCache>>();

async function load(ctx: ProfileSource): Promise<ProfileCache> {
  const all = await ctx.repos.profiles.all();
  return { byType: new Map(all.map((p) => [p.subject_token_type, p])), loadedAt: Date.now() };
}

/** The profile whose `subject_token_type` equals the request's, byte for byte (spec section 3.4), or undefined. */
export async function findProfileByType(
  ctx: ProfileSource,
  subjectTokenType: string,
): Promise<TokenExchangeProfile | undefined> {
  let pending = caches.get(ctx);
  if (pending) {
    const cache = await pending.catch(() => undefined);
    if (!cache || Date.now() - cache.loadedAt > PROFILE_CACHE_TTL_MS) pending = undefined;
  }
  if (!pending) {
    pending = load(ctx);
    caches.set(ctx, pending);
    // A failed load must not stay cached: the next request tries again.
    pending.catch(() => {
      if (caches.get(ctx) === pending) caches.delete(ctx);
    });
  }
  return (await pending).byType.get(subjectTokenType);
}

/** Drops the cached profiles; called after every profile write (and by cluster-wide invalidation). */
export function invalidateProfiles(ctx: ProfileSource): void {
  caches.delete(ctx);
}
