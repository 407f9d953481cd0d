/**
 * What the Actions repository stores and returns: Actions, their immutable versions and trigger bindings, and
 * the mapping from their rows (JSON columns parsed, SQLite's 0/1 as booleans).
 */
import type { ActionsTable, ActionVersionsTable } from '../schema.js';
import { fromJson, toBool } from '../codec.js';
import type { TriggerId } from '../../actions/contract.js';

export interface ActionDependency {
  name: string;
  version: string;
  registry_url?: string;
}

export interface SecretName {
  name: string;
  updated_at: string;
}

export interface ActionRecord {
  id: string;
  name: string;
  trigger_id: TriggerId;
  trigger_version: string;
  code: string;
  runtime: string;
  dependencies: ActionDependency[];
  secrets_enc: string;
  secret_names: SecretName[];
  status: string;
  deployed_version_id: string | null;
  all_changes_deployed: boolean;
  created_at: string;
  updated_at: string;
}

export interface ActionVersionRecord {
  id: string;
  action_id: string;
  number: number;
  code: string;
  runtime: string;
  dependencies: ActionDependency[];
  secrets_enc: string;
  secret_names: SecretName[];
  deployed: boolean;
  status: string;
  created_at: string;
  updated_at: string;
}

export interface BindingRecord {
  id: string;
  trigger_id: string;
  position: number;
  action_id: string;
  display_name: string;
  created_at: string;
}

/** What a version is made of: the draft's code, dependencies, runtime and secrets at deploy time. */
export type VersionSnapshot = Pick<
  ActionVersionRecord,
  'code' | 'runtime' | 'dependencies' | 'secrets_enc' | 'secret_names'
>;

export type NewAction = Omit<
  ActionRecord,
  'created_at' | 'updated_at' | 'deployed_version_id' | 'all_changes_deployed'
>;
export type ActionPatch = Partial<
  Pick<ActionRecord, 'name' | 'code' | 'runtime' | 'dependencies' | 'secrets_enc' | 'secret_names'>
>;

export type DeleteOutcome = 'deleted' | 'not_found' | 'referenced_by_profile' | 'bound';

export function fromRow(r: ActionsTable): ActionRecord {
  return {
    id: r.id,
    name: r.name,
    trigger_id: r.trigger_id as TriggerId,
    trigger_version: r.trigger_version,
    code: r.code,
    runtime: r.runtime,
    dependencies: fromJson(r.dependencies, []),
    secrets_enc: r.secrets_enc,
    secret_names: fromJson(r.secret_names, []),
    status: r.status,
    deployed_version_id: r.deployed_version_id,
    all_changes_deployed: toBool(r.all_changes_deployed),
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

export function versionFromRow(r: ActionVersionsTable): ActionVersionRecord {
  return {
    id: r.id,
    action_id: r.action_id,
    number: Number(r.number),
    code: r.code,
    runtime: r.runtime,
    dependencies: fromJson(r.dependencies, []),
    secrets_enc: r.secrets_enc,
    secret_names: fromJson(r.secret_names, []),
    deployed: toBool(r.deployed),
    status: r.status,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

/** Spec 5.1: at most 50 versions per Action; the oldest versions that are not deployed make room. */
