import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { executor, run } from './helpers.js';

let server: http.Server;
let base: string;
const ex = executor({ timeoutMs: 600, fetchTimeoutMs: 30_000 });
before(async () => {
  // Accepts requests and never answers.
  server = http.createServer(() => {});
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await ex.close();
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

test('a promise that never settles, with nothing in flight, ends as a wall-clock timeout at once', async () => {
  const r = await run(ex, 'await new Promise(() => {});', { limits: { wallMs: 20_000 } });
  assert.equal(r.kind, 'timeout');
  assert.equal(r.kind === 'timeout' && r.limit, 'wall');
  // Nothing can settle it, so the run ends without waiting for the 20 s limit.
  assert.ok(r.durationMs < 5000, `durationMs ${r.durationMs}`);
});

test('awaiting a host call that never answers ends as a wall-clock timeout at the limit', async () => {
  const r = await run(ex, `console.log('before'); await fetch('${base}/hang'); console.log('after');`);
  assert.equal(r.kind, 'timeout');
  assert.equal(r.kind === 'timeout' && r.limit, 'wall');
  assert.deepEqual(r.logs, [{ level: 'log', message: 'before' }]);
  assert.ok(r.durationMs >= 580 && r.durationMs < 2500, `durationMs ${r.durationMs}`);
});

test('a long timer is cut by the wall-clock limit', async () => {
  const r = await run(ex, 'await new Promise((ok) => setTimeout(ok, 60000));');
  assert.equal(r.kind, 'timeout');
  assert.equal(r.kind === 'timeout' && r.limit, 'wall');
  assert.ok(r.durationMs >= 580 && r.durationMs < 2500, `durationMs ${r.durationMs}`);
});
