/**
 * L8: /metrics can be kept off the public listener: behind a bearer token (BATON_METRICS_TOKEN), on a listener of
 * its own (BATON_METRICS_PORT, BATON_METRICS_HOST defaulting to loopback), or both.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/index.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startChildServer, freePort, type ChildServer } from '../helpers/child-server.js';
import { buildMetricsServer } from '../../src/ops/routes.js';

const TOKEN = 'metrics-token-0123456789abcdef0123';
const CHALLENGE = 'Bearer realm="baton-metrics"';

function expectUnauthorized(
  res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  error?: 'invalid_token',
) {
  assert.equal(res.statusCode, 401);
  assert.equal(res.headers['www-authenticate'], error ? `${CHALLENGE}, error="invalid_token"` : CHALLENGE);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.deepEqual(
    res.json(),
    error
      ? { error: 'invalid_token', error_description: 'The bearer token for /metrics is not valid' }
      : { error: 'unauthorized', error_description: 'GET /metrics needs Authorization: Bearer <BATON_METRICS_TOKEN>' },
  );
}

describe('BATON_METRICS_TOKEN on the main listener', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { BATON_METRICS_TOKEN: TOKEN } });
  });
  after(() => t.close());

  test('without a token, with a wrong one, or another scheme: 401 with a challenge; with the token: the metrics', async () => {
    const get = (authorization?: string) =>
      t.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
    expectUnauthorized(await get());
    expectUnauthorized(await get(`Bearer ${TOKEN}x`), 'invalid_token');
    expectUnauthorized(await get(`Bearer ${TOKEN.slice(0, -1)}`), 'invalid_token');
    expectUnauthorized(await get('Bearer '), 'invalid_token');
    expectUnauthorized(await get(`Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`));
    const ok = await get(`Bearer ${TOKEN}`);
    assert.equal(ok.statusCode, 200);
    assert.match(String(ok.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(ok.body, /^# HELP baton_http_request_duration_seconds /m);
    // The refused scrapes were counted like any request, under their status.
    assert.match(ok.body, /baton_http_request_duration_seconds_count\{method="GET",route="\/metrics",status="401"\} 5/);
    const lower = await get(`bearer ${TOKEN}`);
    assert.equal(lower.statusCode, 200, 'the scheme is case-insensitive (RFC 7235)');
  });

  test('the token is at least 32 characters', () => {
    assert.throws(
      () => loadConfig({ BATON_METRICS_TOKEN: 'short' }),
      /BATON_METRICS_TOKEN: must be at least 32 characters/,
    );
  });
});

describe('BATON_METRICS_PORT: a listener of its own', () => {
  let t: TestApp;
  let metricsApp: FastifyInstance;
  before(async () => {
    t = await startTestApp({ env: { BATON_METRICS_PORT: '9464' } });
    metricsApp = await buildMetricsServer(t.ctx, t.app.metrics);
  });
  after(async () => {
    await metricsApp.close();
    await t.close();
  });

  test('the main listener no longer serves /metrics; the metrics listener does, and nothing else', async () => {
    const main = await t.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(main.statusCode, 404);
    assert.deepEqual(main.json(), { statusCode: 404, error: 'Not Found', message: 'Route GET:/metrics not found' });
    const res = await metricsApp.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(
      res.body,
      /baton_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} 1/,
    );
    const other = await metricsApp.inject({ method: 'GET', url: '/api/v2/clients' });
    assert.equal(other.statusCode, 404);
    assert.equal((await t.app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200);
  });

  test('the metrics host defaults to loopback', () => {
    assert.deepEqual(loadConfig({ BATON_METRICS_PORT: '9464' }).metrics, {
      port: 9464,
      host: '127.0.0.1',
      token: undefined,
    });
    assert.deepEqual(loadConfig({}).metrics, { port: undefined, host: '127.0.0.1', token: undefined });
    assert.throws(() => loadConfig({ BATON_METRICS_PORT: '3000' }), /BATON_METRICS_PORT: must differ from PORT/);
  });
});

describe('baton serve with BATON_METRICS_PORT and BATON_METRICS_TOKEN', () => {
  let child: ChildServer;
  let metricsPort: number;
  before(async () => {
    metricsPort = await freePort();
    child = await startChildServer({ env: { BATON_METRICS_PORT: String(metricsPort), BATON_METRICS_TOKEN: TOKEN } });
  });
  after(() => child.stop());

  test('serves the metrics on 127.0.0.1:BATON_METRICS_PORT behind the token, and not on the main port', async () => {
    assert.equal((await fetch(`${child.url}/metrics`)).status, 404);
    const url = `http://127.0.0.1:${metricsPort}/metrics`;
    const anonymous = await fetch(url);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), CHALLENGE);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    assert.match(
      await ok.text(),
      /baton_http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} 1/,
    );
    assert.match(
      child.output(),
      new RegExp(`Metrics on http://127\\.0\\.0\\.1:${metricsPort}/metrics \\(bearer token required\\)`),
    );
    assert.ok(await child.alive());
  });
});
