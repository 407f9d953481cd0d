/**
 * The Actions Management operations behind /api/v2/actions (spec 3.5, 5.1; DESIGN section 4): create, read,
 * update, deploy, roll back and delete Actions and read their versions, with the checks each write makes.
 */
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.js';
import { TRIGGERS, type TriggerId } from './contract.js';
import { npmDependencies } from './deployed.js';
import { ApiError, badRequest, conflict, forbidden, notFound } from '../management/errors.js';
import { PackageError } from './packages/index.js';
import { accepted } from '../management/refusals.js';
import { nowIso } from '../storage/codec.js';
import type { ActionDependency, ActionRecord, ActionVersionRecord } from '../storage/repositories/actions.js';
import { DEFAULT_RUNTIME, LIMITS, RUNTIMES, TRIGGER_VERSIONS, isTriggerId } from './catalog.js';
import { openSecrets, sealSecrets } from './secrets.js';
import { checkSecretInputs, mergeSecrets, type SecretInput } from './secret-inputs.js';

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

const nameTaken = (name: string | undefined) => () => conflict(`An action with the name '${name}' already exists.`);

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

/** Auth0's limit of 10 dependencies, each listed once (spec 5.1). */
function checkDependencies(deps: ActionDependency[]): void {
  if (deps.length > LIMITS.dependencies)
    throw badRequest(`An action can have at most ${LIMITS.dependencies} dependencies.`);
  const names = deps.map((d) => d.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw badRequest(`Dependency '${dup}' is listed more than once.`);
}

/**
 * Issue 12: each npm dependency resolved to one exact version, installed with no script run, bundled and stored
 * (actions/packages/). A client mistake (unknown package or version, a package needing what the sandbox lacks, a
 * bundle over the limit) is a 400; a registry that cannot be reached or answers too slowly is a 503.
 */
async function resolveDependencies(ctx: AppContext, deps: ActionDependency[]): Promise<ActionDependency[]> {
  try {
    // A dependency Baton serves itself (contract.ts PROVIDED_MODULES) is kept as declared, never installed.
    const npm = await ctx.actionPackages.prepare(npmDependencies(deps));
    return deps.map((d) => npm.find((n) => n.name === d.name) ?? d);
  } catch (err) {
    throw dependencyError(err);
  }
}

function dependencyError(err: unknown): unknown {
  if (!(err instanceof PackageError)) return err;
  if (err.kind === 'unavailable') return new ApiError(503, err.message, 'dependency_registry_unavailable');
  return badRequest(err.message, 'invalid_dependency');
}

async function compileOrThrow(
  ctx: AppContext,
  code: string,
  trigger: TriggerId,
  deps: ActionDependency[],
): Promise<void> {
  let packages;
  try {
    packages = await ctx.actionPackages.load(npmDependencies(deps));
  } catch (err) {
    throw dependencyError(err);
  }
  const error = await ctx.actions.compile(code, trigger, packages);
  if (!error) return;
  const where =
    error.line !== undefined
      ? ` (line ${error.line}${error.column !== undefined ? `, column ${error.column}` : ''})`
      : '';
  throw badRequest(`Action code is invalid: ${error.message}${where}.`, 'invalid_code');
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
  if (await ctx.repos.actions.getByName(input.name)) throw nameTaken(input.name)();
  if ((await ctx.repos.actions.count()) >= LIMITS.actionsPerTenant) {
    throw forbidden('You reached the limit of entities of this type for this tenant.', 'too_many_entities');
  }
  const resolved = await resolveDependencies(ctx, dependencies);
  await compileOrThrow(ctx, code, trigger.id, resolved);
  const now = nowIso();
  const id = randomUUID();
  const sealed = await sealSecrets(
    ctx,
    id,
    // A secret given by name only (Auth0's Deploy CLI exports names, never values) is declared empty: the Action
    // reads '' until the operator sets its value with PATCH (docs/migrating-from-auth0.md).
    secretInputs.map((s) => ({ name: s.name, value: s.value ?? '', updated_at: now })),
  );
  const action = accepted(
    await ctx.repos.actions.create({
      id,
      name: input.name,
      trigger_id: trigger.id,
      trigger_version: trigger.version,
      code,
      runtime,
      dependencies: resolved,
      ...sealed,
      status: 'built',
    }),
    { duplicate: nameTaken(input.name) },
  );
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
    throw nameTaken(input.name)();
  }
  const dependencies =
    input.dependencies !== undefined ? await resolveDependencies(ctx, input.dependencies) : action.dependencies;
  if (input.code !== undefined || input.dependencies !== undefined)
    await compileOrThrow(ctx, input.code ?? action.code, action.trigger_id, dependencies);
  const patch: Parameters<typeof ctx.repos.actions.update>[1] = {};
  if (input.name !== undefined) patch.name = input.name;
  if (input.code !== undefined) patch.code = input.code;
  if (input.runtime !== undefined) patch.runtime = input.runtime;
  if (input.dependencies !== undefined) patch.dependencies = dependencies;
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
  const updated = accepted(await ctx.repos.actions.update(id, patch), { duplicate: nameTaken(input.name) });
  if (!updated) throw notFound('The action does not exist.');
  return updated;
}

/** Deploys the draft: a new immutable version n+1 that becomes the one the pipeline runs. */
export async function deployAction(
  ctx: AppContext,
  id: string,
): Promise<{ action: ActionRecord; version: ActionVersionRecord }> {
  const action = await getAction(ctx, id);
  await compileOrThrow(ctx, action.code, action.trigger_id, action.dependencies);
  const version = await ctx.repos.actions.deploy(id, randomUUID(), 'draft', { draftDeployed: true });
  if (!version) throw notFound('The action does not exist.');
  ctx.deployedActions.forget(id);
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
  ctx.deployedActions.forget(actionId);
  return { action: (await ctx.repos.actions.get(actionId)) ?? action, version };
}

export async function deleteAction(ctx: AppContext, id: string, opts: { force: boolean }): Promise<void> {
  const outcome = await ctx.repos.actions.delete(id, opts);
  if (outcome === 'not_found') throw notFound('The action does not exist.');
  if (outcome === 'referenced_by_profile') {
    throw conflict('The action is used by a token exchange profile; delete the profile first.', 'action_in_use');
  }
  if (outcome === 'bound')
    throw conflict(
      'The action is bound to a trigger; remove the binding first or delete with force=true.',
      'action_in_use',
    );
  ctx.deployedActions.forget(id);
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
