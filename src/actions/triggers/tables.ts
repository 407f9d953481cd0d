/**
 * The tables the host and the guest both read: which `api` commands each trigger has, the rule ids a broken call
 * reports, the user attributes `setUserByConnection` accepts, the actor and argument limits. The host's checks
 * (commands.ts) import them; the guest's (src/actions/guest/api.js) receive them as JSON when a sandbox context is
 * made (`GUEST_TABLES`, runtime/prelude.ts), so neither side retypes them.
 */
import type { TriggerId } from '../contract.js';
import { MAX_ACTOR_CUSTOM_PROPERTIES, MAX_ACTORS, MODULE_ALIASES, PROVIDED_MODULES, RULES } from '../contract.js';
import { MAX_METADATA_BYTES, MAX_REASON_CHARS } from './limits.js';
import { USER_ATTRIBUTES } from '../../users/attributes.js';

const CUSTOM_TOKEN_EXCHANGE_COMMANDS = [
  'authentication.setUserById',
  'authentication.setUserByConnection',
  'authentication.setOrganization',
  'authentication.setActor',
  'access.deny',
  'access.rejectInvalidSubjectToken',
  'user.setAppMetadata',
  'user.setUserMetadata',
] as const;

/** Post-Login in a CTE transaction (spec 7.1). challengeWith/enrollWith/redirect are recorded so the pipeline can
 *  fail the transaction with a non-recoverable error, as Auth0 does. */
const POST_LOGIN_COMMANDS = [
  'accessToken.setCustomClaim',
  'accessToken.addScope',
  'accessToken.removeScope',
  'idToken.setCustomClaim',
  'access.deny',
  'multifactor.enable',
  'authentication.challengeWith',
  'authentication.challengeWithAny',
  'authentication.enrollWith',
  'authentication.enrollWithAny',
  'redirect.sendUserTo',
  'user.setAppMetadata',
  'user.setUserMetadata',
] as const;

export const COMMANDS: Record<TriggerId, readonly string[]> = {
  'custom-token-exchange': CUSTOM_TOKEN_EXCHANGE_COMMANDS,
  'post-login': POST_LOGIN_COMMANDS,
};

/** Rule ids (contract.ts, the one definition): the guest reports the same ids as the host. */
/** spec 6.3: the attributes `setUserByConnection` accepts, with their types (users/attributes.ts, the one table). */
export const USER_ATTRIBUTE_TYPES: Readonly<Record<string, 'string' | 'boolean'>> = USER_ATTRIBUTES;

/** spec 6.6: at most 5 actors (the root and 4 nested `act` levels), at most 5 custom properties per level. */
export const ACTOR_LIMITS = { levels: MAX_ACTORS, customProperties: MAX_ACTOR_CUSTOM_PROPERTIES } as const;

/** Lengths of the identifiers the CTE commands take, and the number of user attributes one call may pass. */
export const ARGUMENT_LIMITS = {
  userIdChars: 1024,
  connectionNameChars: 512,
  organizationChars: 256,
  denyCodeChars: 256,
  userAttributes: 24,
} as const;

/** Everything above that the guest's `api` and `require` check, as one JSON-ready object. */
export const GUEST_TABLES = {
  commands: COMMANDS,
  rules: RULES,
  userAttributes: USER_ATTRIBUTE_TYPES,
  actor: ACTOR_LIMITS,
  arguments: ARGUMENT_LIMITS,
  maxReasonChars: MAX_REASON_CHARS,
  maxMetadataBytes: MAX_METADATA_BYTES,
  modules: PROVIDED_MODULES,
  moduleAliases: MODULE_ALIASES,
};
