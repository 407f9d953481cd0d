/**
 * Diagnostic: the p99 at half of peak alone, as `npm run bench` measures it (SQLite, ES256 by default): a closed-loop
 * peak run, then open-loop paced runs at half that rate. `npx tsx bench/tail.ts` (BENCH_DURATION, default 10;
 * BENCH_ROUNDS of paced runs, default 3; BENCH_PROFILE_ALG=RS256|ES256; BENCH_RATE to pace at a fixed rate).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startIdp } from './idp.js';
import { startBaton, buildBaton } from './targets.js';
import { seedAndWarm } from './seed.js';
import { drive, pace } from './load.js';

const duration = Number(process.env.BENCH_DURATION ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const alg = process.env.BENCH_PROFILE_ALG === 'RS256' ? 'RS256' : 'ES256';
buildBaton();
const idp = await startIdp();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-tail-'));
const baton = await startBaton({
  dataDir,
  env: process.env.BENCH_BATON_ENV
    ? Object.fromEntries(process.env.BENCH_BATON_ENV.split(' ').map((kv) => kv.split('=') as [string, string]))
    : undefined,
});
try {
  const bodies = await seedAndWarm(baton.base, idp, alg, idp.mintPool(1000, 3600));
  let rate = Number(process.env.BENCH_RATE ?? 0);
  if (!rate) {
    const peak = await drive(baton.base, bodies, { connections: 10, duration });
    rate = Math.round(peak.rps / 2);
    console.log(`peak ${peak.rps}/s p50 ${peak.p50} ms p99 ${peak.p99} ms; pacing at ${rate}/s`);
  }
  for (let i = 0; i < rounds; i++) {
    const r = await pace(baton.base, bodies, { rate, duration });
    console.log(`paced ${r.rps}/s p50 ${r.p50} ms p99 ${r.p99} ms`);
  }
} finally {
  await baton.stop();
  await idp.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
