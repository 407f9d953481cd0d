/**
 * The Actions Management logic behind /api/v2/actions (spec 3.5, 5.1; DESIGN section 4): create, update, deploy,
 * roll back, delete and test Actions, order the post-login flow, and hand the token exchange pipeline the deployed
 * version of an Action (`getDeployedVersion`, `boundPostLoginActions`).
 *
 * Secrets are sealed with the master key (`ctx.sealer`) before they reach storage and opened only to run.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AppContext } from '../context.js';
import { PROVIDED_MODULES, TRIGGERS, type RunResult, type TriggerId } from './contract.js';
import { badRequest, conflict, forbidden, notFound } from '../management/errors.js';
import { isUniqueViolation, isForeignKeyViolation } from '../storage/database.js';
import { nowIso } from '../storage/codec.js';
import type {
  ActionDependency,
  ActionRecord,
  ActionVersionRecord,
  BindingRecord,
  SecretName,
} from '../storage/repositories/actions.js';

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
const TRIGGER_VERSIONS: Record<TriggerId, string[]> = {
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

export interface SecretInput {
  name: string;
  value?: string;
}

interface StoredSecret {
  name: string;
  value: string;
  updated_at: string;
}

export interface CreateActionInput {
  name: string;
  supported_triggers: Array<{ id: string; version?: string }>;
  code?: string;
  runtime?: string;
  dependencies?: ActionDependency[];
  secrets?: SecretInput[];
  deploy?: boolean;
}

export interface UpdateActionInput {
  name?: string;
  supported_triggers?: Array<{ id: string; version?: string }>;
  code?: string;
  runtime?: string;
  dependencies?: ActionDependency[];
  secrets?: SecretInput[];
}

/** A deployed version as the pipeline runs it. */
export interface DeployedAction {
  actionId: string;
  name: string;
  versionId: string;
  code: string;
  secrets: Record<string, string>;
  trigger: TriggerId;
}

const defaultCode = (trigger: TriggerId) =>
  `/**\n * @param {Event} event\n * @param {API} api\n */\nexports.${TRIGGERS[trigger].entryPoint} = async (event, api) => {\n};\n`;

// ---------------------------------------------------------------------------------------------------------------
// Validation

function checkTrigger(triggers: Array<{ id: string; version?: string }>): { id: TriggerId; version: string } {
  if (triggers.length !== 1) throw badRequest('An action must support exactly one trigger.');
  const t = triggers[0]!;
  if (!isTriggerId(t.id))
    throw badRequest(`Trigger '${t.id}' is not supported; supported triggers: ${Object.keys(TRIGGERS).join(', ')}.`);
  const versions = TRIGGER_VERSIONS[t.id];
  const version = t.version ?? versions[0]!;
  if (!versions.includes(version))
    throw badRequest(`Trigger '${t.id}' has no version '${version}'; supported: ${versions.join(', ')}.`);
  return { id: t.id, version };
}

function checkCode(code: string): void {
  if (Buffer.byteLength(code, 'utf8') > LIMITS.codeBytes)
    throw badRequest(`Action code exceeds the limit of ${LIMITS.codeBytes} bytes.`);
}

function checkRuntime(runtime: string): void {
  if (!(RUNTIMES as readonly string[]).includes(runtime))
    throw badRequest(`Runtime '${runtime}' is not supported; supported runtimes: ${RUNTIMES.join(', ')}.`);
}

