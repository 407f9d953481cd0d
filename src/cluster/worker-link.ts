/**
 * The server-process side of `baton serve --workers N` (cluster/workers.ts is the primary's side): what the processes
 * of one machine share over the primary's IPC channel, with or without Redis.
 *
 * - Cache invalidation. A Management API write clears the caches of every process of the machine before its answer
 *   is sent (DESIGN section 7): `broadcast` goes to the primary, which relays it to the other processes and answers
 *   once each has applied it, so the caller's next request, whichever process takes its connection, sees the write.
 *   With Redis the other machines are told over pub/sub as before; the processes of this one share `machineId` on
 *   the channel and ignore their siblings' messages there (they had them over IPC, acknowledged).
 * - Throttling buckets without Redis (Suspicious IP Throttling, the exchange rate limit): the primary keeps them, so
 *   the limits hold for the machine, not per process (cluster/shared-buckets.ts).
 * - Metrics. A scrape reaches one process; its /metrics asks the primary for the sum over every process
 *   (prom-client's AggregatorRegistry), so counters do not jump with the process a scrape lands on.
 */
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import client from 'prom-client';

/** How long a write waits for the other processes to apply an invalidation; past it, the 60 s cache TTL bounds it. */
const RELAY_TIMEOUT_MS = 2000;
/** A bucket the primary does not answer for within this fails open, like Redis buckets (attack-protection/). */
const BUCKET_TIMEOUT_MS = 1000;
/** prom-client's primary gives up on a worker after 5 s. */
const METRICS_TIMEOUT_MS = 6000;

/** IPC messages between the primary and its server processes; `baton` tells them from prom-client's own. */
export type LinkMessage =
  | { baton: 'invalidate'; id: string; topic: string }
  | { baton: 'invalidated'; id: string }
  | { baton: 'metrics'; id: string }
  | { baton: 'metrics-result'; id: string; text?: string; error?: string }
  | { baton: 'bucket'; id: string; store: string; op: 'take' | 'clear'; key: string; max: number; rate: number }
  | { baton: 'bucket-result'; id: string; used?: number; error?: string }
  | { baton: 'bucket-state'; id: string; store: string; key: string; fullAt: number | null };

/** The environment variable through which the primary gives its processes their shared id on the Redis channel. */
export const MACHINE_ID_ENV = 'BATON_CLUSTER_MACHINE_ID';

export interface WorkerLink {
  /** The same in every process of this primary. */
  readonly machineId: string;
  /** Has the other processes apply an invalidation; resolves when they all did (or after RELAY_TIMEOUT_MS). */
  broadcast(topic: string): Promise<void>;
  /** Applies an invalidation another process of this machine broadcast. */
  onInvalidate(handler: (topic: string) => Promise<void>): void;
  /** Answers the primary's metrics requests from `registry`. */
  shareMetrics(registry: client.Registry): void;
  /** The metrics of every process of the machine, summed by the primary. */
  clusterMetrics(): Promise<string>;
  /** Takes from a bucket the primary keeps (cluster/shared-buckets.ts); the attempts used afterwards. */
  bucketTake(store: string, key: string, max: number, rate: number): Promise<number>;
  bucketClear(store: string, key: string): Promise<void>;
  /** A bucket of `store` changed on the primary (null: full again): every process mirrors it. */
  onBucketState(store: string, handler: (key: string, fullAt: number | null) => void): void;
}

let link: WorkerLink | undefined;

/**
 * True in a server process forked by Baton's own primary: the id it passes marks it. A process some other cluster
 * manager forked (PM2's cluster mode, say) is a node:cluster worker too, but its primary would not answer.
 */
export function isBatonWorker(): boolean {
  return cluster.isWorker && process.send !== undefined && Boolean(process.env[MACHINE_ID_ENV]);
}

/** The link when this process is a `--workers` server process; undefined otherwise (one process, tests). */
export function workerLink(): WorkerLink | undefined {
  if (!isBatonWorker()) return undefined;
  return (link ??= createLink());
}

function createLink(): WorkerLink {
  const pending = new Map<string, { resolve: (m: LinkMessage) => void; timer: NodeJS.Timeout }>();
  let invalidate: (topic: string) => Promise<void> = () => Promise.resolve();
  const bucketStates = new Map<string, (key: string, fullAt: number | null) => void>();
  const send = (message: LinkMessage) => {
    try {
      process.send!(message);
      return true;
    } catch {
      // The channel is closed: the primary is gone and this process is about to be.
      return false;
    }
  };
  /** Sends a request and resolves with its answer, or with undefined after `timeoutMs`. */
  const request = (message: LinkMessage, timeoutMs: number) =>
    new Promise<LinkMessage | undefined>((resolve) => {
      if (!send(message)) return resolve(undefined);
      const timer = setTimeout(() => {
        pending.delete(message.id);
        resolve(undefined);
      }, timeoutMs);
      pending.set(message.id, { resolve, timer });
    });
  process.on('message', (message: Partial<LinkMessage> | null) => {
    if (!message || typeof message.baton !== 'string' || typeof message.id !== 'string') return;
    if (message.baton === 'invalidate') {
      const { id, topic } = message as { id: string; topic: string };
      void invalidate(topic).finally(() => send({ baton: 'invalidated', id }));
      return;
    }
    if (message.baton === 'bucket-state') {
      const { store, key, fullAt } = message as { store: string; key: string; fullAt: number | null };
      bucketStates.get(store)?.(key, fullAt);
      return;
    }
    const waiting = pending.get(message.id);
    if (!waiting) return;
    pending.delete(message.id);
    clearTimeout(waiting.timer);
    waiting.resolve(message as LinkMessage);
  });
  return {
    machineId: process.env[MACHINE_ID_ENV]!,
    async broadcast(topic) {
      await request({ baton: 'invalidate', id: randomUUID(), topic }, RELAY_TIMEOUT_MS);
    },
    onInvalidate(handler) {
      invalidate = handler;
    },
    shareMetrics(registry) {
      client.AggregatorRegistry.setRegistries([registry]);
      // Constructing one is what makes prom-client answer the primary's requests in a worker (lib/cluster.js).
      new client.AggregatorRegistry();
    },
    async clusterMetrics() {
      const answer = await request({ baton: 'metrics', id: randomUUID() }, METRICS_TIMEOUT_MS);
      if (answer?.baton !== 'metrics-result' || answer.text === undefined)
        throw new Error(`cluster metrics: ${answer?.baton === 'metrics-result' ? answer.error : 'no answer'}`);
      return answer.text;
    },
    async bucketTake(store, key, max, rate) {
      const answer = await request(
        { baton: 'bucket', id: randomUUID(), store, op: 'take', key, max, rate },
        BUCKET_TIMEOUT_MS,
      );
      if (answer?.baton !== 'bucket-result' || answer.used === undefined) throw new Error('shared bucket: no answer');
      return answer.used;
    },
    async bucketClear(store, key) {
      const answer = await request(
        { baton: 'bucket', id: randomUUID(), store, op: 'clear', key, max: 0, rate: 0 },
        BUCKET_TIMEOUT_MS,
      );
      if (answer?.baton !== 'bucket-result') throw new Error('shared bucket: no answer');
    },
    onBucketState(store, handler) {
      bucketStates.set(store, handler);
    },
  };
}
