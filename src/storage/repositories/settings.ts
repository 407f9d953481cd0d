import type { Db } from '../database.js';
import { nowIso } from '../codec.js';

/** Tenant settings: one JSON document per key. */
export function settingsRepository(db: Db) {
  return {
    async get<T>(key: string): Promise<T | undefined> {
      const r = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
      return r ? (JSON.parse(r.value) as T) : undefined;
    },
    async set(key: string, value: unknown): Promise<void> {
      const row = { key, value: JSON.stringify(value), updated_at: nowIso() };
      await db
        .insertInto('settings')
        .values(row)
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: row.value, updated_at: row.updated_at }))
        .execute();
    },
  };
}

export type SettingsRepository = ReturnType<typeof settingsRepository>;
