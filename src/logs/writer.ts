/**
 * The tenant log writer (spec section 11, DESIGN section 5): `write(entry)` returns at once and the entry is
 * inserted later, in batches, off the request path (storage/write-behind.ts): every `intervalMs` or as soon as
 * `batchSize` entries wait, a few rows per insert with the event loop free in between.
 * `flush()` writes what is buffered; `close()` flushes and stops (registered on shutdown by context.ts).
 * Entries are scrubbed before buffering: secrets never reach the database (DESIGN D8, docs/security.md: no client secret or assertion);
 * the scrubbing and the bounds below are entry-bounds.ts.
 *
 * Bounded (issue 10, M4): every string of an entry, `details` at any depth included (keys too), is cut to
 * `maxStringLength`; an entry's stored size (its text columns plus the `details` JSON, in UTF-8 bytes) is at most
 * `maxEntryBytes`, `details` shrinking first; NUL characters, which PostgreSQL text refuses (and with them the
 * whole batch), are stored as U+FFFD. Failed authentications of clients that do not exist are one entry per IP and
 * window with a count (`writeUnknownClientFailure`), not one per request. With `retention`, the writer also purges
 * old and excess entries (logs/retention.ts).
 *
 * No entry is dropped (issue 13, docs/deployment.md "Audit trail"): a batch the database refuses is written again
 * until it is taken, in order (storage/write-behind.ts). The backlog is bounded by admission, not by dropping: from
 * `maxBufferedEntries` entries (or `maxBufferedBytes`) waiting, `full()` is true, and the node reports not ready
 * and refuses the token requests that would add more (oauth/token-endpoint.ts) until the database catches up.
 */
import { newLogId } from '../storage/ids.js';
import type { LogEntry, LogsRepository } from '../storage/repositories/logs.js';
import { createWriteBehind, type WriteBehindOptions, type WriteStats } from '../storage/write-behind.js';
import {
  AUDIT_MAX_BUFFERED_ENTRIES,
  AUTH_FAILURE_MAX_WINDOWS,
  AUTH_FAILURE_SAMPLE_IDS,
  AUTH_FAILURE_WINDOW_MS,
  LOG_MAX_BUFFERED_BYTES,
  LOG_MAX_ENTRY_BYTES,
  LOG_MAX_STRING_LENGTH,
  TRUNCATED_SUFFIX,
} from './limits.js';
import { scheduleLogPurge, type LogPurgeSchedule, type RetentionSettings } from './retention.js';
import { bounded, clipString, scrubSecrets } from './entry-bounds.js';

export { AUTH_FAILURE_WINDOW_MS, LOG_MAX_ENTRY_BYTES, LOG_MAX_STRING_LENGTH, TRUNCATED_SUFFIX };

/** What callers supply; `log_id`, `date` and `tenant_name` are filled in when absent. */
type LogInput = Omit<LogEntry, 'log_id' | 'date'> & { log_id?: string; date?: string };

