/**
 * Suspicious IP Throttling configuration, Auth0's shape (spec section 12.2), stored in the `settings` table under
 * `suspicious_ip_throttling`. Baton enforces only the `pre-custom-token-exchange` stage; the other two stages are
 * kept and returned so that Auth0 tooling round-trips them.
 */
import type { SettingsRepository } from '../storage/repositories/settings.js';
import { allowlistEntryProblem } from './ip.js';

export const SETTINGS_KEY = 'suspicious_ip_throttling';
export const CTE_STAGE = 'pre-custom-token-exchange';

export type Shield = 'block' | 'admin_notification';
export const SHIELDS: readonly Shield[] = ['block', 'admin_notification'];
export type StageName = 'pre-login' | 'pre-user-registration' | typeof CTE_STAGE;

interface StageSettings {
  /** Bucket size: attempts allowed before the IP is throttled. */
  max_attempts: number;
  /** Milliseconds after which one attempt comes back. */
  rate: number;
}

export interface SuspiciousIpThrottlingSettings {
  enabled: boolean;
  shields: Shield[];
  allowlist: string[];
  stage: Record<StageName, StageSettings>;
}

export interface SuspiciousIpThrottlingPatch {
  enabled?: boolean;
  shields?: Shield[];
  allowlist?: string[];
  stage?: Partial<Record<StageName, Partial<StageSettings>>>;
}

/** Auth0's defaults (enabled on new tenants, spec section 12.1); CTE: 10 attempts, one back every 10 minutes. */
export function defaultSettings(): SuspiciousIpThrottlingSettings {
  return {
    enabled: true,
    shields: ['admin_notification', 'block'],
    allowlist: [],
    stage: {
      'pre-login': { max_attempts: 100, rate: 864_000 },
      'pre-user-registration': { max_attempts: 50, rate: 1_200 },
      [CTE_STAGE]: { max_attempts: 10, rate: 600_000 },
    },
  };
}

/**
 * Bounds per stage. `pre-custom-token-exchange`: DESIGN D17 (1 to 2500 attempts, rate at least 1000 ms; the
 * one-day ceiling on `rate` is Baton's, matching pre-login). `pre-login`: spec section 12.2. `pre-user-registration`:
 * Auth0's dashboard bounds (inferred).
 */
export const STAGE_BOUNDS: Record<StageName, { attempts: [number, number]; rate: [number, number] }> = {
  'pre-login': { attempts: [1, 2500], rate: [34_560, 86_400_000] },
  'pre-user-registration': { attempts: [1, 72_000], rate: [1_200, 86_400_000] },
  [CTE_STAGE]: { attempts: [1, 2500], rate: [1_000, 86_400_000] },
};

export const MAX_ALLOWLIST = 100;

/** Merges a PATCH into the current settings (stages field by field); the result is what gets stored. */
export function mergeSettings(
  current: SuspiciousIpThrottlingSettings,
  patch: SuspiciousIpThrottlingPatch,
): SuspiciousIpThrottlingSettings {
  const stage = { ...current.stage };
  for (const name of Object.keys(patch.stage ?? {}) as StageName[]) {
    stage[name] = { ...stage[name], ...patch.stage![name] };
  }
  return {
    enabled: patch.enabled ?? current.enabled,
    shields: patch.shields ? [...new Set(patch.shields)] : current.shields,
    allowlist: patch.allowlist ? [...new Set(patch.allowlist)] : current.allowlist,
    stage,
  };
}

/** Why the settings are invalid (bounds above, allowlist entries), or null. Callers turn this into a 400. */
export function settingsProblem(s: SuspiciousIpThrottlingSettings): { property: string; message: string } | null {
  for (const [name, bounds] of Object.entries(STAGE_BOUNDS) as [StageName, (typeof STAGE_BOUNDS)[StageName]][]) {
    const st = s.stage[name];
    if (
      !Number.isInteger(st.max_attempts) ||
      st.max_attempts < bounds.attempts[0] ||
      st.max_attempts > bounds.attempts[1]
    ) {
      return {
        property: `stage.${name}.max_attempts`,
        message: `must be an integer from ${bounds.attempts[0]} to ${bounds.attempts[1]}`,
      };
    }
    if (!Number.isInteger(st.rate) || st.rate < bounds.rate[0] || st.rate > bounds.rate[1]) {
      return {
        property: `stage.${name}.rate`,
        message: `must be an integer from ${bounds.rate[0]} to ${bounds.rate[1]}`,
      };
    }
  }
  if (s.allowlist.length > MAX_ALLOWLIST)
    return { property: 'allowlist', message: `must have at most ${MAX_ALLOWLIST} entries` };
  for (const entry of s.allowlist) {
    const problem = allowlistEntryProblem(entry);
    if (problem) return { property: 'allowlist', message: problem };
  }
  for (const shield of s.shields) {
    if (!SHIELDS.includes(shield))
      return { property: 'shields', message: `'${String(shield)}' is not one of ${SHIELDS.join(', ')}` };
  }
  return null;
}

/** The stored settings over the defaults (a tenant that never saved any has Auth0's defaults). */
export async function loadSettings(repo: SettingsRepository): Promise<SuspiciousIpThrottlingSettings> {
  const stored = await repo.get<SuspiciousIpThrottlingPatch>(SETTINGS_KEY);
  return stored ? mergeSettings(defaultSettings(), stored) : defaultSettings();
}
