/**
 * Custom Token Exchange Profiles as the token endpoint sees them: the rules for a `subject_token_type`
 * (spec section 3.1, section 4.3, DESIGN D3/D4) and profile resolution by exact match (spec section 3.4).
 *
 * Profiles are read on every exchange, so they are cached in process (DESIGN section 5): all of them (at most 100,
 * spec section 3.3) in one map, loaded on first use and dropped on every write through the Management API, on every
 * node through cluster invalidation (src/cluster/). The cache also expires after PROFILE_CACHE_TTL_MS, so a write
 * that bypasses the API is still honoured within that time.
 */
import type {
  TokenExchangeProfile,
  TokenExchangeProfilesRepository,
} from '../storage/repositories/token-exchange-profiles.js';
import { systemClock, type Clock } from '../clock.js';

/** Reserved namespaces (spec section 4.3), compared case-insensitively (DESIGN D4). */
const RESERVED_TOKEN_TYPE_PREFIXES = [
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

const SUBJECT_TOKEN_TYPE_MIN_LENGTH = 8;
const SUBJECT_TOKEN_TYPE_MAX_LENGTH = 100;

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

const PROFILE_CACHE_TTL_MS = 10_000;

/**
 * Profile resolution for the token endpoint: every profile in one map, loaded on first use, dropped by
 * `invalidate()` (every profile write, here or on another node) and reloaded at the latest PROFILE_CACHE_TTL_MS
 * after it was read.
 */
export class ProfileLookup {
  private pending: Promise<{ byType: Map<string, TokenExchangeProfile>; loadedAt: number }> | undefined;

  constructor(
    private readonly repo: Pick<TokenExchangeProfilesRepository, 'all'>,
    private readonly clock: Clock = systemClock,
  ) {}

  private async load() {
    const all = await this.repo.all();
    return { byType: new Map(all.map((p) => [p.subject_token_type, p])), loadedAt: this.clock.now() };
  }

  /** The profile whose `subject_token_type` equals the request's, byte for byte (spec section 3.4), or undefined. */
  async find(subjectTokenType: string): Promise<TokenExchangeProfile | undefined> {
    let pending = this.pending;
    if (pending) {
      const cache = await pending.catch(() => undefined);
      if (!cache || this.clock.now() - cache.loadedAt > PROFILE_CACHE_TTL_MS) pending = undefined;
    }
    if (!pending) {
      const loading = this.load();
      this.pending = pending = loading;
      // A failed load must not stay cached: the next request tries again.
      loading.catch(() => {
        if (this.pending === loading) this.pending = undefined;
      });
    }
    return (await pending).byType.get(subjectTokenType);
  }

  invalidate(): void {
    this.pending = undefined;
  }
}
