/** The database: opened and migrated (`openStorage`), and all repositories over it. */
import path from 'node:path';
import { openDatabase, type Db, type DialectName, type ReadQuery } from './database.js';
import type { PoolTimeouts } from './pg-pool.js';
import { migrateToLatest } from './migrations.js';
import { clientsRepository } from './repositories/clients.js';
import { clientGrantsRepository } from './repositories/client-grants.js';
import { resourceServersRepository } from './repositories/resource-servers.js';
import { signingKeysRepository } from './repositories/signing-keys.js';
import { settingsRepository } from './repositories/settings.js';
import { usedJtisRepository } from './repositories/used-jtis.js';
import { connectionsRepository } from './repositories/connections.js';
import { usersRepository } from './repositories/users.js';
import { organizationsRepository } from './repositories/organizations.js';
import { logsRepository } from './repositories/logs.js';
import { tokenExchangeProfilesRepository } from './repositories/token-exchange-profiles.js';
import { actionsRepository } from './repositories/actions.js';
import { actionPackagesRepository } from './repositories/action-packages.js';
import { refreshTokensRepository } from './repositories/refresh-tokens.js';

/** `dialect` is the one flag for dialect-specific SQL (row locks, JSON helpers): no repository inspects the driver. */
export function createRepositories(db: Db, read: ReadQuery, dialect: DialectName) {
  return {
    clients: clientsRepository(db),
    clientGrants: clientGrantsRepository(db),
    resourceServers: resourceServersRepository(db),
    signingKeys: signingKeysRepository(db),
    settings: settingsRepository(db),
    usedJtis: usedJtisRepository(db),
    connections: connectionsRepository(db, dialect),
    users: usersRepository(db, read, dialect),
    organizations: organizationsRepository(db),
    logs: logsRepository(db),
    profiles: tokenExchangeProfilesRepository(db),
    actions: actionsRepository(db),
    actionPackages: actionPackagesRepository(db),
    refreshTokens: refreshTokensRepository(db, dialect),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

export interface Storage {
  db: Db;
  dialect: DialectName;
  repos: Repositories;
}

/** A migration may build an index over a large table: on PostgreSQL it runs on a pool of its own, with no query
 *  timeout (the serving pool's would cut it), then that pool closes. */
function migrationTimeouts(config: { pgTimeouts?: PoolTimeouts }): PoolTimeouts {
  return { connectTimeoutMs: config.pgTimeouts?.connectTimeoutMs ?? 10_000, queryTimeoutMs: 0 };
}

async function migrateOver(opened: ReturnType<typeof openDatabase>, then: 'keep' | 'close'): Promise<void> {
  try {
    await migrateToLatest(opened.db, opened.dialect);
  } catch (err) {
    await opened.db.destroy();
    throw err;
  }
  if (then === 'close') await opened.db.destroy();
}

/** Storage opened for use: the database at the latest schema, its repositories, and how to close it. */
export interface OpenStorage extends Storage {
  close(): Promise<void>;
}

/**
 * Opens the configured database (PostgreSQL with `databaseUrl`, else SQLite in `dataDir`, or `sqliteFile`) and
 * migrates it. This is all `baton migrate` and `baton keys rotate` need: no sandbox, no Redis, no keys.
 */
export async function openStorage(
  config: { databaseUrl?: string | undefined; dataDir: string; pgTimeouts?: PoolTimeouts },
  opts: { sqliteFile?: string; migrate?: boolean } = {},
): Promise<OpenStorage> {
  const where = {
    databaseUrl: config.databaseUrl,
    sqliteFile: opts.sqliteFile ?? path.join(config.dataDir, 'baton.sqlite'),
  };
  // A `--workers` server process skips migrations: the primary migrated before forking (cluster/workers.ts).
  const migrate = opts.migrate !== false;
  if (config.databaseUrl && migrate)
    await migrateOver(openDatabase({ ...where, poolSize: 2, timeouts: migrationTimeouts(config) }), 'close');
  const opened = openDatabase({ ...where, ...(config.pgTimeouts ? { timeouts: config.pgTimeouts } : {}) });
  // SQLite migrates over the one connection (an in-memory database has no other).
  if (!config.databaseUrl && migrate) await migrateOver(opened, 'keep');
  return {
    db: opened.db,
    dialect: opened.dialect,
    repos: createRepositories(opened.db, opened.read, opened.dialect),
    close: () => opened.db.destroy(),
  };
}
