/**
 * Write-behind batching for writes a response does not wait on (tenant logs, login counters): `add(item)` returns
 * at once; items are written every `intervalMs`, or as soon as `batchSize` wait, in chunks of `chunkSize` with a
 * turn of the event loop between chunks, so a large backlog never holds the loop for more than one small write.
 * Batches are written one after another, in the order items were added. `flush()` writes what is buffered and
 * resolves when it is stored; `close()` flushes and writes every later item at once.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

export interface WriteBehind<T> {
  add(item: T): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface WriteBehindOptions {
  intervalMs?: number;
  batchSize?: number;
  /** Items per storage write; a fixed size also keeps one statement shape. */
  chunkSize?: number;
  /** Called when a chunk cannot be written (its items are dropped: the requests were already answered). */
  onError: (err: unknown, dropped: number) => void;
}

export function createWriteBehind<T>(write: (chunk: T[]) => Promise<void>, opts: WriteBehindOptions): WriteBehind<T> {
  const intervalMs = opts.intervalMs ?? 200;
  const batchSize = opts.batchSize ?? 100;
  const chunkSize = opts.chunkSize ?? 25;
  let buffer: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let closed = false;

  const writeBatch = async (batch: T[]) => {
    for (let i = 0; i < batch.length; i += chunkSize) {
      if (i > 0) await nextTurn();
      const chunk = batch.slice(i, i + chunkSize);
      try {
        await write(chunk);
      } catch (err) {
        opts.onError(err, chunk.length);
      }
    }
  };

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (buffer.length > 0) {
      const batch = buffer;
      buffer = [];
      inFlight = inFlight.then(() => writeBatch(batch));
    }
    return inFlight;
  }

  return {
    add(item) {
      buffer.push(item);
      if (closed || buffer.length >= batchSize) void flush();
      else if (!timer) {
        timer = setTimeout(() => void flush(), intervalMs);
        timer.unref();
      }
    },
    flush,
    async close() {
      closed = true;
      await flush();
    },
  };
}
