/**
 * Diagnostic: what creating one Action context costs (runtime + context + the prelude and every guest file,
 * `newEntry` in guest-context.ts), and the first run on it. `npx tsx bench/context-micro.ts` (BENCH_OPS contexts,
 * default 200). Prints the mean wall-clock and process CPU ms per context, and the WASM heap the contexts grew it
 * by. Read the CPU figure on a busy machine.
 */
import { newQuickJSWASMModuleFromVariant, type QuickJSSyncVariant } from 'quickjs-emscripten-core';
import variantImport from '@jitl/quickjs-ng-wasmfile-release-sync';
import { newEntry } from '../src/actions/runtime/guest-context.js';

const n = Number(process.env.BENCH_OPS ?? 200);
const memory = new WebAssembly.Memory({ initial: 256, maximum: 32768 });
const { newVariant } = await import('quickjs-emscripten-core');
const module = await newQuickJSWASMModuleFromVariant(
  newVariant(variantImport as unknown as QuickJSSyncVariant, { wasmMemory: memory }),
);
const policy = { timeoutMs: 5000, maxBytes: 1 << 20, egressAllow: undefined };
for (const pass of ['warm-up', 'measured']) {
  const heap0 = memory.buffer.byteLength;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const m = pass === 'warm-up' ? Math.min(n, 20) : n;
  for (let i = 0; i < m; i++) {
    const e = newEntry(module, policy, () => memory.buffer.byteLength);
    e.baton.dispose();
    e.ctx.dispose();
    e.rt.dispose();
  }
  const ms = (performance.now() - t0) / m;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / m;
  console.log(
    `${pass}: ${ms.toFixed(2)} ms wall, ${cpuMs.toFixed(2)} ms CPU per context (${m} contexts), heap ${heap0 >> 20} → ${memory.buffer.byteLength >> 20} MiB`,
  );
}
