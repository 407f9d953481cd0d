/**
 * The Actions runtime: runs operators' JavaScript (Auth0 Action code, unchanged) in QuickJS compiled to WASM,
 * in a small pool of worker threads (DESIGN section 4, docs/actions-sandbox.md).
 *
 * THREAT MODEL
 * - Assets: the server process (its memory, `process`, environment, file system, network position, signing keys,
 *   database handles), other requests running at the same time, and other Actions' secrets.
 * - Adversary: whoever can deploy Action code (a Management API client with `create:actions`), or a bug in such
 *   code. Action code is assumed hostile: it may loop forever, allocate without bound, recurse, never settle a
 *   promise, call host functions with crafted arguments, and walk any prototype or constructor chain it can reach.
 * - Boundary: guest code only ever runs in a QuickJS interpreter inside a WASM instance; it never runs in the
 *   host's V8 (no node:vm, no eval, no Function). The guest's global object holds only QuickJS built-ins and the
 *   shims the prelude builds inside the guest. The only host functions are two closures passed to the prelude as
 *   arguments (never globals), which take and return JSON strings. Errors are described as plain JSON and
 *   re-created inside the guest, so `err.constructor.constructor('return process')()` evaluates in the guest and
 *   finds no `process`. Keys are opaque numeric handles into a per-context host table.
 * - Limits per run (RunLimits): a guest CPU budget enforced by the QuickJS interrupt handler, re-armed with the
 *   remaining budget each time the guest resumes after an await; a wall-clock limit that includes time awaiting
 *   host calls (`fetch`, jose, timers); a stack limit on the QuickJS runtime; a memory limit (QuickJS's own limit
 *   undercounts in this build, so the WASM heap's growth during the run is checked too, and each worker's
 *   WebAssembly.Memory has a hard maximum: see sandbox.ts). A runtime that hit a limit is discarded. Behind them, the pool terminates a worker that does not answer by the wall-clock limit
 *   plus a grace period, so even a stuck host call fails only its own run; each worker's V8 heap has its own
 *   old-generation limit (workerHeapMb), so host-side data of a run cannot grow the process, only end its worker.
 * - Sharing the workers (runtime/pool.ts): runs queue per Action version and client, served round-robin; one
 *   version and one client hold at most all workers but one; a run that waits past the queue deadline is refused
 *   (`unavailable`, answered 503 with Retry-After) without running. A slow or hostile Action delays its own runs.
 * - Isolation: each Action version has its own QuickJS runtime and context; runs of one version share module
 *   state (as on Auth0) but never see another version's. `event.secrets` is the only place secrets go; they are
 *   not logged, not kept after the run except in the guest heap of that version's own context.
 * - Network: `fetch` and remote JWKS go through the host with a timeout and a response size cap. Only public
 *   addresses are reachable by default, checked after resolution on every redirect hop, and the connection goes to
 *   the checked address; internal ranges need `BATON_ACTION_EGRESS_ALLOW_PRIVATE`, this server's own listener
 *   `BATON_ACTION_EGRESS_ALLOW_SELF` (runtime/egress.ts; issue 10 H3 overrides DESIGN section 4, which had every
 *   host reachable as on Auth0). `BATON_ACTION_EGRESS_ALLOW` narrows egress further by name. A run's fetches and
 *   timers are capped and end with it (runtime/egress-run.ts).
 * - npm dependencies (actions/packages/): bundled at deploy with no install script run on the host, then evaluated
 *   in the version's own context as guest code; they get what the Action gets, plus the Node crypto key operations
 *   of host-node-crypto.ts (keys as handles). Their http/https is a client shim over the same guarded fetch.
 * - Out of scope: side channels (timing, Spectre) between Actions on one machine; the guest can observe time.
 */
import os from 'node:os';
import type { Config } from '../../config/index.js';
import {
  PROVIDED_MODULES,
  TRIGGERS,
  type ActionExecutor,
  type PackageBundle,
  type CompileError,
  type RunLimits,
  type RunRequest,
  type RunResult,
  type TriggerId,
} from '../contract.js';
import { MemoryCacheStore } from '../cache/memory-store.js';
import type { ActionCacheStore, CacheEntry } from '../cache/types.js';
import type { SandboxRunOutput } from './sandbox.js';
import { DEFAULT_QUEUE_TIMEOUT_MS, queueRetryAfterS, WorkerPool } from './pool.js';
import { findRequires, isProvidedModule } from './require-scan.js';

