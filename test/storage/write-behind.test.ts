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

test('a chunk that fails is reported and dropped; the others are written', async () => {
  const r = recorder();
  const w = createWriteBehind<number>(
    async (chunk) => {
      if (chunk.includes(12)) throw new Error('disk full');
      r.writes.push(chunk);
    },
    { intervalMs: 60_000, batchSize: 1000, chunkSize: 10, onError: r.onError },
  );
  for (let i = 0; i < 30; i++) w.add(i);
  await w.close();
  assert.deepEqual(r.writes.flat(), [
    ...Array.from({ length: 10 }, (_, i) => i),
    ...Array.from({ length: 10 }, (_, i) => 20 + i),
  ]);
  assert.deepEqual(r.errors, [['disk full', 10]]);
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
