/** A job of the sandbox pool (pool.ts): what it asks a worker, how it ends, and its one settlement. */
import type { WorkerRequest } from './worker.js';

/** A worker request without its id (the pool numbers the jobs). */
export type JobBody = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export type PoolFailure = 'unresponsive' | 'crashed' | 'memory' | 'queue_timeout';
export interface PoolResult {
  output?: unknown;
  failure?: PoolFailure;
}

/** A job from submission to settlement, waiting in the queue or handed to a worker. */
export interface Job {
  id: number;
  body: JobBody;
  wallMs: number;
  /** Scheduling key: the trigger and version (the sandbox's cache key), or `compile`. */
  action: string;
  client: string | undefined;
  resolve(v: PoolResult): void;
  settled: boolean;
  /** The queue deadline, armed until the job starts. */
  expiry: NodeJS.Timeout | null;
  /** Refused at its deadline after it was handed to a worker: the worker's answer is dropped. */
  withdrawn: boolean;
  queueTimeoutMs: number | undefined;
}

/** Resolves the job once (a later answer, a timeout or a crash is ignored) and disarms its queue deadline. */
export function settle(job: Job, result: PoolResult): void {
  if (job.settled) return;
  job.settled = true;
  if (job.expiry) clearTimeout(job.expiry);
  job.expiry = null;
  job.resolve(result);
}
