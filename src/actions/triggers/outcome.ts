/**
 * The end of a run, parsed once: the recorded commands become one typed decision per trigger (contract.ts
 * ExchangeDecision, PostLoginDecision), or the end-of-run rule they break (spec 6.4 exactly one user, 6.6 an
 * actor only with a user and at most once, one organization). Each command's own arguments were checked as it was
 * recorded (commands.ts checkCommand, on the host), so this reads them as typed; the rules here are the only
 * end-of-run rules, and the pipeline reads nothing else of a run.
 */
import {
  RULES,
  type ActionCommand,
  type ActionOutcome,
  type Actor,
  type CommandViolation,
  type ExchangeDecision,
  type MetadataChanges,
  type PostLoginDecision,
  type RunResult,
  type UserAttributes,
  type UserSelection,
} from '../contract.js';

export type Decided<D> = { decision: D } | { violation: CommandViolation };

const noMetadata = (): MetadataChanges => ({ app_metadata: {}, user_metadata: {} });

/** `user.setAppMetadata` / `user.setUserMetadata`: the last value set for a key wins; null removes it. */
function setMetadata(metadata: MetadataChanges, c: ActionCommand): void {
  const [key, value] = c.args as [string, unknown];
  (c.name === 'user.setAppMetadata' ? metadata.app_metadata : metadata.user_metadata)[key] = value;
}

/**
 * A custom-token-exchange run's commands. A denial wins over everything else, the first one recorded (spec 6.7:
 * Auth0 samples deny then fall through); otherwise exactly one user (spec 6.4), an actor only with it (6.6), at
 * most one actor and one organization.
 */
export function decideExchange(commands: ActionCommand[]): Decided<ExchangeDecision> {
  const metadata = noMetadata();
  const users: Array<{ command: string; user: UserSelection }> = [];
  const actors: Actor[] = [];
  const organizations: string[] = [];
  for (const c of commands) {
    const [a, b, o] = c.args;
    switch (c.name) {
      case 'access.deny':
        return { decision: { kind: 'deny', code: a as string, reason: b as string } };
      case 'access.rejectInvalidSubjectToken':
        return { decision: { kind: 'reject', reason: a as string } };
      case 'authentication.setUserById':
        users.push({ command: c.name, user: { by: 'id', userId: a as string } });
        break;
      case 'authentication.setUserByConnection': {
        const options = o as { creationBehavior: 'create_if_not_exists' | 'none'; updateBehavior: 'replace' | 'none' };
        const user: UserSelection = {
          by: 'connection',
          connection: a as string,
          attributes: b as UserAttributes,
          ...options,
        };
        users.push({ command: c.name, user });
        break;
      }
      case 'authentication.setActor':
        actors.push(a as Actor);
        break;
      case 'authentication.setOrganization':
        organizations.push(a as string);
        break;
      case 'user.setAppMetadata':
      case 'user.setUserMetadata':
        setMetadata(metadata, c);
        break;
    }
  }
  const violation = (command: string, rule: CommandViolation['rule'], message: string) => ({
    violation: { command, rule, message },
  });
  if (users.length === 0) {
    return actors.length
      ? violation(
          'authentication.setActor',
          RULES.actorNeedsUser,
          'setActor() must be used together with setUserById() or setUserByConnection()',
        )
      : violation(
          'authentication.setUserById',
          RULES.exactlyOneUser,
          'the Action set no user: call exactly one of setUserById() or setUserByConnection()',
        );
  }
  // The guest's api refuses a second user at the call; the host does not rely on guest code for the rule.
  if (users.length > 1) {
    return violation(
      users[1]!.command,
      RULES.exactlyOneUser,
      'the Action set more than one user: call exactly one of setUserById() or setUserByConnection(), once',
    );
  }
  if (actors.length > 1)
    return violation('authentication.setActor', RULES.actorOnce, 'setActor() may be called once per run');
  if (organizations.length > 1)
    return violation(
      'authentication.setOrganization',
      RULES.organizationOnce,
      'setOrganization() may be called once per run',
    );
  const decision: ExchangeDecision = { kind: 'user', user: users[0]!.user, metadata };
  if (actors[0]) decision.actor = actors[0];
  if (organizations[0] !== undefined) decision.organization = organizations[0];
  return { decision };
}

/**
 * A post-login run's commands, in call order: the first deny, MFA or interactive command ends the transaction
 * (spec 7.1); otherwise the custom claims, scope changes and metadata the run set.
 */
export function decidePostLogin(commands: ActionCommand[]): PostLoginDecision {
  const out: Extract<PostLoginDecision, { kind: 'continue' }> = {
    kind: 'continue',
    accessTokenClaims: {},
    idTokenClaims: {},
    scopes: [],
    metadata: noMetadata(),
  };
  for (const c of commands) {
    const [a, b] = c.args;
    switch (c.name) {
      case 'access.deny':
        return { kind: 'deny', reason: a as string };
      case 'multifactor.enable':
        return { kind: 'mfa' };
      case 'authentication.challengeWith':
      case 'authentication.challengeWithAny':
      case 'authentication.enrollWith':
      case 'authentication.enrollWithAny':
      case 'redirect.sendUserTo':
        return { kind: 'interactive', command: c.name };
      case 'accessToken.setCustomClaim':
        out.accessTokenClaims[a as string] = b;
        break;
      case 'idToken.setCustomClaim':
        out.idTokenClaims[a as string] = b;
        break;
      case 'accessToken.addScope':
      case 'accessToken.removeScope':
        out.scopes.push({ op: c.name === 'accessToken.addScope' ? 'add' : 'remove', scope: a as string });
        break;
      case 'user.setAppMetadata':
      case 'user.setUserMetadata':
        setMetadata(out.metadata, c);
        break;
    }
  }
  return out;
}

/**
 * A run as the pipeline reads it. A run that did not start is `unavailable`; a run that ended well has its
 * decision, or fails the end-of-run rule it broke; a run that ended badly fails, unless it recorded a final
 * decision first (a denial, an MFA requirement), which stands.
 */
function outcomeOf<D>(
  result: RunResult,
  decide: (commands: ActionCommand[]) => Decided<D>,
  isFinal: (d: D) => boolean,
): ActionOutcome<D> {
  if (result.kind === 'unavailable')
    return { kind: 'unavailable', queuedMs: result.queuedMs, retryAfterS: result.retryAfterS };
  const decided = decide(result.commands);
  if (result.kind !== 'ok')
    return 'decision' in decided && isFinal(decided.decision)
      ? { kind: 'decided', decision: decided.decision }
      : { kind: 'failed', failure: result };
  if ('violation' in decided) {
    return {
      kind: 'failed',
      failure: {
        kind: 'invalid_command',
        ...decided.violation,
        commands: result.commands,
        logs: result.logs,
        durationMs: result.durationMs,
      },
    };
  }
  return { kind: 'decided', decision: decided.decision };
}

export function exchangeOutcome(result: RunResult): ActionOutcome<ExchangeDecision> {
  return outcomeOf(result, decideExchange, (d) => d.kind !== 'user');
}

export function postLoginOutcome(result: RunResult): ActionOutcome<PostLoginDecision> {
  return outcomeOf(
    result,
    (commands) => ({ decision: decidePostLogin(commands) }),
    (d) => d.kind !== 'continue',
  );
}
