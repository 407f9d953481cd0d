/**
 * Diagnostic: where an exchange's CPU goes, by thread. Starts Baton (as `npm start` runs it), seeds it like the
 * bench, drives it with autocannon and reads each thread's CPU time from /proc (Linux) before and after, plus the
 * load generator's and, on the PostgreSQL pass, the postgres and redis-server processes'. Prints microseconds of
 * CPU per exchange: the main thread, the sandbox workers, and the rest (libuv's pool, where WebCrypto signs and
 * verifies, and V8's GC and compiler threads).
 * `npx tsx bench/cpu-split.ts` (BENCH_DURATION, BENCH_PROFILE_ALG=RS256|ES256, BENCH_PASSES=postgres).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startIdp } from './idp.js';
import { startBaton } from './targets.js';
import { seedAndWarm } from './seed.js';
import { drive } from './load.js';
import { freshDatabase, REDIS_URL } from './backends.js';
import { TICK_US, cpuTicks, threadTicks, processTicks } from './procs.js';

const duration = Number(process.env.BENCH_DURATION ?? 10);
const alg = process.env.BENCH_PROFILE_ALG === 'RS256' ? 'RS256' : 'ES256';
const pgPass = process.env.BENCH_PASSES === 'postgres';
const idp = await startIdp();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-cpu-'));
const db = pgPass ? await freshDatabase() : undefined;
if (pgPass && !db) throw new Error('PostgreSQL does not answer');
const baton = await startBaton({ dataDir, ...(db ? { databaseUrl: db.url, redisUrl: REDIS_URL } : {}) });
try {
  const bodies = await seedAndWarm(baton.base, idp, alg, idp.mintPool(1000, 3600));
  const services = /postgres|redis-server/;
  const before = threadTicks(baton.child.pid);
  const selfBefore = cpuTicks('/proc/self/stat');
  const servicesBefore = pgPass ? processTicks(services) : 0;
  const r = await drive(baton.base, bodies, { connections: 10, duration });
  const after = threadTicks(baton.child.pid);
  const n = r.rps * duration;
  const perExchange = (ticks: number) => Math.round((ticks * TICK_US) / n);
  const threads = [...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v > 0);
  const main = threads.find(([k]) => k === 'main')?.[1] ?? 0;
  const others = threads.filter(([k]) => k !== 'main').sort((a, b) => b[1] - a[1]);
  const pool = Number(process.env.BENCH_SANDBOX_WORKERS ?? 2);
  const workers = others.slice(0, pool).reduce((a, [, v]) => a + v, 0);
  const rest = others.slice(pool).reduce((a, [, v]) => a + v, 0);
  console.log(
    `${pgPass ? 'PostgreSQL + Redis' : 'SQLite'}, ${alg}: ${r.rps} exchanges/s over ${duration} s; CPU µs per exchange:`,
  );
  console.log(`  Baton main thread       ${perExchange(main)}`);
  console.log(`  sandbox workers (${pool})     ${perExchange(workers)}   (the ${pool} busiest other threads)`);
  console.log(
    `  other Baton threads     ${perExchange(rest)}   (libuv pool: WebCrypto sign/verify; V8 GC and compiler)`,
  );
  console.log(`  load generator          ${perExchange(cpuTicks('/proc/self/stat') - selfBefore)}`);
  if (pgPass) console.log(`  postgres + redis-server ${perExchange(processTicks(services) - servicesBefore)}`);
} finally {
  await baton.stop();
  await db?.drop();
  await idp.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
