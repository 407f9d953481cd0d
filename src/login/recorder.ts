/**
 * Login counters (`logins_count`, `last_login`, `last_ip`), written behind the response like the tenant logs: an
 * exchange's answer does not wait on an UPDATE. Logins of one user within a chunk become one increment. Counters
 * are in storage within `intervalMs` (and on close). Like the tenant log (issue 13, docs/deployment.md "Audit
 * trail"), a count the database refuses is written again until it is taken, never dropped; past
 * `maxBufferedEntries` waiting, `full()` makes the node refuse token requests. Only a crash loses counts (at most
 * one interval's). A write whose commit was not acknowledged (a connection lost at commit) is written again and may
 * count those logins twice: counters are at least once, the tenant log exactly once (its inserts are idempotent).
 * Like Auth0's, these fields are not read back by the login that sets them: the event sees the stored values.
 */
import { systemClock, type Clock } from '../clock.js';
import type { UsersRepository } from '../storage/repositories/users.js';
import { createWriteBehind, type WriteBehindOptions, type WriteStats } from '../storage/write-behind.js';
import { AUDIT_MAX_BUFFERED_ENTRIES } from '../logs/limits.js';

export interface LoginRecorder {
  record(userId: string, ip: string | null): void;
  /** Counts waiting for the database have reached the bound: refuse work that would add more. */
  full(): boolean;
  stats(): WriteStats;
  flush(): Promise<void>;
  /** Flushes, or rejects with StorageUnavailableError after `ms` (a read that must see this node's counts). */
  flushWithin(ms: number): Promise<void>;
  close(): Promise<void>;
}

interface Login {
  userId: string;
  at: string;
  ip: string | null;
}

/** How often refused writes are reported while the database keeps refusing them. */
const RETRY_REPORT_MS = 10_000;

export function createLoginRecorder(
  users: Pick<UsersRepository, 'recordLogins'>,
  opts: Partial<Pick<WriteBehindOptions, 'intervalMs' | 'onError' | 'onRetry' | 'closeTimeoutMs'>> & {
    clock?: Clock;
    maxBufferedEntries?: number;
  } = {},
): LoginRecorder {
  const clock = opts.clock ?? systemClock;
  let lastRetryReport = -Infinity;
  const batches = createWriteBehind<Login>(
    (chunk) => {
      const byUser = new Map<string, { userId: string; count: number; at: string; ip: string | null }>();
      for (const l of chunk) {
        const seen = byUser.get(l.userId);
        if (seen) Object.assign(seen, { count: seen.count + 1, at: l.at, ip: l.ip });
        else byUser.set(l.userId, { ...l, count: 1 });
      }
      return users.recordLogins([...byUser.values()]);
    },
    {
      intervalMs: opts.intervalMs ?? 100,
      // One transaction per 50 logins at most, written within milliseconds under load.
      batchSize: 50,
      chunkSize: 50,
      maxPending: opts.maxBufferedEntries ?? AUDIT_MAX_BUFFERED_ENTRIES,
      ...(opts.closeTimeoutMs !== undefined ? { closeTimeoutMs: opts.closeTimeoutMs } : {}),
      onRetry:
        opts.onRetry ??
        ((err) => {
          if (Date.now() - lastRetryReport < RETRY_REPORT_MS) return;
          lastRetryReport = Date.now();
          process.emitWarning(`login counts not stored yet (retrying): ${(err as Error).message}`);
        }),
      onError:
        opts.onError ??
        ((err, n) => process.emitWarning(`gave up ${n} login counts at shutdown: ${(err as Error).message}`)),
    },
  );
  return {
    record: (userId, ip) => batches.add({ userId, at: new Date(clock.now()).toISOString(), ip }),
    full: () => batches.full(),
    stats: () => batches.stats(),
    flush: () => batches.flush(),
    flushWithin: (ms) => batches.flushWithin(ms),
    close: () => batches.close(),
  };
}
