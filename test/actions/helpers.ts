/** Shared fixtures for the Actions runtime tests: an executor with test limits and a CTE event. */
import { createActionExecutor, type ActionExecutorOptions } from '../../src/actions/runtime/index.js';
import type { Config } from '../../src/config/index.js';
import type { ActionExecutor, RunRequest, RunResult, TriggerId } from '../../src/actions/contract.js';

const TEST_ACTIONS_CONFIG: Config['actions'] = {
  timeoutMs: 5000,
  cpuMs: 1000,
  memoryMb: 32,
  fetchTimeoutMs: 2000,
  fetchMaxBytes: 64 * 1024,
  egressAllow: undefined,
  // The runtime tests fetch from loopback servers: the operator opt-in for internal ranges (issue 10 H3).
  egressAllowPrivate: true,
};

export function executor(
  overrides: Partial<Config['actions']> = {},
  options: ActionExecutorOptions = {},
): ActionExecutor {
  return createActionExecutor({ ...TEST_ACTIONS_CONFIG, ...overrides }, { poolSize: 2, ...options });
}

let seq = 0;
export const SAMPLE_EVENT = {
  client: { client_id: 'cli_1', name: 'Test app', metadata: {} },
  request: {
    body: { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange' },
    geoip: {},
    ip: '127.0.0.1',
    method: 'POST',
  },
  resource_server: { identifier: 'https://api.example.com' },
  tenant: { id: 'baton' },
  transaction: {
    subject_token: 'tok',
    subject_token_type: 'urn:example:token',
    requested_scopes: [],
    requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
  },
};

/** Runs CTE code (the body of onExecuteCustomTokenExchange unless `raw`), each call with a fresh versionId. */
export function run(
  ex: ActionExecutor,
  code: string,
  opts: {
    raw?: boolean;
    trigger?: TriggerId;
    secrets?: Record<string, string>;
    event?: Record<string, unknown>;
    versionId?: string;
    limits?: RunRequest['limits'];
  } = {},
): Promise<RunResult> {
  const trigger = opts.trigger ?? 'custom-token-exchange';
  const entry = trigger === 'post-login' ? 'onExecutePostLogin' : 'onExecuteCustomTokenExchange';
  const full = opts.raw ? code : `exports.${entry} = async (event, api) => {\n${code}\n};`;
  return ex.run({
    versionId: opts.versionId ?? `test-${process.pid}-${++seq}`,
    code: full,
    trigger,
    event: opts.event ?? SAMPLE_EVENT,
    secrets: opts.secrets ?? {},
    limits: opts.limits,
  });
}
