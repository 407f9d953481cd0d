/**
 * The pool's waiting runs (issue 10 M1, docs/actions-sandbox.md "Scheduling"): one FIFO per Action version and
 * client. Map order is the round-robin order: a served version, and a served client within it, move to the back,
 * so the next taker starts with the others. What a worker may take (version and client caps) the pool decides.
 */

/** What the queue needs of a job: its scheduling key (trigger and version, or `compile`) and its client. */
export interface Queued {
  action: string;
  client: string | undefined;
}

export class FairQueue<J extends Queued> {
  /** Waiting jobs: version → client → FIFO. */
  private readonly waiting = new Map<string, Map<string, J[]>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  enqueue(job: J, front: boolean): void {
    let byClient = this.waiting.get(job.action);
    if (!byClient) this.waiting.set(job.action, (byClient = new Map<string, J[]>()));
    const key = job.client ?? '';
    let jobs = byClient.get(key);
    if (!jobs) byClient.set(key, (jobs = []));
    if (front) jobs.unshift(job);
    else jobs.push(job);
    this.count++;
  }

  /** Removes a waiting job; false when it is not waiting any more. */
  unqueue(job: J): boolean {
    const byClient = this.waiting.get(job.action);
    const key = job.client ?? '';
    const jobs = byClient?.get(key);
    const i = jobs ? jobs.indexOf(job) : -1;
    if (!byClient || !jobs || i < 0) return false;
    jobs.splice(i, 1);
    if (jobs.length === 0) byClient.delete(key);
    if (byClient.size === 0) this.waiting.delete(job.action);
    this.count--;
    return true;
  }

  /** Empties the queue, returning every job that waited. */
  drain(): J[] {
    const all: J[] = [];
    for (const byClient of this.waiting.values()) for (const jobs of byClient.values()) all.push(...jobs);
    this.waiting.clear();
    this.count = 0;
    return all;
  }

  /**
   * The next job in turn: round-robin over versions, then over the version's clients. With `own`, only that
   * version's jobs; without, those of versions that are not `full`; and only of clients that `fit`.
   */
  take(own: string | undefined, full: (action: string) => boolean, fits: (client: string | undefined) => boolean) {
    for (const [action, byClient] of this.waiting) {
      if (own !== undefined ? action !== own : full(action)) continue;
      for (const [client, jobs] of byClient) {
        if (!fits(jobs[0]!.client)) continue;
        const job = jobs.shift()!;
        this.count--;
        byClient.delete(client);
        if (jobs.length) byClient.set(client, jobs);
        this.waiting.delete(action);
        if (byClient.size) this.waiting.set(action, byClient);
        return job;
      }
    }
    return undefined;
  }

  /** Whether a version other than `action`, not `full`, has a job of a client that fits. */
  othersWaiting(action: string, full: (action: string) => boolean, fits: (client: string | undefined) => boolean) {
    for (const [other, byClient] of this.waiting) {
      if (other === action || full(other)) continue;
      for (const jobs of byClient.values()) if (fits(jobs[0]!.client)) return true;
    }
    return false;
  }
}
