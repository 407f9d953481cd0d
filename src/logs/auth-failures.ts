/**
 * Marks a client authentication failure whose client_id names no client (unknown, or a value no client can have),
 * so the tenant log counts such failures per IP and window (LogWriter.writeUnknownClientFailure, M4) instead of
 * writing one entry per request: anyone can send them, by the thousand, with a different client_id each time.
 * Failures of an existing client (wrong secret, wrong method, bad assertion) stay one entry each.
 */
const unknownClientErrors = new WeakSet<object>();

/** Marks `error` (returned, for `throw markUnknownClient(fail(...))`). */
export function markUnknownClient<E extends object>(error: E): E {
  unknownClientErrors.add(error);
  return error;
}

export function isUnknownClientFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && unknownClientErrors.has(error);
}
