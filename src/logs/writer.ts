/**
 * The tenant log writer (spec section 11, DESIGN section 5): `write(entry)` returns at once and the entry is
 * inserted later, in batches, off the request path — every `intervalMs` or as soon as `batchSize` entries wait.
 * `flush()` writes what is buffered; `close()` flushes and stops (registered on shutdown by context.ts).
 * Entries are scrubbed before buffering: secrets never reach the database (spec D8: no client secret or assertion).
 */
import { newLogId } from '../storage/ids.js';
import type { LogEntry, LogsRepository } from '../storage/repositories/logs.js';

/** What callers supply; `log_id`, `date` and `tenant_name` are filled in when absent. */
export type LogInput = Omit<LogEntry, 'log_id' | 'date'> & { log_id?: string; date?: string };

export interface LogWriter {
  write(entry: LogInput): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface LogWriterOptions {
  tenantName?: string;
  intervalMs?: number;
  batchSize?: number;
  /** Called when a batch cannot be written (the entries are dropped, the request already answered). */
  onError?: (err: unknown, dropped: number) => void;
}

/** Keys whose values are credentials or tokens; removed from `details` at any depth. */
const SECRET_KEYS = new Set([
  'client_secret', 'client_assertion', 'password', 'subject_token', 'actor_token', 'access_token', 'id_token',
  'refresh_token', 'authorization', 'secret', 'secrets', 'code_verifier', 'private_key',
]);

export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (depth > 16 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_KEYS.has(k.toLowerCase())) continue;
    out[k] = scrubSecrets(v, depth + 1);
  }
  return out;
}

export function createLogWriter(repo: LogsRepository, opts: LogWriterOptions = {}): LogWriter {
  const intervalMs = opts.intervalMs ?? 200;
  const batchSize = opts.batchSize ?? 100;
  let buffer: LogEntry[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let closed = false;

  const onError = opts.onError ?? ((err: unknown, n: number) => process.emitWarning(`dropped ${n} log entries: ${(err as Error).message}`));
  const writeBatch = async (batch: LogEntry[]) => {
    try {
      await repo.append(batch);
    } catch (err) {
      onError(err, batch.length);
    }
  };

  // Batches are written one after another, so entries land in the order they were written.
  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (buffer.length > 0) {
      const batch = buffer;
      buffer = [];
      inFlight = inFlight.then(() => writeBatch(batch));
    }
    return inFlight;
  }

  return {
    write(input) {
      const entry: LogEntry = {
        ...input,
        log_id: input.log_id ?? newLogId(),
        date: input.date ?? new Date().toISOString(),
        tenant_name: input.tenant_name ?? opts.tenantName ?? null,
        details: input.details ? (scrubSecrets(input.details) as Record<string, unknown>) : (input.details ?? null),
      };
      buffer.push(entry);
      if (closed || buffer.length >= batchSize) void flush();
      else if (!timer) {
        timer = setTimeout(() => void flush(), intervalMs);
        timer.unref();
      }
    },
    flush,
    async close() {
      closed = true;
      await flush();
    },
  };
}
