/**
 * The cost of scale: fills a (stopped) Baton's database with many users and clients through the repositories,
 * so the next start sees them exactly as if they had been created over the API. Users go into the exchange's own
 * connection, so the Action's setUserByConnection looks users up in a populated table.
 */
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { openDatabase } from '../src/storage/database.js';
import { createRepositories } from '../src/storage/index.js';
import { CONNECTION, EXCHANGE_GRANT } from './seed.js';

export async function seedVolume(opts: {
  dataDir: string;
  databaseUrl?: string;
  users: number;
  clients: number;
}): Promise<void> {
  const opened = openDatabase({ databaseUrl: opts.databaseUrl, sqliteFile: path.join(opts.dataDir, 'baton.sqlite') });
  try {
    const repos = createRepositories(opened.db, opened.read, opened.dialect);
    const connection = await repos.connections.getByName(CONNECTION);
    if (!connection) throw new Error(`connection ${CONNECTION} missing`);
    for (let i = 0; i < opts.users; i++) {
      await repos.users.create(connection, {
        providerUserId: `seeded-${i}`,
        attributes: { email: `seeded-${i}@bench.example`, email_verified: true, name: `Seeded ${i}` },
      });
    }
    for (let i = 0; i < opts.clients; i++) {
      await repos.clients.create({
        client_id: randomBytes(16).toString('hex'),
        name: `bench-client-${i}`,
        description: '',
        app_type: 'regular_web',
        is_first_party: true,
        oidc_conformant: true,
        client_secret_hash: createHash('sha256').update(randomBytes(32)).digest('hex'),
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: [EXCHANGE_GRANT],
        callbacks: [],
        allowed_origins: [],
        client_metadata: {},
        token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
        organization_usage: null,
        organization_require_behavior: null,
        jwt_configuration: {},
        refresh_token: null,
        is_token_endpoint_ip_header_trusted: false,
        global: false,
      });
    }
  } finally {
    await opened.db.destroy();
  }
}
