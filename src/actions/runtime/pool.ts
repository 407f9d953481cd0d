/**
 * A small pool of sandbox workers, one job per worker at a time, FIFO queue. A worker that stops answering past
 * the job's wall-clock limit plus a grace period, or dies, is terminated and replaced; only its own job fails.
 */
import { Worker } from 'node:worker_threads';
import type { FetchPolicy } from './fetch.js';
import type { WorkerRequest } from './worker.js';

type JobBody = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

interface Job {
  id: number;
  body: JobBody;
  deadlineMs: number;
  resolve(v: { output?: unknown; failure?: 'unresponsive' | 'crashed' }): void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

const GRACE_MS = 2000;

export interface WorkerInit {
  policy: FetchPolicy;
  /** Hard maximum of each worker's WASM memory (sandbox.ts explains why). */
  moduleMemoryBytes: number;
}

/**
 * A worker's own V8 heap holds little: the QuickJS heap lives in WASM memory (outside it) and each run's garbage is
 * short-lived. A small young generation keeps every worker's resident memory down (about 20 MB less each than
 * V8's default) at the price of more, cheaper scavenges.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 };

function spawn(init: WorkerInit): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Tests and `tsx` runs: workers do not inherit tsx's loader hooks, so register them first.
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./worker.ts', here).href;
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(boot, { eval: true, workerData: init, resourceLimits: WORKER_LIMITS });
  }
  return new Worker(new URL('./worker.js', here), { workerData: init, resourceLimits: WORKER_LIMITS });
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private seq = 0;
  private closed = false;

  constructor(private readonly size: number, private readonly init: WorkerInit) {
    for (let i = 0; i < size; i++) this.slots.push(this.newSlot());
  }

  submit(body: JobBody, deadlineMs: number): Promise<{ output?: unknown; failure?: 'unresponsive' | 'crashed' }> {
    if (this.closed) return Promise.resolve({ failure: 'crashed' });
    return new Promise((resolve) => {
      this.queue.push({ id: ++this.seq, body, deadlineMs, resolve });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve({ failure: 'crashed' });
    await Promise.all(this.slots.map((s) => {
      s.job?.resolve({ failure: 'crashed' });
      if (s.timer) clearTimeout(s.timer);
      return s.worker.terminate();
    }));
  }

  private newSlot(): Slot {
    const slot: Slot = { worker: spawn(this.init), job: null, timer: null };
    slot.worker.unref();
    slot.worker.on('message', (msg: { id: number; output?: unknown; crash?: string }) => {
      const job = slot.job;
      if (!job || job.id !== msg.id) return;
      this.release(slot);
      job.resolve(msg.crash !== undefined ? { failure: 'crashed' } : { output: msg.output });
    });
    const onDeath = () => {
      if (this.closed) return;
      const job = slot.job;
      this.replace(slot);
      job?.resolve({ failure: 'crashed' });
    };
    slot.worker.on('error', onDeath);
    slot.worker.on('exit', onDeath);
    return slot;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.timer = setTimeout(() => {
        this.replace(slot);
        job.resolve({ failure: 'unresponsive' });
      }, job.deadlineMs + GRACE_MS);
      slot.worker.postMessage({ id: job.id, ...job.body });
    }
  }

  private release(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
    slot.worker.unref();
    this.dispatch();
  }

  private replace(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.job = null;
    slot.worker.removeAllListeners();
    slot.worker.on('error', () => {});
    void slot.worker.terminate();
    if (!this.closed) this.slots[i] = this.newSlot();
    this.dispatch();
  }
}
