/**
 * Operations: request logs carry request ids and no secrets; the token endpoint is counted in /metrics;
 * configuration errors name the variable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { loadConfig, ConfigError } from '../../src/config/index.js';
import { createContext } from '../../src/context.js';
import { buildApp } from '../../src/app.js';
import { bootstrap } from '../../src/bootstrap.js';
import { loggerOptions } from '../../src/ops/logger.js';
import { ADMIN_ID, ADMIN_SECRET, ISSUER } from '../helpers/app.js';

test('request logs have request ids and never the client secret, assertion, tokens or Authorization', async () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const config = loadConfig({
    BATON_ISSUER: ISSUER,
    BATON_ADMIN_CLIENT_ID: ADMIN_ID,
    BATON_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
    BATON_SECRET_KEY: 'k'.repeat(40),
  });
  const ctx = await createContext(config, { sqliteFile: ':memory:' });
  await bootstrap(ctx);
  const app = await buildApp(ctx, { logger: { ...loggerOptions('info'), stream } });
  try {
    const res = await app.inject({
      method: 'POST',
      url: '/oauth/token?access_token=query-secret',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${ADMIN_ID}:${ADMIN_SECRET}`).toString('base64')}`,
      },
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        audience: ctx.managementAudience,
        subject_token: 'subject-secret',
      }).toString(),
    });
    assert.equal(res.statusCode, 200, res.body);
    const token = res.json().access_token as string;
    await app.inject({ method: 'GET', url: '/api/v2/clients', headers: { authorization: `Bearer ${token}` } });
    const all = lines.join('\n');
    assert.match(all, /"reqId":"[0-9a-f-]{36}"/);
    assert.ok(res.headers['x-request-id']);
    for (const secret of [
      ADMIN_SECRET,
      'subject-secret',
      'query-secret',
      token,
      Buffer.from(`${ADMIN_ID}:${ADMIN_SECRET}`).toString('base64'),
    ]) {
      assert.ok(!all.includes(secret), `a secret leaked into the logs: ${secret.slice(0, 12)}...`);
    }
  } finally {
    await app.close();
    await ctx.close();
  }
});

test('/metrics counts token requests by grant type and status, with bounded labels', async () => {
  const config = loadConfig({
    BATON_ISSUER: ISSUER,
    BATON_ADMIN_CLIENT_ID: ADMIN_ID,
    BATON_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
    BATON_SECRET_KEY: 'k'.repeat(40),
  });
  const ctx = await createContext(config, { sqliteFile: ':memory:' });
  await bootstrap(ctx);
  const app = await buildApp(ctx, { logger: false });
  try {
    const form = (fields: Record<string, string>) =>
      app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(fields).toString(),
      });
    await form({
      grant_type: 'client_credentials',
      client_id: ADMIN_ID,
      client_secret: ADMIN_SECRET,
      audience: ctx.managementAudience,
    });
    await form({
      grant_type: 'client_credentials',
      client_id: ADMIN_ID,
      client_secret: 'wrong',
      audience: ctx.managementAudience,
    });
    await form({ grant_type: 'made-up-grant-' + Math.random() });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /baton_token_requests_total\{grant_type="client_credentials",status="200"\} 1/);
    assert.match(metrics, /baton_token_requests_total\{grant_type="client_credentials",status="401"\} 1/);
    assert.match(metrics, /baton_token_requests_total\{grant_type="other",status="400"\} 1/);
  } finally {
    await app.close();
    await ctx.close();
  }
});

test('a bad configuration value stops with a message naming the variable', () => {
  assert.throws(
    () => loadConfig({ PORT: 'eighty' }),
    (err: Error) => err instanceof ConfigError && /PORT/.test(err.message),
  );
  assert.throws(
    () => loadConfig({ BATON_ISSUER: 'http://x.example.com' }),
    /BATON_ISSUER: must end with a trailing slash/,
  );
  assert.throws(
    () => loadConfig({ BATON_DATABASE_URL: 'postgres://db/x' }),
    /BATON_SECRET_KEY: required when BATON_DATABASE_URL is set/,
  );
  assert.throws(() => loadConfig({ BATON_ADMIN_CLIENT_ID: 'abc' }), /BATON_ADMIN_CLIENT_SECRET/);
  assert.throws(() => loadConfig({ BATON_REDIS_URL: 'http://nope' }), /BATON_REDIS_URL: must be a redis:\/\/ URL/);
  assert.throws(() => loadConfig({ BATON_ACTION_WORKERS: '0' }), /BATON_ACTION_WORKERS/);
  assert.throws(() => loadConfig({ BATON_ACTION_WORKERS: 'two' }), /BATON_ACTION_WORKERS/);
});

test('the sandbox pool size is configurable, and unset by default (sized by the machine)', () => {
  assert.equal(loadConfig({ BATON_ACTION_WORKERS: '1' }).actions.workers, 1);
  assert.equal(loadConfig({}).actions.workers, undefined);
});
