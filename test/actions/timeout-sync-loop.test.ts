import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { executor, run } from './helpers.js';

const ex = executor({ cpuMs: 300, timeoutMs: 5000 });
after(() => ex.close());

test('an infinite synchronous loop ends as a CPU timeout within the budget', async () => {
  const r = await run(ex, 'while (true) {}');
  assert.equal(r.kind, 'timeout');
  assert.equal(r.kind === 'timeout' && r.limit, 'cpu');
  assert.ok(r.durationMs >= 280 && r.durationMs < 1500, `durationMs ${r.durationMs}`);
});

test('an infinite loop after an await ends as a CPU timeout (the deadline is re-armed on resume)', async () => {
  const r = await run(ex, 'await Promise.resolve(); await new Promise((ok) => setTimeout(ok, 20)); while (true) {}');
  assert.equal(r.kind, 'timeout');
  assert.equal(r.kind === 'timeout' && r.limit, 'cpu');
  assert.ok(r.durationMs >= 280 && r.durationMs < 1500, `durationMs ${r.durationMs}`);
});

test('time spent awaiting host calls does not use the CPU budget', async () => {
  const r = await run(ex, "await new Promise((ok) => setTimeout(ok, 500)); api.authentication.setUserById('auth0|1');");
  assert.equal(r.kind, 'ok');
  assert.ok(r.durationMs >= 490, `durationMs ${r.durationMs}`);
});

test('the CPU budget is cumulative across awaits: 200 ms + 200 ms of guest work exceed 300 ms', async () => {
  const burn = '{ const t = Date.now(); while (Date.now() - t < 200) {} }';
  const r = await run(
    ex,
    `${burn}\nawait new Promise((ok) => setTimeout(ok, 10));\n${burn}\napi.authentication.setUserById('auth0|1');`,
  );
  assert.equal(r.kind, 'timeout');
  assert.equal(r.kind === 'timeout' && r.limit, 'cpu');
});

test('a wall-clock limit shorter than the CPU budget ends a loop as a wall timeout', async () => {
  const r = await run(ex, 'while (true) {}', { limits: { wallMs: 150, cpuMs: 5000 } });
  assert.equal(r.kind, 'timeout');
  assert.equal(r.kind === 'timeout' && r.limit, 'wall');
  assert.ok(r.durationMs < 1200, `durationMs ${r.durationMs}`);
});

test('a loop in module top-level code is a timeout too, and the same version runs again afterwards', async () => {
  const code =
    "if (!globalThis.ran) { globalThis.ran = true; while (true) {} }\nexports.onExecuteCustomTokenExchange = async (e, api) => { api.authentication.setUserById('auth0|1'); };";
  const first = await run(ex, code, { raw: true, versionId: 'loop-top' });
  assert.equal(first.kind, 'timeout');
  // The runtime that hit the limit was discarded: a fresh one loads the module again (and loops again).
  const second = await run(ex, code, { raw: true, versionId: 'loop-top' });
  assert.equal(second.kind, 'timeout');
});
