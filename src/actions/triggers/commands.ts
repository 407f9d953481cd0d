/**
 * The `api.*` commands an Action may record, per trigger (spec sections 6.1 and 7.1), the rules their arguments
 * must follow, checked on the host as each call is recorded (CommandRecorder, checkCommand). The guest's api
 * (src/actions/guest/api.js) checks the same rules first, for early errors; the host does not rely on them. The
 * end-of-run rules live with the outcome parser (outcome.ts).
 */
import { RULES, type ActionCommand, type CommandViolation, type RuleId, type TriggerId } from '../contract.js';
import { decideExchange } from './outcome.js';
import {
  clip,
  DEFAULT_MAX_COMMAND_BYTES,
  DEFAULT_MAX_COMMANDS,
  MAX_CLAIM_NAME_CHARS,
  MAX_CLAIM_VALUE_BYTES,
  MAX_CUSTOM_CLAIMS,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_METADATA_BYTES,
  MAX_METADATA_KEY_CHARS,
  MAX_REASON_CHARS,
  MAX_ACTOR_STRING_CHARS,
  MAX_USER_ATTRIBUTE_CHARS,
} from './limits.js';
import { ACTOR_LIMITS, ARGUMENT_LIMITS, COMMANDS, USER_ATTRIBUTE_TYPES as ATTRIBUTE_TYPES } from './tables.js';

export { RULES, type CommandViolation };
/**
 * End-of-run rules for a run that returned normally (spec 6.4, 6.6): those of the outcome parser (outcome.ts),
 * the one place they are written; the sandbox reports a broken one as the run's `invalid_command`.
 */
export function validateCommands(trigger: TriggerId, commands: ActionCommand[]): CommandViolation | null {
  if (trigger !== 'custom-token-exchange') return null;
  const decided = decideExchange(commands);
  return 'violation' in decided ? decided.violation : null;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);
const nonEmpty = (v: unknown, max = Infinity): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/** spec 6.6: `{sub, act?, ...custom scalars}`, at most 5 actors and 5 custom properties per level; the host's one actor rule. */
function actorProblem(actor: unknown, depth = 0): string | null {
  if (!isPlainObject(actor)) return 'actor must be an object';
  if (!nonEmpty(actor.sub)) return 'actor.sub is required and must be a non-empty string';
  if (actor.sub.length > MAX_ACTOR_STRING_CHARS)
    return `actor.sub must be at most ${MAX_ACTOR_STRING_CHARS} characters`;
  const custom = Object.keys(actor).filter((k) => k !== 'sub' && k !== 'act');
  if (custom.length > ACTOR_LIMITS.customProperties)
    return `at most ${ACTOR_LIMITS.customProperties} custom properties per actor level`;
  for (const k of custom) {
    const v = actor[k];
    if (!(typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))))
      return `custom actor property "${clip(k, 64)}" must be a string, number or boolean`;
    if (k.length > MAX_ACTOR_STRING_CHARS || (typeof v === 'string' && v.length > MAX_ACTOR_STRING_CHARS)) {
      return `custom actor property "${clip(k, 64)}" must be at most ${MAX_ACTOR_STRING_CHARS} characters`;
    }
  }
  if (actor.act === undefined) return null;
  if (depth + 1 >= ACTOR_LIMITS.levels)
    return `at most ${ACTOR_LIMITS.levels} actors: the root actor and ${ACTOR_LIMITS.levels - 1} nested act levels`;
  return actorProblem(actor.act, depth + 1);
}

/**
 * Host-side check of one recorded command, behind the guest's own checks: the command exists for the trigger and
 * the arguments the pipeline relies on have their documented types. The guest cannot bypass it by tampering with
 * its own intrinsics.
 */
