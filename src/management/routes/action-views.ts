/**
 * The Actions API's response objects built from the stored records (storage/repositories/actions.ts): actions
 * with their deployed version, versions and trigger bindings, in Auth0's shapes.
 */
import type { AppContext } from '../../context.js';
import type { ActionRecord, ActionVersionRecord, BindingRecord } from '../../storage/repositories/actions.js';

const triggerView = (a: ActionRecord) => [{ id: a.trigger_id, version: a.trigger_version }];

function actionBase(a: ActionRecord) {
  return {
    id: a.id,
    name: a.name,
    supported_triggers: triggerView(a),
    all_changes_deployed: a.all_changes_deployed,
    created_at: a.created_at,
    updated_at: a.updated_at,
  };
}

export function presentVersion(a: ActionRecord, v: ActionVersionRecord) {
  return {
    id: v.id,
    action_id: v.action_id,
    code: v.code,
    // Copies as object literals, which the (open) response schema's item type accepts.
    dependencies: v.dependencies.map((d) => ({ ...d })),
    deployed: v.deployed,
    runtime: v.runtime,
    secrets: v.secret_names.map((n) => ({ ...n })),
    status: v.status,
    number: v.number,
    errors: [],
    action: actionBase(a),
    built_at: v.created_at,
    created_at: v.created_at,
    updated_at: v.updated_at,
    supported_triggers: triggerView(a),
  };
}

export async function presentActions(ctx: AppContext, actions: ActionRecord[]) {
  const ids = actions.map((a) => a.deployed_version_id).filter((id): id is string => id !== null);
  const versions = new Map((await ctx.repos.actions.getVersionsByIds(ids)).map((v) => [v.id, v]));
  return actions.map((a) => {
    const out: Record<string, unknown> = {
      ...actionBase(a),
      code: a.code,
      dependencies: a.dependencies,
      runtime: a.runtime,
      secrets: a.secret_names,
      status: a.status,
      built_at: a.updated_at,
    };
    const deployed = a.deployed_version_id ? versions.get(a.deployed_version_id) : undefined;
    if (deployed) out.deployed_version = presentVersion(a, deployed);
    return out;
  });
}

export const presentAction = async (ctx: AppContext, a: ActionRecord) => (await presentActions(ctx, [a]))[0]!;

export async function presentBindings(ctx: AppContext, bindings: Array<BindingRecord & { action: ActionRecord }>) {
  const actions = await presentActions(
    ctx,
    bindings.map((b) => b.action),
  );
  return bindings.map((b, i) => ({
    id: b.id,
    trigger_id: b.trigger_id,
    display_name: b.display_name,
    action: actions[i],
    created_at: b.created_at,
    updated_at: b.created_at,
  }));
}
