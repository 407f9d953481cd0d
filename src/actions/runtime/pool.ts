/**
 * A small pool of sandbox workers with a FIFO queue. A worker runs one job at a time; the pool hands it at most
 * `PIPELINE` jobs, so the next one is already waiting in the worker when the current one ends: the worker does not
 * sit idle until this (busy) thread has read the last answer. A worker whose running job is not answered by its
 * wall-clock limit plus a grace period, or that dies, is terminated and replaced; the running job fails, the jobs
 * waiting behind it go back to the front of the queue.
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
  /** Jobs handed to the worker, in order; the first is running. */
  jobs: Job[];
  /** Backstop for the running job. */
  timer: NodeJS.Timeout | null;
}

const GRACE_MS = 2000;
/** Jobs handed to one worker at once: the running one and the next. */
const PIPELINE = 2;

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
      for (const job of s.jobs.splice(0)) job.resolve({ failure: 'crashed' });
      if (s.timer) clearTimeout(s.timer);
      return s.worker.terminate();
    }));
  }

  private newSlot(): Slot {
    const slot: Slot = { worker: spawn(this.init), jobs: [], timer: null };
    slot.worker.unref();
    slot.worker.on('message', (msg: { id: number; output?: unknown; crash?: string }) => {
      const job = slot.jobs[0];
      if (!job || job.id !== msg.id) return;
      slot.jobs.shift();
      this.armHead(slot);
      job.resolve(msg.crash !== undefined ? { failure: 'crashed' } : { output: msg.output });
      this.dispatch();
    });
    const onDeath = () => {
      if (this.closed) return;
      this.replace(slot, 'crashed');
    };
    slot.worker.on('error', onDeath);
    slot.worker.on('exit', onDeath);
    return slot;
  }

  /** Starts the backstop for the slot's running job (the worker starts it as soon as the previous one ends). */
  private armHead(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    const head = slot.jobs[0];
    if (!head) {
      slot.worker.unref();
      return;
    }
    slot.worker.ref();
    slot.timer = setTimeout(() => this.replace(slot, 'unresponsive'), head.deadlineMs + GRACE_MS);
  }

  private dispatch(): void {
    // Idle workers first, then a second job for busy ones.
    for (let depth = 0; depth < PIPELINE && this.queue.length > 0; depth++) {
      for (const slot of this.slots) {
        if (slot.jobs.length !== depth || this.queue.length === 0) continue;
        const job = this.queue.shift()!;
        slot.jobs.push(job);
        if (slot.jobs.length === 1) this.armHead(slot);
        slot.worker.postMessage({ id: job.id, ...job.body });
      }
    }
  }

  /** Terminates the slot's worker: its running job fails, the others are queued again, first. */
  private replace(slot: Slot, failure: 'unresponsive' | 'crashed'): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    if (slot.timer) clearTimeout(slot.timer);
    const [running, ...waiting] = slot.jobs.splice(0);
    slot.worker.removeAllListeners();
    slot.worker.on('error', () => {});
    void slot.worker.terminate();
    this.queue.unshift(...waiting);
    if (!this.closed) this.slots[i] = this.newSlot();
    running?.resolve({ failure });
    this.dispatch();
  }
}
