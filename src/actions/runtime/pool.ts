/**
 * A small pool of sandbox workers and the scheduler in front of it (docs/actions-sandbox.md, "Scheduling").
 *
 * Fair queuing (issue 10 M1). Runs wait in one queue per Action version, split by client. A free worker takes the
 * next run round-robin across the versions with runs waiting, and across clients within a version: never first
 * come, first served, so a burst of one Action's runs does not stand in front of every other Action's.
 *
 * Caps. A version holds at most `perAction` workers and a client at most `perClient` (the executor puts both below
 * the pool size), so a slow Action, or a client hammering several, always leaves workers to the others. A run with a
 * queue deadline that has not started by then is refused (`queue_timeout`) and never runs.
 *
 * Pipelining. A worker runs one job at a time; the pool may hand it a second job of the same version, so the next
 * one is already waiting in the worker when the current one ends: the worker does not sit idle until this (busy)
 * thread has read the last answer. It does so only while no other version has a run waiting that it could start
 * (that run's turn would be taken), so every job in a worker belongs to one version; a handed job whose queue
 * deadline passes before it starts is withdrawn (the worker answers it `cancelled` without running it).
 *
 * Failures. A worker whose running job is not answered by its wall-clock limit plus a grace period, or that dies
 * (of its heap limit, say), is terminated and replaced; the running job fails, the jobs waiting behind it go back
 * to the front of their queues.
 *
 * The waiting runs are fair-queue.ts, a job and its settlement pool-job.ts, a worker's start worker-spawn.ts.
 */
import type { Worker } from 'node:worker_threads';
import { FairQueue } from './fair-queue.js';
import { spawnWorker, type WorkerInit } from './worker-spawn.js';
import type { WorkerCancel } from './worker.js';
import { settle, type Job, type JobBody, type PoolResult, type PoolFailure } from './pool-job.js';

export interface SubmitOptions {
  /** The client the run is for: runs of one client share the `perClient` cap. Absent: no client cap. */
  client?: string | undefined;
  /** How long the job may wait for a worker before it is refused; absent: as long as it takes. */
  queueTimeoutMs?: number | undefined;
}

/** Workers one Action version, and one client, may hold at once; at most (and by default) the pool size. */
export interface Scheduling {
  perAction?: number | undefined;
  perClient?: number | undefined;
}

/** How long a run may wait for a worker by default (BATON_ACTION_QUEUE_TIMEOUT_MS). */
export const DEFAULT_QUEUE_TIMEOUT_MS = 5000;

/** How long close() waits for the workers to exit. */
const CLOSE_WAIT_MS = 5000;

/** Seconds a client is told to wait after a queue timeout (`Retry-After`): the queue deadline, rounded up. */
export function queueRetryAfterS(queueTimeoutMs: number): number {
  return Math.max(1, Math.ceil(queueTimeoutMs / 1000));
}

interface Slot {
  worker: Worker;
  /** Jobs handed to the worker, in order, all of one version; the first is running. */
  jobs: Job[];
  /** Backstop for the running job. */
  timer: NodeJS.Timeout | null;
  /** The worker has booted (its sandbox is created). */
  ready: boolean;
}

const GRACE_MS = 2000;
/** Jobs handed to one worker at once: the running one and the next. */
const PIPELINE = 2;

export class WorkerPool {
  private readonly slots: Slot[] = [];
  /** Waiting jobs, in their round-robin order. */
  private readonly queue = new FairQueue<Job>();
  private readonly perAction: number;
  private readonly perClient: number;
  private seq = 0;
  private closed = false;
  /**
   * Whether the first workers have all booted. Until then no queue deadline fires: a burst at start-up waits for
   * them (seconds on a loaded machine) instead of being refused; its deadlines count from the moment they are up.
   * Workers started later to replace others do not hold deadlines back, so a crash loop cannot disable them.
   */
  private warm = false;
  private readonly deferred: Job[] = [];

  constructor(
    private readonly size: number,
    private readonly init: WorkerInit,
    scheduling: Scheduling = {},
  ) {
    const cap = (n: number | undefined) => Math.max(1, Math.min(size, n ?? size));
    this.perAction = cap(scheduling.perAction);
    this.perClient = cap(scheduling.perClient);
    for (let i = 0; i < size; i++) this.slots.push(this.newSlot());
  }

