/**
 * The secrets a Management API write gives (Auth0's PATCH semantics): their checks (spec 5.1 limits) and how they
 * merge with the stored set.
 */
import { badRequest } from '../management/errors.js';
import { nowIso } from '../storage/codec.js';
import { LIMITS } from './catalog.js';
import type { StoredSecret } from './secrets.js';

export interface SecretInput {
  name: string;
  value?: string;
}

export function checkSecretInputs(secrets: SecretInput[]): void {
  if (secrets.length > LIMITS.secrets) throw badRequest(`An action can have at most ${LIMITS.secrets} secrets.`);
  const seen = new Set<string>();
  for (const s of secrets) {
    if (s.name.length === 0 || s.name.length > LIMITS.secretName)
      throw badRequest(`Secret names must be 1 to ${LIMITS.secretName} characters.`);
    if (s.value !== undefined && s.value.length > LIMITS.secretValue)
      throw badRequest(`Secret '${s.name}' exceeds the limit of ${LIMITS.secretValue} characters.`);
    if (seen.has(s.name)) throw badRequest(`Secret '${s.name}' is listed more than once.`);
    seen.add(s.name);
  }
}

/**
 * PATCH semantics (Auth0's): the list given is the new set of secrets, matched by name with the old set; an entry
 * without `value` keeps the stored value of that name, so clients can resend names they cannot read back.
 */
export function mergeSecrets(old: StoredSecret[], given: SecretInput[]): StoredSecret[] {
  const now = nowIso();
  return given.map((s) => {
    if (s.value !== undefined) {
      const prev = old.find((o) => o.name === s.name);
      return { name: s.name, value: s.value, updated_at: prev && prev.value === s.value ? prev.updated_at : now };
    }
    const prev = old.find((o) => o.name === s.name);
    if (!prev) throw badRequest(`Secret '${s.name}' needs a value.`);
    return prev;
  });
}
