import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { executor, run } from './helpers.js';

const ex = executor({ memoryMb: 16, cpuMs: 5000 });
after(() => ex.close());

test('allocating arrays without bound ends as memory', async () => {
  const r = await run(ex, 'const a = []; while (true) a.push(new Array(100000).fill(a.length));');
  assert.equal(r.kind, 'memory');
});

test('an object graph bomb ends as memory even when the guest catches errors', async () => {
  const r = await run(
    ex,
    'const a = []; for (;;) { try { a.push({ x: new Array(50000).fill(1), y: a.length }); } catch (e) { a.push(e); throw e; } }',
  );
  assert.equal(r.kind, 'memory');
});

test('after a memory failure the same version runs normally on a fresh runtime', async () => {
  const code =
    "exports.onExecuteCustomTokenExchange = async (event, api) => {\n if (event.transaction.subject_token === 'bomb') { const a = []; while (true) a.push(new Array(100000).fill(1)); }\n api.authentication.setUserById('auth0|ok');\n};";
  const base = { client: {}, request: {}, resource_server: {}, tenant: { id: 't' } };
  const bomb = await run(ex, code, {
    raw: true,
    versionId: 'mem-v',
    event: { ...base, transaction: { subject_token: 'bomb' } },
  });
  assert.equal(bomb.kind, 'memory');
  const good = await run(ex, code, {
    raw: true,
    versionId: 'mem-v',
    event: { ...base, transaction: { subject_token: 'fine' } },
  });
  assert.equal(good.kind, 'ok');
  assert.deepEqual(good.commands, [{ name: 'authentication.setUserById', args: ['auth0|ok'] }]);
});

test('deep recursion hits the stack limit and is an ordinary thrown RangeError', async () => {
  const r = await run(ex, 'function f(n) { return f(n + 1) + 1; } f(0);');
  assert.equal(r.kind, 'thrown');
  assert.equal(r.kind === 'thrown' && r.name, 'RangeError');
  assert.equal(r.kind === 'thrown' && r.message, 'Maximum call stack size exceeded');
});
