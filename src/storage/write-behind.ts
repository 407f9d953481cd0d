/**
 * Write-behind batching for writes a response does not wait on (tenant logs, login counters): `add(item)` returns
 * at once; items are written every `intervalMs`, or as soon as `batchSize` wait, in chunks of `chunkSize` with a
 * turn of the event loop between chunks, so a large backlog never holds the loop for more than one small write.
 * Batches are written one after another, in the order items were added.
 *
 * Nothing is dropped (issue 13, docs/deployment.md "Audit trail"): a chunk that storage refuses stays first in line
 * and is written again, with backoff from `retryMs` to `maxRetryMs`, until storage takes it; later items wait
 * behind it. `pending()` counts the items added and not yet stored; past `maxPending` the owner refuses the work
 * that would add more (`full()`). Only `close()` gives up, after `closeTimeoutMs` of refusals, and reports what it
 * could not write through `onError`. `flush()` resolves when what is buffered is stored; `flushWithin(ms)` rejects
 * with StorageUnavailableError when that takes longer.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { StorageUnavailableError } from './unavailable.js';

export interface WriteBehind<T> {
  add(item: T): void;
  /** Items added and not yet stored (buffered, or in a write that storage has not acknowledged). */
  pending(): number;
  /** `pending()` has reached `maxPending`. */
  full(): boolean;
  /** Counts since start: writes storage refused, writes made again after one, items given up at close. */
  stats(): WriteStats;
  flush(): Promise<void>;
  flushWithin(ms: number): Promise<void>;
  close(): Promise<void>;
}

export interface WriteStats {
  pending: number;
  failures: number;
  retries: number;
  dropped: number;
}

export interface WriteBehindOptions {
  intervalMs?: number;
  batchSize?: number;
  /** Items per storage write; a fixed size also keeps one statement shape. */
  chunkSize?: number;
  /** `full()` from this many pending items (AUDIT_MAX_BUFFERED_ENTRIES by default in logs/ and login/). */
  maxPending?: number;
  /** First and longest wait before writing a refused chunk again. */
  retryMs?: number;
  maxRetryMs?: number;
  /** How long `close()` keeps retrying before it gives up on what is left. */
  closeTimeoutMs?: number;
  /** Each refused write (the chunk stays and is retried): for metrics and a warning. */
  onRetry?: (err: unknown, items: number) => void;
  /** Items given up at close, storage still refusing them after `closeTimeoutMs`. */
  onError: (err: unknown, dropped: number) => void;
}

export function createWriteBehind<T>(write: (chunk: T[]) => Promise<void>, opts: WriteBehindOptions): WriteBehind<T> {
  const intervalMs = opts.intervalMs ?? 200;
  const batchSize = opts.batchSize ?? 100;
  const chunkSize = opts.chunkSize ?? 25;
  const maxPending = opts.maxPending ?? Infinity;
  const retryMs = opts.retryMs ?? 50;
  const maxRetryMs = opts.maxRetryMs ?? 1000;
  let buffer: T[] = [];
  let pending = 0;
  const counts = { failures: 0, retries: 0, dropped: 0 };
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let closed = false;
  // Set by close() when its time is up: the retry loop stops and reports what it holds.
  let givenUp = false;

  /** Writes one chunk, again and again until storage takes it (or close gives up). */
  const writeChunk = async (chunk: T[]) => {
    for (let wait = retryMs, attempt = 0; ; wait = Math.min(wait * 2, maxRetryMs), attempt++) {
      if (attempt > 0) counts.retries++;
      try {
        await write(chunk);
        pending -= chunk.length;
        return;
      } catch (err) {
        counts.failures++;
        opts.onRetry?.(err, chunk.length);
        if (givenUp) throw err;
        await sleep(wait);
      }
    }
  };

  const writeBatch = async (batch: T[]) => {
    for (let i = 0; i < batch.length; i += chunkSize) {
      if (i > 0) await nextTurn();
      try {
        await writeChunk(batch.slice(i, i + chunkSize));
      } catch (err) {
        const dropped = batch.length - i;
        pending -= dropped;
        counts.dropped += dropped;
        opts.onError(err, dropped);
        return;
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
      pending++;
      if (closed || buffer.length >= batchSize) void flush();
      else if (!timer) {
        timer = setTimeout(() => void flush(), intervalMs);
        timer.unref();
      }
    },
    pending: () => pending,
    full: () => pending >= maxPending,
    stats: () => ({ pending, ...counts }),
    flush,
    async flushWithin(ms) {
      let timeout: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timeout = setTimeout(
          () => reject(new StorageUnavailableError(new Error(`buffered writes not stored within ${ms} ms`))),
          ms,
        );
      });
      try {
        await Promise.race([flush(), expired]);
      } finally {
        clearTimeout(timeout);
      }
    },
    async close() {
      closed = true;
      const deadline = setTimeout(() => (givenUp = true), opts.closeTimeoutMs ?? 10_000);
      try {
        await flush();
      } finally {
        clearTimeout(deadline);
      }
    },
  };
}
