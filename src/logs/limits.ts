/**
 * The bounds of the tenant log (M4), in one dependency-free module so the configuration schema can name them as
 * defaults. Each is set by an environment variable (config/env.ts; README's configuration table).
 */

/** Every string in an entry (top-level fields, `details` values and keys at any depth) is cut to this many UTF-16
 *  code units, the cut marked by TRUNCATED_SUFFIX. `BATON_LOG_MAX_STRING_LENGTH`. */
export const LOG_MAX_STRING_LENGTH = 1024;
/** One entry, serialized as JSON, takes at most this many UTF-8 bytes. `BATON_LOG_MAX_ENTRY_BYTES`. */
export const LOG_MAX_ENTRY_BYTES = 8192;
/** Keys of one `details` object, or items of one array, kept; the rest are dropped (and counted). */
export const LOG_MAX_DETAIL_ITEMS = 64;
/** Bytes of entries waiting for the database (a stalled or slow database) from which the writer is full, like
 *  AUDIT_MAX_BUFFERED_ENTRIES: the node refuses token requests rather than hold entries until the heap runs out. */
export const LOG_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** Entries (tenant log entries, or login counts) waiting for the database at once (issue 13). Nothing is dropped:
 *  past this many the node reports not ready and refuses token requests with 503, until the database catches up.
 *  `BATON_AUDIT_MAX_BUFFERED_ENTRIES`. */
export const AUDIT_MAX_BUFFERED_ENTRIES = 10_000;
/** How the end of a cut string reads. */
export const TRUNCATED_SUFFIX = '…[truncated]';

/** Failed authentications of clients that do not exist, from one IP, within this window are one entry. */
export const AUTH_FAILURE_WINDOW_MS = 60_000;
/** Windows held open at once (one per IP); past it the oldest is written early. Bounds the memory they take: an
 *  unknown-client entry holds at most a few kB of request-derived text (client_id 128, user agent 1024, ...). */
export const AUTH_FAILURE_MAX_WINDOWS = 1000;
/** Distinct claimed client_ids an aggregated entry lists as a sample. */
export const AUTH_FAILURE_SAMPLE_IDS = 5;

/** Entries older than this many days are purged; 0 keeps them forever. `BATON_LOG_RETENTION_DAYS`. */
export const LOG_RETENTION_DAYS = 30;
/** At most this many entries are kept (the newest); 0 for no cap. `BATON_LOG_MAX_ROWS`. */
export const LOG_MAX_ROWS = 1_000_000;
/** How often each node purges. */
export const LOG_PURGE_INTERVAL_MS = 10 * 60_000;
/** Rows one purge statement deletes; the event loop gets a turn between statements. */
export const LOG_PURGE_BATCH = 1000;
