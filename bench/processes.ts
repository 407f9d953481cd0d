/**
 * More processes than one: `baton serve --workers 2` against one process on SQLite, and three nodes on PostgreSQL
 * + Redis behind scripts/round-robin-proxy.ts (what `npm run cluster` runs) against one process on PostgreSQL +
 * Redis. Each pair is measured in the same run, runs alternated (single, multi, single, multi), ES256 access tokens;
 * the figure that matters is the ratio, the absolute ones move with the machine's load (docs/deployment.md,
 * "Benchmarks").
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Idp } from './idp.js';
import { startBaton, ROOT, type Target } from './targets.js';
import { peakRssMb, freePort, spawnChild, waitForOutput, cpuTicks, TICK_US, type Child } from './procs.js';
import { seedExchange, setSigningAlg, exchangeBody, failedExchanges } from './seed.js';
import { drive, checkExchange, type LoadResult } from './load.js';
import { freshDatabase, redisAnswers, REDIS_URL } from './backends.js';
import { side, ratio, type Side } from './report.js';

export interface ProcessesComparison {
  storage: string;
  /** What the multi-process side is. */
  multi: string;
  single: Side;
  many: Side;
  /** many rps / single rps. */
  ratio: number;
  /** CPU ms per successful exchange of every process of each side (the proxy included), mean of the runs. */
  singleCpuMs: number;
  manyCpuMs: number;
  failures: Record<string, number>;
}

export interface ProcessesResult {
  alg: 'ES256';
  comparisons: ProcessesComparison[];
  skipped: string[];
}

interface Options {
  idp: Idp;
  tokens: string[];
  connections: number;
  duration: number;
  warmS: number;
  which: { workers: boolean; cluster: boolean };
  log: (msg: string) => void;
}

const ALG = 'ES256';
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Peak RSS of a process and its children (the `--workers` primary and its server processes), in MB. */
function treePeakRssMb(pid: number): number {
  let sum = Number.isFinite(peakRssMb(pid)) ? peakRssMb(pid) : 0;
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const children = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      for (const child of children ? children.split(/\s+/) : []) sum += treePeakRssMb(Number(child));
    }
  } catch {
    // not Linux, or gone
  }
  return sum;
}

/** CPU ticks of a process and its children, threads included (utime + stime from /proc). */
function treeCpuTicks(pid: number): number {
  let sum = cpuTicks(`/proc/${pid}/stat`);
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      const children = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      for (const child of children ? children.split(/\s+/) : []) sum += treeCpuTicks(Number(child));
    }
  } catch {
    // not Linux, or gone
  }
  return sum;
}

/** The proxy as a process of its own, as `npm run cluster` runs it: in the bench's process it would share
 * autocannon's thread. */
async function startProxyProcess(port: number, upstreams: string[]): Promise<{ url: string; child: Child }> {
  const child = spawnChild(
    ['--import', 'tsx', path.join(ROOT, 'scripts/round-robin-proxy.ts'), String(port), ...upstreams],
    {},
    ROOT,
  );
  await waitForOutput(child, /round-robin proxy on/);
  return { url: `http://127.0.0.1:${port}/`, child };
}

/** Waits for the banner: the `--workers` primary prints it once every server process listens. */
async function listening(target: Target): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!/Baton is listening/.test(target.child.output())) {
    if (Date.now() > deadline) throw new Error(`${target.name} did not print its banner: ${target.child.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function compare(
  o: Options,
  label: string,
  multi: string,
  single: { base: string; rss(): number; pids: number[] },
  many: { base: string; rss(): number; pids: number[] },
): Promise<ProcessesComparison> {
  const bodiesOf = async (base: string) => {
    const seeded = await seedExchange(base, o.idp.jwksUrl);
    await setSigningAlg(base, seeded, ALG);
    const bodies = o.tokens.map((t) => exchangeBody(seeded, t));
    await checkExchange(base, bodies[0]!);
    return bodies;
  };
  const singleBodies = await bodiesOf(single.base);
  const manyBodies = await bodiesOf(many.base);
  o.log(`${label}: first exchange of each user on both, then warm-up`);
  for (const [base, bodies] of [
    [single.base, singleBodies],
    [many.base, manyBodies],
  ] as const) {
    await drive(base, bodies, { connections: o.connections, amount: bodies.length });
    await drive(base, bodies, { connections: o.connections, duration: o.warmS });
  }
  const runs: { single: LoadResult[]; many: LoadResult[] } = { single: [], many: [] };
  const cpu: { single: number[]; many: number[] } = { single: [], many: [] };
  const ticks = (pids: number[]) => pids.reduce((sum, pid) => sum + treeCpuTicks(pid), 0);
  for (let i = 0; i < 2; i++) {
    for (const which of ['single', 'many'] as const) {
      const base = which === 'single' ? single.base : many.base;
      const pids = which === 'single' ? single.pids : many.pids;
      const before = ticks(pids);
      const r = await drive(base, which === 'single' ? singleBodies : manyBodies, {
        connections: o.connections,
        duration: o.duration,
      });
      o.log(
        `${label} ${which === 'single' ? 'one process' : multi} #${i + 1}: ${r.rps}/s p50 ${r.p50} ms p99 ${r.p99} ms`,
      );
      if (r.non2xx + r.errors > Math.max(5, r.total * 0.01))
        throw new Error(`${label} ${which}: ${r.non2xx} non-2xx, ${r.errors} errors of ${r.total}`);
      runs[which].push(r);
      const ok = r.rps * r.durationS;
      if (ok > 0) cpu[which].push(((ticks(pids) - before) * TICK_US) / 1000 / ok);
    }
  }
  const s = side(runs.single, single.rss());
  const m = side(runs.many, many.rss());
  return {
    storage: label,
    multi,
    single: s,
    many: m,
    ratio: ratio(m.rps, s.rps),
    singleCpuMs: Math.round(mean(cpu.single) * 100) / 100,
    manyCpuMs: Math.round(mean(cpu.many) * 100) / 100,
    failures: await failedExchanges(many.base),
  };
}

