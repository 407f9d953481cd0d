/**
 * M4: the tenant log writer bounds what one entry can put in the log table (every string field, nested included,
 * cut to a documented length; the whole entry's serialized size capped), stores what PostgreSQL would refuse
 * (NUL characters), and failed authentications of clients that do not exist become one entry per IP and window,
 * carrying a count, instead of one per request.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, ADMIN_ID, startTestApp, type TestApp } from '../helpers/app.js';
import {
  createLogWriter,
  LOG_MAX_STRING_LENGTH,
  LOG_MAX_ENTRY_BYTES,
  AUTH_FAILURE_WINDOW_MS,
  TRUNCATED_SUFFIX,
} from '../../src/logs/writer.js';
import type { LogEntry } from '../../src/storage/repositories/logs.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** What a row stores: the UTF-8 bytes of every text column (details: its JSON). */
const stored = (r: Record<string, unknown>) =>
  Object.entries(r).reduce((n, [k, v]) => n + (k !== 'seq' && typeof v === 'string' ? Buffer.byteLength(v) : 0), 0);

async function rowBytes(t: TestApp, type: string): Promise<{ rows: number; bytes: number; max: number }> {
  const rows = await t.ctx.storage.db.selectFrom('logs').selectAll().where('type', '=', type).execute();
  const sizes = rows.map(stored);
  return { rows: rows.length, bytes: sizes.reduce((a, b) => a + b, 0), max: Math.max(0, ...sizes) };
}

const cut = (ch: string, max: number) => ch.repeat(max - TRUNCATED_SUFFIX.length) + TRUNCATED_SUFFIX;

