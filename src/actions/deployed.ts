/**
 * The deployed Actions the token endpoint runs: an Action's deployed version (token exchange) and the post-login
 * flow, decoded once per version and cached per process.
 */
import { PROVIDED_MODULES, type PackageBundle, type TriggerId } from './contract.js';
import type { ActionPackages } from './packages/index.js';
import { isTriggerId } from './catalog.js';
import { openSecrets, secretsRecord } from './secrets.js';
import type { Sealer } from '../crypto/master-key.js';
import type { ConfigReads } from '../cluster/config-reads.js';
import type { ActionsRepository } from '../storage/repositories/actions.js';

/** The dependencies that are npm packages: the provided modules (contract.ts) are served by the sandbox. */
export const npmDependencies = <D extends { name: string }>(deps: readonly D[]): D[] =>
  deps.filter((d) => !(PROVIDED_MODULES as readonly string[]).includes(d.name));

/** A deployed version as the pipeline runs it. */
export interface DeployedAction {
  actionId: string;
  name: string;
  versionId: string;
  code: string;
  secrets: Record<string, string>;
  trigger: TriggerId;
  /** The version's npm dependencies, bundled (actions/packages/). */
  packages: PackageBundle[];
}

interface Pointer {
  actionId: string;
  name: string;
  trigger: string;
  versionId: string;
}

/**
 * Versions are immutable, so a decoded version is cached by its id and never goes stale; each call reads only the
 * Action's deployed-version pointer (through the config cache), so a deploy on any node is honoured at once.
 */
export class DeployedActions {
  private readonly versions = new Map<string, DeployedAction>();

  constructor(
    private readonly deps: {
      reads: Pick<ConfigReads, 'actionPointer' | 'postLoginFlow'>;
      actions: Pick<ActionsRepository, 'getVersion'>;
      packages: Pick<ActionPackages, 'load'>;
      sealer: Sealer;
    },
  ) {}

  /** Drops the cached versions of an Action (after a deploy, a roll-back or a delete). */
  forget(actionId: string): void {
    for (const [key, v] of this.versions) if (v.actionId === actionId) this.versions.delete(key);
  }

  private async load(pointer: Pointer): Promise<DeployedAction | undefined> {
    const hit = this.versions.get(pointer.versionId);
    if (hit) return hit;
    const version = await this.deps.actions.getVersion(pointer.actionId, pointer.versionId);
    if (!version || !isTriggerId(pointer.trigger)) return undefined;
    const secrets = await openSecrets(this.deps, pointer.actionId, version.secrets_enc);
    const deployed: DeployedAction = {
      actionId: pointer.actionId,
      name: pointer.name,
      versionId: version.id,
      code: version.code,
      secrets: secretsRecord(secrets),
      trigger: pointer.trigger,
      packages: await this.deps.packages.load(npmDependencies(version.dependencies)),
    };
    this.versions.set(version.id, deployed);
    return deployed;
  }

  /** The deployed version of an Action, or undefined when the Action does not exist or was never deployed. */
  async version(actionId: string): Promise<DeployedAction | undefined> {
    const pointer = await this.deps.reads.actionPointer(actionId);
    if (!pointer?.deployed_version_id) return undefined;
    return this.load({
      actionId,
      name: pointer.name,
      trigger: pointer.trigger_id,
      versionId: pointer.deployed_version_id,
    });
  }

  /** The post-login flow (spec 7.1): the bound Actions' deployed versions, in flow order. */
  async postLoginFlow(): Promise<DeployedAction[]> {
    const out: DeployedAction[] = [];
    for (const r of await this.deps.reads.postLoginFlow()) {
      if (!r.deployed_version_id) continue;
      const v = await this.load({
        actionId: r.action_id,
        name: r.name,
        trigger: 'post-login',
        versionId: r.deployed_version_id,
      });
      if (v) out.push(v);
    }
    return out;
  }
}
