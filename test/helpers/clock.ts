/** A clock a test sets by hand: time moves only when the test says so. */
import type { Clock } from '../../src/clock.js';

export class ManualClock implements Clock {
  constructor(private ms = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
