/** Portable column codecs (see storage/schema.ts). */
export const toJson = (v: unknown): string => JSON.stringify(v ?? null);
export function fromJson<T>(v: string | null | undefined, fallback: T): T {
  if (v === null || v === undefined) return fallback;
  return JSON.parse(v) as T;
}
export const toBool = (v: number | boolean | null | undefined): boolean => v === 1 || v === true;
export const fromBool = (v: boolean | undefined | null): number => (v ? 1 : 0);
/** ISO 8601 with milliseconds and Z, as Auth0 returns dates. */
export const nowIso = (): string => new Date().toISOString();
export const nowEpoch = (): number => Math.floor(Date.now() / 1000);
