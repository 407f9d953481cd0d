/**
 * CPU profile of the exchange path: Baton (SQLite) runs with `node --cpu-prof` while autocannon drives exchanges,
 * then the V8 profiles (main thread and each sandbox worker) are summarised by self time, per function and per
 * module. `npx tsx bench/profile.ts` (BENCH_DURATION, BENCH_PROFILE_ALG=RS256|ES256, BENCH_PASSES=postgres for
 * PostgreSQL + Redis). Writes bench/results/profile-*.txt; the raw .cpuprofile files stay in the printed directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startIdp } from './idp.js';
import { startBaton, ROOT } from './targets.js';
import { seedAndWarm } from './seed.js';
import { drive } from './load.js';
import { freshDatabase, REDIS_URL } from './backends.js';

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Wall-clock window of the measured run, and the wall-clock time the process exited (the profile's endTime). */
export interface Window {
  fromMs: number;
  toMs: number;
  exitMs: number;
}

function moduleOf(url: string): string {
  if (!url) return '(native / V8)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const src = /\/work\/main\/(.+)$/.exec(url.replace(/^file:\/\//, ''));
  if (src) return src[1]!;
  if (url.startsWith('node:')) return url;
  return url;
}

/**
 * Self time per function and module, counting only the samples taken during the measured run (start-up, seeding
 * and warm-up are left out). Sample times are on the profile's clock, whose endTime is the process exit.
 */
export function summarise(file: string, w: Window, top = 25): string {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const hits = new Map<number, number>();
  const toProfileUs = (wallMs: number) => p.endTime - (w.exitMs - wallMs) * 1000;
  const from = toProfileUs(w.fromMs);
  const to = toProfileUs(w.toMs);
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const prev = t;
    t += p.timeDeltas[i] ?? 0;
    if (t < from || t > to) continue;
    const next = i + 1 < p.samples.length ? t + (p.timeDeltas[i + 1] ?? 0) : t;
    hits.set(p.samples[i]!, (hits.get(p.samples[i]!) ?? 0) + Math.max(0, (next - prev) / 2000));
  }
  const totalMs = (Math.min(to, p.endTime) - Math.max(from, p.startTime)) / 1000;
  const byFn = new Map<string, number>();
  const byModule = new Map<string, number>();
  let idle = 0;
  for (const n of p.nodes) {
    const ms = hits.get(n.id) ?? 0;
    if (!ms) continue;
    const f = n.callFrame;
    if (f.functionName === '(idle)') {
      idle += ms;
      continue;
    }
    const short = f.url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '');
    const key = `${f.functionName || '(anonymous)'}  ${short ? `${short}:${f.lineNumber + 1}` : ''}`;
    byFn.set(key, (byFn.get(key) ?? 0) + ms);
    const mod = f.functionName.startsWith('(') ? f.functionName : moduleOf(f.url);
    byModule.set(mod, (byModule.get(mod) ?? 0) + ms);
  }
  const busy = totalMs - idle;
  const fmt = (entries: Map<string, number>) =>
    [...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => `${ms.toFixed(0).padStart(7)} ms ${((ms / busy) * 100).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  return [
    `${path.basename(file)}: ${totalMs.toFixed(0)} ms of the measured run, ${busy.toFixed(0)} ms not idle (percentages of that)`,
    '',
    'Top self time by function:',
    fmt(byFn),
    '',
    'Self time by module:',
    fmt(byModule),
    '',
  ].join('\n');
}

async function main() {
  const duration = Number(process.env.BENCH_DURATION ?? 10);
  const alg = process.env.BENCH_PROFILE_ALG === 'RS256' ? 'RS256' : 'ES256';
  const pg = process.env.BENCH_PASSES === 'postgres';
  const profDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-prof-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-bench-'));
  const db = pg ? await freshDatabase() : undefined;
  if (pg && !db) throw new Error('PostgreSQL does not answer');
  const idp = await startIdp();
  const window: Window = { fromMs: 0, toMs: 0, exitMs: 0 };
  const baton = await startBaton({
    dataDir,
    cpuProfDir: profDir,
    ...(db ? { databaseUrl: db.url, redisUrl: REDIS_URL } : {}),
  });
  try {
    const bodies = await seedAndWarm(baton.base, idp, alg, idp.mintPool(1000, 3600));
    window.fromMs = Date.now();
    const r = await drive(baton.base, bodies, { connections: 10, duration });
    window.toMs = Date.now();
    process.stderr.write(
      `profiled run (${alg}, ${pg ? 'PostgreSQL + Redis' : 'SQLite'}): ${r.rps}/s p50 ${r.p50} ms p99 ${r.p99} ms\n`,
    );
  } finally {
    await baton.stop();
    window.exitMs = Date.now();
    await idp.close();
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const files = fs
    .readdirSync(profDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  const out = files.map((f) => summarise(path.join(profDir, f), window, f.includes('.0.0') ? 30 : 12)).join('\n');
  const outFile = path.join(ROOT, `bench/results/profile-${pg ? 'postgres' : 'sqlite'}-${alg}.txt`);
  fs.writeFileSync(outFile, out);
  process.stdout.write(`${out}\nprofiles in ${profDir}; summary in ${path.relative(ROOT, outFile)}\n`);
}

main().catch((err) => {
  process.stderr.write(`profile failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
