import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { executor, run } from './helpers.js';

const ex = executor({ cpuMs: 2000, timeoutMs: 5000 });
after(() => ex.close());

test('a spinning Action and a good Action started together: the good one completes normally and quickly', async () => {
  // Warm both workers so the measurement is about isolation, not start-up.
  await Promise.all([
    run(ex, "api.authentication.setUserById('w1');"),
    run(ex, "api.authentication.setUserById('w2');"),
  ]);
  const t0 = performance.now();
  const spinner = run(ex, 'while (true) {}');
  const good = run(
    ex,
    "const { createHash } = require('crypto'); api.authentication.setUserById('auth0|' + createHash('sha256').update('x').digest('hex').slice(0, 8));",
  );
  const g = await good;
  const goodMs = performance.now() - t0;
  assert.equal(g.kind, 'ok');
  assert.deepEqual(g.commands, [{ name: 'authentication.setUserById', args: ['auth0|2d711642'] }]);
  assert.ok(goodMs < 500, `the good run took ${goodMs} ms while the spinner ran`);
  const s = await spinner;
  assert.equal(s.kind, 'timeout');
});

test("the server's event loop stays responsive while an Action spins", async () => {
  const spinner = run(ex, 'while (true) {}');
  let maxGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 10);
  const s = await spinner;
  clearInterval(timer);
  assert.equal(s.kind, 'timeout');
  // The spinner burns 2000 ms of CPU in its worker; the main thread never waits for it (the bound leaves room
  // for a loaded 2-core machine running other suites).
  assert.ok(maxGap < 500, `event loop stalled for ${maxGap} ms`);
});

test("one version's module state is invisible to another version", async () => {
  const a = await run(ex, "globalThis.leak = 'from-a'; api.authentication.setUserById('a');", { versionId: 'iso-a' });
  const b = await run(ex, "console.log(typeof globalThis.leak); api.authentication.setUserById('b');", {
    versionId: 'iso-b',
  });
  assert.equal(a.kind, 'ok');
  assert.equal(b.kind, 'ok');
  assert.deepEqual(b.logs, [{ level: 'log', message: 'undefined' }]);
});
