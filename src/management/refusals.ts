/**
 * Where the Management API turns a storage refusal (storage/repositories/outcome.ts) into its error: each route
 * names the ApiError of each refusal it expects; one it does not expect is a bug, answered as a 500.
 */
import type { Refusal, Written } from '../storage/repositories/outcome.js';
import type { ApiError } from './errors.js';

export type RefusalErrors = Partial<Record<Refusal, () => ApiError>>;

export function accepted<T>(result: Written<T>, errors: RefusalErrors): T {
  if (result.ok) return result.value;
  const error = errors[result.reason];
  if (!error) throw new Error(`unexpected storage refusal: ${result.reason}`);
  throw error();
}
