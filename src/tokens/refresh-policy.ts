/**
 * A client's refresh token policy, from Auth0's `refresh_token` client settings (rotation_type, expiration_type,
 * leeway, token_lifetime, idle_token_lifetime, infinite_token_lifetime, infinite_idle_token_lifetime), read at
 * every mint and every refresh, so a change applies to the next request.
 *
 * - Rotation is on with `rotation_type: rotating`, and always for public clients (`token_endpoint_auth_method:
 *   none`, RFC 9700 section 4.14.2: their refresh tokens must be sender-constrained or rotated).
 * - `expiration_type: non-expiring` means no lifetime, as in Auth0, except with rotation, which Auth0 allows only
 *   with expiring tokens: a rotating token is always expiring.
 * - Unset lifetimes take Auth0's defaults for expiring tokens: 30 days absolute (per family), 15 days idle (per
 *   token, moved on each use, never past the absolute end). `infinite_*: true` removes that lifetime.
 * - `leeway` (seconds, default 0): how long a rotated token may be redeemed again without reuse detection.
 */
import type { Client } from '../storage/repositories/clients.js';

/** Auth0's default absolute refresh token lifetime for expiring tokens (30 days). */
const DEFAULT_REFRESH_TOKEN_LIFETIME_S = 2_592_000;
/** Auth0's default idle refresh token lifetime for expiring tokens (15 days). */
const DEFAULT_REFRESH_TOKEN_IDLE_LIFETIME_S = 1_296_000;

export interface RefreshPolicy {
  rotating: boolean;
  /** Seconds a retired token may still be redeemed (rotation only). */
  leewayS: number;
  /** Absolute lifetime of a family in seconds; null: none. */
  absoluteS: number | null;
  /** Idle lifetime of a token in seconds; null: none. */
  idleS: number | null;
}

interface Auth0RefreshTokenSettings {
  rotation_type?: unknown;
  expiration_type?: unknown;
  leeway?: unknown;
  token_lifetime?: unknown;
  idle_token_lifetime?: unknown;
  infinite_token_lifetime?: unknown;
  infinite_idle_token_lifetime?: unknown;
}

const positiveInt = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;

export function refreshPolicy(client: Client): RefreshPolicy {
  const cfg = (client.refresh_token ?? {}) as Auth0RefreshTokenSettings;
  const rotating = client.token_endpoint_auth_method === 'none' || cfg.rotation_type === 'rotating';
  const expiring = rotating || cfg.expiration_type !== 'non-expiring';
  return {
    rotating,
    leewayS: rotating ? (positiveInt(cfg.leeway) ?? 0) : 0,
    absoluteS:
      !expiring || cfg.infinite_token_lifetime === true
        ? null
        : (positiveInt(cfg.token_lifetime) ?? DEFAULT_REFRESH_TOKEN_LIFETIME_S),
    idleS:
      !expiring || cfg.infinite_idle_token_lifetime === true
        ? null
        : (positiveInt(cfg.idle_token_lifetime) ?? DEFAULT_REFRESH_TOKEN_IDLE_LIFETIME_S),
  };
}

/** The idle deadline of a token used (or issued) at `nowS`: never past the family's absolute end. */
export function idleDeadline(policy: RefreshPolicy, nowS: number, absoluteEnd: number | null): number | null {
  if (policy.idleS === null) return null;
  const idle = nowS + policy.idleS;
  return absoluteEnd === null ? idle : Math.min(idle, absoluteEnd);
}