async function workersPass(o: Options): Promise<ProcessesComparison> {
  const dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'baton-bench-')));
  const targets: Target[] = [];
  try {
    const single = await startBaton({ dataDir: dirs[0]! });
    targets.push(single);
    const many = await startBaton({ dataDir: dirs[1]!, env: { BATON_WORKERS: '2' } });
    targets.push(many);
    await listening(many);
    return await compare(
      o,
      'SQLite',
      '--workers 2',
      { base: single.base, rss: () => single.child.peakRssMb(), pids: [single.child.pid] },
      { base: many.base, rss: () => treePeakRssMb(many.child.pid), pids: [many.child.pid] },
    );
  } finally {
    for (const t of targets) await t.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

async function clusterPass(o: Options): Promise<ProcessesComparison | string> {
  if (!(await redisAnswers())) return 'cluster pass: Redis does not answer';
  const singleDb = await freshDatabase();
  const clusterDb = await freshDatabase();
  if (!singleDb || !clusterDb) return 'cluster pass: PostgreSQL does not answer';
  const dirs = [0, 1, 2, 3].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'baton-bench-')));
  const targets: Target[] = [];
  let proxy: { url: string; child: Child } | undefined;
  try {
    const single = await startBaton({ dataDir: dirs[0]!, databaseUrl: singleDb.url, redisUrl: REDIS_URL });
    targets.push(single);
    // Every node has the proxy's URL as its issuer: a token from one is valid on the others.
    const proxyPort = await freePort();
    const issuer = `http://127.0.0.1:${proxyPort}/`;
    const node = (dir: string) =>
      startBaton({
        dataDir: dir,
        databaseUrl: clusterDb.url,
        redisUrl: REDIS_URL,
        env: { BATON_ISSUER: issuer, BATON_TRUST_PROXY: 'true' },
      });
    // The first node migrates the fresh database; the others find it migrated.
    targets.push(await node(dirs[1]!));
    targets.push(...(await Promise.all([node(dirs[2]!), node(dirs[3]!)])));
    const nodes = targets.slice(1);
    proxy = await startProxyProcess(
      proxyPort,
      nodes.map((t) => t.base),
    );
    const proxyPid = proxy.child.pid;
    return await compare(
      o,
      'PostgreSQL + Redis',
      `3 nodes behind the proxy`,
      { base: single.base, rss: () => single.child.peakRssMb(), pids: [single.child.pid] },
      {
        base: proxy.url,
        rss: () => nodes.reduce((sum, t) => sum + t.child.peakRssMb(), 0),
        pids: [...nodes.map((t) => t.child.pid), proxyPid],
      },
    );
  } finally {
    await proxy?.child.stop();
    for (const t of targets) await t.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    await singleDb.drop();
    await clusterDb.drop();
  }
}

export async function processesPass(o: Options): Promise<ProcessesResult> {
  const result: ProcessesResult = { alg: ALG, comparisons: [], skipped: [] };
  if (o.which.workers) result.comparisons.push(await workersPass(o));
  if (o.which.cluster) {
    const r = await clusterPass(o);
    if (typeof r === 'string') result.skipped.push(r);
    else result.comparisons.push(r);
  }
  return result;
}
