/**
 * The time the server reads: tokens' `iat`/`exp`, refresh token lifetimes, throttle buckets, cache ages. Code that
 * reads time takes a Clock instead of calling Date.now(), so a test can set the time instead of sleeping past it.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, like Date.now(). */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Whole seconds since the Unix epoch (JWT NumericDate). */
export const epochSeconds = (clock: Clock): number => Math.floor(clock.now() / 1000);
