/**
 * Size limits of the Authentication API (docs/security.md, C1). Every request-derived value is bounded before it is
 * used as a lookup key or handed on: one body limit for every content type, a cap per parameter, and a cap on the
 * number of parameters. The identifier caps are the longest values Baton can store (a `client_id` is at most 128
 * characters, an API identifier at most 600 as in Auth0), so a longer one is refused without a lookup.
 */
import { invalidRequest } from './errors.js';
import type { TokenParams } from './grants/types.js';

export const CLIENT_ID_MAX_LENGTH = 128;
const AUDIENCE_MAX_LENGTH = 600;
const MAX_PARAMETERS = 50;

/** Characters per parameter; a parameter not named here gets `OTHER_PARAMETER_MAX_LENGTH`. */
const FIXED_CAPS: Record<string, number> = {
  grant_type: 256,
  client_id: CLIENT_ID_MAX_LENGTH,
  client_secret: 512,
  client_assertion: 8 * 1024,
  client_assertion_type: 256,
  actor_token: 16 * 1024,
  actor_token_type: 256,
  subject_token_type: 256,
  requested_token_type: 256,
  audience: AUDIENCE_MAX_LENGTH,
  resource: AUDIENCE_MAX_LENGTH,
  scope: 4 * 1024,
  organization: 256,
  refresh_token: 1024,
  token: 16 * 1024,
  token_type_hint: 64,
};
const OTHER_PARAMETER_MAX_LENGTH = 4 * 1024;

export interface ParameterLimits {
  subjectTokenMaxLength: number;
}

/** Throws 400 invalid_request naming the first parameter over its cap (the value itself is never echoed). */
export function checkParameterLimits(params: TokenParams, limits: ParameterLimits): void {
  const names = Object.keys(params);
  if (names.length > MAX_PARAMETERS) throw invalidRequest(`Too many parameters (at most ${MAX_PARAMETERS})`);
  for (const name of names) {
    const cap =
      name === 'subject_token' ? limits.subjectTokenMaxLength : (FIXED_CAPS[name] ?? OTHER_PARAMETER_MAX_LENGTH);
    if (params[name]!.length > cap) {
      const shown = name.length > 64 ? `${name.slice(0, 64)}...` : name;
      throw invalidRequest(`Parameter ${shown} is too long (at most ${cap} characters)`);
    }
  }
}