function checkCommand(trigger: TriggerId, c: ActionCommand): CommandViolation | null {
  const bad = (rule: RuleId, message: string): CommandViolation => ({ command: c.name, rule, message });
  if (!COMMANDS[trigger].includes(c.name) || !Array.isArray(c.args))
    return bad(RULES.denyArgs, `unknown api command ${clip(c.name, 64)}`);
  const [a, b, o] = c.args;
  switch (c.name) {
    case 'authentication.setUserById':
      return nonEmpty(a, ARGUMENT_LIMITS.userIdChars)
        ? null
        : bad(RULES.userId, `user_id must be a non-empty string of at most ${ARGUMENT_LIMITS.userIdChars} characters`);
    case 'authentication.setUserByConnection': {
      if (!nonEmpty(a, ARGUMENT_LIMITS.connectionNameChars)) {
        return bad(
          RULES.connectionName,
          `connection_name must be a non-empty string of at most ${ARGUMENT_LIMITS.connectionNameChars} characters`,
        );
      }
      if (!isPlainObject(b) || !nonEmpty(b.user_id) || Object.keys(b).length > ARGUMENT_LIMITS.userAttributes)
        return bad(RULES.userAttributes, 'user_attributes must be an object with a user_id');
      for (const [k, v] of Object.entries(b)) {
        if (ATTRIBUTE_TYPES[k] === undefined || typeof v !== ATTRIBUTE_TYPES[k])
          return bad(RULES.userAttributes, `invalid user attribute "${clip(k, 64)}"`);
        if (typeof v === 'string' && v.length > MAX_USER_ATTRIBUTE_CHARS)
          return bad(
            RULES.userAttributes,
            `user attribute "${k}" must be at most ${MAX_USER_ATTRIBUTE_CHARS} characters`,
          );
      }
      if (
        !isPlainObject(o) ||
        !['create_if_not_exists', 'none'].includes(o.creationBehavior as string) ||
        !['replace', 'none'].includes(o.updateBehavior as string)
      ) {
        return bad(RULES.connectionOptions, 'invalid creationBehavior or updateBehavior');
      }
      return null;
    }
    case 'authentication.setOrganization':
      return nonEmpty(a, ARGUMENT_LIMITS.organizationChars)
        ? null
        : bad(RULES.organization, 'organization must be a non-empty organization id or name');
    case 'authentication.setActor': {
      const p = actorProblem(a);
      return p ? bad(RULES.actorShape, p) : null;
    }
    case 'access.deny':
      if (trigger === 'post-login')
        return typeof a === 'string' ? null : bad(RULES.denyArgs, 'reason must be a string');
      return nonEmpty(a, ARGUMENT_LIMITS.denyCodeChars) && typeof b === 'string'
        ? null
        : bad(RULES.denyArgs, 'code must be a non-empty string and reason a string');
    case 'access.rejectInvalidSubjectToken':
      return typeof a === 'string' ? null : bad(RULES.rejectArgs, 'reason must be a string');
    case 'user.setAppMetadata':
    case 'user.setUserMetadata':
      if (!nonEmpty(a) || b === undefined)
        return bad(RULES.metadata, 'key must be a non-empty string and value a JSON value');
      if (a.length > MAX_METADATA_KEY_CHARS)
        return bad(RULES.metadata, `key must be at most ${MAX_METADATA_KEY_CHARS} characters`);
      return jsonBytes(b) > MAX_METADATA_BYTES ? bad(RULES.metadata, 'value exceeds 32 kB') : null;
    case 'accessToken.setCustomClaim':
    case 'idToken.setCustomClaim':
      if (!nonEmpty(a) || b === undefined) return bad(RULES.customClaim, 'claim name must be a non-empty string');
      if (a.length > MAX_CLAIM_NAME_CHARS)
        return bad(RULES.customClaim, `claim name must be at most ${MAX_CLAIM_NAME_CHARS} characters`);
      return jsonBytes(b) > MAX_CLAIM_VALUE_BYTES
        ? bad(RULES.customClaim, `claim value exceeds ${MAX_CLAIM_VALUE_BYTES} bytes`)
        : null;
    case 'accessToken.addScope':
    case 'accessToken.removeScope':
      return nonEmpty(a) && !/\s/.test(a)
        ? null
        : bad(RULES.scope, 'scope must be one non-empty scope name without spaces');
    default:
      return null;
  }
}

const jsonBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8');

/** The per-run budget of recorded commands (limits.ts; RunLimits `commands`, `commandBytes`). */
export interface CommandBudget {
  commands: number;
  commandBytes: number;
}

export const DEFAULT_COMMAND_BUDGET: CommandBudget = {
  commands: DEFAULT_MAX_COMMANDS,
  commandBytes: DEFAULT_MAX_COMMAND_BYTES,
};