for (const dialect of DIALECTS) {
  describe(`log entry limits (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ dialect });
    });
    after(() => t.close());

    test('every string field, nested ones and keys included, is cut to the documented length', async () => {
      assert.equal(LOG_MAX_STRING_LENGTH, 1024);
      assert.equal(LOG_MAX_ENTRY_BYTES, 8192);
      const w = createLogWriter(t.ctx.repos.logs, { maxStringLength: 100, maxEntryBytes: 1_000_000 });
      w.write({
        log_id: 'long-strings',
        type: 'fecte',
        description: 'd'.repeat(5000),
        client_id: 'c'.repeat(900),
        user_agent: 'u'.repeat(16_000),
        scope: ['s'.repeat(300), 'read'],
        details: {
          error: 'invalid_client',
          nested: { deep: 'x'.repeat(5000), list: ['y'.repeat(5000), 7] },
          ['k'.repeat(500)]: 1,
        },
      });
      await w.close();
      const e = (await t.ctx.repos.logs.get('long-strings'))!;
      assert.equal(e.description, cut('d', 100));
      assert.equal(e.client_id, cut('c', 100));
      assert.equal(e.user_agent, cut('u', 100));
      assert.equal(e.scope, cut('s', 100), 'the scope list is joined, then cut');
      assert.deepEqual(e.details, {
        error: 'invalid_client',
        nested: { deep: cut('x', 100), list: [cut('y', 100), 7] },
        [cut('k', 100)]: 1,
      });
    });

    test('the default limits: 1024 characters a string, 8192 bytes an entry, whatever the details hold', async () => {
      const w = createLogWriter(t.ctx.repos.logs);
      const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`key${i}`, 'v'.repeat(900)]));
      w.write({
        log_id: 'huge-details',
        type: 'fecte',
        client_id: 'cli',
        user_agent: 'u'.repeat(16_000),
        details: { error: 'invalid_client', many },
      });
      w.write({ log_id: 'long-array', type: 'fecte', details: { list: Array.from({ length: 100_000 }, (_, i) => i) } });
      w.write({
        log_id: 'multibyte',
        type: 'fecte',
        description: '€'.repeat(3000),
        details: { d: 'a' + '😀'.repeat(3000) },
      });
      await w.close();
      for (const id of ['huge-details', 'long-array', 'multibyte']) {
        const raw = await t.ctx.storage.db
          .selectFrom('logs')
          .selectAll()
          .where('log_id', '=', id)
          .executeTakeFirstOrThrow();
        assert.ok(stored(raw) <= LOG_MAX_ENTRY_BYTES, `${id}: ${stored(raw)} bytes`);
      }
      const huge = (await t.ctx.repos.logs.get('huge-details'))!;
      assert.equal(huge.client_id, 'cli', 'short fields survive');
      assert.equal(huge.user_agent, cut('u', LOG_MAX_STRING_LENGTH));
      assert.equal(huge.details!.error, 'invalid_client', 'short details survive');
      const multibyte = (await t.ctx.repos.logs.get('multibyte'))!;
      assert.equal(multibyte.description, cut('€', LOG_MAX_STRING_LENGTH));
      assert.equal(
        (multibyte.details!.d as string).length,
        LOG_MAX_STRING_LENGTH - 1,
        'cut one short, before the pair',
      );
      assert.doesNotMatch(JSON.stringify(multibyte.details), /\\ud83d/, 'no half of a surrogate pair is left at a cut');
    });

    test('entries waiting on a stalled database are all kept; past the byte bound the writer is full', async () => {
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      const real = t.ctx.repos.logs;
      // The real repository behind a gate: the database answers nothing until the gate opens.
      const stalled = {
        ...real,
        append: async (chunk: LogEntry[]) => {
          await gate;
          await real.append(chunk);
        },
      };
      const reports: number[] = [];
      const w = createLogWriter(stalled, { maxBufferedBytes: 100_000, onError: (_err, n) => reports.push(n) });
      // Each entry stores 9 + 24 + 5 + 1000 = 1038 bytes: 96 fit in 100,000.
      for (let i = 0; i < 96; i++)
        w.write({ log_id: `stall-${String(i).padStart(3, '0')}`, type: 'stall', description: 'x'.repeat(1000) });
      assert.equal(w.full(), false);
      for (let i = 96; i < 100; i++)
        w.write({ log_id: `stall-${String(i).padStart(3, '0')}`, type: 'stall', description: 'x'.repeat(1000) });
      assert.equal(w.full(), true, 'the owner refuses more work (oauth/token-endpoint.ts)');
      open();
      await w.close();
      const { total, logs } = await real.list({ page: 0, perPage: 1, filter: { type: ['stall'] } });
      assert.equal(total, 100, 'nothing dropped');
      assert.equal(logs[0]!.log_id, 'stall-099');
      assert.equal(w.full(), false);
      assert.deepEqual(reports, []);
    });

    test('NUL characters (refused by PostgreSQL text columns) are stored as U+FFFD instead of dropping the batch', async () => {
      const w = createLogWriter(t.ctx.repos.logs, {
        onError: (err) => assert.fail(`a log batch was dropped: ${(err as Error).message}`),
      });
      w.write({
        log_id: 'nul-1',
        type: 'fecte',
        client_id: 'a\u0000b',
        description: 'unknown client a\u0000b',
        details: { claimed: '\u0000' },
      });
      w.write({ log_id: 'nul-2', type: 'fecte', description: 'same batch' });
      await w.close();
      const e = (await t.ctx.repos.logs.get('nul-1'))!;
      assert.equal(e.client_id, 'a\uFFFDb');
      assert.deepEqual(e.details, { claimed: '\uFFFD' });
      assert.equal((await t.ctx.repos.logs.get('nul-2'))!.description, 'same batch');
    });
  });
}

describe('failed client authentication floods (M4)', () => {
  let t: TestApp;
  let clock = Date.UTC(2026, 11, 1, 12, 0, 0);
  before(async () => {
    t = await startTestApp();
    // The context's own writer, with a clock the test moves: the aggregation windows are exact.
    await t.ctx.logs.close();
    t.ctx.logs = createLogWriter(t.ctx.repos.logs, { tenantName: 'baton', now: () => clock });
  });
  after(() => t.close());

  const LONG_UA = 'Mozilla/5.0 '.padEnd(16_000, 'A');
  let n = 0;
  /** A client_id that does not exist, unique, 33 to 64 characters (under any sane per-parameter cap). */
  const unknownId = () => `ghost${++n}`.padEnd(33 + (n % 32), 'x');
  const attempt = (clientId: string, ip = '203.0.113.7', secret = 'not-the-secret') =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      remoteAddress: ip,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': LONG_UA },
      payload: new URLSearchParams({
        grant_type: TOKEN_EXCHANGE,
        client_id: clientId,
        client_secret: secret,
        subject_token: 't',
        subject_token_type: 'urn:acme:t',
      }).toString(),
    });
  const expect401 = (res: Awaited<ReturnType<typeof attempt>>) => {
    assert.equal(res.statusCode, 401, res.body);
    assert.deepEqual(res.json(), { error: 'invalid_client', error_description: 'Client authentication failed' });
  };

  test('unknown client_ids: one entry per IP and minute, with the exact count; the table grows by a bounded amount', async () => {
    const start = new Date(clock).toISOString();
    for (let i = 0; i < 150; i++) expect401(await attempt(unknownId()));
    clock += 30_000; // same window
    for (let i = 0; i < 100; i++) expect401(await attempt(unknownId()));
    for (const ip of ['198.51.100.1', '198.51.100.2', '2001:db8::1'])
      for (let i = 0; i < 5; i++) expect401(await attempt(unknownId(), ip));
    clock += AUTH_FAILURE_WINDOW_MS; // the first window is over: the next failure opens a second one
    for (let i = 0; i < 10; i++) expect401(await attempt(unknownId()));
    await t.ctx.logs.flush();

    const { logs } = await t.ctx.repos.logs.list({ page: 0, perPage: 100, filter: { type: ['fecte'] }, order: 'asc' });
    const summary = (e: LogEntry) => [e.ip, (e.details as { count: number }).count];
    assert.deepEqual(logs.map(summary), [
      ['203.0.113.7', 250],
      ['198.51.100.1', 5],
      ['198.51.100.2', 5],
      ['2001:db8::1', 5],
      ['203.0.113.7', 10],
    ]);
    const first = logs[0]!;
    assert.equal(first.date, start, 'dated at the first failure of its window');
    assert.match(
      first.description!,
      /^unknown client ghost1x+ \(250 failed authentications of unknown clients from this IP in 60 s\)$/,
    );
    assert.equal(first.client_id, 'ghost1'.padEnd(34, 'x'), 'the first claimed client_id');
    assert.equal(
      first.user_agent,
      LONG_UA.slice(0, LOG_MAX_STRING_LENGTH - TRUNCATED_SUFFIX.length) + TRUNCATED_SUFFIX,
    );
    assert.equal((first.details as Record<string, unknown>).first_date, start);
    assert.equal(
      (first.details as Record<string, unknown>).last_date,
      new Date(Date.UTC(2026, 11, 1, 12, 0, 30)).toISOString(),
    );
    assert.equal(((first.details as Record<string, unknown>).sample_client_ids as string[]).length, 5);
    const size = await rowBytes(t, 'fecte');
    assert.equal(size.rows, 5);
    assert.ok(size.max <= LOG_MAX_ENTRY_BYTES, `largest row ${size.max} bytes`);
    // 265 requests with a 16 kB user agent each put over 4 MB in the table before the fix.
    assert.ok(size.bytes <= 5 * LOG_MAX_ENTRY_BYTES, `${size.bytes} bytes`);
  });

  test('failures of an existing client stay one entry per request, each cut to the limits', async () => {
    await t.ctx.storage.db.deleteFrom('logs').execute();
    for (let i = 0; i < 150; i++) expect401(await attempt(ADMIN_ID));
    await t.ctx.logs.flush();
    const { logs, total } = await t.ctx.repos.logs.list({ page: 0, perPage: 1, filter: { type: ['fecte'] } });
    assert.equal(total, 150);
    assert.equal(logs[0]!.client_id, ADMIN_ID);
    assert.equal(logs[0]!.description, 'wrong client secret');
    assert.equal(logs[0]!.user_agent!.length, LOG_MAX_STRING_LENGTH);
    assert.ok(logs[0]!.user_agent!.endsWith(TRUNCATED_SUFFIX));
    const size = await rowBytes(t, 'fecte');
    assert.equal(size.rows, 150);
    assert.ok(size.max <= 2 * LOG_MAX_STRING_LENGTH, `largest row ${size.max} bytes`);
  });

  test('the open windows are bounded: past the cap the oldest is written early', async () => {
    await t.ctx.storage.db.deleteFrom('logs').execute();
    const w = createLogWriter(t.ctx.repos.logs, { now: () => clock, maxAuthFailureWindows: 3 });
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.1']) {
      w.writeUnknownClientFailure({ type: 'fecte', ip, client_id: 'x', description: 'unknown client x' });
    }
    await w.flush();
    const { logs } = await t.ctx.repos.logs.list({ page: 0, perPage: 10, order: 'asc' });
    // 10.0.0.1 was written when 10.0.0.4 opened a fourth window; its next failure opened a new one.
    assert.deepEqual(
      logs.map((e) => [e.ip, (e.details as { count: number }).count]),
      [
        ['10.0.0.1', 1],
        ['10.0.0.2', 1],
        ['10.0.0.3', 1],
        ['10.0.0.4', 1],
        ['10.0.0.1', 1],
      ],
    );
    await w.close();
  });
});
