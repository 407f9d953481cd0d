/**
 * The contract between the Actions platform (runtime, triggers) and its users (Management API, token exchange
 * pipeline). The runtime implements ActionExecutor; callers depend on this file only.
 */

export type TriggerId = 'custom-token-exchange' | 'post-login';
export const TRIGGERS: Record<TriggerId, { version: string; entryPoint: string }> = {
  'custom-token-exchange': { version: 'v1', entryPoint: 'onExecuteCustomTokenExchange' },
  'post-login': { version: 'v3', entryPoint: 'onExecutePostLogin' },
};

/** Modules Action code may `require` (DESIGN section 4); anything else is refused at create/update/deploy. */
export const PROVIDED_MODULES = ['jose', 'crypto'] as const;
/** `node:`-prefixed aliases of PROVIDED_MODULES that Node code commonly uses. */
export const MODULE_ALIASES: Record<string, (typeof PROVIDED_MODULES)[number]> = { 'node:crypto': 'crypto' };

/** One recorded `api.*` call, applied by the pipeline after a successful run. */
export interface ActionCommand {
  /** e.g. 'authentication.setUserById', 'access.deny', 'accessToken.setCustomClaim' */
  name: string;
  args: unknown[];
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

/** The outcome of one run (STYLE practice 8): a discriminated union, never a thrown host error. */
export type RunResult =
  | { kind: 'ok'; commands: ActionCommand[]; logs: ConsoleLine[]; durationMs: number }
  | { kind: 'thrown'; message: string; name: string; commands: ActionCommand[]; logs: ConsoleLine[]; durationMs: number }
  | { kind: 'timeout'; limit: 'cpu' | 'wall'; commands: ActionCommand[]; logs: ConsoleLine[]; durationMs: number }
  | { kind: 'memory'; commands: ActionCommand[]; logs: ConsoleLine[]; durationMs: number }
  /** An `api` call broke a rule (bad arguments); `rule` names it. */
  | { kind: 'invalid_command'; command: string; rule: string; message: string; commands: ActionCommand[]; logs: ConsoleLine[]; durationMs: number }
  /**
   * The run never started: it waited for a sandbox worker past the queue deadline (`queuedMs`, runtime/pool.ts).
   * Not the Action's fault: the caller answers 503 with `Retry-After: retryAfterS`.
   */
  | { kind: 'unavailable'; reason: 'queue_timeout'; queuedMs: number; retryAfterS: number; commands: ActionCommand[]; logs: ConsoleLine[]; durationMs: number };

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
}

export interface ActionExecutor {
  /** Syntax check plus `require` check against PROVIDED_MODULES and presence of the trigger's entry point. */
  compile(code: string, trigger: TriggerId): Promise<CompileError | null>;
  run(request: RunRequest): Promise<RunResult>;
  close(): Promise<void>;
}
