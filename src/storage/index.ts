/** All repositories over one database. */
import type { Db, DialectName, ReadQuery } from './database.js';
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
    refreshTokens: refreshTokensRepository(db, dialect),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

export interface Storage {
  db: Db;
  dialect: DialectName;
  repos: Repositories;
}
