/**
 * WAL checkpoints off the event loop. By default SQLite checkpoints inside the commit that pushes the WAL past
 * 1000 pages: with better-sqlite3 that is the server's own thread, copying pages and syncing the file for tens of
 * milliseconds every few seconds under load (every request waiting meanwhile). Here the serving connection only
 * checkpoints as a safety net, far later, and a worker thread with its own connection runs a PASSIVE checkpoint
 * every `intervalMs` (PASSIVE never blocks writers or readers: it copies what no reader still needs).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Pages the serving connection lets the WAL grow to before it checkpoints itself (if the worker is gone). */
export const SAFETY_NET_PAGES = 20_000;

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 0');
const checkpoint = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: the next tick retries */ } };
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); checkpoint(); db.close(); parentPort.close(); });
`;

export interface Checkpointer {
  close(): Promise<void>;
}

export function startCheckpointer(file: string, intervalMs = 1000): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver, file, intervalMs },
    resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 },
  });
  worker.unref();
  // A failed checkpointer is not fatal: the serving connection's own checkpoints (SAFETY_NET_PAGES) take over.
  worker.on('error', (err) => process.emitWarning(`SQLite checkpointer stopped: ${err.message}`));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async close() {
      worker.postMessage('close');
      const timeout = setTimeout(() => void worker.terminate(), 2000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
