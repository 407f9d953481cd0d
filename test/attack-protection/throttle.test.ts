import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openDatabase } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrations.js';
import { settingsRepository } from '../../src/storage/repositories/settings.js';
import { REDIS_URL } from '../helpers/app.js';
import {
  createSuspiciousIpThrottle,
  limitMuLogEntry,
  tooManyAttempts,
  type IpBlockedEvent,
  type SuspiciousIpThrottle,
} from '../../src/attack-protection/throttle.js';
import {
  defaultSettings,
  mergeSettings,
  type SuspiciousIpThrottlingPatch,
} from '../../src/attack-protection/settings.js';
import { normalizeIp } from '../../src/attack-protection/ip.js';
import type { Db } from '../../src/storage/database.js';
import { ManualClock } from '../helpers/clock.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the 429 is too_many_attempts with the exact text of spec 4.4 / 12', () => {
  const err = tooManyAttempts('192.0.2.1');
  assert.equal(err.status, 429);
  assert.deepEqual(err.toJSON(), {
    error: 'too_many_attempts',
    error_description:
      'We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator.',
  });
});

test('IP addresses are normalised so one host has one bucket', () => {
  assert.equal(normalizeIp('2001:DB8:0:0::1'), '2001:db8::1');
  assert.equal(normalizeIp('::ffff:192.0.2.1'), '192.0.2.1');
  assert.equal(normalizeIp('::ffff:c000:201'), '192.0.2.1');
  assert.equal(normalizeIp('fe80::1%eth0'), 'fe80::1');
  assert.equal(normalizeIp('192.0.2.1'), '192.0.2.1');
  assert.equal(normalizeIp('not-an-ip'), undefined);
  assert.equal(normalizeIp('999.1.1.1'), undefined);
});

const STORES: Array<{ name: string; redisUrl?: string; skip: string | false }> = [
  { name: 'memory', skip: false },
  {
    name: 'redis',
    ...(REDIS_URL ? { redisUrl: REDIS_URL } : {}),
    skip: REDIS_URL
      ? false
      : 'BATON_TEST_REDIS_URL is not set (Redis does not answer): the Redis bucket store is NOT tested',
  },
];

