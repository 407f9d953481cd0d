import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { executor, run, SAMPLE_EVENT } from './helpers.js';

const ex = executor();
after(() => ex.close());

test('secrets reach event.secrets and nowhere else', async () => {
  const r = await run(
    ex,
    `
console.log(JSON.stringify(event.secrets));
const found = Object.getOwnPropertyNames(globalThis).filter((n) => { try { return JSON.stringify(globalThis[n]).includes('s3cr3t'); } catch { return false; } });
console.log(JSON.stringify(found), JSON.stringify(Object.keys(event)), JSON.stringify(event.transaction).includes('s3cr3t'));
api.authentication.setUserById('auth0|1');`,
    { secrets: { API_KEY: 's3cr3t-value', OTHER: 'x' } },
  );
  assert.equal(r.kind, 'ok');
  assert.deepEqual(
    r.logs.map((l) => l.message),
    [
      '{"API_KEY":"s3cr3t-value","OTHER":"x"}',
      '[] ["client","request","resource_server","tenant","transaction","secrets"] false',
    ],
  );
  assert.equal(JSON.stringify(r.commands).includes('s3cr3t'), false);
});

test('a secrets field in the supplied event is replaced by the run secrets', async () => {
  const r = await run(ex, "console.log(JSON.stringify(event.secrets)); api.authentication.setUserById('u');", {
    event: { ...SAMPLE_EVENT, secrets: { INJECTED: 'no' } },
    secrets: { REAL: 'yes' },
  });
  assert.deepEqual(r.logs, [{ level: 'log', message: '{"REAL":"yes"}' }]);
});

test('each run of a version sees only its own secrets; another version never sees them', async () => {
  const code =
    "let last;\nexports.onExecuteCustomTokenExchange = async (event, api) => { console.log(String(last), JSON.stringify(event.secrets)); last = 'seen'; api.authentication.setUserById('u'); };";
  const a1 = await run(ex, code, { raw: true, versionId: 'sec-a', secrets: { K: 'one' } });
  const a2 = await run(ex, code, { raw: true, versionId: 'sec-a', secrets: { K: 'two' } });
  const b = await run(ex, code, { raw: true, versionId: 'sec-b', secrets: {} });
  assert.deepEqual(
    a1.logs.map((l) => l.message),
    ['undefined {"K":"one"}'],
  );
  assert.deepEqual(
    a2.logs.map((l) => l.message),
    ['seen {"K":"two"}'],
  );
  assert.deepEqual(
    b.logs.map((l) => l.message),
    ['undefined {}'],
  );
});
