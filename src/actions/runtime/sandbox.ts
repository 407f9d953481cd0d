/**
 * One QuickJS WASM module and the Action contexts living in it (runs inside a pool worker). Each compiled Action
 * version gets its own QuickJS runtime (limits belong to a runtime: interrupt handler, memory, stack), holding one
 * context where the prelude and the Action's module code were evaluated once; a run calls the cached entry point
 * with a fresh `event` and `api` (DESIGN section 4: compiled versions cached and reused).
 */
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSDeferredPromise,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
  type QuickJSSyncVariant,
} from 'quickjs-emscripten-core';
import variantImport from '@jitl/quickjs-ng-wasmfile-release-sync';
import {
  TRIGGERS,
  type ActionCommand,
  type CompileError,
  type ConsoleLine,
  type RunLimits,
  type RunResult,
  type TriggerId,
} from '../contract.js';
import { CacheSession } from '../cache/session.js';
import type { CacheEntry, CacheOp } from '../cache/types.js';
import { CommandRecorder, DEFAULT_COMMAND_BUDGET, validateCommands } from '../triggers/commands.js';
import { clip, MAX_ERROR_MESSAGE_CHARS, MAX_ERROR_NAME_CHARS } from '../triggers/limits.js';
import { installPrelude } from './prelude.js';
import { hostAsync, hostSync, KeyTable, type RunHooks } from './host-ops.js';
import type { FetchPolicy } from './fetch.js';
import { RunEgress } from './egress-run.js';

