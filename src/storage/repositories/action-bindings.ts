/**
 * The ordered trigger flows (trigger_bindings): read, replaced as a whole, and joined with the bound Actions'
 * deployed versions for the exchange. Part of the Actions repository (actions.ts).
 */
import type { Db } from '../database.js';
import type { TriggerBindingsTable } from '../schema.js';
import { nowIso } from '../codec.js';
import type { BindingRecord } from './action-records.js';
import { written, type Written } from './outcome.js';

export function actionBindings(db: Db) {
  return {
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

    /** Replaces a trigger's whole flow with the given ordered bindings; an Action that no longer exists is `missing_reference`. */
    async replaceBindings(
      triggerId: string,
      bindings: Array<Pick<BindingRecord, 'id' | 'action_id' | 'display_name'>>,
    ): Promise<Written<BindingRecord[]>> {
      const now = nowIso();
      const rows: TriggerBindingsTable[] = bindings.map((b, i) => ({
        id: b.id,
        trigger_id: triggerId,
        position: i,
        action_id: b.action_id,
        display_name: b.display_name,
        created_at: now,
      }));
      return written(async () => {
        await db.transaction().execute(async (trx) => {
          await trx.deleteFrom('trigger_bindings').where('trigger_id', '=', triggerId).execute();
          if (rows.length) await trx.insertInto('trigger_bindings').values(rows).execute();
        });
        return rows;
      });
    },
  };
}