for (const store of STORES) {
  describe(`suspicious IP throttling, ${store.name} buckets`, { skip: store.skip }, () => {
    let db: Db;
    const open: SuspiciousIpThrottle[] = [];
    let prefix: string;
    // Memory buckets read this clock, so the test moves time instead of sleeping; Redis keeps its own time.
    const clock = new ManualClock();
    const wait = (ms: number) => (store.redisUrl ? sleep(ms) : Promise.resolve(clock.advance(ms)));

    before(async () => {
      db = openDatabase({ sqliteFile: ':memory:' }).db;
      await migrateToLatest(db);
    });
    after(async () => {
      for (const th of open) await th.close();
      await db.destroy();
    });

    /** A throttle with fresh buckets (own Redis prefix) and the given settings. */
    async function throttle(
      patch: SuspiciousIpThrottlingPatch = {},
      samePrefix = false,
    ): Promise<SuspiciousIpThrottle> {
      if (!samePrefix) prefix = `baton-test:${randomBytes(6).toString('hex')}`;
      const th = await createSuspiciousIpThrottle({
        settings: settingsRepository(db),
        redisUrl: store.redisUrl,
        keyPrefix: prefix,
        clock,
      });
      open.push(th);
      await th.save(mergeSettings(defaultSettings(), patch));
      return th;
    }

    async function reject(th: SuspiciousIpThrottle, ip: string, times: number): Promise<void> {
      for (let i = 0; i < times; i++) await th.recordInvalidSubjectToken(ip);
    }

    test('defaults: ten rejected subject tokens block the IP; another IP is unaffected; one limit_mu event', async () => {
      const th = await throttle();
      assert.deepEqual((await th.settings()).stage['pre-custom-token-exchange'], { max_attempts: 10, rate: 600_000 });
      const events: IpBlockedEvent[] = [];
      th.onBlocked((e) => events.push(e));
      for (let i = 1; i <= 9; i++) {
        assert.deepEqual(await th.recordInvalidSubjectToken('198.51.100.7'), { empty: false }, `rejection ${i}`);
        assert.equal(await th.check('198.51.100.7'), false, `not blocked after ${i}`);
      }
      assert.deepEqual(await th.recordInvalidSubjectToken('198.51.100.7'), { empty: true });
      assert.equal(await th.check('198.51.100.7'), true);
      assert.equal(await th.isBlocked('198.51.100.7'), true);
      assert.equal(await th.isBlocked('198.51.100.8'), false, 'another IP is unaffected');
      assert.equal(await th.isBlocked('::ffff:198.51.100.7'), true, 'the IPv4-mapped spelling is the same host');

      await th.recordInvalidSubjectToken('198.51.100.7');
      assert.equal(events.length, 1, 'only the rejection that emptied the bucket reports');
      const e = events[0]!;
      assert.deepEqual(e, {
        ip: '198.51.100.7',
        stage: 'pre-custom-token-exchange',
        max_attempts: 10,
        rate: 600_000,
        shields: ['admin_notification', 'block'],
        enforced: true,
        date: e.date,
      });
      assert.deepEqual(limitMuLogEntry(e), {
        type: 'limit_mu',
        date: e.date,
        ip: '198.51.100.7',
        description: 'Blocked IP address: too many invalid subject tokens in Custom Token Exchange',
        details: {
          flow: 'custom-token-exchange',
          stage: 'pre-custom-token-exchange',
          max_attempts: 10,
          rate: 600_000,
          shields: ['admin_notification', 'block'],
        },
      });
    });

    test('concurrent rejections are all counted and report the block exactly once', async () => {
      const th = await throttle({ stage: { 'pre-custom-token-exchange': { max_attempts: 5 } } });
      let fired = 0;
      th.onBlocked(() => fired++);
      const results = await Promise.all(Array.from({ length: 12 }, () => th.recordInvalidSubjectToken('2001:db8::9')));
      assert.equal(results.filter((r) => r.empty).length, 8, 'the 5th to the 12th find the bucket empty');
      assert.equal(fired, 1);
      assert.equal(await th.isBlocked('2001:DB8:0::9'), true);
    });

    test('allowlisted IPs and CIDR ranges are never blocked', async () => {
      const th = await throttle({ allowlist: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'] });
      for (const ip of ['10.1.2.3', '2001:db8:1::5', '192.0.2.7']) {
        await reject(th, ip, 15);
        assert.equal(await th.isBlocked(ip), false, ip);
      }
      await reject(th, '192.0.2.8', 10);
      assert.equal(await th.isBlocked('192.0.2.8'), true, 'a neighbour outside the allowlist is blocked');
      await reject(th, '2001:db9::1', 10);
      assert.equal(await th.isBlocked('2001:db9::1'), true);
    });

    test('unblock refills the whole bucket', async () => {
      const th = await throttle();
      await reject(th, '203.0.113.5', 10);
      assert.equal(await th.isBlocked('203.0.113.5'), true);
      await th.unblock('203.0.113.5');
      assert.equal(await th.isBlocked('203.0.113.5'), false);
      await reject(th, '203.0.113.5', 9);
      assert.equal(await th.isBlocked('203.0.113.5'), false, 'nine more fit: the bucket is full again');
      await reject(th, '203.0.113.5', 1);
      assert.equal(await th.isBlocked('203.0.113.5'), true);
    });

    test('token bucket: one attempt comes back every `rate` ms, not the whole bucket', async () => {
      const th = await throttle({ stage: { 'pre-custom-token-exchange': { max_attempts: 3, rate: 1000 } } });
      await reject(th, '203.0.113.9', 3);
      assert.equal(await th.isBlocked('203.0.113.9'), true);
      await wait(600);
      assert.equal(await th.isBlocked('203.0.113.9'), true, 'still blocked before `rate` elapsed');
      await wait(550);
      assert.equal(await th.isBlocked('203.0.113.9'), false, 'one attempt back after `rate`');
      assert.deepEqual(await th.recordInvalidSubjectToken('203.0.113.9'), { empty: true }, 'only one came back');
      assert.equal(await th.isBlocked('203.0.113.9'), true);
    });

    test('monitoring mode (no block shield) reports but does not block; disabled does not count', async () => {
      const monitoring = await throttle({ shields: ['admin_notification'] });
      const events: IpBlockedEvent[] = [];
      monitoring.onBlocked((e) => events.push(e));
      await reject(monitoring, '198.51.100.20', 10);
      assert.equal(await monitoring.isBlocked('198.51.100.20'), false);
      assert.equal(events.length, 1);
      assert.equal(events[0]!.enforced, false);
      assert.equal(
        limitMuLogEntry(events[0]!).description,
        'IP address would be blocked (monitoring mode): too many invalid subject tokens in Custom Token Exchange',
      );

      const disabled = await throttle({ enabled: false });
      await reject(disabled, '198.51.100.21', 10);
      assert.equal(await disabled.isBlocked('198.51.100.21'), false);
      await disabled.save(mergeSettings(await disabled.settings(), { enabled: true }));
      assert.equal(await disabled.isBlocked('198.51.100.21'), false, 'rejections while disabled were not counted');
    });

    test('settings are stored in the settings table and read back by a new instance', async () => {
      const th = await throttle({
        allowlist: ['192.0.2.0/24'],
        stage: { 'pre-custom-token-exchange': { max_attempts: 4, rate: 2000 } },
      });
      const stored = await settingsRepository(db).get<Record<string, unknown>>('suspicious_ip_throttling');
      assert.deepEqual(stored, await th.settings());
      const other = await createSuspiciousIpThrottle({
        settings: settingsRepository(db),
        redisUrl: store.redisUrl,
        keyPrefix: prefix,
      });
      open.push(other);
      assert.deepEqual((await other.settings()).stage['pre-custom-token-exchange'], { max_attempts: 4, rate: 2000 });
      assert.deepEqual((await other.settings()).allowlist, ['192.0.2.0/24']);
    });

    if (store.name === 'redis') {
      test('two nodes on one Redis share the buckets', async () => {
        const a = await throttle({ stage: { 'pre-custom-token-exchange': { max_attempts: 4 } } });
        const b = await throttle({}, true);
        await b.save(await a.settings());
        await reject(a, '198.51.100.30', 2);
        await reject(b, '198.51.100.30', 2);
        assert.equal(await a.isBlocked('198.51.100.30'), true);
        assert.equal(await b.isBlocked('198.51.100.30'), true);
        await b.unblock('198.51.100.30');
        assert.equal(await a.isBlocked('198.51.100.30'), false, 'an unblock on one node holds on the other');
      });
    }
  });
}

test('an unreachable Redis is a clear start-up error', async () => {
  const db = openDatabase({ sqliteFile: ':memory:' }).db;
  await migrateToLatest(db);
  await assert.rejects(
    createSuspiciousIpThrottle({ settings: settingsRepository(db), redisUrl: 'redis://127.0.0.1:1' }),
    /^Error: cannot connect to Redis for suspicious IP throttling: /,
  );
  await db.destroy();
});
