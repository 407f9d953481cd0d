/**
 * used_jtis (private_key_jwt replay cache) is purged as it is used (issue 10, L7): a claim deletes expired rows, at
 * most USED_JTI_PURGE_BATCH per purge, again on the next claim while a backlog remains, otherwise once per
 * USED_JTI_PURGE_INTERVAL_MS. Live jtis are never purged. The repository's clock is injected; nothing sleeps.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, startTestApp, type TestApp } from '../helpers/app.js';
import {
  usedJtisRepository,
  USED_JTI_PURGE_BATCH,
  USED_JTI_PURGE_INTERVAL_MS,
} from '../../src/storage/repositories/used-jtis.js';

for (const dialect of DIALECTS) {
  describe(`used jtis purge (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ dialect });
    });
    after(() => t.close());

    const count = async () =>
      Number(
        (
          await t.ctx.storage.db
            .selectFrom('used_jtis')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    async function insertExpired(prefix: string, n: number, expiresAt: number) {
      const rows = Array.from({ length: n }, (_, i) => ({ jti: `${prefix}-${i}`, expires_at_epoch: expiresAt }));
      for (let i = 0; i < rows.length; i += 200)
        await t.ctx.storage.db
          .insertInto('used_jtis')
          .values(rows.slice(i, i + 200))
          .execute();
    }

    test('a claim purges expired rows, bounded per purge, until the backlog is gone; then once per interval', async () => {
      await t.ctx.storage.db.deleteFrom('used_jtis').execute();
      let ms = 1_800_000_000_000;
      const repo = usedJtisRepository(t.ctx.storage.db, { now: () => ms });
      const sec = () => Math.floor(ms / 1000);
      assert.ok(USED_JTI_PURGE_BATCH >= 1 && USED_JTI_PURGE_INTERVAL_MS >= 1000);

      await insertExpired('old', 2 * USED_JTI_PURGE_BATCH + 7, sec() - 10);
      await insertExpired('live', 5, sec() + 3600);
      const total = 2 * USED_JTI_PURGE_BATCH + 12;
      assert.equal(await count(), total);

      assert.equal(await repo.claim('fresh-1', sec() + 60), true);
      assert.equal(await count(), total + 1 - USED_JTI_PURGE_BATCH, 'one bounded batch');
      assert.equal(await repo.claim('fresh-2', sec() + 60), true);
      assert.equal(
        await count(),
        total + 2 - 2 * USED_JTI_PURGE_BATCH,
        'a full batch means a backlog: purged again at once',
      );
      assert.equal(await repo.claim('fresh-3', sec() + 60), true);
      assert.equal(await count(), 5 + 3, 'the rest of the backlog; live jtis stay');

      // No backlog: the next purge waits for the interval.
      await insertExpired('later', 3, sec() - 1);
      assert.equal(await repo.claim('fresh-4', sec() + 60), true);
      assert.equal(await count(), 5 + 4 + 3);
      ms += USED_JTI_PURGE_INTERVAL_MS;
      assert.equal(await repo.claim('fresh-5', sec() + 60), true);
      assert.equal(await count(), 5 + 5);

      // A replayed live jti is still refused, and a refused claim purges too once the interval has passed
      // (fresh-1 to fresh-4 have expired by then; fresh-5 expires this very second, so it stays).
      assert.equal(await repo.claim('fresh-1', sec() + 60), false);
      await insertExpired('last', 2, sec() - 1);
      ms += USED_JTI_PURGE_INTERVAL_MS;
      assert.equal(await repo.claim('live-0', sec() + 60), false);
      assert.equal(await count(), 5 + 1);
    });

    test("the app's own repository purges on claim as well", async () => {
      await t.ctx.storage.db.deleteFrom('used_jtis').execute();
      const nowSec = Math.floor(Date.now() / 1000);
      await insertExpired('app-old', 3, nowSec - 100);
      // A fresh repository over the app's database (its first claim may purge: no purge has run yet).
      const repo = usedJtisRepository(t.ctx.storage.db);
      assert.equal(await repo.claim('app-fresh', nowSec + 60), true);
      assert.equal(await count(), 1);
    });
  });
}
