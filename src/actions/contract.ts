/**
 * The contract between the Actions platform (runtime, triggers) and its users (Management API, token exchange
 * pipeline). The runtime implements ActionExecutor; callers depend on this file only.
 */
import type { UserAttributes } from '../users/attributes.js';

export type TriggerId = 'custom-token-exchange' | 'post-login';
export const TRIGGERS: Record<TriggerId, { version: string; entryPoint: string }> = {
  'custom-token-exchange': { version: 'v1', entryPoint: 'onExecuteCustomTokenExchange' },
  'post-login': { version: 'v3', entryPoint: 'onExecutePostLogin' },
};

/** Node's built-in modules the sandbox provides (docs/actions-sandbox.md "What the guest gets"). */
const NODE_BUILTINS = ['crypto', 'buffer', 'events', 'querystring', 'url', 'util'] as const;
/** Modules Action code may `require` (DESIGN section 4); anything else is refused at create/update/deploy. */
export const PROVIDED_MODULES = ['jose', ...NODE_BUILTINS] as const;
/** The `node:`-prefixed names of the Node built-ins (`require('node:buffer')`), each the same module. */
export const MODULE_ALIASES: Record<string, (typeof PROVIDED_MODULES)[number]> = Object.fromEntries(
  NODE_BUILTINS.map((name) => [`node:${name}`, name]),
);

/**
 * An npm dependency of an Action, bundled with its own dependencies into one CommonJS module (actions/packages/);
 * the guest's `require(name)` evaluates it on first use.
 */
export interface PackageBundle {
  name: string;
  version: string;
  code: string;
}

/** One recorded `api.*` call, applied by the pipeline after a successful run. */
export interface ActionCommand {
  /** e.g. 'authentication.setUserById', 'access.deny', 'accessToken.setCustomClaim' */
  name: string;
  args: unknown[];
}

/** Rule ids reported in `RunResult` `invalid_command.rule`. The pipeline maps them to protocol errors (DESIGN D10). */
export const RULES = {
  userId: 'setUserById.user_id',
  exactlyOneUser: 'exactly-one-user',
  connectionName: 'setUserByConnection.connection_name',
  userAttributes: 'setUserByConnection.user_attributes',
  connectionOptions: 'setUserByConnection.options',
  organization: 'setOrganization.organization',
  /** setOrganization() called more than once in one run. */
  organizationOnce: 'setOrganization.once',
  actorShape: 'setActor.shape',
  actorNeedsUser: 'setActor.requires-user',
  /** setActor() called more than once in one run. */
  actorOnce: 'setActor.once',
  denyArgs: 'access.deny.arguments',
  rejectArgs: 'access.rejectInvalidSubjectToken.reason',
  metadata: 'user.metadata',
  customClaim: 'setCustomClaim.arguments',
  scope: 'scope.arguments',
  multifactor: 'multifactor.enable.arguments',
  factor: 'authentication.factor',
  redirect: 'redirect.sendUserTo.arguments',
  /** The run recorded more commands, or more bytes of them, than its budget (limits.ts). */
  commandBudget: 'commands.budget',
} as const;

export type RuleId = (typeof RULES)[keyof typeof RULES];

/** A broken command rule: which command, which rule, and why (the message may quote guest input, clipped). */
export interface CommandViolation {
  command: string;
  rule: RuleId;
  message: string;
}

export interface ConsoleLine {
  level: 'log' | 'info' | 'warn' | 'error' | 'debug';
  message: string;
}

export interface RunLimits {
  wallMs: number;
  cpuMs: number;
  memoryBytes: number;
  stackBytes: number;
  /** Budget of recorded `api` commands: how many, and their serialized bytes (triggers/limits.ts defaults). */
  commands?: number;
  commandBytes?: number;
}

/** The outcome of one run: a discriminated union, never a thrown host error. */
export type RunResult =
  | { kind: 'ok'; commands: ActionCommand[]; logs: ConsoleLine[]; durationMs: number }
  | {
      kind: 'thrown';
      message: string;
      name: string;
      commands: ActionCommand[];
      logs: ConsoleLine[];
      durationMs: number;
    }
  | { kind: 'timeout'; limit: 'cpu' | 'wall'; commands: ActionCommand[]; logs: ConsoleLine[]; durationMs: number }
  | { kind: 'memory'; commands: ActionCommand[]; logs: ConsoleLine[]; durationMs: number }
  /** An `api` call broke a rule (bad arguments); `rule` names it. */
  | {
      kind: 'invalid_command';
      command: string;
      rule: string;
      message: string;
      commands: ActionCommand[];
      logs: ConsoleLine[];
      durationMs: number;
    }
  /**
   * The run never started: it waited for a sandbox worker past the queue deadline (`queuedMs`, runtime/pool.ts).
   * Not the Action's fault: the caller answers 503 with `Retry-After: retryAfterS`.
   */
  | {
      kind: 'unavailable';
      reason: 'queue_timeout';
      queuedMs: number;
      retryAfterS: number;
      commands: ActionCommand[];
      logs: ConsoleLine[];
      durationMs: number;
    };

