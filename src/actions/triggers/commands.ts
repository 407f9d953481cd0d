/**
 * The `api.*` commands an Action may record, per trigger (spec sections 6.1 and 7.1), the rules their arguments
 * must follow, and the end-of-run rules (spec 6.4 exactly-one user, 6.6 actor needs a user). The guest-side
 * recorders (api-guest.ts) check the per-call rules; `validateCommands` checks the end-of-run ones.
 */
import type { ActionCommand, TriggerId } from '../contract.js';

export const CUSTOM_TOKEN_EXCHANGE_COMMANDS = [
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
export const POST_LOGIN_COMMANDS = [
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

/** Rule ids reported in `RunResult` `invalid_command.rule`. The pipeline maps them to protocol errors (DESIGN D10). */
export const RULES = {
  userId: 'setUserById.user_id',
  exactlyOneUser: 'exactly-one-user',
  connectionName: 'setUserByConnection.connection_name',
  userAttributes: 'setUserByConnection.user_attributes',
  connectionOptions: 'setUserByConnection.options',
  organization: 'setOrganization.organization',
  actorShape: 'setActor.shape',
  actorNeedsUser: 'setActor.requires-user',
  denyArgs: 'access.deny.arguments',
  rejectArgs: 'access.rejectInvalidSubjectToken.reason',
  metadata: 'user.metadata',
  customClaim: 'setCustomClaim.arguments',
  scope: 'scope.arguments',
  multifactor: 'multifactor.enable.arguments',
  factor: 'authentication.factor',
  redirect: 'redirect.sendUserTo.arguments',
} as const;

export type RuleId = (typeof RULES)[keyof typeof RULES];

export interface CommandViolation {
  command: string;
  rule: RuleId;
  message: string;
}

const USER_COMMANDS = new Set(['authentication.setUserById', 'authentication.setUserByConnection']);
const DENIALS = new Set(['access.deny', 'access.rejectInvalidSubjectToken']);

/**
 * End-of-run rules for a run that returned normally. A denial wins over everything else (spec 6.7: Auth0 samples
 * deny then fall through). Custom Token Exchange must set exactly one user (spec 6.4), and an actor only with one.
 */
export function validateCommands(trigger: TriggerId, commands: ActionCommand[]): CommandViolation | null {
  if (trigger !== 'custom-token-exchange') return null;
  if (commands.some((c) => DENIALS.has(c.name))) return null;
  const users = commands.filter((c) => USER_COMMANDS.has(c.name)).length;
  if (users === 0) {
    const actor = commands.some((c) => c.name === 'authentication.setActor');
    return actor
      ? { command: 'authentication.setActor', rule: RULES.actorNeedsUser, message: 'setActor() must be used together with setUserById() or setUserByConnection()' }
      : { command: 'authentication.setUserById', rule: RULES.exactlyOneUser, message: 'the Action set no user: call exactly one of setUserById() or setUserByConnection()' };
  }
  return null;
}
