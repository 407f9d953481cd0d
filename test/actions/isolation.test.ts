import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { executor, run } from './helpers.js';

const ex = executor({ cpuMs: 2000, timeoutMs: 5000 });
after(() => ex.close());

test('a spinning Action and a good Action started together: the good one completes while the spinner still runs', async () => {
  // Warm both workers so the measurement is about isolation, not start-up.
  await Promise.all([
    run(ex, "api.authentication.setUserById('w1');"),
    run(ex, "api.authentication.setUserById('w2');"),
  ]);
  const spinner = run(ex, 'while (true) {}');
  let spinnerSettled = false;
  void spinner.finally(() => (spinnerSettled = true));
  const good = run(
    ex,
    "const { createHash } = require('crypto'); api.authentication.setUserById('auth0|' + createHash('sha256').update('x').digest('hex').slice(0, 8));",
  );
  const g = await good;
  assert.equal(g.kind, 'ok');
  assert.deepEqual(g.commands, [{ name: 'authentication.setUserById', args: ['auth0|2d711642'] }]);
  // Isolation is an order, not a time: the good run is answered while the spinner still burns its 2000 ms CPU
  // budget in the other worker (a shared worker would answer it only after the spinner's timeout).
  assert.equal(spinnerSettled, false, 'the good run waited for the spinner');
  const s = await spinner;
  assert.equal(s.kind, 'timeout');
});

test("the server's event loop stays responsive while an Action spins", async () => {
  const spinner = run(ex, 'while (true) {}');
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const s = await spinner;
  clearInterval(timer);
  assert.equal(s.kind, 'timeout');
  // The spinner burns 2000 ms of CPU in its worker while the main thread keeps serving its own timers: a loop held
  // by the spinner would tick once, after it; a free one ticks about 200 times (20 leaves room for a loaded machine).
  assert.ok(ticks >= 20, `the event loop ticked ${ticks} times while the Action spun`);
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
