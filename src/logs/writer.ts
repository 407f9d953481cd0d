/**
 * The tenant log writer (spec section 11, DESIGN section 5): `write(entry)` returns at once and the entry is
 * inserted later, in batches, off the request path (storage/write-behind.ts): every `intervalMs` or as soon as
 * `batchSize` entries wait, a few rows per insert with the event loop free in between.
 * `flush()` writes what is buffered; `close()` flushes and stops (registered on shutdown by context.ts).
 * Entries are scrubbed before buffering: secrets never reach the database (spec D8: no client secret or assertion).
 */
import { newLogId } from '../storage/ids.js';
import type { LogEntry, LogsRepository } from '../storage/repositories/logs.js';
import { createWriteBehind, type WriteBehindOptions } from '../storage/write-behind.js';

/** What callers supply; `log_id`, `date` and `tenant_name` are filled in when absent. */
export type LogInput = Omit<LogEntry, 'log_id' | 'date'> & { log_id?: string; date?: string };

export interface LogWriter {
  write(entry: LogInput): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** The write-behind settings (`onError`: entries that cannot be written are dropped), and the tenant name. */
export type LogWriterOptions = Partial<Pick<WriteBehindOptions, 'intervalMs' | 'batchSize' | 'onError'>> & { tenantName?: string };

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
  const batches = createWriteBehind<LogEntry>((chunk) => repo.append(chunk), {
    intervalMs: opts.intervalMs ?? 200,
    // Small batches: under load an entry waits a few ms, and one insert holds the event loop well under a ms.
    batchSize: opts.batchSize ?? 25,
    onError: opts.onError ?? ((err, n) => process.emitWarning(`dropped ${n} log entries: ${(err as Error).message}`)),
  });
  return {
    write(input) {
      batches.add({
        ...input,
        log_id: input.log_id ?? newLogId(),
        date: input.date ?? new Date().toISOString(),
        tenant_name: input.tenant_name ?? opts.tenantName ?? null,
        details: input.details ? (scrubSecrets(input.details) as Record<string, unknown>) : (input.details ?? null),
      });
    },
    flush: () => batches.flush(),
    close: () => batches.close(),
  };
}
