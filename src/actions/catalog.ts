/**
 * What the Actions API offers (spec 5.1): the limits, runtimes, trigger versions and binding policy behind
 * GET /actions/triggers and the checks on create and update.
 */
import { TRIGGERS, type TriggerId } from './contract.js';

/** Spec 5.1 limits. */
export const LIMITS = {
  codeBytes: 100 * 1024,
  dependencies: 10,
  secrets: 30,
  secretName: 128,
  secretValue: 4096,
  actionsPerTenant: 100,
  bindingsPerTrigger: 20,
} as const;

export const RUNTIMES = ['node18', 'node22'] as const;
export const DEFAULT_RUNTIME = 'node22';

/** Trigger versions accepted on create; the first is the current one (spec 5.1; post-login v2 still accepted). */
export const TRIGGER_VERSIONS: Record<TriggerId, string[]> = {
  'custom-token-exchange': ['v1'],
  'post-login': ['v3', 'v2'],
};

/** CTE Actions are bound by profiles (spec 3.5), post-login ones by the ordered flow. */
export const BINDING_POLICY: Record<TriggerId, 'entity-bound' | 'trigger-bound'> = {
  'custom-token-exchange': 'entity-bound',
  'post-login': 'trigger-bound',
};

export function listTriggers() {
  return (Object.keys(TRIGGER_VERSIONS) as TriggerId[]).flatMap((id) =>
    TRIGGER_VERSIONS[id].map((version) => ({
      id,
      version,
      status: version === TRIGGERS[id].version ? 'CURRENT' : 'DEPRECATED',
      runtimes: [...RUNTIMES],
      default_runtime: DEFAULT_RUNTIME,
      compatible_triggers: [] as Array<{ id: string; version: string }>,
      binding_policy: BINDING_POLICY[id],
    })),
  );
}

export const isTriggerId = (id: string): id is TriggerId => Object.prototype.hasOwnProperty.call(TRIGGERS, id);
