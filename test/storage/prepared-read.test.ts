/**
 * The hot reads (storage/prepared.ts) run outside Kysely: on a SQLite file through a second, read-only connection,
 * on PostgreSQL through the pool. They must see what is committed, and only that.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, startTestApp, type TestApp } from '../helpers/app.js';
import { sql } from 'kysely';
import { preparedRead } from '../../src/storage/prepared.js';

for (const dialect of [...DIALECTS, 'sqlite-file'] as const) {
  describe(`prepared reads (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ dialect });
    });
    after(() => t.close());

    test('a user is found by id and by identity, with its identities, once committed; never before', async () => {
      const users = t.ctx.repos.users;
      const connection = await t.ctx.repos.connections.create({
        id: 'con_prep',
        name: 'prep-idp',
        strategy: 'oidc',
        display_name: null,
        options: {},
        enabled_clients: [],
        metadata: {},
      });
      assert.equal(await users.getByIdentity(connection.id, 'ext-1'), undefined);
      const db = t.ctx.storage.db;
      // A transaction that has inserted the user but not committed: the hot reads do not see it (on :memory: the
      // read waits for the transaction instead, as Kysely queues every query behind it, then sees the commit).
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const tx = db.transaction().execute(async (trx) => {
        await trx
          .insertInto('users')
          .values({
            user_id: 'oidc|prep-idp|ext-1',
            connection_id: connection.id,
            blocked: 0,
            app_metadata: '{}',
            user_metadata: '{}',
            logins_count: 0,
            email_verified: 0,
            phone_verified: 0,
            created_at: '2026-11-22T00:00:00.000Z',
            updated_at: '2026-11-22T00:00:00.000Z',
          })
          .execute();
        await trx
          .insertInto('user_identities')
          .values({
            connection_id: connection.id,
            provider_user_id: 'ext-1',
            user_id: 'oidc|prep-idp|ext-1',
            provider: 'oidc',
            connection: 'prep-idp',
            is_social: 0,
            profile_data: null,
            created_at: '2026-11-22T00:00:00.000Z',
          })
          .execute();
        await gate;
      });
      const during = dialect === 'sqlite' ? undefined : await users.getByIdentity(connection.id, 'ext-1');
      assert.equal(during, undefined, 'an uncommitted user is not visible');
      release();
      await tx;
      const byIdentity = await users.getByIdentity(connection.id, 'ext-1');
      assert.equal(byIdentity?.user_id, 'oidc|prep-idp|ext-1');
      assert.deepEqual(
        byIdentity?.identities.map((i) => [i.connection, i.user_id]),
        [['prep-idp', 'ext-1']],
      );
      assert.deepEqual(await users.get('oidc|prep-idp|ext-1'), byIdentity);
      assert.equal(await users.get('oidc|prep-idp|missing'), undefined);
    });

    if (dialect === 'postgres') {
      test('a table changed under the prepared statements (a migration by another node) does not fail reads', async () => {
        const users = t.ctx.repos.users;
        const id = 'oidc|prep-idp|ext-1';
        // Prepare the statement on as many pooled connections as concurrent reads reach.
        await Promise.all(Array.from({ length: 20 }, () => users.get(id)));
        await sql`alter table users add column added_by_migration text`.execute(t.ctx.storage.db);
        const after = await Promise.all(Array.from({ length: 20 }, () => users.get(id)));
        for (const u of after) assert.equal(u?.user_id, id);
      });
    }

    test('arguments are bound as parameters, constants are kept, and text is never spliced into the SQL', async () => {
      const seen: Array<{ sql: string; parameters: readonly unknown[] }> = [];
      const q = preparedRead<{ name: string }, { name: string }>(
        async (sql, parameters) => {
          seen.push({ sql, parameters });
          return [];
        },
        (arg) =>
          t.ctx.storage.db
            .selectFrom('connections')
            .select('name')
            .where('name', '=', arg('name'))
            .where('strategy', '=', 'oidc')
            .limit(3),
      );
      await q({ name: "x' or '1'='1" });
      await q({ name: 'second' });
      assert.equal(seen[0]!.sql, seen[1]!.sql, 'compiled once');
      assert.ok(!seen[0]!.sql.includes("or '1'"));
      assert.deepEqual(
        seen.map((s) => s.parameters),
        [
          ["x' or '1'='1", 'oidc', 3],
          ['second', 'oidc', 3],
        ],
      );
    });
  });
}
