/**
 * Actions, their immutable versions, and the ordered trigger flows (trigger_bindings).
 * Secrets are stored only as a sealed blob (`secrets_enc`, compact JWE made by the caller) plus their names and
 * update times (`secret_names`) for responses; this repository never sees a secret in clear.
 */
import type { Db } from '../database.js';
import type { ActionsTable, ActionVersionsTable, TriggerBindingsTable } from '../schema.js';
import { fromBool, fromJson, toBool, toJson, nowIso } from '../codec.js';
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

function fromRow(r: ActionsTable): ActionRecord {
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

function versionFromRow(r: ActionVersionsTable): ActionVersionRecord {
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
export const MAX_VERSIONS_PER_ACTION = 50;

export function actionsRepository(db: Db) {
  return {
    async create(a: NewAction): Promise<ActionRecord> {
      const now = nowIso();
      const row: ActionsTable = {
        id: a.id,
        name: a.name,
        trigger_id: a.trigger_id,
        trigger_version: a.trigger_version,
        code: a.code,
        runtime: a.runtime,
        dependencies: toJson(a.dependencies),
        secrets_enc: a.secrets_enc,
        secret_names: toJson(a.secret_names),
        status: a.status,
        deployed_version_id: null,
        all_changes_deployed: 0,
        created_at: now,
        updated_at: now,
      };
      await db.insertInto('actions').values(row).execute();
      return fromRow(row);
    },

    async get(id: string): Promise<ActionRecord | undefined> {
      const row = await db.selectFrom('actions').selectAll().where('id', '=', id).executeTakeFirst();
      return row && fromRow(row);
    },

    async getByName(name: string): Promise<ActionRecord | undefined> {
      const row = await db.selectFrom('actions').selectAll().where('name', '=', name).executeTakeFirst();
      return row && fromRow(row);
    },

    async count(): Promise<number> {
      const r = await db
        .selectFrom('actions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    async list(opts: { page: number; perPage: number; triggerId?: string; actionName?: string; deployed?: boolean }) {
      let q = db.selectFrom('actions');
      if (opts.triggerId !== undefined) q = q.where('trigger_id', '=', opts.triggerId);
      if (opts.actionName !== undefined) q = q.where('name', '=', opts.actionName);
      if (opts.deployed === true) q = q.where('deployed_version_id', 'is not', null);
      if (opts.deployed === false) q = q.where('deployed_version_id', 'is', null);
      const [rows, total] = await Promise.all([
        q
          .selectAll()
          .orderBy('created_at')
          .orderBy('id')
          .limit(opts.perPage)
          .offset(opts.page * opts.perPage)
          .execute(),
        q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { actions: rows.map(fromRow), total: Number(total.n) };
    },

    /** Changes the draft; any change but the name leaves changes undeployed. */
    async update(id: string, patch: ActionPatch): Promise<ActionRecord | undefined> {
      const set: Partial<ActionsTable> = { updated_at: nowIso() };
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.code !== undefined) set.code = patch.code;
      if (patch.runtime !== undefined) set.runtime = patch.runtime;
      if (patch.dependencies !== undefined) set.dependencies = toJson(patch.dependencies);
      if (patch.secrets_enc !== undefined) set.secrets_enc = patch.secrets_enc;
      if (patch.secret_names !== undefined) set.secret_names = toJson(patch.secret_names);
      const draftChanged = ['code', 'runtime', 'dependencies', 'secrets_enc'].some(
        (k) => patch[k as keyof ActionPatch] !== undefined,
      );
      if (draftChanged) set.all_changes_deployed = 0;
      const r = await db.updateTable('actions').set(set).where('id', '=', id).executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return undefined;
      return this.get(id);
    },

    /**
     * Creates version n+1 from the snapshot and makes it the deployed one, in one transaction. `draftDeployed`
     * says whether the draft now equals the deployed version (a deploy: yes; a rollback: only if it updated the
     * draft too, `draftUpdate`). Returns undefined when the Action is gone.
     */
    async deploy(
      actionId: string,
      versionId: string,
      source: VersionSnapshot | 'draft',
      opts: { draftDeployed: boolean; draftUpdate?: boolean },
    ): Promise<ActionVersionRecord | undefined> {
      return db.transaction().execute(async (trx) => {
        const now = nowIso();
        // Touch the Action row first: on PostgreSQL this row lock serialises concurrent deploys and PATCHes of it.
        const draft: Partial<ActionsTable> = { all_changes_deployed: fromBool(opts.draftDeployed) };
        if (opts.draftUpdate && source !== 'draft') {
          Object.assign(draft, {
            code: source.code,
            runtime: source.runtime,
            dependencies: toJson(source.dependencies),
            secrets_enc: source.secrets_enc,
            secret_names: toJson(source.secret_names),
            updated_at: now,
          });
        }
        const touched = await trx.updateTable('actions').set(draft).where('id', '=', actionId).executeTakeFirst();
        if (Number(touched.numUpdatedRows) === 0) return undefined;
        // The draft is read under that lock, so a racing PATCH is either wholly in the version or not at all.
        const snapshot: VersionSnapshot =
          source === 'draft'
            ? fromRow(await trx.selectFrom('actions').selectAll().where('id', '=', actionId).executeTakeFirstOrThrow())
            : source;
        const last = await trx
          .selectFrom('action_versions')
          .select((eb) => eb.fn.max('number').as('n'))
          .where('action_id', '=', actionId)
          .executeTakeFirst();
        const number = Number(last?.n ?? 0) + 1;
        await trx
          .updateTable('action_versions')
          .set({ deployed: 0, updated_at: now })
          .where('action_id', '=', actionId)
          .where('deployed', '=', 1)
          .execute();
        const row: ActionVersionsTable = {
          id: versionId,
          action_id: actionId,
          number,
          code: snapshot.code,
          runtime: snapshot.runtime,
          dependencies: toJson(snapshot.dependencies),
          secrets_enc: snapshot.secrets_enc,
          secret_names: toJson(snapshot.secret_names),
          deployed: 1,
          status: 'built',
          created_at: now,
          updated_at: now,
        };
        await trx.insertInto('action_versions').values(row).execute();
        await trx.updateTable('actions').set({ deployed_version_id: versionId }).where('id', '=', actionId).execute();
        const stale = await trx
          .selectFrom('action_versions')
          .select('id')
          .where('action_id', '=', actionId)
          .where('deployed', '=', 0)
          .orderBy('number', 'desc')
          .offset(MAX_VERSIONS_PER_ACTION - 1)
          .limit(1000)
          .execute();
        if (stale.length)
          await trx
            .deleteFrom('action_versions')
            .where(
              'id',
              'in',
              stale.map((s) => s.id),
            )
            .execute();
        return versionFromRow(row);
      });
    },

    async listVersions(actionId: string, opts: { page: number; perPage: number }) {
      const q = db.selectFrom('action_versions').where('action_id', '=', actionId);
      const [rows, total] = await Promise.all([
        q
          .selectAll()
          .orderBy('number', 'desc')
          .limit(opts.perPage)
          .offset(opts.page * opts.perPage)
          .execute(),
        q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { versions: rows.map(versionFromRow), total: Number(total.n) };
    },

    async getVersion(actionId: string, versionId: string): Promise<ActionVersionRecord | undefined> {
      const row = await db
        .selectFrom('action_versions')
        .selectAll()
        .where('action_id', '=', actionId)
        .where('id', '=', versionId)
        .executeTakeFirst();
      return row && versionFromRow(row);
    },

    async getVersionsByIds(ids: string[]): Promise<ActionVersionRecord[]> {
      if (ids.length === 0) return [];
      const rows = await db.selectFrom('action_versions').selectAll().where('id', 'in', ids).execute();
      return rows.map(versionFromRow);
    },

    /** The cheap per-request read: which version of the Action is deployed now. */
    async deployedPointer(
      actionId: string,
    ): Promise<{ deployed_version_id: string | null; trigger_id: string; name: string } | undefined> {
      return db
        .selectFrom('actions')
        .select(['deployed_version_id', 'trigger_id', 'name'])
        .where('id', '=', actionId)
        .executeTakeFirst();
    },

    async bindings(triggerId: string): Promise<BindingRecord[]> {
      const rows = await db
        .selectFrom('trigger_bindings')
        .selectAll()
        .where('trigger_id', '=', triggerId)
        .orderBy('position')
        .execute();
      return rows.map((r) => ({ ...r, position: Number(r.position) }));
    },

    /** The flow's Actions in order with their deployed version ids: one query per request. */
    async boundDeployed(
      triggerId: string,
    ): Promise<Array<{ action_id: string; name: string; deployed_version_id: string | null }>> {
      return db
        .selectFrom('trigger_bindings')
        .innerJoin('actions', 'actions.id', 'trigger_bindings.action_id')
        .select([
          'trigger_bindings.action_id as action_id',
          'actions.name as name',
          'actions.deployed_version_id as deployed_version_id',
        ])
        .where('trigger_bindings.trigger_id', '=', triggerId)
        .orderBy('trigger_bindings.position')
        .execute();
    },

    /** Replaces a trigger's whole flow with the given ordered bindings. */
    async replaceBindings(
      triggerId: string,
      bindings: Array<Pick<BindingRecord, 'id' | 'action_id' | 'display_name'>>,
    ): Promise<BindingRecord[]> {
      const now = nowIso();
      const rows: TriggerBindingsTable[] = bindings.map((b, i) => ({
        id: b.id,
        trigger_id: triggerId,
        position: i,
        action_id: b.action_id,
        display_name: b.display_name,
        created_at: now,
      }));
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('trigger_bindings').where('trigger_id', '=', triggerId).execute();
        if (rows.length) await trx.insertInto('trigger_bindings').values(rows).execute();
      });
      return rows;
    },

    /**
     * Deletes the Action with its versions. A profile reference always refuses (DESIGN D12); a binding in a flow
     * refuses unless `force`, which removes the bindings (Auth0's `force`). Checked inside the transaction.
     */
    async delete(id: string, opts: { force: boolean }): Promise<DeleteOutcome> {
      return db.transaction().execute(async (trx) => {
        const exists = await trx.selectFrom('actions').select('id').where('id', '=', id).executeTakeFirst();
        if (!exists) return 'not_found';
        const profile = await trx
          .selectFrom('token_exchange_profiles')
          .select('id')
          .where('action_id', '=', id)
          .limit(1)
          .executeTakeFirst();
        if (profile) return 'referenced_by_profile';
        const bound = await trx
          .selectFrom('trigger_bindings')
          .select('id')
          .where('action_id', '=', id)
          .limit(1)
          .executeTakeFirst();
        if (bound && !opts.force) return 'bound';
        await trx.deleteFrom('trigger_bindings').where('action_id', '=', id).execute();
        await trx.deleteFrom('action_versions').where('action_id', '=', id).execute();
        await trx.deleteFrom('actions').where('id', '=', id).execute();
        return 'deleted';
      });
    },
  };
}

export type ActionsRepository = ReturnType<typeof actionsRepository>;
