/**
 * One Action context in a QuickJS module and a run on it (sandbox.ts keeps the module and the cache of contexts):
 * the context with its host calls and interrupt handler, guest slices timed against the run's CPU, wall-clock and
 * memory budgets, the job pump that waits for the handler to settle, and guest errors described under the same
 * limits (a stopped run's result: run-failure.ts).
 */
import type {
  QuickJSContext,
  QuickJSDeferredPromise,
  QuickJSHandle,
  QuickJSRuntime,
  QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import type { ActionCommand, ConsoleLine, PackageBundle, RunLimits, TriggerId } from '../contract.js';
import type { CacheSession } from '../cache/session.js';
import { CommandRecorder, DEFAULT_COMMAND_BUDGET } from '../triggers/commands.js';
import { clip, MAX_ERROR_MESSAGE_CHARS, MAX_ERROR_NAME_CHARS } from '../triggers/limits.js';
import { installPrelude } from './prelude.js';
import { hostAsync, hostSync, type RunHooks } from './host-ops.js';
import { KeyTable } from './host-keys.js';
import type { FetchPolicy } from './fetch.js';
import { RunEgress } from './egress-run.js';
import { isOutOfMemory } from './run-failure.js';

/** `(function (exports, require, module, __filename, __dirname) {` is prepended on the code's first line. */
export const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) {';
export const wrapModule = (code: string): string => `${WRAP_HEAD}${code}\n})`;

/** A run in progress: its budgets, what it recorded, and the host calls it is waiting for. */
export interface RunState extends RunHooks {
  /** WASM heap size when the run started, and the growth allowed (see `memoryExceeded`). */
  heapStart: number;
  memoryLimit: number;
  memoryExceeded: boolean;
  cpuLeft: number;
  wallDeadline: number;
  sliceDeadline: number;
  interrupted: 'cpu' | 'wall' | null;
  violation: { command: string; rule: string; message: string } | null;
  pending: Set<QuickJSDeferredPromise>;
  wake: (() => void) | null;
  finished: boolean;
}

/** One compiled Action version: its runtime and context, the prelude's object, and the run on it, if any. */
export interface Entry {
  rt: QuickJSRuntime;
  ctx: QuickJSContext;
  baton: QuickJSHandle;
  keys: KeyTable;
  run: RunState | null;
  loaded: boolean;
  /** The WASM heap size of the module the context lives in. */
  heapBytes: () => number;
}

export function newRun(
  limits: RunLimits,
  cache: CacheSession,
  trigger: TriggerId,
  policy: FetchPolicy,
  heapStart: number,
): RunState {
  const commands: ActionCommand[] = [];
  const logs: ConsoleLine[] = [];
  const recorder = new CommandRecorder(trigger, {
    commands: limits.commands ?? DEFAULT_COMMAND_BUDGET.commands,
    commandBytes: limits.commandBytes ?? DEFAULT_COMMAND_BUDGET.commandBytes,
  });
  const run: RunState = {
    trigger,
    commands,
    logs,
    cache,
    recorder,
    egress: new RunEgress(policy),
    heapStart,
    memoryLimit: limits.memoryBytes,
    memoryExceeded: false,
    cpuLeft: limits.cpuMs,
    wallDeadline: performance.now() + limits.wallMs,
    sliceDeadline: 0,
    interrupted: null,
    violation: null,
    pending: new Set(),
    wake: null,
    finished: false,
    onViolation: (v) => {
      // Rule messages may quote guest input (an attribute name): cut before they leave the worker.
      run.violation ??= {
        command: clip(String(v.command), 64),
        rule: clip(String(v.rule), 64),
        message: clip(String(v.message), MAX_ERROR_MESSAGE_CHARS),
      };
    },
  };
  return run;
}

export function newEntry(module: QuickJSWASMModule, policy: FetchPolicy, heapBytes: () => number): Entry {
  const rt = module.newRuntime();
  const ctx = rt.newContext();
  const keys = new KeyTable();
  const entry = { rt, ctx, keys, run: null, loaded: false, heapBytes } as unknown as Entry;
  rt.setInterruptHandler(() => {
    const run = entry.run;
    // Outside a guest slice (sliceDeadline 0) only Baton's own calls run, e.g. settling a deferred.
    if (!run || run.sliceDeadline === 0) return false;
    // A run that broke a command rule (its budget, say) has failed: stop the guest now rather than let it spend
    // its CPU budget on calls that can only be refused (a loop that catches the refusals, for instance).
    if (run.violation) return true;
    if (entry.heapBytes() - run.heapStart > run.memoryLimit) {
      run.memoryExceeded = true;
      return true;
    }
    const now = performance.now();
    if (now < run.sliceDeadline) return false;
    run.interrupted ??= now >= run.wallDeadline ? 'wall' : 'cpu';
    return true;
  });
  const hostCall = ctx.newFunction('hostCall', (opH, payH) => {
    const run = entry.run;
    if (!run || run.finished) return ctx.newString('{"e":{"kind":"error","message":"the run is over"}}');
    return ctx.newString(hostSync(ctx.getString(opH), ctx.getString(payH), run, keys, policy));
  });
  const hostAsyncFn = ctx.newFunction('hostAsync', (opH, payH) => {
    const run = entry.run;
    const deferred = ctx.newPromise();
    if (!run || run.finished) {
      deferred.resolve(ctx.newString('{"e":{"kind":"error","message":"the run is over"}}'));
      return deferred.handle;
    }
    run.pending.add(deferred);
    void hostAsync(ctx.getString(opH), ctx.getString(payH), keys, policy, run.egress).then((json) => {
      if (run.finished || !run.pending.delete(deferred)) return;
      const s = ctx.newString(json);
      try {
        // Settling only queues the guest's reactions; they run (and are budgeted) when settle() pumps jobs.
        deferred.resolve(s);
      } catch {
        run.interrupted ??= 'cpu';
      } finally {
        s.dispose();
        deferred.dispose();
        run.wake?.();
      }
    });
    return deferred.handle;
  });
  const baton = installPrelude(ctx, hostCall, hostAsyncFn);
  hostCall.dispose();
  hostAsyncFn.dispose();
  entry.baton = baton;
  return entry;
}

/**
 * Evaluates the CommonJS wrappers of the dependencies (compiled only: a package's body runs at its first
 * `require`) and of the Action, and runs the Action's module body (its time counts against the run's budget).
 */
export function load(
  entry: Entry,
  code: string,
  packages: readonly PackageBundle[] = [],
): { name: string; message: string } | null {
  for (const p of packages) {
    const fn = guest(entry, () => entry.ctx.evalCode(wrapModule(p.code), `npm:${p.name}@${p.version}`));
    if (fn.error) return describe(entry, fn.error);
    const defined = callBaton(entry, 'definePackage', [entry.ctx.newString(p.name), fn.value]);
    if (defined.error) return defined.error;
  }
  const r = guest(entry, () => entry.ctx.evalCode(wrapModule(code), 'action.js'));
  if (r.error) return describe(entry, r.error);
  const loaded = callBaton(entry, 'load', [r.value]);
  if (loaded.error) return loaded.error;
  entry.loaded = true;
  return null;
}

/** Calls a method of the prelude's internal object; disposes the argument handles. */
export function callBaton(
  entry: Entry,
  method: string,
  args: QuickJSHandle[],
): { error?: { name: string; message: string }; value?: unknown; handle?: QuickJSHandle } {
  const { ctx } = entry;
  const fn = ctx.getProp(entry.baton, method);
  try {
    const r = guest(entry, () => ctx.callFunction(fn, entry.baton, ...args));
    if (r.error) return { error: describe(entry, r.error) };
    if (method === 'start') return { handle: r.value };
    const value: unknown = ctx.dump(r.value);
    r.value.dispose();
    return { value };
  } finally {
    fn.dispose();
    for (const a of args) a.dispose();
  }
}

/** Runs guest code with the interrupt deadline armed at the remaining CPU budget (capped by the wall clock). */
function guest<T>(entry: Entry, fn: () => T): T {
  const run = entry.run!;
  const start = performance.now();
  run.sliceDeadline = Math.min(start + Math.max(0, run.cpuLeft), run.wallDeadline);
  try {
    return fn();
  } finally {
    run.cpuLeft -= performance.now() - start;
    run.sliceDeadline = 0;
    if (entry.heapBytes() - run.heapStart > run.memoryLimit) run.memoryExceeded = true;
  }
}

/** Pumps jobs and waits for host calls until the handler's promise settles or a limit is reached. */
export async function settle(
  entry: Entry,
  run: RunState,
  promise: QuickJSHandle,
): Promise<
  | { kind: 'fulfilled' }
  | { kind: 'rejected'; error: { name: string; message: string } }
  | { kind: 'interrupted'; error: { name: string; message: string } }
  | { kind: 'stalled' }
> {
  const { ctx, rt } = entry;
  try {
    for (;;) {
      while (rt.hasPendingJob()) {
        const r = guest(entry, () => rt.executePendingJobs());
        if (r.error) {
          const error = describe(entry, r.error);
          if (run.interrupted || run.memoryExceeded || isOutOfMemory(error)) return { kind: 'interrupted', error };
        }
        if (run.interrupted || run.memoryExceeded)
          return { kind: 'interrupted', error: { name: 'InternalError', message: 'interrupted' } };
      }
      const state = ctx.getPromiseState(promise);
      if (state.type === 'fulfilled') {
        state.value.dispose();
        return { kind: 'fulfilled' };
      }
      if (state.type === 'rejected') {
        const error = describe(entry, state.error);
        return run.interrupted || run.memoryExceeded ? { kind: 'interrupted', error } : { kind: 'rejected', error };
      }
      // Pending with nothing in flight: nothing can ever settle it; it would only reach the wall-clock limit.
      if (run.pending.size === 0) return { kind: 'stalled' };
      const left = run.wallDeadline - performance.now();
      if (left <= 0) {
        run.interrupted = 'wall';
        return { kind: 'interrupted', error: { name: 'InternalError', message: 'interrupted' } };
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        run.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      run.wake = null;
    }
  } finally {
    promise.dispose();
  }
}

/** A guest error value as `{name, message}`, described by guest code under the same limits. */
function describe(entry: Entry, errHandle: QuickJSHandle): { name: string; message: string } {
  const { ctx } = entry;
  try {
    if (entry.run?.interrupted || entry.run?.memoryExceeded) return { name: 'InternalError', message: 'interrupted' };
    const fn = ctx.getProp(entry.baton, 'describe');
    try {
      const r = guest(entry, () => ctx.callFunction(fn, entry.baton, errHandle));
      if (r.error) {
        r.error.dispose();
        return { name: 'Error', message: 'the Action threw a value that could not be described' };
      }
      const s = ctx.getString(r.value);
      r.value.dispose();
      const d = JSON.parse(s) as { name: unknown; message: unknown };
      // Thrown names and messages go into RunResult, a log line and the test endpoint's answer: cut them here.
      return {
        name: clip(String(d.name), MAX_ERROR_NAME_CHARS),
        message: clip(String(d.message), MAX_ERROR_MESSAGE_CHARS),
      };
    } finally {
      fn.dispose();
    }
  } catch {
    return { name: 'Error', message: 'the Action threw a value that could not be described' };
  } finally {
    errHandle.dispose();
  }
}

export function endRun(entry: Entry, run: RunState): void {
  run.finished = true;
  // Fetches still in flight are aborted (their sockets closed), timers cleared (issue 10 H4).
  run.egress.end();
  for (const d of run.pending) d.dispose();
  run.pending.clear();
  entry.run = null;
}
