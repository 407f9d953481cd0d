/**
 * The deployed Actions the token endpoint runs: an Action's deployed version (`getDeployedVersion`, the token
 * exchange) and the post-login flow (`boundPostLoginActions`), decoded once per version and cached per process.
 */
import type { AppContext } from '../context.js';
import type { TriggerId } from './contract.js';
import { isTriggerId } from './catalog.js';
import { openSecrets, secretsRecord } from './secrets.js';

/** A deployed version as the pipeline runs it. */
export interface DeployedAction {
  actionId: string;
  name: string;
  versionId: string;
  code: string;
  secrets: Record<string, string>;
  trigger: TriggerId;
}

/**
 * Versions are immutable, so a decoded version is cached by its id and never goes stale; each call reads only the
 * Action's deployed-version pointer (one primary-key read), so a deploy on any node is honoured at once.
 */
const versionCache = new WeakMap<AppContext, Map<string, DeployedAction>>();

function cacheOf(ctx: AppContext): Map<string, DeployedAction> {
  let m = versionCache.get(ctx);
  if (!m) versionCache.set(ctx, (m = new Map<string, DeployedAction>()));
  return m;
}

/** Drops the cached versions of an Action (after a deploy, a roll-back or a delete). */
export function forgetAction(ctx: AppContext, actionId: string): void {
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
