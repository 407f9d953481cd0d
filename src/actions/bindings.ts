/** The trigger bindings (spec 7.1): the ordered post-login flow, read and replaced through the Management API. */
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.js';
import type { TriggerId } from './contract.js';
import { badRequest, notFound } from '../management/errors.js';
import { accepted } from '../management/refusals.js';
import type { ActionRecord, BindingRecord } from '../storage/repositories/actions.js';
import { BINDING_POLICY, LIMITS, isTriggerId } from './catalog.js';

export type BindingRef = { type: 'action_id' | 'action_name'; value: string };

function checkBindableTrigger(triggerId: string): TriggerId {
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
  // missing_reference: an Action deleted while the flow was being saved.
  const rows = accepted(await ctx.repos.actions.replaceBindings(trigger, resolved), {
    missing_reference: () => badRequest('An action of the flow no longer exists.'),
  });
  return rows.map((r, i) => ({ ...r, action: resolved[i]!.action }));
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