/** `(function (exports, require, module, __filename, __dirname) {` is prepended on the code's first line. */
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) {';
export const wrapModule = (code: string): string => `${WRAP_HEAD}${code}\n})`;
const MAX_CACHED_VERSIONS = 16;
// The package's types describe its CommonJS namespace; its ESM default export is the variant itself.
const variant = variantImport as unknown as QuickJSSyncVariant;

interface RunState extends RunHooks {
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

interface Entry {
  rt: QuickJSRuntime;
  ctx: QuickJSContext;
  baton: QuickJSHandle;
  keys: KeyTable;
  run: RunState | null;
  loaded: boolean;
}

export interface SandboxRunInput {
  versionId: string;
  code: string;
  trigger: TriggerId;
  eventJson: string;
  limits: RunLimits;
  cache: CacheEntry[];
}

export type SandboxRunOutput = { result: RunResult; cacheOps: CacheOp[] };

const WASM_PAGE = 65536;
export const DEFAULT_MODULE_MEMORY_BYTES = 256 * 1024 * 1024;

/**
 * Why the WASM memory is capped: in this QuickJS-ng build `malloc_usable_size` is unavailable, so the runtime's
 * memory limit only refuses single allocations larger than the limit; many smaller ones are not counted. Two
 * checks stand in: the run fails as `memory` when the module's heap grows by more than the run's limit (checked
 * by the interrupt handler and between guest slices), and the module's WebAssembly.Memory has a hard maximum, so
 * a bomb between two checks ends in a real allocation failure (QuickJS "out of memory") instead of growing the
 * worker without bound. After a memory failure the module is replaced, which gives its heap back.
 */
export class Sandbox {
  private module!: QuickJSWASMModule;
  private memory!: WebAssembly.Memory;
  private readonly entries = new Map<string, Entry>();

  private constructor(
    private readonly policy: FetchPolicy,
    private readonly moduleMemoryBytes: number,
  ) {}

  /** `moduleMemoryBytes`: hard maximum of this module's WASM memory (default 256 MiB). */
  static async create(policy: FetchPolicy, moduleMemoryBytes = DEFAULT_MODULE_MEMORY_BYTES): Promise<Sandbox> {
    const s = new Sandbox(policy, moduleMemoryBytes);
    await s.newModule();
    return s;
  }

  private async newModule(): Promise<void> {
    const maximum = Math.max(512, Math.min(32768, Math.floor(this.moduleMemoryBytes / WASM_PAGE)));
    this.memory = new WebAssembly.Memory({ initial: 256, maximum });
    this.module = await newQuickJSWASMModuleFromVariant(newVariant(variant, { wasmMemory: this.memory }));
  }

  private heapBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Drops every cached version and starts a fresh module (its heap starts small again). */
  private async recycle(): Promise<void> {
    for (const e of this.entries.values()) {
      try {
        e.baton.dispose();
        e.ctx.dispose();
        e.rt.dispose();
      } catch {
        break;
      }
    }
    this.entries.clear();
    await this.newModule();
  }

  /** Syntax check with line/column, then module evaluation under limits to find the entry point. */
  async compile(code: string, trigger: TriggerId, limits: RunLimits): Promise<CompileError | null> {
    const syntax = this.syntaxCheck(code);
    if (syntax) return syntax;
    const entry = this.newEntry();
    const run = this.newRun(limits, new CacheSession([]), trigger);
    entry.run = run;
    try {
      const loadError = this.load(entry, code);
      if (run.interrupted)
        return {
          message: `Action module code exceeded the ${run.interrupted === 'cpu' ? 'CPU' : 'wall-clock'} limit while loading`,
        };
      if (loadError)
        return { message: `Action module code threw while loading: ${loadError.name}: ${loadError.message}` };
      const entryPoint = TRIGGERS[trigger].entryPoint;
      const has = this.callBaton(entry, 'hasEntry', [entry.ctx.newString(entryPoint)]);
      if (has.error || has.value !== true)
        return {
          message: `Action code must export ${entryPoint} as a function (exports.${entryPoint} = async (event, api) => {...})`,
        };
      return null;
    } finally {
      this.endRun(entry, run);
      await this.disposeEntry(entry);
    }
  }

  private syntaxCheck(code: string): CompileError | null {
    const rt = this.module.newRuntime();
    const ctx = rt.newContext();
    try {
      const r = ctx.evalCode(wrapModule(code), 'action.js', { compileOnly: true });
      if (!r.error) {
        r.value.dispose();
        return null;
      }
      const e = ctx.dump(r.error) as { name?: string; message?: string; stack?: string };
      r.error.dispose();
      const m = /action\.js:(\d+):(\d+)/.exec(e.stack ?? '');
      const line = m ? Number(m[1]) : undefined;
      let column = m ? Number(m[2]) : undefined;
      if (line === 1 && column !== undefined) column = Math.max(1, column - WRAP_HEAD.length);
      return { message: `${e.name ?? 'SyntaxError'}: ${e.message ?? 'invalid code'}`, line, column };
    } finally {
      ctx.dispose();
      rt.dispose();
    }
  }

  async run(input: SandboxRunInput): Promise<SandboxRunOutput> {
    const started = performance.now();
    const key = `${input.trigger}:${input.versionId}`;
    const cache = new CacheSession(input.cache);
    const run = this.newRun(input.limits, cache, input.trigger);
    const state: { entry?: Entry; poisoned: boolean } = { poisoned: false };
    let result: DistributiveOmit<RunResult, 'commands' | 'logs' | 'durationMs'>;
    try {
      result = await this.attempt(key, input, run, state);
    } finally {
      if (state.entry) {
        this.endRun(state.entry, run);
        if (state.poisoned) {
          this.entries.delete(key);
          await this.disposeEntry(state.entry);
        }
      }
    }
    if (result.kind === 'memory' || this.heapBytes() > this.moduleMemoryBytes / 2) await this.recycle();
    return {
      result: {
        ...result,
        commands: run.commands,
        logs: run.logs,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      } as RunResult,
      cacheOps: cache.ops(),
    };
  }

  /** One run on the version's cached context; marks the context poisoned when a limit was hit. */
  private async attempt(
    key: string,
    input: SandboxRunInput,
    run: RunState,
    state: { entry?: Entry; poisoned: boolean },
  ): Promise<DistributiveOmit<RunResult, 'commands' | 'logs' | 'durationMs'>> {
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      entry = this.newEntry();
      this.remember(key, entry);
    }
    state.entry = entry;
    entry.rt.setMemoryLimit(input.limits.memoryBytes);
    entry.rt.setMaxStackSize(input.limits.stackBytes);
    run.heapStart = this.heapBytes();
    entry.run = run;
    if (!entry.loaded) {
      const err = this.load(entry, input.code);
      if (run.interrupted || run.memoryExceeded || err) {
        state.poisoned = true;
        return this.failure(run, err ?? { name: 'InternalError', message: 'interrupted' });
      }
    }
    const started = this.callBaton(entry, 'start', [
      entry.ctx.newString(input.eventJson),
      entry.ctx.newString(input.trigger),
      entry.ctx.newString(TRIGGERS[input.trigger].entryPoint),
    ]);
    if (started.error || !started.handle) {
      state.poisoned = true;
      return this.failure(run, started.error ?? { name: 'Error', message: 'the Action did not start' });
    }
    const outcome = await this.settle(entry, run, started.handle);
    if (outcome.kind === 'interrupted' || outcome.kind === 'stalled') state.poisoned = true;
    if (run.violation) {
      // The guest may have been stopped mid-way (above): its module state is not to be trusted by the next run.
      state.poisoned = true;
      return { kind: 'invalid_command', ...run.violation };
    }
    if (outcome.kind === 'stalled') return { kind: 'timeout', limit: 'wall' };
    if (outcome.kind === 'rejected' || outcome.kind === 'interrupted') {
      const f = this.failure(run, outcome.error);
      if (f.kind !== 'thrown') state.poisoned = true;
      return f;
    }
    const v = validateCommands(input.trigger, run.commands);
    return v ? { kind: 'invalid_command', ...v } : { kind: 'ok' };
  }

  async close(): Promise<void> {
    for (const e of this.entries.values()) await this.disposeEntry(e);
    this.entries.clear();
  }

  // ---- internals ----

  private newRun(limits: RunLimits, cache: CacheSession, trigger: TriggerId): RunState {
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
      egress: new RunEgress(this.policy),
      heapStart: this.heapBytes(),
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

  private newEntry(): Entry {
    const rt = this.module.newRuntime();
    const ctx = rt.newContext();
    const keys = new KeyTable();
    const entry = { rt, ctx, keys, run: null, loaded: false } as unknown as Entry;
    rt.setInterruptHandler(() => {
      const run = entry.run;
      // Outside a guest slice (sliceDeadline 0) only Baton's own calls run, e.g. settling a deferred.
      if (!run || run.sliceDeadline === 0) return false;
      // A run that broke a command rule (its budget, say) has failed: stop the guest now rather than let it spend
      // its CPU budget on calls that can only be refused (a loop that catches the refusals, for instance).
      if (run.violation) return true;
      if (this.heapBytes() - run.heapStart > run.memoryLimit) {
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
      return ctx.newString(hostSync(ctx.getString(opH), ctx.getString(payH), run, keys, this.policy));
    });
    const hostAsyncFn = ctx.newFunction('hostAsync', (opH, payH) => {
      const run = entry.run;
      const deferred = ctx.newPromise();
      if (!run || run.finished) {
        deferred.resolve(ctx.newString('{"e":{"kind":"error","message":"the run is over"}}'));
        return deferred.handle;
      }
      run.pending.add(deferred);
      void hostAsync(ctx.getString(opH), ctx.getString(payH), keys, this.policy, run.egress).then((json) => {
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

  private remember(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    while (this.entries.size > MAX_CACHED_VERSIONS) {
      const [oldKey, old] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldKey);
      void this.disposeEntry(old);
    }
  }

  /** Evaluates the CommonJS wrapper and runs the module body (its time counts against the run's budget). */
  private load(entry: Entry, code: string): { name: string; message: string } | null {
    const r = this.guest(entry, () => entry.ctx.evalCode(wrapModule(code), 'action.js'));
    if (r.error) return this.describe(entry, r.error);
    const loaded = this.callBaton(entry, 'load', [r.value]);
    if (loaded.error) return loaded.error;
    entry.loaded = true;
    return null;
  }

  /** Calls a method of the prelude's internal object; disposes the argument handles. */
  private callBaton(
    entry: Entry,
    method: string,
    args: QuickJSHandle[],
  ): { error?: { name: string; message: string }; value?: unknown; handle?: QuickJSHandle } {
    const { ctx } = entry;
    const fn = ctx.getProp(entry.baton, method);
    try {
      const r = this.guest(entry, () => ctx.callFunction(fn, entry.baton, ...args));
      if (r.error) return { error: this.describe(entry, r.error) };
      if (method === 'start') return { handle: r.value };
      const value = ctx.dump(r.value);
      r.value.dispose();
      return { value };
    } finally {
      fn.dispose();
      for (const a of args) a.dispose();
    }
  }

  /** Runs guest code with the interrupt deadline armed at the remaining CPU budget (capped by the wall clock). */
  private guest<T>(entry: Entry, fn: () => T): T {
    const run = entry.run!;
    const start = performance.now();
    run.sliceDeadline = Math.min(start + Math.max(0, run.cpuLeft), run.wallDeadline);
    try {
      return fn();
    } finally {
      run.cpuLeft -= performance.now() - start;
      run.sliceDeadline = 0;
      if (this.heapBytes() - run.heapStart > run.memoryLimit) run.memoryExceeded = true;
    }
  }

  /** Pumps jobs and waits for host calls until the handler's promise settles or a limit is reached. */
  private async settle(
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
          const r = this.guest(entry, () => rt.executePendingJobs());
          if (r.error) {
            const error = this.describe(entry, r.error);
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
          const error = this.describe(entry, state.error);
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
  private describe(entry: Entry, errHandle: QuickJSHandle): { name: string; message: string } {
    const { ctx } = entry;
    try {
      if (entry.run?.interrupted || entry.run?.memoryExceeded) return { name: 'InternalError', message: 'interrupted' };
      const fn = ctx.getProp(entry.baton, 'describe');
      try {
        const r = this.guest(entry, () => ctx.callFunction(fn, entry.baton, errHandle));
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

  private failure(
    run: RunState,
    error: { name: string; message: string },
  ): DistributiveOmit<RunResult, 'commands' | 'logs' | 'durationMs'> {
    if (run.memoryExceeded || isOutOfMemory(error)) return { kind: 'memory' };
    if (run.interrupted) return { kind: 'timeout', limit: run.interrupted };
    if (run.violation) return { kind: 'invalid_command', ...run.violation };
    return { kind: 'thrown', name: error.name, message: error.message };
  }

  private endRun(entry: Entry, run: RunState): void {
    run.finished = true;
    // Fetches still in flight are aborted (their sockets closed), timers cleared (issue 10 H4).
    run.egress.end();
    for (const d of run.pending) d.dispose();
    run.pending.clear();
    entry.run = null;
  }

  /** Frees a context and its runtime; if QuickJS aborts (a leaked handle), the whole WASM module is replaced. */
  private async disposeEntry(entry: Entry): Promise<void> {
    try {
      entry.baton.dispose();
      entry.ctx.dispose();
      entry.rt.dispose();
    } catch {
      this.entries.delete([...this.entries].find(([, e]) => e === entry)?.[0] ?? '');
      await this.recycle();
    }
  }
}

function isOutOfMemory(e: { name: string; message: string }): boolean {
  return e.message === 'out of memory' || (e.name === 'InternalError' && /out of memory/.test(e.message));
}

type DistributiveOmit<T, K extends keyof any> = T extends unknown ? Omit<T, K> : never;
