/**
 * The npm packages Actions depend on, each bundled once per name and exact version (actions/packages/). A bundle is
 * immutable: a second write of the same name and version (another node built it at the same time) is dropped.
 */
import type { Db } from '../database.js';
import { nowIso } from '../codec.js';

export interface StoredPackage {
  name: string;
  version: string;
  code: string;
  sha256: string;
  bytes: number;
}

export function actionPackagesRepository(db: Db) {
  return {
    async get(name: string, version: string): Promise<StoredPackage | undefined> {
      return db
        .selectFrom('action_packages')
        .select(['name', 'version', 'code', 'sha256', 'bytes'])
        .where('name', '=', name)
        .where('version', '=', version)
        .executeTakeFirst();
    },

    /** Whether the bundle is stored, without reading its code. */
    async has(name: string, version: string): Promise<boolean> {
      const row = await db
        .selectFrom('action_packages')
        .select('bytes')
        .where('name', '=', name)
        .where('version', '=', version)
        .executeTakeFirst();
      return row !== undefined;
    },

    async put(p: StoredPackage): Promise<void> {
      await db
        .insertInto('action_packages')
        .values({ ...p, created_at: nowIso() })
        .onConflict((oc) => oc.columns(['name', 'version']).doNothing())
        .execute();
    },
  };
}

export type ActionPackagesRepository = ReturnType<typeof actionPackagesRepository>;