/** DESIGN section 2: dependencies are accepted for the modules Baton provides and refused for any other. */
function checkDependencies(deps: ActionDependency[]): void {
  if (deps.length > LIMITS.dependencies)
    throw badRequest(`An action can have at most ${LIMITS.dependencies} dependencies.`);
  for (const d of deps) {
    if (!(PROVIDED_MODULES as readonly string[]).includes(d.name)) {
      throw badRequest(
        `Dependency '${d.name}' is not available: Baton provides only the modules ${PROVIDED_MODULES.join(', ')}.`,
      );
    }
  }
  const names = deps.map((d) => d.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw badRequest(`Dependency '${dup}' is listed more than once.`);
}

function checkSecretInputs(secrets: SecretInput[]): void {
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

async function compileOrThrow(ctx: AppContext, code: string, trigger: TriggerId): Promise<void> {
  const error = await ctx.actions.compile(code, trigger);
  if (!error) return;
  const where =
    error.line !== undefined
      ? ` (line ${error.line}${error.column !== undefined ? `, column ${error.column}` : ''})`
      : '';
  throw badRequest(`Action code is invalid: ${error.message}${where}.`, 'invalid_code');
}

// ---------------------------------------------------------------------------------------------------------------
// Secrets

/**
 * Sealed for the Action's id (L5): its versions copy the blob, so a version opens it with the same binding, and a
 * blob copied into another Action does not open. Every write reseals, so a blob sealed before L5 is bound then.
 */
const secretsContext = (actionId: string) => ({ purpose: 'action-secrets', id: actionId }) as const;

async function sealSecrets(
  ctx: AppContext,
  actionId: string,
  secrets: StoredSecret[],
): Promise<{ secrets_enc: string; secret_names: SecretName[] }> {
  return {
    secrets_enc: await ctx.sealer.seal(JSON.stringify(secrets), secretsContext(actionId)),
    secret_names: secrets.map((s) => ({ name: s.name, updated_at: s.updated_at })),
  };
}

async function openSecrets(ctx: AppContext, actionId: string, sealed: string): Promise<StoredSecret[]> {
  return JSON.parse(await ctx.sealer.open(sealed, secretsContext(actionId))) as StoredSecret[];
}

const secretsRecord = (secrets: StoredSecret[]): Record<string, string> =>
  Object.fromEntries(secrets.map((s) => [s.name, s.value]));

/**
 * PATCH semantics (Auth0's): the list given is the new set of secrets, matched by name with the old set; an entry
 * without `value` keeps the stored value of that name, so clients can resend names they cannot read back.
 */
function mergeSecrets(old: StoredSecret[], given: SecretInput[]): StoredSecret[] {
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

// ---------------------------------------------------------------------------------------------------------------
// Operations

export async function createAction(ctx: AppContext, input: CreateActionInput): Promise<ActionRecord> {
  const trigger = checkTrigger(input.supported_triggers);
  const code = input.code ?? defaultCode(trigger.id);
  const runtime = input.runtime ?? DEFAULT_RUNTIME;
  const dependencies = input.dependencies ?? [];
  const secretInputs = input.secrets ?? [];
  checkCode(code);
  checkRuntime(runtime);
  checkDependencies(dependencies);
  checkSecretInputs(secretInputs);
  const missing = secretInputs.find((s) => s.value === undefined);
  if (missing) throw badRequest(`Secret '${missing.name}' needs a value.`);
  if (await ctx.repos.actions.getByName(input.name))
    throw conflict(`An action with the name '${input.name}' already exists.`);
  if ((await ctx.repos.actions.count()) >= LIMITS.actionsPerTenant) {
    throw forbidden('You reached the limit of entities of this type for this tenant.', 'too_many_entities');
  }
  await compileOrThrow(ctx, code, trigger.id);
  const now = nowIso();
  const id = randomUUID();
  const sealed = await sealSecrets(
    ctx,
    id,
    secretInputs.map((s) => ({ name: s.name, value: s.value!, updated_at: now })),
  );
  let action: ActionRecord;
  try {
    action = await ctx.repos.actions.create({
      id,
      name: input.name,
      trigger_id: trigger.id,
      trigger_version: trigger.version,
      code,
      runtime,
      dependencies,
      ...sealed,
      status: 'built',
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`An action with the name '${input.name}' already exists.`);
    throw err;
  }
  if (input.deploy) {
    await deployAction(ctx, action.id);
    return (await ctx.repos.actions.get(action.id))!;
  }
  return action;
}

export async function getAction(ctx: AppContext, id: string): Promise<ActionRecord> {
  const action = await ctx.repos.actions.get(id);
  if (!action) throw notFound('The action does not exist.');
  return action;
}

export async function updateAction(ctx: AppContext, id: string, input: UpdateActionInput): Promise<ActionRecord> {
  const action = await getAction(ctx, id);
  if (input.supported_triggers !== undefined) {
    const t = checkTrigger(input.supported_triggers);
    if (t.id !== action.trigger_id) throw badRequest('The trigger of an action cannot be changed.');
  }
  if (input.code !== undefined) checkCode(input.code);
  if (input.runtime !== undefined) checkRuntime(input.runtime);
  if (input.dependencies !== undefined) checkDependencies(input.dependencies);
  if (input.secrets !== undefined) checkSecretInputs(input.secrets);
  if (input.name !== undefined && input.name !== action.name && (await ctx.repos.actions.getByName(input.name))) {
    throw conflict(`An action with the name '${input.name}' already exists.`);
  }
  if (input.code !== undefined) await compileOrThrow(ctx, input.code, action.trigger_id);
  const patch: Parameters<typeof ctx.repos.actions.update>[1] = {};
  if (input.name !== undefined) patch.name = input.name;
  if (input.code !== undefined) patch.code = input.code;
  if (input.runtime !== undefined) patch.runtime = input.runtime;
  if (input.dependencies !== undefined) patch.dependencies = input.dependencies;
  if (input.secrets !== undefined) {
    Object.assign(
      patch,
      await sealSecrets(
        ctx,
        action.id,
        mergeSecrets(await openSecrets(ctx, action.id, action.secrets_enc), input.secrets),
      ),
    );
  }
  try {
    const updated = await ctx.repos.actions.update(id, patch);
    if (!updated) throw notFound('The action does not exist.');
    return updated;
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`An action with the name '${input.name}' already exists.`);
    throw err;
  }
}

/** Deploys the draft: a new immutable version n+1 that becomes the one the pipeline runs. */
export async function deployAction(
  ctx: AppContext,
  id: string,
): Promise<{ action: ActionRecord; version: ActionVersionRecord }> {
  const action = await getAction(ctx, id);
  await compileOrThrow(ctx, action.code, action.trigger_id);
  const version = await ctx.repos.actions.deploy(id, randomUUID(), 'draft', { draftDeployed: true });
  if (!version) throw notFound('The action does not exist.');
  forgetAction(ctx, id);
  return { action: (await ctx.repos.actions.get(id)) ?? action, version };
}

/** Auth0's roll-back: a new deployed version identical to an earlier one; `update_draft` copies it to the draft. */
export async function rollbackToVersion(
  ctx: AppContext,
  actionId: string,
  versionId: string,
  opts: { updateDraft: boolean },
): Promise<{ action: ActionRecord; version: ActionVersionRecord }> {
  const action = await getAction(ctx, actionId);
  const old = await ctx.repos.actions.getVersion(actionId, versionId);
  if (!old) throw notFound('The action version does not exist.');
  const version = await ctx.repos.actions.deploy(actionId, randomUUID(), old, {
    draftDeployed: opts.updateDraft,
    draftUpdate: opts.updateDraft,
  });
  if (!version) throw notFound('The action does not exist.');
  forgetAction(ctx, actionId);
  return { action: (await ctx.repos.actions.get(actionId)) ?? action, version };
}

export async function deleteAction(ctx: AppContext, id: string, opts: { force: boolean }): Promise<void> {
  let outcome;
  try {
    outcome = await ctx.repos.actions.delete(id, opts);
  } catch (err) {
    // A profile created between the check and the delete: the foreign key refuses it.
    if (isForeignKeyViolation(err)) outcome = 'referenced_by_profile' as const;
    else throw err;
  }
  if (outcome === 'not_found') throw notFound('The action does not exist.');
  if (outcome === 'referenced_by_profile') {
    throw conflict('The action is used by a token exchange profile; delete the profile first.', 'action_in_use');
  }
  if (outcome === 'bound')
    throw conflict(
      'The action is bound to a trigger; remove the binding first or delete with force=true.',
      'action_in_use',
    );
  forgetAction(ctx, id);
}

export async function getVersion(
  ctx: AppContext,
  actionId: string,
  versionId: string,
): Promise<{ action: ActionRecord; version: ActionVersionRecord }> {
  const action = await getAction(ctx, actionId);
  const version = await ctx.repos.actions.getVersion(actionId, versionId);
  if (!version) throw notFound('The action version does not exist.');
  return { action, version };
}

// ---------------------------------------------------------------------------------------------------------------
// Bindings (the ordered post-login flow)

export type BindingRef = { type: 'action_id' | 'action_name'; value: string };

export function checkBindableTrigger(triggerId: string): TriggerId {
  if (!isTriggerId(triggerId)) throw notFound(`Trigger '${triggerId}' does not exist.`);
  return triggerId;
}

export async function replaceBindings(
  ctx: AppContext,
  triggerId: string,
  bindings: Array<{ ref: BindingRef; display_name?: string }>,
): Promise<Array<BindingRecord & { action: ActionRecord }>> {
  const trigger = checkBindableTrigger(triggerId);
  if (BINDING_POLICY[trigger] === 'entity-bound') {
    throw badRequest(
      `Bindings of the '${trigger}' trigger are managed by token exchange profiles, not by this endpoint.`,
    );
  }
  if (bindings.length > LIMITS.bindingsPerTrigger)
    throw badRequest(`A trigger can have at most ${LIMITS.bindingsPerTrigger} bindings.`);
  const resolved: Array<{ id: string; action_id: string; display_name: string; action: ActionRecord }> = [];
  for (const b of bindings) {
    const action =
      b.ref.type === 'action_id'
        ? await ctx.repos.actions.get(b.ref.value)
        : await ctx.repos.actions.getByName(b.ref.value);
    if (!action) throw badRequest(`Action '${b.ref.value}' does not exist.`);
    if (action.trigger_id !== trigger)
      throw badRequest(`Action '${action.name}' does not support the '${trigger}' trigger.`);
    if (!action.deployed_version_id) throw badRequest(`Action '${action.name}' is not deployed.`);
    if (resolved.some((r) => r.action_id === action.id))
      throw badRequest(`Action '${action.name}' is bound more than once.`);
    resolved.push({ id: randomUUID(), action_id: action.id, display_name: b.display_name ?? action.name, action });
  }
  try {
    const rows = await ctx.repos.actions.replaceBindings(trigger, resolved);
    return rows.map((r, i) => ({ ...r, action: resolved[i]!.action }));
  } catch (err) {
    // An Action deleted while the flow was being saved.
    if (isForeignKeyViolation(err)) throw badRequest('An action of the flow no longer exists.');
    throw err;
  }
}

export async function listBindings(
  ctx: AppContext,
  triggerId: string,
): Promise<Array<BindingRecord & { action: ActionRecord }>> {
  const trigger = checkBindableTrigger(triggerId);
  const rows = await ctx.repos.actions.bindings(trigger);
  const out: Array<BindingRecord & { action: ActionRecord }> = [];
  for (const r of rows) {
    const action = await ctx.repos.actions.get(r.action_id);
    if (action) out.push({ ...r, action });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Test runs (POST /actions/actions/{id}/test): the draft, no side effects

export interface TestRunPayload {
  kind: RunResult['kind'];
  commands: RunResult['commands'];
  logs: RunResult['logs'];
  /** Why the run failed; `rule` names the broken `api` rule of an invalid_command. */
  error: { name: string; message: string; rule?: string } | null;
  duration_ms: number;
}

function runError(r: RunResult): TestRunPayload['error'] {
  switch (r.kind) {
    case 'ok':
      return null;
    case 'thrown':
      return { name: r.name, message: r.message };
    case 'timeout':
      return {
        name: 'TimeoutError',
        message: r.limit === 'cpu' ? 'The action exceeded its CPU budget.' : 'The action exceeded its time limit.',
      };
    case 'memory':
      return { name: 'MemoryError', message: 'The action exceeded its memory limit.' };
    case 'invalid_command':
      return { name: 'InvalidCommandError', message: `${r.command}: ${r.message}`, rule: r.rule };
    case 'unavailable':
      return { name: 'UnavailableError', message: 'The action did not start: the sandbox was busy.' };
  }
}

/**
 * Runs the current draft (deployed or not) with its secrets against the given event; commands are reported, not
 * applied. The answer is bounded by the run's command budget, the log line caps and the truncated error message.
 */
export async function testAction(ctx: AppContext, id: string, event: Record<string, unknown>): Promise<TestRunPayload> {
  const action = await getAction(ctx, id);
  const secrets = secretsRecord(await openSecrets(ctx, action.id, action.secrets_enc));
  const codeHash = createHash('sha256').update(action.code).digest('base64url');
  // The Action's own secrets win over any `secrets` in the given event, as in a real run.
  const result = await ctx.actions.run({
    versionId: `draft:${action.id}:${codeHash}`,
    code: action.code,
    trigger: action.trigger_id,
    event: { ...event, secrets },
    secrets,
    // api.cache: a scratch namespace, so a test never reads or writes what production runs cached.
    testRun: true,
  });
  return {
    kind: result.kind,
    commands: result.commands,
    logs: result.logs,
    error: runError(result),
    duration_ms: result.durationMs,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// For the pipeline: deployed versions, cached per process by version id

/**
 * Versions are immutable, so a decoded version is cached by its id and never goes stale; each call reads only the
 * Action's deployed-version pointer (one primary-key read), so a deploy on any node is honoured at once.
 */
const versionCache = new WeakMap<AppContext, Map<string, DeployedAction>>();

function cacheOf(ctx: AppContext): Map<string, DeployedAction> {
  let m = versionCache.get(ctx);
  if (!m) versionCache.set(ctx, (m = new Map()));
  return m;
}

function forgetAction(ctx: AppContext, actionId: string): void {
  const cache = cacheOf(ctx);
  for (const [key, v] of cache) if (v.actionId === actionId) cache.delete(key);
}

async function loadVersion(
  ctx: AppContext,
  pointer: { actionId: string; name: string; trigger: string; versionId: string },
): Promise<DeployedAction | undefined> {
  const cache = cacheOf(ctx);
  const hit = cache.get(pointer.versionId);
  if (hit) return hit;
  const version = await ctx.repos.actions.getVersion(pointer.actionId, pointer.versionId);
  if (!version || !isTriggerId(pointer.trigger)) return undefined;
  const deployed: DeployedAction = {
    actionId: pointer.actionId,
    name: pointer.name,
    versionId: version.id,
    code: version.code,
    secrets: secretsRecord(await openSecrets(ctx, pointer.actionId, version.secrets_enc)),
    trigger: pointer.trigger,
  };
  cache.set(version.id, deployed);
  return deployed;
}

/** The deployed version of an Action, or undefined when the Action does not exist or was never deployed. */
export async function getDeployedVersion(ctx: AppContext, actionId: string): Promise<DeployedAction | undefined> {
  const pointer = await ctx.configCache.get(`action-pointer:${actionId}`, () =>
    ctx.repos.actions.deployedPointer(actionId),
  );
  if (!pointer?.deployed_version_id) return undefined;
  return loadVersion(ctx, {
    actionId,
    name: pointer.name,
    trigger: pointer.trigger_id,
    versionId: pointer.deployed_version_id,
  });
}

/** The post-login flow (spec 7.1): the bound Actions' deployed versions, in flow order. */
export async function boundPostLoginActions(ctx: AppContext): Promise<DeployedAction[]> {
  const rows = await ctx.configCache.get('post-login-flow', () => ctx.repos.actions.boundDeployed('post-login'));
  const out: DeployedAction[] = [];
  for (const r of rows) {
    if (!r.deployed_version_id) continue;
    const v = await loadVersion(ctx, {
      actionId: r.action_id,
      name: r.name,
      trigger: 'post-login',
      versionId: r.deployed_version_id,
    });
    if (v) out.push(v);
  }
  return out;
}
