/**
 * The storage layer's one fault type: the database cannot be reached or does not answer in time (refused or reset
 * connections, a server shutting down or starting up, a connection or query timeout). Every driver fault of that
 * kind leaves storage as a StorageUnavailableError, so each HTTP surface maps one type to its protocol's 503
 * (oauth/errors.ts, management/errors.ts) and no driver message reaches a response (issue 13, docs/deployment.md
 * "Faults: PostgreSQL"). Other driver errors (a constraint, a bad statement) pass through unchanged.
 */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
  constructor(cause: unknown) {
    super('storage unavailable', { cause });
  }
}

/** Seconds a client should wait before retrying while storage is unavailable (the pool reconnects within it). */
export const STORAGE_RETRY_AFTER_S = 2;

// Node socket errors of a connection that cannot be made or was lost.
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// SQLSTATE: admin/crash shutdown, cannot connect now (starting up), too many connections, statement timeout.
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);
// pg's and pg-pool's own messages for a lost, timed-out or unusable connection (they carry no code).
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /^Query read timeout$/,
  /^timeout exceeded when trying to connect$/,
  /is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
];

/** True for a fault of the connection to PostgreSQL, as opposed to an error of the statement itself. */
function isConnectionFault(err: unknown): boolean {
  if (err instanceof StorageUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith('08')))
    return true;
  return DRIVER_MESSAGES.some((re) => re.test(err.message));
}

/** `err` as a StorageUnavailableError when it is a connection fault, else unchanged. */
export function storageFault(err: unknown): unknown {
  if (err instanceof StorageUnavailableError || !isConnectionFault(err)) return err;
  return new StorageUnavailableError(err);
}