/** Spec section 5.1: Action source at most 100 kB. */
const MAX_CODE_BYTES = 100 * 1024;
const DEFAULT_STACK_BYTES = 512 * 1024;
/** Module top-level code at compile time gets this much (it runs again, for real, on first use). */
const COMPILE_LIMITS = { cpuMs: 1000, wallMs: 5000 };
/**
 * With npm dependencies, top-level `require`s evaluate their bundles too (lodash: about 150 kB of module code),
 * and the CPU budget is measured in wall time of guest slices, which a loaded host stretches: more room.
 */
const COMPILE_LIMITS_WITH_PACKAGES = { cpuMs: 3000, wallMs: 10_000 };

/**
 * V8 heap a sandbox worker needs besides its runs' data: its code (the QuickJS glue, jose, the sandbox), about 8 MB
 * at rest, with room for fetch buffers and garbage. The QuickJS heap itself is WASM memory, outside V8's heap.
 */
const WORKER_HEAP_OVERHEAD_MB = 64;

/**
 * Each worker's V8 old-generation limit: the overhead plus the run's memory limit, since what a run hands across
 * (its event, fetch bodies, recorded commands, the result) is copied out of a guest heap of at most that size and
 * the host's budgets keep it far below (triggers/limits.ts). A worker that reaches it dies alone; the pool
 * replaces it and only its run fails (as `memory`).
 */
function workerHeapMb(memoryMb: number): number {
  return WORKER_HEAP_OVERHEAD_MB + memoryMb;
}

export interface ActionExecutorOptions {
  /** `api.cache` backing store; defaults to an in-process store. */
  cache?: ActionCacheStore;
  /** Number of sandbox workers (concurrent runs); default 2 to 4 depending on the machine. */
  poolSize?: number;
  stackBytes?: number;
  /** Test-only: host names Action fetch resolves from this table instead of DNS (runtime/egress.ts). */
  resolveHosts?: Record<string, string[]>;
}

/**
 * Whether an Action's code can reach `api.cache`: it names `cache` somewhere. Code that never does gets an empty
 * snapshot without a store read (with Redis, a round trip saved on every run). Code that reached the cache by a
 * computed name only would read it as empty, which the spec allows (section 6.11: the cache is best effort); its
 * writes are applied as usual.
 */
export function mayUseCache(code: string): boolean {
  return /\bcache\b/.test(code);
}

/** The `api.cache` namespace of a run: its trigger's, or for a test run a scratch one beside it. */
function cacheNamespace(req: Pick<RunRequest, 'trigger' | 'testRun'>): string {
  return req.testRun ? `test:${req.trigger}` : req.trigger;
}

/**
 * Sandbox threads of one server process when BATON_ACTION_WORKERS is unset: 2 to 4 by the machine's cores for a
 * single process; under `baton serve --workers N` the cores are divided among the N processes (at least one thread
 * each, at most 4), so N processes' sandboxes together do not oversubscribe the machine.
 */
export function defaultPoolSize(processes = 1, cores = os.availableParallelism()): number {
  if (processes <= 1) return Math.max(2, Math.min(4, cores));
  return Math.max(1, Math.min(4, Math.floor(cores / processes)));
}

