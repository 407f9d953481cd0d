/**
 * Tenant log retention (M4): entries older than `retentionDays` go, then the oldest beyond the `maxRows` newest;
 * each statement deletes at most `batchSize` rows, with a turn of the event loop between statements, so a large
 * backlog never holds the database or the loop for long. Every node purges on its own schedule (deletes are
 * idempotent); a burst of writes brings the next purge forward, so the table overshoots its cap by a bounded amount.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { LogsRepository } from '../storage/repositories/logs.js';
import { LOG_MAX_ROWS, LOG_PURGE_BATCH, LOG_PURGE_INTERVAL_MS, LOG_RETENTION_DAYS } from './limits.js';

export { LOG_MAX_ROWS, LOG_RETENTION_DAYS };

const DAY_MS = 86_400_000;

export interface RetentionSettings {
  /** Entries dated more than this many days before now are deleted; 0: no age limit. */
  retentionDays: number;
  /** At most this many entries are kept (the newest); 0: no cap. */
  maxRows: number;
}

export interface PurgeOptions extends RetentionSettings {
  batchSize?: number;
  now?: () => number;
}

type PurgeRepo = Pick<LogsRepository, 'deleteOlderThan' | 'deleteBeyondNewest'>;

/** One purge, to the end: how many entries went for their age, and how many for the row cap. */
export async function purgeLogs(repo: PurgeRepo, opts: PurgeOptions): Promise<{ expired: number; excess: number }> {
  const batch = opts.batchSize ?? LOG_PURGE_BATCH;
  const now = opts.now ?? Date.now;
  let expired = 0;
  let excess = 0;
  if (opts.retentionDays > 0) {
    const cutoff = new Date(now() - opts.retentionDays * DAY_MS).toISOString();
    for (let n = batch; n === batch;) {
      n = await repo.deleteOlderThan(cutoff, batch);
      expired += n;
      if (n === batch) await nextTurn();
    }
  }
  if (opts.maxRows > 0) {
    for (let n = batch; n === batch;) {
      n = await repo.deleteBeyondNewest(opts.maxRows, batch);
      excess += n;
      if (n === batch) await nextTurn();
    }
  }
  return { expired, excess };
}

export interface ScheduleOptions extends PurgeOptions {
  /** Time between purges; LOG_PURGE_INTERVAL_MS by default. The first one runs after one interval. */
  purgeIntervalMs?: number;
  onError?: (err: unknown) => void;
}

export interface LogPurgeSchedule {
  /** `n` entries were written: past a tenth of the row cap since the last purge, the next one starts now. */
  written(n: number): void;
  /** Stops the schedule and waits for a purge under way. */
  stop(): Promise<void>;
}

export function scheduleLogPurge(repo: PurgeRepo, opts: ScheduleOptions): LogPurgeSchedule {
  const interval = opts.purgeIntervalMs ?? LOG_PURGE_INTERVAL_MS;
  const nudgeAfter = opts.maxRows > 0 ? Math.max(LOG_PURGE_BATCH, Math.ceil(opts.maxRows / 10)) : Infinity;
  const onError = opts.onError ?? ((err) => process.emitWarning(`tenant log purge failed: ${(err as Error).message}`));
  let running: Promise<void> | undefined;
  let sinceLast = 0;
  let stopped = false;
  const run = () => {
    if (running || stopped) return;
    sinceLast = 0;
    running = purgeLogs(repo, opts)
      .then(() => undefined, onError)
      .finally(() => {
        running = undefined;
      });
  };
  const timer = opts.retentionDays > 0 || opts.maxRows > 0 ? setInterval(run, interval) : undefined;
  timer?.unref();
  return {
    written(n) {
      sinceLast += n;
      if (sinceLast >= nudgeAfter) run();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
