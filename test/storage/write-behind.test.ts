import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createWriteBehind } from '../../src/storage/write-behind.js';

function recorder() {
  const writes: number[][] = [];
  const errors: Array<[string, number]> = [];
  return { writes, errors, onError: (err: unknown, n: number) => errors.push([(err as Error).message, n]) };
}

test('add returns at once; the batch is written after the interval, in order', async () => {
  const r = recorder();
  const w = createWriteBehind<number>(async (chunk) => void r.writes.push(chunk), {
    intervalMs: 30,
    batchSize: 100,
    chunkSize: 10,
    onError: r.onError,
  });
  for (let i = 0; i < 5; i++) w.add(i);
  assert.deepEqual(r.writes, []);
  await sleep(80);
  assert.deepEqual(r.writes, [[0, 1, 2, 3, 4]]);
  await w.close();
});

test('a full batch is written at once, in chunks, with the event loop free between chunks', async () => {
  const r = recorder();
  const order: string[] = [];
  const w = createWriteBehind<number>(
    async (chunk) => {
      order.push(`write ${chunk[0]}`);
      r.writes.push(chunk);
    },
    { intervalMs: 60_000, batchSize: 25, chunkSize: 10, onError: r.onError },
  );
  for (let i = 0; i < 25; i++) w.add(i);
  // Scheduled after the batch started: it must run before the last chunks are written.
  setImmediate(() => order.push('other work'));
  await w.flush();
  assert.deepEqual(
    r.writes.map((c) => c.length),
    [10, 10, 5],
  );
  assert.deepEqual(
    r.writes.flat(),
    Array.from({ length: 25 }, (_, i) => i),
  );
  assert.ok(order.indexOf('other work') > 0 && order.indexOf('other work') < order.length - 1, order.join(', '));
  await w.close();
});

test('a chunk storage refuses stays first in line and is written again until stored, in order', async () => {
  const r = recorder();
  let refusals = 3;
  const retries: number[] = [];
  const w = createWriteBehind<number>(
    async (chunk) => {
      if (chunk.includes(12) && refusals-- > 0) throw new Error('connection refused');
      r.writes.push(chunk);
    },
    {
      intervalMs: 60_000,
      batchSize: 1000,
      chunkSize: 10,
      retryMs: 5,
      maxRetryMs: 20,
      onRetry: (_err, n) => retries.push(n),
      onError: r.onError,
    },
  );
  for (let i = 0; i < 30; i++) w.add(i);
  assert.equal(w.pending(), 30);
  await w.flush();
  assert.deepEqual(
    r.writes.flat(),
    Array.from({ length: 30 }, (_, i) => i),
    'nothing dropped, nothing reordered',
  );
  assert.deepEqual(retries, [10, 10, 10]);
  assert.deepEqual(w.stats(), { pending: 0, failures: 3, retries: 3, dropped: 0 });
  assert.deepEqual(r.errors, []);
  await w.close();
});

test('pending items reach maxPending: full() until storage takes them', async () => {
  const r = recorder();
  let down = true;
  const w = createWriteBehind<number>(
    async (chunk) => {
      if (down) throw new Error('connection refused');
      r.writes.push(chunk);
    },
    { intervalMs: 5, batchSize: 1000, chunkSize: 10, maxPending: 5, retryMs: 5, maxRetryMs: 10, onError: r.onError },
  );
  for (let i = 0; i < 4; i++) w.add(i);
  await sleep(30);
  assert.equal(w.full(), false);
  w.add(4);
  assert.equal(w.full(), true);
  await assert.rejects(w.flushWithin(30), { name: 'StorageUnavailableError' });
  down = false;
  await w.flush();
  assert.equal(w.full(), false);
  assert.deepEqual(r.writes.flat(), [0, 1, 2, 3, 4]);
  await w.close();
});

test('close gives up after closeTimeoutMs of refusals and reports what it could not write', async () => {
  const r = recorder();
  const w = createWriteBehind<number>(
    async () => {
      throw new Error('connection refused');
    },
    { intervalMs: 60_000, chunkSize: 10, retryMs: 5, maxRetryMs: 10, closeTimeoutMs: 50, onError: r.onError },
  );
  for (let i = 0; i < 15; i++) w.add(i);
  await w.close();
  assert.deepEqual(r.errors, [['connection refused', 15]]);
  assert.equal(w.stats().dropped, 15);
  assert.equal(w.pending(), 0);
});

test('after close, every item is written at once', async () => {
  const r = recorder();
  const w = createWriteBehind<number>(async (chunk) => void r.writes.push(chunk), {
    intervalMs: 60_000,
    batchSize: 1000,
    onError: r.onError,
  });
  await w.close();
  w.add(7);
  await w.flush();
  assert.deepEqual(r.writes, [[7]]);
});
