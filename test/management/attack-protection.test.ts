import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, DIALECTS, type TestApp } from '../helpers/app.js';

const PATH = '/attack-protection/suspicious-ip-throttling';
const bad = (message: string, errorCode = 'invalid_body') => ({
  statusCode: 400,
  error: 'Bad Request',
  message,
  errorCode,
});
const DEFAULTS = {
  enabled: true,
  shields: ['admin_notification', 'block'],
  allowlist: [],
  stage: {
    'pre-login': { max_attempts: 100, rate: 864000 },
    'pre-user-registration': { max_attempts: 50, rate: 1200 },
    'pre-custom-token-exchange': { max_attempts: 10, rate: 600000 },
  },
};

for (const dialect of DIALECTS) {
  describe(`attack protection Management API (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ dialect });
    });
    after(() => t.close());

    const reject = async (ip: string, times: number) => {
      for (let i = 0; i < times; i++) await t.ctx.throttle.recordInvalidSubjectToken(ip);
    };

    test('GET returns Auth0 defaults; PATCH merges field by field and applies at once', async () => {
      const got = await t.api('GET', PATH);
      assert.equal(got.statusCode, 200);
      assert.deepEqual(got.json(), DEFAULTS);

      const patched = await t.api('PATCH', PATH, { stage: { 'pre-custom-token-exchange': { max_attempts: 2 } } });
      assert.equal(patched.statusCode, 200);
      const expected = {
        ...DEFAULTS,
        stage: { ...DEFAULTS.stage, 'pre-custom-token-exchange': { max_attempts: 2, rate: 600000 } },
      };
      assert.deepEqual(patched.json(), expected);
      assert.deepEqual((await t.api('GET', PATH)).json(), expected);

      await reject('198.51.100.1', 2);
      assert.equal(
        (await t.api('GET', '/anomaly/blocks/ips/198.51.100.1')).statusCode,
        200,
        'the new bucket size is in force',
      );

      const more = await t.api('PATCH', PATH, {
        enabled: false,
        shields: ['block'],
        allowlist: ['10.0.0.0/8', '2001:db8::1'],
      });
      assert.deepEqual(more.json(), {
        ...expected,
        enabled: false,
        shields: ['block'],
        allowlist: ['10.0.0.0/8', '2001:db8::1'],
      });
      assert.equal(
        (await t.api('GET', '/anomaly/blocks/ips/198.51.100.1')).statusCode,
        404,
        'disabled: nothing is blocked',
      );
      assert.deepEqual((await t.api('PATCH', PATH, {})).json(), more.json(), 'an empty PATCH changes nothing');
      const reset = await t.api('PATCH', PATH, DEFAULTS);
      assert.deepEqual(reset.json(), DEFAULTS);
      await t.api('DELETE', '/anomaly/blocks/ips/198.51.100.1');
    });

    test('PATCH validation: stage bounds (D17), shields, allowlist, unknown properties', async () => {
      const cte = (v: Record<string, unknown>) => ({ stage: { 'pre-custom-token-exchange': v } });
      const cases: Array<[unknown, string]> = [
        [
          cte({ max_attempts: 0 }),
          "Payload validation error: 'must be >= 1' on property stage.pre-custom-token-exchange.max_attempts.",
        ],
        [
          cte({ max_attempts: 2501 }),
          "Payload validation error: 'must be <= 2500' on property stage.pre-custom-token-exchange.max_attempts.",
        ],
        [
          cte({ rate: 999 }),
          "Payload validation error: 'must be >= 1000' on property stage.pre-custom-token-exchange.rate.",
        ],
        [
          cte({ rate: 86_400_001 }),
          "Payload validation error: 'must be <= 86400000' on property stage.pre-custom-token-exchange.rate.",
        ],
        [
          cte({ rate: 1000.5 }),
          "Payload validation error: 'must be integer' on property stage.pre-custom-token-exchange.rate.",
        ],
        [
          cte({ burst: 3 }),
          "Payload validation error: 'Additional properties not allowed: burst' on property stage.pre-custom-token-exchange.",
        ],
        [
          { stage: { 'pre-login': { rate: 1000 } } },
          "Payload validation error: 'must be >= 34560' on property stage.pre-login.rate.",
        ],
        [
          { stage: { 'post-login': {} } },
          "Payload validation error: 'Additional properties not allowed: post-login' on property stage.",
        ],
        [
          { shields: ['block', 'captcha'] },
          "Payload validation error: 'must be equal to one of the allowed values' on property shields.1.",
        ],
        [{ enabled: 'maybe' }, "Payload validation error: 'must be boolean' on property enabled."],
        [
          { allowlist: ['192.0.2.1', 'example.com'] },
          "Payload validation error: ''example.com' is not an IPv4 or IPv6 address or CIDR range' on property allowlist.",
        ],
        [
          { allowlist: ['192.0.2.0/33'] },
          "Payload validation error: ''192.0.2.0/33' has an invalid prefix length (0 to 32)' on property allowlist.",
        ],
        [
          { allowlist: Array.from({ length: 101 }, (_, i) => `10.0.0.${i}`) },
          "Payload validation error: 'must NOT have more than 100 items' on property allowlist.",
        ],
        [{ mode: 'strict' }, "Payload validation error: 'Additional properties not allowed: mode'."],
      ];
      for (const [body, message] of cases) {
        const res = await t.api('PATCH', PATH, body);
        assert.equal(res.statusCode, 400, JSON.stringify(body));
        assert.deepEqual(res.json(), bad(message), JSON.stringify(body));
      }
      const ok = await t.api('PATCH', PATH, cte({ max_attempts: 2500, rate: 1000 }));
      assert.equal(ok.statusCode, 200, 'the bounds themselves are accepted');
      await t.api('PATCH', PATH, DEFAULTS);
      assert.deepEqual((await t.api('GET', PATH)).json(), DEFAULTS, 'refused PATCHes stored nothing');
    });

    test('anomaly blocks: 200 when blocked, 404 when not, DELETE unblocks (204); a limit_mu log is written', async () => {
      await reject('203.0.113.50', 9);
      const notYet = await t.api('GET', '/anomaly/blocks/ips/203.0.113.50');
      assert.equal(notYet.statusCode, 404);
      assert.deepEqual(notYet.json(), {
        statusCode: 404,
        error: 'Not Found',
        message: 'IP address specified is not currently blocked.',
        errorCode: 'inexistent_entity',
      });
      await reject('203.0.113.50', 1);
      const blocked = await t.api('GET', '/anomaly/blocks/ips/203.0.113.50');
      assert.equal(blocked.statusCode, 200);
      assert.equal(blocked.body, '');
      assert.equal(
        (await t.api('GET', '/anomaly/blocks/ips/203.0.113.51')).statusCode,
        404,
        'another IP is not blocked',
      );

      await t.ctx.logs.flush();
      const { logs } = await t.ctx.repos.logs.list({
        page: 0,
        perPage: 10,
        filter: { type: ['limit_mu'], ip: '203.0.113.50' },
      });
      assert.equal(logs.length, 1);
      assert.equal(logs[0]!.ip, '203.0.113.50');
      assert.deepEqual(logs[0]!.details, {
        flow: 'custom-token-exchange',
        stage: 'pre-custom-token-exchange',
        max_attempts: 10,
        rate: 600000,
        shields: ['admin_notification', 'block'],
      });

      const del = await t.api('DELETE', '/anomaly/blocks/ips/203.0.113.50');
      assert.equal(del.statusCode, 204);
      assert.equal(del.body, '');
      assert.equal((await t.api('GET', '/anomaly/blocks/ips/203.0.113.50')).statusCode, 404);
      assert.equal(
        (await t.api('DELETE', '/anomaly/blocks/ips/203.0.113.50')).statusCode,
        204,
        'unblocking an unblocked IP is fine',
      );

      await reject('2001:db8::77', 10);
      assert.equal(
        (await t.api('GET', '/anomaly/blocks/ips/2001:DB8:0:0::77')).statusCode,
        200,
        'IPv6 spellings are one address',
      );
      assert.equal(
        (await t.api('DELETE', `/anomaly/blocks/ips/${encodeURIComponent('2001:db8::77')}`)).statusCode,
        204,
      );
      assert.equal((await t.api('GET', '/anomaly/blocks/ips/2001:db8::77')).statusCode, 404);

      const invalid = await t.api('GET', '/anomaly/blocks/ips/not-an-ip');
      assert.deepEqual(
        invalid.json(),
        bad("Path validation error: 'must be a valid IPv4 or IPv6 address' on property ip.", 'invalid_uri'),
      );
      assert.equal((await t.api('DELETE', '/anomaly/blocks/ips/300.1.1.1')).statusCode, 400);
    });

    test('an allowlisted or monitoring-mode IP is not reported as blocked', async () => {
      await reject('192.0.2.99', 10);
      assert.equal((await t.api('GET', '/anomaly/blocks/ips/192.0.2.99')).statusCode, 200);
      await t.api('PATCH', PATH, { allowlist: ['192.0.2.0/24'] });
      assert.equal((await t.api('GET', '/anomaly/blocks/ips/192.0.2.99')).statusCode, 404);
      await t.api('PATCH', PATH, { allowlist: [], shields: ['admin_notification'] });
      assert.equal((await t.api('GET', '/anomaly/blocks/ips/192.0.2.99')).statusCode, 404);
      await t.api('PATCH', PATH, { shields: ['block'] });
      assert.equal((await t.api('GET', '/anomaly/blocks/ips/192.0.2.99')).statusCode, 200);
      await t.api('DELETE', '/anomaly/blocks/ips/192.0.2.99');
      await t.api('PATCH', PATH, DEFAULTS);
    });

    test('401 without a token, 403 without the scope of each endpoint', async () => {
      const none = await t.app.inject({ method: 'GET', url: `/api/v2${PATH}` });
      assert.equal(none.statusCode, 401);
      assert.deepEqual(none.json(), { statusCode: 401, error: 'Unauthorized', message: 'Missing authentication' });
      const wrong = await t.mgmtToken(['read:clients']);
      const cases: Array<[string, string, unknown, string]> = [
        ['GET', PATH, undefined, 'read:attack_protection'],
        ['PATCH', PATH, { enabled: true }, 'update:attack_protection'],
        ['GET', '/anomaly/blocks/ips/192.0.2.1', undefined, 'read:anomaly_blocks'],
        ['DELETE', '/anomaly/blocks/ips/192.0.2.1', undefined, 'delete:anomaly_blocks'],
      ];
      for (const [method, path, body, scope] of cases) {
        const res = await t.api(method, path, body, wrong);
        assert.equal(res.statusCode, 403, `${method} ${path}`);
        assert.deepEqual(res.json(), {
          statusCode: 403,
          error: 'Forbidden',
          message: `Insufficient scope; expected any of: ${scope}.`,
          errorCode: 'insufficient_scope',
        });
        const allowed = await t.api(method, path, body, await t.mgmtToken([scope]));
        assert.ok(
          [200, 204, 404].includes(allowed.statusCode),
          `${method} ${path} with ${scope}: ${allowed.statusCode}`,
        );
      }
    });
  });
}
