/**
 * Actions, their immutable versions, and the ordered trigger flows (trigger_bindings).
 * Secrets are stored only as a sealed blob (`secrets_enc`, compact JWE made by the caller) plus their names and
 * update times (`secret_names`) for responses; this repository never sees a secret in clear.
 */
import type { Db } from '../database.js';
import type { ActionsTable, ActionVersionsTable } from '../schema.js';
import { fromBool, toJson, nowIso } from '../codec.js';
import {
  fromRow,
  versionFromRow,
  type ActionPatch,
  type ActionRecord,
  type ActionVersionRecord,
  type DeleteOutcome,
  type NewAction,
  type VersionSnapshot,
} from './action-records.js';
import { actionBindings } from './action-bindings.js';
import { written, type Written } from './outcome.js';
import { isForeignKeyViolation } from '../database.js';

export type {
  ActionDependency,
  ActionPatch,
  ActionRecord,
  ActionVersionRecord,
  BindingRecord,
  DeleteOutcome,
  NewAction,
  SecretName,
  VersionSnapshot,
} from './action-records.js';

const MAX_VERSIONS_PER_ACTION = 50;

export function actionsRepository(db: Db) {
  return {
    ...actionBindings(db),
    /** A taken name is `duplicate`. */
    async create(a: NewAction): Promise<Written<ActionRecord>> {
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
      return written(async () => {
        await db.insertInto('actions').values(row).execute();
        return fromRow(row);
      });
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

    /** Changes the draft; any change but the name leaves changes undeployed. A taken name is `duplicate`. */
    async update(id: string, patch: ActionPatch): Promise<Written<ActionRecord | undefined>> {
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
      return written(async () => {
        const r = await db.updateTable('actions').set(set).where('id', '=', id).executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) return undefined;
        return this.get(id);
      });
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

    /**
     * Deletes the Action with its versions. A profile reference always refuses (DESIGN D12); a binding in a flow
     * refuses unless `force`, which removes the bindings (Auth0's `force`). Checked inside the transaction.
     */
    async delete(id: string, opts: { force: boolean }): Promise<DeleteOutcome> {
      try {
        return await db.transaction().execute(async (trx) => {
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
      } catch (err) {
        // A profile created between the check and the delete: the foreign key refuses it.
        if (isForeignKeyViolation(err)) return 'referenced_by_profile';
        throw err;
      }
    },
  };
}

export type ActionsRepository = ReturnType<typeof actionsRepository>;