export interface LogWriter {
  write(this: void, entry: LogInput): void;
  /**
   * A failed authentication of a client_id that does not exist: the failures from one IP (and of one entry type)
   * within AUTH_FAILURE_WINDOW_MS of the first become one entry, dated at the first, written when the window ends
   * (or at `flush`/`close`), with `details.count`, `first_date`, `last_date` and a few `sample_client_ids`.
   */
  writeUnknownClientFailure(this: void, entry: LogInput): void;
  /** Entries waiting for the database have reached the bound: refuse work that would add more. */
  full(this: void): boolean;
  stats(this: void): WriteStats;
  flush(): Promise<void>;
  /** Flushes, or rejects with StorageUnavailableError after `ms` (a read that must see this node's entries). */
  flushWithin(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** The write-behind settings (`onError`: entries given up at close), the tenant name, the bounds. */
export type LogWriterOptions = Partial<
  Pick<WriteBehindOptions, 'intervalMs' | 'batchSize' | 'onError' | 'onRetry' | 'closeTimeoutMs'>
> & {
  tenantName?: string;
  /** LOG_MAX_STRING_LENGTH by default (BATON_LOG_MAX_STRING_LENGTH). */
  maxStringLength?: number;
  /** LOG_MAX_ENTRY_BYTES by default (BATON_LOG_MAX_ENTRY_BYTES). */
  maxEntryBytes?: number;
  /** Purge old and excess entries periodically (context.ts passes BATON_LOG_RETENTION_DAYS / BATON_LOG_MAX_ROWS). */
  retention?: RetentionSettings & { purgeIntervalMs?: number };
  /** Entries waiting for the database from which `full()`; AUDIT_MAX_BUFFERED_ENTRIES by default. */
  maxBufferedEntries?: number;
  /** Bytes of entries waiting for the database from which `full()`; LOG_MAX_BUFFERED_BYTES by default. */
  maxBufferedBytes?: number;
  /** Aggregation windows held open at once; AUTH_FAILURE_MAX_WINDOWS by default. */
  maxAuthFailureWindows?: number;
  /** The clock of dates, aggregation windows and retention (tests move it). */
  now?: () => number;
};

/** How often refused writes are reported while the database keeps refusing them. */
const RETRY_REPORT_MS = 10_000;

interface Window {
  key: string;
  start: number;
  last: number;
  count: number;
  entry: LogEntry;
  samples: Set<string>;
}

export function createLogWriter(repo: LogsRepository, opts: LogWriterOptions = {}): LogWriter {
  const maxString = opts.maxStringLength ?? LOG_MAX_STRING_LENGTH;
  const maxBytes = opts.maxEntryBytes ?? LOG_MAX_ENTRY_BYTES;
  const maxWindows = opts.maxAuthFailureWindows ?? AUTH_FAILURE_MAX_WINDOWS;
  const now = opts.now ?? Date.now;
  const maxBuffered = opts.maxBufferedBytes ?? LOG_MAX_BUFFERED_BYTES;
  const onError =
    opts.onError ??
    ((err, n) => process.emitWarning(`gave up ${n} log entries at shutdown: ${(err as Error).message}`));
  let lastRetryReport = -Infinity;
  const onRetry =
    opts.onRetry ??
    ((err: unknown) => {
      if (Date.now() - lastRetryReport < RETRY_REPORT_MS) return;
      lastRetryReport = Date.now();
      process.emitWarning(`tenant log entries not stored yet (retrying): ${(err as Error).message}`);
    });
  let purge: LogPurgeSchedule | undefined;
  // Bytes of the entries added and not yet written; an entry's size is kept beside it until then.
  let buffered = 0;
  const sizes = new WeakMap<LogEntry, number>();
  const batches = createWriteBehind<LogEntry>(
    async (chunk) => {
      await repo.append(chunk);
      for (const e of chunk) buffered -= sizes.get(e) ?? 0;
      purge?.written(chunk.length);
    },
    {
      intervalMs: opts.intervalMs ?? 200,
      // Small batches: under load an entry waits a few ms, and one insert holds the event loop well under a ms.
      batchSize: opts.batchSize ?? 25,
      maxPending: opts.maxBufferedEntries ?? AUDIT_MAX_BUFFERED_ENTRIES,
      onError,
      onRetry,
      ...(opts.closeTimeoutMs !== undefined ? { closeTimeoutMs: opts.closeTimeoutMs } : {}),
    },
  );
  if (opts.retention) purge = scheduleLogPurge(repo, { ...opts.retention, now });
  const enqueue = ({ entry, size }: { entry: LogEntry; size: number }) => {
    buffered += size;
    sizes.set(entry, size);
    batches.add(entry);
  };

  const complete = (input: LogInput) =>
    bounded(
      {
        ...input,
        log_id: input.log_id ?? newLogId(),
        date: input.date ?? new Date(now()).toISOString(),
        tenant_name: input.tenant_name ?? opts.tenantName ?? null,
        details: input.details ? (scrubSecrets(input.details) as Record<string, unknown>) : (input.details ?? null),
      },
      maxString,
      maxBytes,
    );

  // Aggregation windows, in the order they opened (Map order), so the oldest is always first.
  const windows = new Map<string, Window>();
  let sweeper: NodeJS.Timeout | undefined;
  let closed = false;
  const emit = (w: Window) => {
    windows.delete(w.key);
    const e = w.entry;
    const seconds = AUTH_FAILURE_WINDOW_MS / 1000;
    enqueue(
      bounded(
        {
          ...e,
          description:
            w.count > 1
              ? `${e.description ?? 'failed client authentication'} (${w.count} failed authentications of unknown clients from this IP in ${seconds} s)`
              : (e.description ?? null),
          details: {
            ...(e.details ?? {}),
            count: w.count,
            first_date: new Date(w.start).toISOString(),
            last_date: new Date(w.last).toISOString(),
            sample_client_ids: [...w.samples],
          },
        },
        maxString,
        maxBytes,
      ),
    );
  };
  const sweep = () => {
    const t = now();
    for (const w of windows.values()) {
      if (t - w.start < AUTH_FAILURE_WINDOW_MS) break;
      emit(w);
    }
    if (windows.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };
  const emitAll = () => {
    for (const w of [...windows.values()]) emit(w);
    if (sweeper) clearInterval(sweeper);
    sweeper = undefined;
  };

  return {
    write(input) {
      enqueue(complete(input));
    },
    writeUnknownClientFailure(input) {
      if (closed) return enqueue(complete(input));
      const t = now();
      const key = `${input.type}\u0000${input.ip ?? ''}`;
      const open = windows.get(key);
      if (open && t - open.start < AUTH_FAILURE_WINDOW_MS) {
        open.count++;
        open.last = t;
        if (open.samples.size < AUTH_FAILURE_SAMPLE_IDS && input.client_id)
          open.samples.add(clipString(input.client_id, Math.min(maxString, 256)));
        return;
      }
      if (open) emit(open);
      if (windows.size >= maxWindows) emit(windows.values().next().value!);
      const { entry } = complete({ ...input, date: input.date ?? new Date(t).toISOString() });
      windows.set(key, {
        key,
        start: t,
        last: t,
        count: 1,
        entry,
        samples: new Set(entry.client_id ? [clipString(entry.client_id, Math.min(maxString, 256))] : []),
      });
      if (!sweeper) {
        sweeper = setInterval(sweep, Math.min(AUTH_FAILURE_WINDOW_MS, 5000));
        sweeper.unref();
      }
    },
    full: () => batches.full() || buffered >= maxBuffered,
    stats: () => batches.stats(),
    flush() {
      emitAll();
      return batches.flush();
    },
    flushWithin(ms) {
      emitAll();
      return batches.flushWithin(ms);
    },
    async close() {
      closed = true;
      emitAll();
      await purge?.stop();
      await batches.close();
    },
  };
}