  /** Queues a job; `wallMs` is its wall-clock limit (the backstop's base). Never rejects. */
  submit(body: JobBody, wallMs: number, opts: SubmitOptions = {}): Promise<PoolResult> {
    if (this.closed) return Promise.resolve({ failure: 'crashed' });
    return new Promise((resolve) => {
      const job: Job = {
        id: ++this.seq,
        body,
        wallMs,
        action: body.type === 'run' ? `${body.input.trigger}:${body.input.versionId}` : 'compile',
        client: opts.client,
        resolve,
        settled: false,
        expiry: null,
        withdrawn: false,
        queueTimeoutMs: opts.queueTimeoutMs,
      };
      this.armExpiry(job);
      this.queue.enqueue(job, false);
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.drain()) settle(job, { failure: 'crashed' });
    const exited = Promise.all(
      this.slots.map((s) => {
        for (const job of s.jobs.splice(0)) settle(job, { failure: 'crashed' });
        if (s.timer) clearTimeout(s.timer);
        return s.worker.terminate();
      }),
    );
    // A terminating worker holds no handle on this event loop (ref() or not): without a timer of our own, a close()
    // that terminates a worker still booting finds the loop empty and the process ends with the close pending.
    let keepAlive: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((r) => (keepAlive = setTimeout(r, CLOSE_WAIT_MS)))]);
    clearTimeout(keepAlive);
  }

  private newSlot(): Slot {
    const slot: Slot = { worker: spawnWorker(this.init), jobs: [], timer: null, ready: false };
    slot.worker.unref();
    slot.worker.on(
      'message',
      (msg: { id: number; output?: unknown; crash?: string; cancelled?: boolean; ready?: true }) => {
        if (msg.ready) {
          slot.ready = true;
          this.armHead(slot);
          if (!this.warm && this.slots.every((s) => s.ready)) this.warmed();
          return;
        }
        const job = slot.jobs[0];
        if (!job || job.id !== msg.id) return;
        slot.jobs.shift();
        this.armHead(slot);
        // A withdrawn job was answered already; if it started before the withdrawal arrived, its result is dropped.
        if (!job.withdrawn)
          settle(job, msg.crash !== undefined || msg.cancelled ? { failure: 'crashed' } : { output: msg.output });
        this.dispatch();
      },
    );
    slot.worker.on('error', (err: Error & { code?: string }) => {
      if (!this.closed) this.replace(slot, err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'crashed');
    });
    slot.worker.on('exit', () => {
      if (!this.closed) this.replace(slot, 'crashed');
    });
    return slot;
  }

  /** The slot's running job has started: its queue deadline no longer applies, its backstop starts (once booted). */
  private armHead(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    const head = slot.jobs[0];
    if (!head) {
      slot.worker.unref();
      return;
    }
    if (head.expiry) clearTimeout(head.expiry);
    head.expiry = null;
    slot.worker.ref();
    // The backstop counts from the worker's boot, not from the hand-over: booting takes seconds on a loaded machine.
    if (slot.ready) slot.timer = setTimeout(() => this.replace(slot, 'unresponsive'), head.wallMs + GRACE_MS);
  }

  private armExpiry(job: Job): void {
    if (job.queueTimeoutMs === undefined) return;
    job.expiry = setTimeout(() => this.expire(job), job.queueTimeoutMs);
    job.expiry.unref();
  }

  /** The first workers are up: deadlines that came due meanwhile start again from now. */
  private warmed(): void {
    this.warm = true;
    for (const job of this.deferred.splice(0))
      if (!job.settled && !job.expiry && !this.slots.some((s) => s.jobs[0] === job)) this.armExpiry(job);
  }

  /** The queue deadline passed before the job started: refuse it, wherever it waits. */
  private expire(job: Job): void {
    job.expiry = null;
    if (job.settled) return;
    if (!this.warm) {
      this.deferred.push(job);
      return;
    }
    if (this.queue.unqueue(job)) {
      settle(job, { failure: 'queue_timeout' });
      return;
    }
    // Handed to a worker behind the running job: withdraw it there (a job that reached the head has started).
    const slot = this.slots.find((s) => s.jobs.indexOf(job) > 0);
    if (!slot) return;
    job.withdrawn = true;
    const cancel: WorkerCancel = { type: 'cancel', id: job.id };
    slot.worker.postMessage(cancel);
    settle(job, { failure: 'queue_timeout' });
  }

  private workersOfAction(action: string): number {
    let n = 0;
    for (const s of this.slots) if (s.jobs[0]?.action === action) n++;
    return n;
  }

  /** Whether `slot` may take a job of `client` within the client's cap (a slot it already holds costs nothing). */
  private clientFits(client: string | undefined, slot: Slot | null): boolean {
    if (client === undefined) return true;
    if (slot?.jobs.some((j) => j.client === client)) return true;
    let n = 0;
    for (const s of this.slots) if (s.jobs.some((j) => j.client === client)) n++;
    return n < this.perClient;
  }

  /**
   * The next waiting job `slot` may take, in turn: round-robin over versions, then over the version's clients.
   * A busy slot takes only its own version's jobs; a free one, those of versions below their cap.
   */
  private take(slot: Slot): Job | undefined {
    return this.queue.take(slot.jobs[0]?.action, this.actionFull, (client) => this.clientFits(client, slot));
  }

  /** Whether a version other than `action` has a job waiting that a free worker could start now. */
  private othersWaiting(action: string): boolean {
    return this.queue.othersWaiting(action, this.actionFull, (client) => this.clientFits(client, null));
  }

  private readonly actionFull = (action: string): boolean => this.workersOfAction(action) >= this.perAction;

  private hand(slot: Slot, job: Job): void {
    slot.jobs.push(job);
    if (slot.jobs.length === 1) this.armHead(slot);
    slot.worker.postMessage({ id: job.id, ...job.body });
  }

  private dispatch(): void {
    if (this.closed) return;
    // Free workers first, each taking the next job in turn; then a second job for busy ones, if no one else waits.
    for (const slot of this.slots) {
      if (this.queue.size === 0) return;
      if (slot.jobs.length > 0) continue;
      const job = this.take(slot);
      if (job) this.hand(slot, job);
    }
    for (const slot of this.slots) {
      if (this.queue.size === 0) return;
      if (slot.jobs.length === 0 || slot.jobs.length >= PIPELINE || this.othersWaiting(slot.jobs[0]!.action)) continue;
      const job = this.take(slot);
      if (job) this.hand(slot, job);
    }
  }

  /** Terminates the slot's worker: its running job fails, the others are queued again, first. */
  private replace(slot: Slot, failure: PoolFailure): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    if (slot.timer) clearTimeout(slot.timer);
    const [running, ...waiting] = slot.jobs.splice(0);
    slot.worker.removeAllListeners();
    slot.worker.on('error', () => {});
    void slot.worker.terminate();
    for (const job of waiting.reverse()) if (!job.withdrawn) this.queue.enqueue(job, true);
    if (!this.closed) this.slots[i] = this.newSlot();
    if (running) settle(running, { failure });
    this.dispatch();
  }
}
