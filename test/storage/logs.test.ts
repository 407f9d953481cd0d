/** Storage conformance: tenant logs and the batched log writer (spec section 11), on every dialect. */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { DIALECTS, startTestApp, type TestApp } from '../helpers/app.js';
import { createLogWriter } from '../../src/logs/writer.js';
import { purgeLogs, LOG_RETENTION_DAYS, LOG_MAX_ROWS } from '../../src/logs/retention.js';
import { loadConfig } from '../../src/config/index.js';

for (const dialect of DIALECTS) {
  describe(`logs repository and writer (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ dialect });
    });
    after(() => t.close());

    test('append a batch; list newest first with paging, type filter and totals; get by id', async () => {
      const entries = Array.from({ length: 250 }, (_, i) => ({
        log_id: `log-${String(i).padStart(3, '0')}`,
        date: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
        type: i % 2 ? 'fecte' : 'secte',
        client_id: 'cli',
        scope: i === 0 ? ['openid', 'read:x'] : null,
        details: i === 0 ? { subject_token_type: 'urn:x', actor: { sub: 'a', act: { sub: 'b' } } } : null,
      }));
      await t.ctx.repos.logs.append(entries);
      const first = await t.ctx.repos.logs.list({ page: 0, perPage: 3 });
      assert.equal(first.total, 250);
      assert.deepEqual(
        first.logs.map((l) => l.log_id),
        ['log-249', 'log-248', 'log-247'],
      );
      const fecte = await t.ctx.repos.logs.list({ page: 1, perPage: 2, filter: { type: ['fecte'] } });
      assert.equal(fecte.total, 125);
      assert.deepEqual(
        fecte.logs.map((l) => l.log_id),
        ['log-245', 'log-243'],
      );
      assert.deepEqual(await t.ctx.repos.logs.get('log-000'), {
        log_id: 'log-000',
        date: '2026-01-01T00:00:00.000Z',
        type: 'secte',
        client_id: 'cli',
        scope: 'openid read:x',
        details: { subject_token_type: 'urn:x', actor: { sub: 'a', act: { sub: 'b' } } },
      });
      assert.equal(await t.ctx.repos.logs.get('nope'), undefined);
      assert.equal((await t.ctx.repos.logs.list({ page: 0, perPage: 5, filter: { client_id: 'other' } })).total, 0);
    });

    test('checkpoint: the entries after `from`, oldest first', async () => {
      const r = await t.ctx.repos.logs.list({ from: 'log-246', take: 2 });
      assert.deepEqual(
        r.logs.map((l) => l.log_id),
        ['log-247', 'log-248'],
      );
      assert.deepEqual((await t.ctx.repos.logs.list({ from: 'log-249', take: 10 })).logs, []);
      assert.deepEqual((await t.ctx.repos.logs.list({ from: 'unknown', take: 10 })).logs, []);
      assert.deepEqual(
        (await t.ctx.repos.logs.list({ from: 'log-240', take: 3, filter: { type: ['secte'] } })).logs.map(
          (l) => l.log_id,
        ),
        ['log-242', 'log-244', 'log-246'],
      );
    });

    test('the writer returns at once, flushes after the interval, fills log_id/date/tenant and scrubs secrets', async () => {
      const w = createLogWriter(t.ctx.repos.logs, { tenantName: 'acme', intervalMs: 1000, batchSize: 1000 });
      w.write({
        type: 'secte',
        description: 'ok',
        details: { subject_token_type: 'urn:t', client_secret: 's3cr3t', nested: { subject_token: 'tok', keep: 1 } },
      });
      const before = await t.ctx.repos.logs.list({ page: 0, perPage: 1, filter: { type: ['secte'] } });
      assert.notEqual(before.logs[0]?.description, 'ok', 'not written synchronously');
      await sleep(1300);
      const after = (await t.ctx.repos.logs.list({ page: 0, perPage: 1 })).logs[0]!;
      assert.equal(after.description, 'ok');
      assert.equal(after.tenant_name, 'acme');
      assert.match(after.log_id, /^[0-9a-f]{56}$/);
      assert.deepEqual(after.details, { subject_token_type: 'urn:t', nested: { keep: 1 } });
      const raw = await t.ctx.storage.db
        .selectFrom('logs')
        .select('details')
        .where('log_id', '=', after.log_id)
        .executeTakeFirstOrThrow();
      assert.ok(!raw.details!.includes('s3cr3t') && !raw.details!.includes('tok"'));
      await w.close();
    });

    test('the writer flushes when a batch is full, keeps order, and close() writes what is buffered', async () => {
      const w = createLogWriter(t.ctx.repos.logs, { intervalMs: 60_000, batchSize: 10 });
      for (let i = 0; i < 25; i++) w.write({ type: 'w', description: `n${i}` });
      // The full batches are written without waiting for the (one minute) interval; poll, the machine may be busy.
      let mid = await t.ctx.repos.logs.list({ page: 0, perPage: 100, filter: { type: ['w'] } });
      for (let i = 0; i < 100 && mid.total! < 20; i++) {
        await sleep(50);
        mid = await t.ctx.repos.logs.list({ page: 0, perPage: 100, filter: { type: ['w'] } });
      }
      await sleep(100);
      mid = await t.ctx.repos.logs.list({ page: 0, perPage: 100, filter: { type: ['w'] } });
      assert.equal(mid.total, 20, 'two full batches written, five still buffered');
      await w.close();
      const all = await t.ctx.repos.logs.list({ page: 0, perPage: 100, filter: { type: ['w'] } });
      assert.deepEqual(
        all.logs.map((l) => l.description).reverse(),
        Array.from({ length: 25 }, (_, i) => `n${i}`),
      );
    });

    test('ctx.logs is flushed into the database when the context closes, before the database closes', async () => {
      const t2 = await startTestApp({ dialect });
      const append = t2.ctx.repos.logs.append.bind(t2.ctx.repos.logs);
      const stored: string[] = [];
      // Observe the real append (not replace it): the rows must be read back while the database is still open.
      t2.ctx.repos.logs.append = async (entries) => {
        await append(entries);
        const rows = await t2.ctx.storage.db
          .selectFrom('logs')
          .select('description')
          .where('type', '=', 'shutdown')
          .execute();
        stored.push(...rows.map((r) => r.description!));
      };
      t2.ctx.logs.write({ type: 'shutdown', description: 'buffered at close' });
      assert.deepEqual(stored, []);
      await t2.close();
      assert.deepEqual(stored, ['buffered at close']);
    });

    describe(`log retention (${dialect})`, () => {
      let t: TestApp;
      const DAY = 86_400_000;
      const now = Date.UTC(2026, 11, 1, 12);
      const ids = async () =>
        (await t.ctx.repos.logs.list({ page: 0, perPage: 1000, order: 'asc' })).logs.map((l) => l.log_id);
      before(async () => {
        t = await startTestApp({ dialect });
      });
      after(() => t.close());

      test('a purge deletes the entries older than the retention, then the oldest beyond the row cap, in batches', async () => {
        await t.ctx.storage.db.deleteFrom('logs').execute();
        // 100 entries from 40 days ago, 200 from yesterday; entry 250 carries an old date (an aggregated entry is
        // dated at its window's first failure), so age and position differ for it.
        const entries = Array.from({ length: 300 }, (_, i) => ({
          log_id: `r-${String(i).padStart(3, '0')}`,
          date: new Date((i < 100 || i === 250 ? now - 40 * DAY : now - DAY) + i * 1000).toISOString(),
          type: 'r',
        }));
        await t.ctx.repos.logs.append(entries);
        const result = await purgeLogs(t.ctx.repos.logs, {
          retentionDays: 30,
          maxRows: 150,
          batchSize: 7,
          now: () => now,
        });
        // The row cap keeps the entries among the 150 newest positions: 150 to 299, less 250 (already expired).
        assert.deepEqual(result, { expired: 101, excess: 50 });
        assert.deepEqual(
          await ids(),
          entries
            .slice(150)
            .map((e) => e.log_id)
            .filter((id) => id !== 'r-250'),
        );
        assert.deepEqual(
          await purgeLogs(t.ctx.repos.logs, { retentionDays: 30, maxRows: 150, batchSize: 7, now: () => now }),
          { expired: 0, excess: 0 },
        );
        // An entry dated exactly at the cutoff is kept; one a millisecond older goes.
        await t.ctx.repos.logs.append([
          { log_id: 'edge-keep', date: new Date(now - 30 * DAY).toISOString(), type: 'r' },
          { log_id: 'edge-go', date: new Date(now - 30 * DAY - 1).toISOString(), type: 'r' },
        ]);
        assert.deepEqual(
          await purgeLogs(t.ctx.repos.logs, { retentionDays: 30, maxRows: 0, batchSize: 7, now: () => now }),
          { expired: 1, excess: 0 },
        );
        assert.ok((await ids()).includes('edge-keep'));
      });

      test('0 turns a limit off', async () => {
        await t.ctx.storage.db.deleteFrom('logs').execute();
        await t.ctx.repos.logs.append(
          Array.from({ length: 20 }, (_, i) => ({
            log_id: `z-${i}`,
            date: new Date(now - 400 * DAY).toISOString(),
            type: 'r',
          })),
        );
        assert.deepEqual(await purgeLogs(t.ctx.repos.logs, { retentionDays: 0, maxRows: 0, now: () => now }), {
          expired: 0,
          excess: 0,
        });
        assert.equal((await ids()).length, 20);
        assert.deepEqual(await purgeLogs(t.ctx.repos.logs, { retentionDays: 0, maxRows: 5, now: () => now }), {
          expired: 0,
          excess: 15,
        });
        assert.deepEqual(await ids(), ['z-15', 'z-16', 'z-17', 'z-18', 'z-19']);
      });

      test('the writer purges periodically by itself, and close() stops it', async () => {
        await t.ctx.storage.db.deleteFrom('logs').execute();
        await t.ctx.repos.logs.append(
          Array.from({ length: 30 }, (_, i) => ({
            log_id: `p-${i}`,
            date: new Date(now - (i < 10 ? 31 : 1) * DAY).toISOString(),
            type: 'r',
          })),
        );
        const w = createLogWriter(t.ctx.repos.logs, {
          now: () => now,
          retention: { retentionDays: 30, maxRows: 12, purgeIntervalMs: 20 },
        });
        let left = await ids();
        for (let i = 0; i < 200 && left.length > 12; i++) {
          await sleep(25);
          left = await ids();
        }
        assert.deepEqual(
          left,
          Array.from({ length: 12 }, (_, i) => `p-${i + 18}`),
        );
        await w.close();
        await t.ctx.repos.logs.append([
          { log_id: 'after-close', date: new Date(now - 400 * DAY).toISOString(), type: 'r' },
        ]);
        await sleep(100);
        assert.ok((await ids()).includes('after-close'), 'no purge after close');
      });

      test('the defaults: 30 days, 1,000,000 rows; BATON_LOG_RETENTION_DAYS and BATON_LOG_MAX_ROWS set them', () => {
        assert.equal(LOG_RETENTION_DAYS, 30);
        assert.equal(LOG_MAX_ROWS, 1_000_000);
        assert.deepEqual(loadConfig({}).logs.retention, { retentionDays: 30, maxRows: 1_000_000 });
        assert.deepEqual(loadConfig({ BATON_LOG_RETENTION_DAYS: '0', BATON_LOG_MAX_ROWS: '5000' }).logs.retention, {
          retentionDays: 0,
          maxRows: 5000,
        });
        assert.throws(() => loadConfig({ BATON_LOG_MAX_ROWS: '-1' }), /BATON_LOG_MAX_ROWS/);
        assert.throws(() => loadConfig({ BATON_LOG_RETENTION_DAYS: 'forever' }), /BATON_LOG_RETENTION_DAYS/);
      });
    });
  });
}
