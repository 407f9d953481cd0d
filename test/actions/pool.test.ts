/**
 * The worker pool (runtime/pool.ts): jobs are pipelined, two per worker, and run in order; when the backstop
 * replaces a worker whose running job does not answer, only that job fails and the one waiting behind it runs on
 * the new worker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from '../../src/actions/runtime/pool.js';
import type { SandboxRunInput, SandboxRunOutput } from '../../src/actions/runtime/sandbox.js';
import { SAMPLE_EVENT } from './helpers.js';

const LIMITS = { wallMs: 10_000, cpuMs: 1000, memoryBytes: 32 * 1024 * 1024, stackBytes: 512 * 1024 };
let seq = 0;
function job(body: string): { type: 'run'; input: SandboxRunInput } {
  return {
    type: 'run',
    input: {
      versionId: `pool-${++seq}`,
      code: `exports.onExecuteCustomTokenExchange = async (event, api) => {\n${body}\n};`,
      trigger: 'custom-token-exchange',
      eventJson: JSON.stringify({ ...SAMPLE_EVENT, secrets: {} }),
      limits: LIMITS,
      cache: [],
    },
  };
}
const pool = () => new WorkerPool(1, { policy: { timeoutMs: 1000, maxBytes: 65536, egressAllow: undefined }, moduleMemoryBytes: 128 * 1024 * 1024 });

test('jobs handed to one worker run one after another, in order', async () => {
  const p = pool();
  try {
    const outs = await Promise.all(
      Array.from({ length: 5 }, (_, i) => p.submit(job(`await new Promise((r) => setTimeout(r, 20)); console.log('job ${i}', Date.now());`), 5000)),
    );
    const logs = outs.map((o) => (o.output as SandboxRunOutput).result.logs[0]!.message.split(' '));
    assert.deepEqual(logs.map((l) => `${l[0]} ${l[1]}`), ['job 0', 'job 1', 'job 2', 'job 3', 'job 4']);
    const times = logs.map((l) => Number(l[2]));
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! >= times[i - 1]! + 15, `job ${i} ran after job ${i - 1} ended: ${times.join(', ')}`);
  } finally {
    await p.close();
  }
});

test('a worker that does not answer is replaced: its running job fails, the job waiting behind it runs', async () => {
  const p = pool();
  try {
    // The first job's backstop is its 1 ms deadline plus the 2 s grace; it sleeps for 4 s (within its own limits).
    const stuck = p.submit(job('await new Promise((r) => setTimeout(r, 4000)); api.authentication.setUserById("late");'), 1);
    const next = p.submit(job("api.authentication.setUserById('after');"), 5000);
    assert.deepEqual(await stuck, { failure: 'unresponsive' });
    const out = (await next).output as SandboxRunOutput;
    assert.equal(out.result.kind, 'ok');
    assert.deepEqual(out.result.commands.map((c) => c.args), [['after']]);
  } finally {
    await p.close();
  }
});
