/**
 * What one Action run may have in flight on the host (issue 10 H4): at most `fetchConcurrency` fetches at once
 * (the others wait their turn), `fetchesPerRun` fetches in all (then fetch rejects at once), `timersPerRun` live
 * timers (then setTimeout throws). When the run ends (Sandbox.endRun) its AbortController aborts every fetch still
 * in flight, which closes their sockets, waiting fetches are dropped and its timers are cleared: nothing an Action
 * started outlives its run.
 */
import { FetchError, guardedFetch, type FetchPolicy, type FetchRequest, type FetchResult } from './fetch.js';

export const DEFAULT_FETCH_CONCURRENCY = 10;
export const DEFAULT_FETCHES_PER_RUN = 100;
export const DEFAULT_TIMERS_PER_RUN = 100;
/** setTimeout's largest delay (Node and browsers clamp at 2^31 - 1 ms). */
const MAX_DELAY_MS = 2_147_483_647;

export class RunEgress {
  private readonly controller = new AbortController();
  private started = 0;
  private active = 0;
  private readonly waiting: Array<{ go: () => void; fail: (e: Error) => void }> = [];
  /** Reserved timer ids (setTimeout called); the host timer once its sleep started. */
  private readonly timers = new Map<number, { timer?: NodeJS.Timeout; done?: () => void }>();
  private ended = false;
  /** Fetches in flight that the guest may abort (an AbortSignal passed to fetch), by the guest's fetch id. */
  private readonly aborts = new Map<number, AbortController>();

  constructor(private readonly policy: FetchPolicy) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * `abortId`: the guest's id for this fetch, when its `signal` may abort it (`abort`); the request then stops on
   * the host too, closing its socket, rather than running on unseen.
   */
  async fetch(req: FetchRequest, abortId?: number): Promise<FetchResult> {
    if (this.ended) throw new FetchError('fetch: the run is over');
    const max = this.policy.fetchesPerRun ?? DEFAULT_FETCHES_PER_RUN;
    if (this.started >= max) throw new FetchError(`fetch: too many fetches in one run (at most ${max})`);
    this.started++;
    const own = new AbortController();
    if (abortId !== undefined) this.aborts.set(abortId, own);
    if (this.active >= (this.policy.fetchConcurrency ?? DEFAULT_FETCH_CONCURRENCY)) {
      await new Promise<void>((go, fail) => this.waiting.push({ go, fail }));
    }
    this.active++;
    try {
      const signal = abortId === undefined ? this.signal : AbortSignal.any([this.signal, own.signal]);
      return await guardedFetch(req, this.policy, signal);
    } finally {
      if (abortId !== undefined) this.aborts.delete(abortId);
      this.active--;
      this.waiting.shift()?.go();
    }
  }

  /** The guest aborted its fetch `abortId` (its AbortSignal fired); a fetch no longer in flight is ignored. */
  abort(abortId: number): void {
    this.aborts.get(abortId)?.abort();
  }

  /** Reserves a live timer for guest timer `id`; throws when the run already has its cap of them. */
  armTimer(id: number): void {
    const max = this.policy.timersPerRun ?? DEFAULT_TIMERS_PER_RUN;
    if (this.ended) throw new Error('the run is over');
    if (this.timers.size >= max) throw new RangeError(`setTimeout: too many live timers in one run (at most ${max})`);
    this.timers.set(id, {});
  }

  /**
   * Waits `ms` for timer `id`; resolves at once when it was cleared (or never armed). A `repeat` timer (setInterval)
   * keeps its place when the wait ends: the guest sleeps on it again until it is cleared.
   */
  sleep(id: number, ms: number, repeat = false): Promise<void> {
    const slot = this.timers.get(id);
    if (!slot || this.ended) return Promise.resolve();
    return new Promise<void>((resolve) => {
      slot.done = resolve;
      slot.timer = setTimeout(
        () => {
          if (!repeat) this.timers.delete(id);
          resolve();
        },
        Math.min(Math.max(0, ms), MAX_DELAY_MS),
      );
    });
  }

  clearTimer(id: number): void {
    const slot = this.timers.get(id);
    if (!slot) return;
    this.timers.delete(id);
    if (slot.timer) clearTimeout(slot.timer);
    slot.done?.();
  }

  /** The run is over: abort fetches in flight, drop waiting ones, clear timers. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.controller.abort();
    for (const w of this.waiting.splice(0)) w.fail(new FetchError('fetch: the run is over'));
    for (const slot of this.timers.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.done?.();
    }
    this.timers.clear();
  }
}
