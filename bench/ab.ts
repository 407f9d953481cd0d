/**
 * Diagnostic: A/B of two builds of Baton on one machine, alternating runs, so a change is measured against its
 * baseline under the same noise. The baseline is a build of another commit in `dist-a/`; from the repository root:
 *   git worktree add /tmp/base <commit> && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   (cd /tmp/base && npx tsc -p tsconfig.build.json --outDir "$OLDPWD/dist-a") && git worktree remove --force /tmp/base
 * `npx tsx bench/ab.ts` (BENCH_DURATION per run, default 5; BENCH_ROUNDS, default 3; BENCH_PROFILE_ALG).
 * Prints exchanges/s and CPU µs per exchange on the main thread and on all other threads, for each build.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startIdp } from './idp.js';
import { spawnChild, waitForHttp, freePort, threadTicks, TICK_US } from './procs.js';
import { ROOT, ADMIN_ID, ADMIN_SECRET, SECRET_KEY, buildBaton, startNodeFlags } from './targets.js';
import { seedAndWarm } from './seed.js';
import { drive } from './load.js';

const alg = process.env.BENCH_PROFILE_ALG === 'RS256' ? 'RS256' : 'ES256';
const duration = Number(process.env.BENCH_DURATION ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
if (!fs.existsSync(path.join(ROOT, 'dist-a/cli/index.js')))
  throw new Error('build the baseline into dist-a/ first (see the header)');
buildBaton();
const idp = await startIdp();
const tokens = idp.mintPool(1000, 3600);
const dataDirs: string[] = [];

async function start(dist: string) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-ab-'));
  dataDirs.push(dataDir);
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    BATON_ISSUER: base,
    BATON_DATA_DIR: dataDir,
    BATON_ADMIN_CLIENT_ID: ADMIN_ID,
    BATON_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
    BATON_LOG_LEVEL: 'warn',
    BATON_SECRET_KEY: SECRET_KEY,
  };
  const child = spawnChild([...startNodeFlags(), path.join(ROOT, dist, 'cli/index.js'), 'serve'], env, ROOT);
  await waitForHttp(`${base}health/live`, child);
  const bodies = await seedAndWarm(base, idp, alg, tokens, 2);
  return { dist, base, bodies, child };
}

const split = (pid: number) => {
  let main = 0;
  let other = 0;
  for (const [k, v] of threadTicks(pid)) {
    if (k === 'main') main += v;
    else other += v;
  }
  return { main, other };
};
const servers = [await start('dist-a'), await start('dist')];
const acc = new Map<string, { rps: number[]; main: number[]; other: number[] }>();
try {
  for (let round = 0; round < rounds; round++) {
    for (const s of servers) {
      const before = split(s.child.pid);
      const r = await drive(s.base, s.bodies, { connections: 10, duration });
      const after = split(s.child.pid);
      const n = r.rps * duration;
      const a = acc.get(s.dist) ?? { rps: [], main: [], other: [] };
      acc.set(s.dist, a);
      a.rps.push(r.rps);
      a.main.push(((after.main - before.main) * TICK_US) / n);
      a.other.push(((after.other - before.other) * TICK_US) / n);
    }
  }
  const mean = (v: number[]) => Math.round(v.reduce((x, y) => x + y, 0) / v.length);
  for (const [k, a] of acc) {
    console.log(
      `${k === 'dist' ? 'this build ' : 'baseline   '} ${mean(a.rps)}/s; CPU µs per exchange: main ${mean(a.main)}, other threads ${mean(a.other)} (runs: ${a.rps.join(', ')}/s)`,
    );
  }
} finally {
  for (const s of servers) await s.child.stop();
  await idp.close();
  for (const d of dataDirs) fs.rmSync(d, { recursive: true, force: true });
}
