/**
 * The storage-error convention: a write that a constraint refuses returns why, instead of throwing the driver's
 * error for the caller to classify. Repositories wrap their constrained writes in `written`; the Management API
 * maps the refusals to its errors in one place (management/refusals.ts). Any other error still throws.
 */
import { isForeignKeyViolation, isUniqueViolation } from '../database.js';

/** `duplicate`: a unique key is taken; `missing_reference`: a foreign key points at no row. */
export type Refusal = 'duplicate' | 'missing_reference';

export type Written<T> = { ok: true; value: T } | { ok: false; reason: Refusal };

export async function written<T>(write: () => Promise<T>): Promise<Written<T>> {
  try {
    return { ok: true, value: await write() };
  } catch (err) {
    if (isUniqueViolation(err)) return { ok: false, reason: 'duplicate' };
    if (isForeignKeyViolation(err)) return { ok: false, reason: 'missing_reference' };
    throw err;
  }
}
