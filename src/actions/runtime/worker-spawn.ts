/**
 * Starting a sandbox worker thread: its V8 heap limits, and under tsx (tests) the loader hooks it does not inherit.
 */
import v8 from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { FetchPolicy } from './fetch.js';

export interface WorkerInit {
  policy: FetchPolicy;
  /** Hard maximum of each worker's WASM memory (sandbox.ts explains why). */
  moduleMemoryBytes: number;
  /** Each worker's V8 old-generation limit (`resourceLimits.maxOldGenerationSizeMb`); index.ts sizes it. */
  heapMb: number;
}

/**
 * A worker's own V8 heap holds little: the QuickJS heap lives in WASM memory (outside it) and each run's garbage is
 * short-lived. A small young generation keeps every worker's resident memory down (about 20 MB less each than
 * V8's default) at the price of more, cheaper scavenges. The old generation has an explicit limit (WorkerInit.heapMb):
 * a worker that reaches it dies alone (ERR_WORKER_OUT_OF_MEMORY) instead of growing toward the process's limit.
 */
const YOUNG_GENERATION_MB = 4;

let heapFlagCleared = false;
/**
 * `--max-old-space-size` (which `npm start` and the CLI's shebang pass) is a process-wide V8 flag, and V8 lets it
 * override every worker's own `maxOldGenerationSizeMb`: each worker would get the main thread's limit. The main
 * isolate's heap was sized when it was created, so clearing the flag now leaves the main thread's limit as it is
 * and lets the workers' own limits apply (tested in pool.test.ts, with and without the flag).
 */
function clearProcessHeapFlag(): void {
  if (heapFlagCleared) return;
  heapFlagCleared = true;
  v8.setFlagsFromString('--max-old-space-size=0');
}

export function spawnWorker(init: WorkerInit): Worker {
  clearProcessHeapFlag();
  const resourceLimits = { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB, maxOldGenerationSizeMb: init.heapMb };
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Tests and `tsx` runs: workers do not inherit tsx's loader hooks, so register them first.
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./worker.ts', here).href;
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(boot, { eval: true, workerData: init, resourceLimits });
  }
  return new Worker(new URL('./worker.js', here), { workerData: init, resourceLimits });
}
