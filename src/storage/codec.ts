/** Portable column codecs (see storage/schema.ts). */
export const toJson = (v: unknown): string => JSON.stringify(v ?? null);
export function fromJson<T>(v: string | null | undefined, fallback: T): T {
  if (v === null || v === undefined) return fallback;
  return JSON.parse(v) as T;
}
export const toBool = (v: number | boolean | null | undefined): boolean => v === 1 || v === true;
export const fromBool = (v: boolean | undefined | null): number => (v ? 1 : 0);
let lastMs = 0;
/**
 * ISO 8601 with milliseconds and Z, as Auth0 returns dates. Strictly increasing within the process (a second call
 * in the same millisecond gets the next one), so lists ordered by `created_at` keep the order rows were created in.
 */
export const nowIso = (): string => {
  lastMs = Math.max(Date.now(), lastMs + 1);
  return new Date(lastMs).toISOString();
};
export const nowEpoch = (): number => Math.floor(Date.now() / 1000);
