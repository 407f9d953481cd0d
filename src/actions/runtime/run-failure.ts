/** How a run that did not end well maps to its result: memory, timeout, a broken command rule, or a throw. */
import type { RunResult } from '../contract.js';

/** A run's state as far as its failure depends on it (guest-context.ts RunState). */
interface StoppedRun {
  memoryExceeded: boolean;
  interrupted: 'cpu' | 'wall' | null;
  violation: { command: string; rule: string; message: string } | null;
}

/** A RunResult without what every run carries (commands, logs, duration). */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function failure(
  run: StoppedRun,
  error: { name: string; message: string },
): DistributiveOmit<RunResult, 'commands' | 'logs' | 'durationMs'> {
  if (run.memoryExceeded || isOutOfMemory(error)) return { kind: 'memory' };
  if (run.interrupted) return { kind: 'timeout', limit: run.interrupted };
  if (run.violation) return { kind: 'invalid_command', ...run.violation };
  return { kind: 'thrown', name: error.name, message: error.message };
}

export function isOutOfMemory(e: { name: string; message: string }): boolean {
  return e.message === 'out of memory' || (e.name === 'InternalError' && /out of memory/.test(e.message));
}