export interface CompileError {
  message: string;
  line?: number;
  column?: number;
}

export interface RunRequest {
  /** Cache key of the compiled code: the Action version id (or a hash of code for tests). */
  versionId: string;
  code: string;
  trigger: TriggerId;
  /** The event object, already built for the trigger (plain JSON). */
  event: Record<string, unknown>;
  secrets: Record<string, string>;
  /** Overrides of the configured limits. */
  limits?: Partial<RunLimits>;
  /** A test run (POST /actions/actions/{id}/test): `api.cache` is a scratch namespace production runs never see. */
  testRun?: boolean;
  /** The client the run is for: one client's runs share a concurrency cap (runtime/pool.ts). Absent: no client cap. */
  clientId?: string;
  /** The version's npm dependencies, bundled; `versionId` must change when they do. */
  packages?: PackageBundle[];
}

export interface ActionExecutor {
  /**
   * Syntax check, `require` check against PROVIDED_MODULES and the bundled dependencies, and presence of the
   * trigger's entry point.
   */
  compile(code: string, trigger: TriggerId, packages?: PackageBundle[]): Promise<CompileError | null>;
  run(request: RunRequest): Promise<RunResult>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// The outcome of a run, as the pipeline reads it: parsed once from the recorded commands (triggers/outcome.ts)

/** The `setActor()` object, the RFC 8693 `act` claim (spec 6.6): `{sub, act?, ...custom scalars}`. */
export interface Actor {
  sub: string;
  act?: Actor;
  [custom: string]: string | number | boolean | Actor | undefined;
}
/** spec 6.6: the root actor and at most 4 nested `act` levels. */
export const MAX_ACTORS = 5;
/** spec 6.6: custom properties per actor level. */
export const MAX_ACTOR_CUSTOM_PROPERTIES = 5;

/** Top-level metadata keys a run set (spec 6.10); `null` removes the key. */
export interface MetadataChanges {
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
}

/** `setUserByConnection` user attributes (spec 6.3): users/attributes.ts derives them from the one table. */
export type { UserAttributes };

/** The one user a custom-token-exchange run set (spec 6.2-6.4). */
export type UserSelection =
  | { by: 'id'; userId: string }
  | {
      by: 'connection';
      connection: string;
      attributes: UserAttributes;
      creationBehavior: 'create_if_not_exists' | 'none';
      updateBehavior: 'replace' | 'none';
    };

/** What a custom-token-exchange run decided: a denial (spec 6.7, 6.8), or the user and what goes with it. */
export type ExchangeDecision =
  | { kind: 'deny'; code: string; reason: string }
  | { kind: 'reject'; reason: string }
  | { kind: 'user'; user: UserSelection; actor?: Actor; organization?: string; metadata: MetadataChanges };

/** What one post-login run decided (spec 7.1): it ends the transaction, or shapes the tokens and the user. */
export type PostLoginDecision =
  | { kind: 'deny'; reason: string }
  | { kind: 'mfa' }
  /** challengeWith/enrollWith/redirect: not possible in a non-interactive grant. */
  | { kind: 'interactive'; command: string }
  | {
      kind: 'continue';
      accessTokenClaims: Record<string, unknown>;
      idTokenClaims: Record<string, unknown>;
      /** addScope / removeScope, in call order. */
      scopes: Array<{ op: 'add' | 'remove'; scope: string }>;
      metadata: MetadataChanges;
    };

/** A run that ended badly: it threw, hit a limit or broke a rule. */
export type RunFailure = Extract<RunResult, { kind: 'thrown' | 'timeout' | 'memory' | 'invalid_command' }>;

/**
 * The end of a run for the pipeline: a decision, or why there is none. A run that recorded a final decision (a
 * denial) before it failed still decided (spec 6.7: the first denial wins).
 */
export type ActionOutcome<D> =
  | { kind: 'decided'; decision: D }
  | { kind: 'failed'; failure: RunFailure }
  | { kind: 'unavailable'; queuedMs: number; retryAfterS: number };