/** The command name at the start of a recorded call's JSON, read without parsing the (maybe huge) rest. */
function nameOf(payload: string): string {
  return /^\{"name":"([A-Za-z.]{1,64})"/.exec(payload.slice(0, 100))?.[1] ?? 'unknown';
}

/**
 * The host's recorder of one run's `api` commands (issue 10 H2). Each call arrives as the JSON the guest sent;
 * before anything is parsed or kept, the run's budget is checked (number of commands, their serialized bytes),
 * then the per-call rules (checkCommand), then the per-run caps (distinct custom claims per token, metadata
 * bytes per kind). Deny and reject reasons are cut to MAX_REASON_CHARS: they become a response's
 * `error_description` and a log line.
 */
export class CommandRecorder {
  private count = 0;
  private bytes = 0;
  private readonly claims = new Map<string, Set<string>>();
  private readonly metadata = new Map<string, Map<string, number>>();

  constructor(
    private readonly trigger: TriggerId,
    private readonly budget: CommandBudget = DEFAULT_COMMAND_BUDGET,
  ) {}

  accept(payload: string): { command: ActionCommand } | { violation: CommandViolation } {
    const size = Buffer.byteLength(payload, 'utf8');
    if (this.count >= this.budget.commands) {
      return {
        violation: {
          command: nameOf(payload),
          rule: RULES.commandBudget,
          message: `the run recorded more than ${this.budget.commands} api commands`,
        },
      };
    }
    if (this.bytes + size > this.budget.commandBytes) {
      return {
        violation: {
          command: nameOf(payload),
          rule: RULES.commandBudget,
          message: `the run's api commands exceed ${this.budget.commandBytes} bytes`,
        },
      };
    }
    let parsed: { name?: unknown; args?: unknown };
    try {
      parsed = JSON.parse(payload) as { name?: unknown; args?: unknown };
    } catch {
      return { violation: { command: 'unknown', rule: RULES.denyArgs, message: 'unreadable api command' } };
    }
    const command: ActionCommand = { name: clip(String(parsed?.name), 64), args: parsed?.args as unknown[] };
    const violation = checkCommand(this.trigger, command) ?? this.perRun(command);
    if (violation) return { violation: { ...violation, message: clip(violation.message, MAX_ERROR_MESSAGE_CHARS) } };
    this.count++;
    this.bytes += size;
    return { command: truncateReasons(this.trigger, command) };
  }

  private perRun(c: ActionCommand): CommandViolation | null {
    const [a, b] = c.args as [string, unknown];
    switch (c.name) {
      case 'accessToken.setCustomClaim':
      case 'idToken.setCustomClaim': {
        const token = c.name.split('.')[0]!;
        let names = this.claims.get(token);
        if (!names) this.claims.set(token, (names = new Set()));
        if (!names.has(a) && names.size >= MAX_CUSTOM_CLAIMS)
          return {
            command: c.name,
            rule: RULES.customClaim,
            message: `at most ${MAX_CUSTOM_CLAIMS} custom claims per token`,
          };
        names.add(a);
        return null;
      }
      case 'user.setAppMetadata':
      case 'user.setUserMetadata': {
        const kind = c.name === 'user.setAppMetadata' ? 'app_metadata' : 'user_metadata';
        let keys = this.metadata.get(kind);
        if (!keys) this.metadata.set(kind, (keys = new Map<string, number>()));
        const bytes = b === null ? 0 : jsonBytes(b);
        let total = bytes;
        for (const [k, n] of keys) if (k !== a) total += n;
        if (total > MAX_METADATA_BYTES)
          return {
            command: c.name,
            rule: RULES.metadata,
            message: `${kind} set by one run exceeds ${MAX_METADATA_BYTES} bytes`,
          };
        keys.set(a, bytes);
        return null;
      }
      default:
        return null;
    }
  }
}

function truncateReasons(trigger: TriggerId, c: ActionCommand): ActionCommand {
  const at =
    c.name === 'access.rejectInvalidSubjectToken' || (c.name === 'access.deny' && trigger === 'post-login')
      ? 0
      : c.name === 'access.deny'
        ? 1
        : -1;
  if (at < 0) return c;
  const args = [...c.args];
  args[at] = clip(args[at] as string, MAX_REASON_CHARS);
  return { name: c.name, args };
}
