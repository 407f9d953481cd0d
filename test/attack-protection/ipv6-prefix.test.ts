/**
 * L6 (issue 10): Suspicious IP Throttling buckets IPv6 addresses by prefix (default /64, BATON_THROTTLE_IPV6_PREFIX
 * 32 to 128), since one host or site holds a whole /64 and could otherwise step around its block with a new address
 * per request; IPv4 and IPv4-mapped IPv6 addresses keep one bucket per address.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type Db } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrations.js';
import { settingsRepository } from '../../src/storage/repositories/settings.js';
import {
  createSuspiciousIpThrottle,
  limitMuLogEntry,
  type IpBlockedEvent,
  type SuspiciousIpThrottle,
} from '../../src/attack-protection/throttle.js';
import { defaultSettings, mergeSettings } from '../../src/attack-protection/settings.js';
import { DEFAULT_IPV6_PREFIX, throttleKey } from '../../src/attack-protection/ip.js';
import { loadConfig, ConfigError } from '../../src/config/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { setupExchange, lastLog, type ExchangeFixture } from '../helpers/exchange.js';

describe('throttleKey', () => {
  test('IPv6 addresses share a key per /64 by default; IPv4 and IPv4-mapped keep one per address', () => {
    assert.equal(DEFAULT_IPV6_PREFIX, 64);
    assert.equal(throttleKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
    assert.equal(throttleKey('2001:DB8:1:2::1'), throttleKey('2001:db8:1:2:ffff::9'));
    assert.notEqual(throttleKey('2001:db8:1:2::1'), throttleKey('2001:db8:1:3::1'));
    assert.equal(throttleKey('::1'), '::/64');
    assert.equal(throttleKey('fe80::1%eth0'), 'fe80::/64');
    assert.equal(throttleKey('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(throttleKey('::ffff:c000:201'), '192.0.2.1');
    assert.equal(throttleKey('192.0.2.1'), '192.0.2.1');
    assert.equal(throttleKey('not-an-ip'), undefined);
  });

  test('the prefix is configurable from 32 to 128', () => {
    assert.equal(throttleKey('2001:db8:1:2:3:4:5:6', 128), '2001:db8:1:2:3:4:5:6');
    assert.equal(throttleKey('2001:db8:1:2:3:4:5:6', 48), '2001:db8:1::/48');
    assert.equal(throttleKey('2001:db8:abcd:ef12::1', 56), '2001:db8:abcd:ef00::/56');
    assert.equal(throttleKey('2001:db8:abcd:ef12::1', 32), '2001:db8::/32');
    assert.equal(throttleKey('2001:db8:abcd:ef12::1', 63), '2001:db8:abcd:ef12::/63');
    assert.equal(throttleKey('2001:db8:abcd:ef13::1', 63), '2001:db8:abcd:ef12::/63');
    assert.equal(throttleKey('192.0.2.1', 32), '192.0.2.1', 'IPv4 is never grouped');
    assert.equal(loadConfig({}).throttleIpv6Prefix, 64);
    assert.equal(loadConfig({ BATON_THROTTLE_IPV6_PREFIX: '56' }).throttleIpv6Prefix, 56);
    for (const bad of ['16', '31', '129', 'x']) {
      assert.throws(
        () => loadConfig({ BATON_THROTTLE_IPV6_PREFIX: bad }),
        (e: unknown) => e instanceof ConfigError && /BATON_THROTTLE_IPV6_PREFIX/.test(e.message),
        bad,
      );
    }
  });
});

describe('suspicious IP throttling by IPv6 prefix', () => {
  let db: Db;
  const open: SuspiciousIpThrottle[] = [];
  before(async () => {
    db = openDatabase({ sqliteFile: ':memory:' }).db;
    await migrateToLatest(db);
  });
  after(async () => {
    for (const th of open) await th.close();
    await db.destroy();
  });
  async function throttle(ipv6Prefix?: number) {
    const th = await createSuspiciousIpThrottle({
      settings: settingsRepository(db),
      ...(ipv6Prefix ? { ipv6Prefix } : {}),
    });
    open.push(th);
    await th.save(mergeSettings(defaultSettings(), {}));
    return th;
  }

  test('ten rejections from ten addresses of one /64 block the whole /64, not the next one', async () => {
    const th = await throttle();
    const events: IpBlockedEvent[] = [];
    th.onBlocked((e) => events.push(e));
    for (let i = 1; i <= 10; i++) await th.recordInvalidSubjectToken(`2001:db8:5:6::${i.toString(16)}`);
    assert.equal(await th.isBlocked('2001:db8:5:6:ffff:ffff:ffff:ffff'), true);
    assert.equal(await th.isBlocked('2001:db8:5:7::1'), false);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.ip, '2001:db8:5:6::a', 'the address whose rejection emptied the bucket');
    assert.equal(events[0]!.ip_range, '2001:db8:5:6::/64');
    assert.equal(limitMuLogEntry(events[0]!).details.ip_range, '2001:db8:5:6::/64');
    await th.unblock('2001:db8:5:6::1234');
    assert.equal(await th.isBlocked('2001:db8:5:6::1'), false, 'unblocking one address unblocks its /64');
  });

  test('with prefix 128 every IPv6 address has its own bucket', async () => {
    const th = await throttle(128);
    for (let i = 1; i <= 10; i++) await th.recordInvalidSubjectToken(`2001:db8:9:9::${i}`);
    assert.equal(await th.isBlocked('2001:db8:9:9::11'), false);
  });
});

describe('over /oauth/token and the anomaly API', () => {
  const ACTION = `
exports.onExecuteCustomTokenExchange = async (event, api) => {
  if (event.transaction.subject_token !== 'good') return api.access.rejectInvalidSubjectToken('Invalid subject token');
  api.authentication.setUserByConnection('legacy-idp', { user_id: 'u6', email: 'u6@example.com' }, { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
};`;
  let t: TestApp;
  let fx: ExchangeFixture;
  before(async () => {
    t = await startTestApp();
    fx = await setupExchange(t, { code: ACTION, client: { is_token_endpoint_ip_header_trusted: true } });
  });
  after(() => t.close());
  const from = (ip: string) => ({ 'auth0-forwarded-for': ip });

  test('two addresses in one /64 share a bucket; GET and DELETE /anomaly/blocks/ips work for any address in it', async () => {
    for (let i = 1; i <= 10; i++) {
      const res = await fx.exchange({ subject_token: 'forged' }, from(`2001:db8:77:1:${i}::1`));
      assert.equal(res.statusCode, 400, `attempt ${i}`);
    }
    const blocked = await fx.exchange({ subject_token: 'good' }, from('2001:db8:77:1:abcd::42'));
    assert.equal(blocked.statusCode, 429, blocked.body);
    assert.equal(blocked.json().error, 'too_many_attempts');
    const limit = await lastLog(t, 'limit_mu');
    assert.equal(limit.ip, '2001:db8:77:1:10::1', 'the address whose rejection emptied the bucket');
    assert.equal(limit.details.ip_range, '2001:db8:77:1::/64');
    const next = await fx.exchange({ subject_token: 'good' }, from('2001:db8:77:2::1'));
    assert.equal(next.statusCode, 200, `the next /64 is not blocked: ${next.body}`);

    assert.equal((await t.api('GET', '/anomaly/blocks/ips/2001:db8:77:1::9')).statusCode, 200);
    assert.equal((await t.api('GET', '/anomaly/blocks/ips/2001:db8:77:2::9')).statusCode, 404);
    assert.equal(
      (await t.api('DELETE', `/anomaly/blocks/ips/${encodeURIComponent('2001:db8:77:1:ffff::')}`)).statusCode,
      204,
    );
    assert.equal((await t.api('GET', '/anomaly/blocks/ips/2001:db8:77:1::9')).statusCode, 404);
    const unblocked = await fx.exchange({ subject_token: 'good' }, from('2001:db8:77:1:abcd::42'));
    assert.equal(unblocked.statusCode, 200, unblocked.body);
  });
});