export function createActionExecutor(config: Config['actions'], options: ActionExecutorOptions = {}): ActionExecutor {
  const cache = options.cache ?? new MemoryCacheStore();
  const usesCache = new Map<string, boolean>();
  const cacheWanted = (req: RunRequest) => {
    let wanted = usesCache.get(req.versionId);
    if (wanted === undefined) {
      if (usesCache.size >= 1000) usesCache.clear();
      usesCache.set(req.versionId, (wanted = mayUseCache(req.code)));
    }
    return wanted;
  };
  const size = options.poolSize ?? config.workers ?? defaultPoolSize();
  const pool = new WorkerPool(
    size,
    {
      policy: {
        timeoutMs: config.fetchTimeoutMs,
        maxBytes: config.fetchMaxBytes,
        egressAllow: config.egressAllow,
        allowPrivate: config.egressAllowPrivate,
        allowSelf: config.egressAllowSelf,
        listenPorts: config.listenPorts,
        fetchConcurrency: config.fetchConcurrency,
        fetchesPerRun: config.fetchesPerRun,
        timersPerRun: config.timersPerRun,
        socketsPerOrigin: config.egressSocketsPerOrigin,
        socketsTotal: config.egressSocketsTotal,
        ...(options.resolveHosts ? { resolveHosts: options.resolveHosts } : {}),
      },
      moduleMemoryBytes: Math.min(2048, Math.max(128, config.memoryMb * 4)) * 1024 * 1024,
      heapMb: workerHeapMb(config.memoryMb),
    },
    {
      // Issue 10 M1: one Action version, or one client, holds at most all workers but one (all of a 1-worker pool).
      perAction: config.concurrencyPerAction ?? Math.max(1, size - 1),
      perClient: config.concurrencyPerClient ?? Math.max(1, size - 1),
    },
  );
  const queueTimeoutMs = config.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS;
  const defaults: RunLimits = {
    wallMs: config.timeoutMs,
    cpuMs: config.cpuMs,
    memoryBytes: config.memoryMb * 1024 * 1024,
    stackBytes: options.stackBytes ?? DEFAULT_STACK_BYTES,
    ...(config.maxCommands !== undefined ? { commands: config.maxCommands } : {}),
    ...(config.maxCommandBytes !== undefined ? { commandBytes: config.maxCommandBytes } : {}),
  };

  return {
    async compile(code: string, trigger: TriggerId, packages: PackageBundle[] = []): Promise<CompileError | null> {
      if (!(trigger in TRIGGERS)) return { message: `unknown trigger ${String(trigger)}` };
      if (Buffer.byteLength(code, 'utf8') > MAX_CODE_BYTES)
        return { message: `Action code exceeds ${MAX_CODE_BYTES / 1024} kB` };
      const declared = new Set(packages.map((p) => p.name));
      for (const r of findRequires(code)) {
        if (!isProvidedModule(r.name) && !declared.has(r.name)) {
          return {
            message: `Cannot find module '${r.name}': Baton provides ${PROVIDED_MODULES.join(', ')}; declare any other in the Action's dependencies`,
            line: r.line,
            column: r.column,
          };
        }
      }
      const limits = { ...defaults, ...(packages.length ? COMPILE_LIMITS_WITH_PACKAGES : COMPILE_LIMITS) };
      const r = await pool.submit({ type: 'compile', code, trigger, limits, packages }, limits.wallMs);
      if (r.failure) return { message: 'Action module code did not finish loading within the limits' };
      return r.output as CompileError | null;
    },

    async run(req: RunRequest): Promise<RunResult> {
      const started = performance.now();
      const limits: RunLimits = { ...defaults, ...req.limits };
      // Test runs get a scratch namespace of their own (issue 10 L3): they never read or write production's.
      const namespace = cacheNamespace(req);
      let snapshot: CacheEntry[] | null = [];
      try {
        if (cacheWanted(req)) snapshot = await cache.load(namespace);
      } catch {
        // spec 6.11: the cache is best effort; an unavailable store reads as empty and refuses writes. The store
        // fails fast while Redis is down (cluster/redis.ts), so the run does not wait for it.
        snapshot = null;
      }
      const eventJson = JSON.stringify({ ...req.event, secrets: { ...req.secrets } });
      const r = await pool.submit(
        {
          type: 'run',
          input: {
            versionId: req.versionId,
            code: req.code,
            trigger: req.trigger,
            eventJson,
            limits,
            cache: snapshot,
            packages: req.packages ?? [],
          },
        },
        limits.wallMs,
        { client: req.clientId, queueTimeoutMs },
      );
      const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
      if (r.failure === 'queue_timeout') {
        return {
          kind: 'unavailable',
          reason: 'queue_timeout',
          queuedMs: queueTimeoutMs,
          retryAfterS: queueRetryAfterS(queueTimeoutMs),
          commands: [],
          logs: [],
          durationMs,
        };
      }
      if (r.failure === 'unresponsive') return { kind: 'timeout', limit: 'wall', commands: [], logs: [], durationMs };
      if (r.failure === 'memory') return { kind: 'memory', commands: [], logs: [], durationMs };
      if (r.failure)
        return {
          kind: 'thrown',
          name: 'Error',
          message: 'the Action runtime failed',
          commands: [],
          logs: [],
          durationMs,
        };
      const out = r.output as SandboxRunOutput;
      if (out.cacheOps.length) await cache.apply(namespace, out.cacheOps).catch(() => undefined);
      return out.result;
    },

    async close(): Promise<void> {
      await pool.close();
      if (!options.cache) await cache.close();
    },
  };
}

export type { ActionExecutor } from '../contract.js';
