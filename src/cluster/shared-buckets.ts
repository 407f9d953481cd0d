/**
 * Throttling buckets for the processes of one `baton serve --workers N` machine without Redis (DESIGN section 7).
 * Per-process buckets would give a client N times the attempts (node:cluster spreads its connections over the
 * processes), so the primary keeps the one authoritative MemoryBuckets per store (cluster/workers.ts) and every
 * take or clear is a round trip to it. Reads, which every token exchange makes, stay local: the primary pushes each
 * bucket it changes to every process, which mirrors it, so `used` costs no IPC. A take's answer arrives after its own
 * push (one ordered channel), so a process reads its own takes at once and its siblings' within an IPC hop. If the
 * primary does not answer, the take throws and the limit fails open, as it does when Redis is away.
 */
import type { Clock } from '../clock.js';
import { MemoryBuckets, type BucketStore } from '../attack-protection/buckets.js';
import { workerLink, type WorkerLink } from './worker-link.js';

class SharedBuckets implements BucketStore {
  private readonly mirror: MemoryBuckets;

  constructor(
    private readonly link: WorkerLink,
    private readonly store: string,
    clock: Clock,
  ) {
    this.mirror = new MemoryBuckets(clock);
    link.onBucketState(store, (key, fullAt) => this.mirror.mirror(key, fullAt ?? undefined));
  }

  take(key: string, maxAttempts: number, rateMs: number): Promise<number> {
    return this.link.bucketTake(this.store, key, maxAttempts, rateMs);
  }

  used(key: string, rateMs: number): Promise<number> {
    return this.mirror.used(key, rateMs);
  }

  clear(key: string): Promise<void> {
    return this.link.bucketClear(this.store, key);
  }
}

/** The store for a `--workers` server process; undefined in a single process (it keeps its own MemoryBuckets). */
export function sharedBuckets(store: string, clock: Clock): BucketStore | undefined {
  const link = workerLink();
  return link ? new SharedBuckets(link, store, clock) : undefined;
}
