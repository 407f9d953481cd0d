/**
 * One QuickJS WASM module and the Action contexts living in it (runs inside a pool worker). Each compiled Action
 * version gets its own QuickJS runtime (limits belong to a runtime: interrupt handler, memory, stack), holding one
 * context where the prelude and the Action's module code were evaluated once; a run calls the cached entry point
 * with a fresh `event` and `api` (DESIGN section 4: compiled versions cached and reused). A context and the run
 * on it are guest-context.ts.
 */
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSWASMModule,
  type QuickJSSyncVariant,
} from 'quickjs-emscripten-core';
import variantImport from '@jitl/quickjs-ng-wasmfile-release-sync';
import {
  TRIGGERS,
  type CompileError,
  type PackageBundle,
  type RunLimits,
  type RunResult,
  type TriggerId,
} from '../contract.js';
import { CacheSession } from '../cache/session.js';
import type { CacheEntry, CacheOp } from '../cache/types.js';
import { validateCommands } from '../triggers/commands.js';
import type { FetchPolicy } from './fetch.js';
import {
  WRAP_HEAD,
  callBaton,
  endRun,
  load,
  newEntry,
  newRun,
  settle,
  wrapModule,
  type Entry,
  type RunState,
} from './guest-context.js';
import { failure, type DistributiveOmit } from './run-failure.js';

const MAX_CACHED_VERSIONS = 16;
// The package's types describe its CommonJS namespace; its ESM default export is the variant itself.
const variant = variantImport as unknown as QuickJSSyncVariant;

export interface SandboxRunInput {
  versionId: string;
  code: string;
  trigger: TriggerId;
  eventJson: string;
  limits: RunLimits;
  /** The namespace's entries, or null when the store could not be read (every write then fails, spec 6.11). */
  cache: CacheEntry[] | null;
  /** The version's bundled npm dependencies (loaded with the code, when the version's context is made). */
  packages?: PackageBundle[];
}

export type SandboxRunOutput = { result: RunResult; cacheOps: CacheOp[] };

const WASM_PAGE = 65536;
const DEFAULT_MODULE_MEMORY_BYTES = 256 * 1024 * 1024;

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
  async compile(
    code: string,
    trigger: TriggerId,
    limits: RunLimits,
    packages: PackageBundle[] = [],
  ): Promise<CompileError | null> {
    const syntax = this.syntaxCheck(code);
    if (syntax) return syntax;
    const entry = newEntry(this.module, this.policy, () => this.heapBytes());
    const run = newRun(limits, new CacheSession([]), trigger, this.policy, this.heapBytes());
    entry.run = run;
    try {
      const loadError = load(entry, code, packages);
      if (run.interrupted)
        return {
          message: `Action module code exceeded the ${run.interrupted === 'cpu' ? 'CPU' : 'wall-clock'} limit while loading`,
        };
      if (loadError)
        return { message: `Action module code threw while loading: ${loadError.name}: ${loadError.message}` };
      const entryPoint = TRIGGERS[trigger].entryPoint;
      const has = callBaton(entry, 'hasEntry', [entry.ctx.newString(entryPoint)]);
      if (has.error || has.value !== true)
        return {
          message: `Action code must export ${entryPoint} as a function (exports.${entryPoint} = async (event, api) => {...})`,
        };
      return null;
    } finally {
      endRun(entry, run);
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
    const cache = input.cache ? new CacheSession(input.cache) : CacheSession.unavailable();
    const run = newRun(input.limits, cache, input.trigger, this.policy, this.heapBytes());
    const state: { entry?: Entry; poisoned: boolean } = { poisoned: false };
    let result: DistributiveOmit<RunResult, 'commands' | 'logs' | 'durationMs'>;
    try {
      result = await this.attempt(key, input, run, state);
    } finally {
      if (state.entry) {
        endRun(state.entry, run);
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
      },
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
      entry = newEntry(this.module, this.policy, () => this.heapBytes());
      this.remember(key, entry);
    }
    state.entry = entry;
    entry.rt.setMemoryLimit(input.limits.memoryBytes);
    entry.rt.setMaxStackSize(input.limits.stackBytes);
    run.heapStart = this.heapBytes();
    entry.run = run;
    if (!entry.loaded) {
      const err = load(entry, input.code, input.packages);
      if (run.interrupted || run.memoryExceeded || err) {
        state.poisoned = true;
        return failure(run, err ?? { name: 'InternalError', message: 'interrupted' });
      }
    }
    const started = callBaton(entry, 'start', [
      entry.ctx.newString(input.eventJson),
      entry.ctx.newString(input.trigger),
      entry.ctx.newString(TRIGGERS[input.trigger].entryPoint),
    ]);
    if (started.error || !started.handle) {
      state.poisoned = true;
      return failure(run, started.error ?? { name: 'Error', message: 'the Action did not start' });
    }
    const outcome = await settle(entry, run, started.handle);
    if (outcome.kind === 'interrupted' || outcome.kind === 'stalled') state.poisoned = true;
    if (run.violation) {
      // The guest may have been stopped mid-way (above): its module state is not to be trusted by the next run.
      state.poisoned = true;
      return { kind: 'invalid_command', ...run.violation };
    }
    if (outcome.kind === 'stalled') return { kind: 'timeout', limit: 'wall' };
    if (outcome.kind === 'rejected' || outcome.kind === 'interrupted') {
      const f = failure(run, outcome.error);
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

  private remember(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    while (this.entries.size > MAX_CACHED_VERSIONS) {
      const [oldKey, old] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldKey);
      void this.disposeEntry(old);
    }
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
