/** The bench's output: a console table, bench/results/latest.json and docs/benchmarks.md (regenerated whole). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LoadResult, PacedResult } from './load.js';
import type { OverheadResult } from './action-overhead.js';
import type { ProcessesResult } from './processes.js';

export interface Side {
  runs: LoadResult[];
  rps: number;
  p50: number;
  p99: number;
  peakRssMb: number;
}

export interface AlgResult {
  alg: 'RS256' | 'ES256';
  floor: Side;
  baton: Side;
  /** Baton rps / floor rps (means of the alternated runs). */
  ratio: number;
  /** Baton paced at half its peak rate: the run with the median p99, and every run's p99. */
  halfPeak: PacedResult & { p99Runs: number[] };
  /** The floor paced at the same rate (its baseline). */
  floorHalfPeak: PacedResult;
}

export interface PassResult {
  storage: string;
  algs: AlgResult[];
  batonPeakRssMb: number;
  /** Peak RSS after start-up, seeding and one exchange, before any load. */
  batonIdleRssMb: number;
  /** JWKS fetches by the Action during the pass (one per sandbox worker when cached). */
  jwksFetches: number;
  /** Failed exchanges during the pass (`fecte` log entries, newest 100), by reason. */
  failures: Record<string, number>;
}

export interface ScaleResult {
  alg: 'RS256' | 'ES256';
  users: number;
  clients: number;
  profiles: number;
  empty: Side;
  scaled: Side;
  /** scaled rps / empty rps. */
  ratio: number;
}

export interface TargetCheck {
  name: string;
  target: string;
  value: string;
  pass: boolean;
}

export interface BenchReport {
  command: string;
  date: string;
  machine: {
    cpu: string;
    cores: number;
    memoryGb: number;
    node: string;
    os: string;
    loadAvgAtStart: number;
    loadAvgAtEnd: number;
  };
  settings: { durationS: number; connections: number; subjectUsers: number; pacedRuns: number };
  passes: PassResult[];
  skipped: string[];
  actionOverhead: OverheadResult;
  scale: ScaleResult | undefined;
  /** `--workers 2` and a three-node cluster against one process (bench/processes.ts). */
  processes?: ProcessesResult | undefined;
  targets: TargetCheck[];
}

/** The 1-minute load average when the run started: other work on the machine skews every figure. */
export const LOAD_AT_START = Math.round(os.loadavg()[0]! * 100) / 100;

export function machine(): BenchReport['machine'] {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAvgAtStart: LOAD_AT_START,
    loadAvgAtEnd: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

/** Alternated runs of one side: mean rps and p50, worst p99. */
export function side(runs: LoadResult[], peakRssMb: number): Side {
  return {
    runs,
    rps: r1(mean(runs.map((r) => r.rps))),
    p50: r1(mean(runs.map((r) => r.p50))),
    p99: Math.max(...runs.map((r) => r.p99)),
    peakRssMb,
  };
}

export function ratio(a: number, b: number): number {
  return b > 0 ? r2(a / b) : 0;
}

export function checkTargets(r: Omit<BenchReport, 'targets'>): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const pass of r.passes) {
    for (const a of pass.algs) {
      const min = a.alg === 'RS256' ? 1.0 : 0.7;
      out.push({
        name: `${pass.storage}: ${a.alg} throughput vs floor`,
        target: `≥ ${min.toFixed(1)}×`,
        value: `${a.ratio.toFixed(2)}×`,
        pass: a.ratio >= min,
      });
      out.push({
        name: `${pass.storage}: ${a.alg} p99 at half of peak`,
        target: '≤ 10 ms',
        value: `${a.halfPeak.p99} ms`,
        pass: a.halfPeak.p99 <= 10,
      });
    }
    out.push({
      name: `${pass.storage}: Baton peak RSS`,
      target: '≤ 250 MB',
      value: `${pass.batonPeakRssMb} MB`,
      pass: pass.batonPeakRssMb <= 250,
    });
  }
  out.push({
    name: 'warm trivial Action overhead, median',
    target: '≤ 0.3 ms',
    value: `${r.actionOverhead.medianMs} ms`,
    pass: r.actionOverhead.medianMs <= 0.3,
  });
  if (r.scale) {
    const cost = Math.round((1 - r.scale.ratio) * 1000) / 10;
    out.push({
      name: `cost of ${r.scale.users.toLocaleString('en')} users, ${r.scale.clients.toLocaleString('en')} clients, ${r.scale.profiles} profiles`,
      target: '≤ 10 % of throughput',
      value: `${cost} %`,
      pass: cost <= 10,
    });
  }
  return out;
}

function table(header: string[], rows: Array<Array<string | number>>): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function resultsTable(r: BenchReport): string {
  const rows: Array<Array<string | number>> = [];
  for (const pass of r.passes) {
    for (const a of pass.algs) {
      rows.push([
        pass.storage,
        a.alg,
        'floor',
        a.floor.rps,
        a.floor.p50,
        a.floor.p99,
        a.floor.peakRssMb,
        '1.00×',
        `${a.floorHalfPeak.p99} ms (p50 ${a.floorHalfPeak.p50} ms)`,
      ]);
      const runs =
        a.halfPeak.p99Runs.length > 1
          ? `median of ${a.halfPeak.p99Runs.length} runs: ${a.halfPeak.p99Runs.join(', ')} ms; `
          : '';
      rows.push([
        pass.storage,
        a.alg,
        'Baton',
        a.baton.rps,
        a.baton.p50,
        a.baton.p99,
        a.baton.peakRssMb,
        `${a.ratio.toFixed(2)}×`,
        `${a.halfPeak.p99} ms (${runs}p50 ${a.halfPeak.p50} ms)`,
      ]);
    }
  }
  return table(
    [
      'storage',
      'access token',
      'server',
      'exchanges/s',
      'p50 ms',
      'p99 ms',
      'peak RSS MB',
      'Baton / floor',
      "p99 paced at half of Baton's peak",
    ],
    rows,
  );
}

/** One process against `--workers 2` (SQLite) and against three nodes behind the proxy (PostgreSQL + Redis). */
function processesTable(p: ProcessesResult): string {
  const rows: Array<Array<string | number>> = [];
  for (const c of p.comparisons) {
    const s = c.single;
    const m = c.many;
    rows.push([c.storage, 'one process', s.rps, s.p50, s.p99, s.peakRssMb, c.singleCpuMs, '1.00×']);
    rows.push([c.storage, c.multi, m.rps, m.p50, m.p99, m.peakRssMb, c.manyCpuMs, `${c.ratio.toFixed(2)}×`]);
  }
  return table(
    [
      'storage',
      'server',
      'exchanges/s',
      'p50 ms',
      'p99 ms',
      'peak RSS MB (all processes)',
      'CPU ms / exchange (all processes)',
      'vs one process',
    ],
    rows,
  );
}

export function printReport(r: BenchReport): void {
  const lines = [
    '',
    resultsTable(r),
    '',
    `Action overhead (warm, trivial, ${r.actionOverhead.runs} runs): median ${r.actionOverhead.medianMs} ms, p99 ${r.actionOverhead.p99Ms} ms (empty handler: median ${r.actionOverhead.emptyMedianMs} ms, p99 ${r.actionOverhead.emptyP99Ms} ms)`,
  ];
  if (r.scale) {
    lines.push(
      `Scale (${r.scale.alg}): empty ${r.scale.empty.rps}/s, populated ${r.scale.scaled.rps}/s, ratio ${r.scale.ratio.toFixed(2)}×`,
    );
  }
  for (const p of r.passes) {
    lines.push(`${p.storage}: Baton peak RSS ${p.batonIdleRssMb} MB before load, ${p.batonPeakRssMb} MB after`);
    lines.push(`${p.storage}: JWKS fetched ${p.jwksFetches} times by the Action during the pass`);
    if (Object.keys(p.failures).length) lines.push(`${p.storage}: failed exchanges: ${JSON.stringify(p.failures)}`);
  }
  if (r.processes?.comparisons.length) lines.push('', processesTable(r.processes));
  for (const s of r.skipped) lines.push(`skipped: ${s}`);
  lines.push(
    '',
    table(
      ['target', 'goal', 'measured', 'result'],
      r.targets.map((t) => [t.name, t.target, t.value, t.pass ? 'pass' : 'MISS']),
    ),
    '',
  );
  process.stdout.write(lines.join('\n') + '\n');
}

export function writeResults(root: string, r: BenchReport): void {
  fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench/results/latest.json'), JSON.stringify(r, null, 2) + '\n');
  fs.writeFileSync(path.join(root, 'docs/benchmarks.md'), markdown(r));
}

function markdown(r: BenchReport): string {
  const m = r.machine;
  const scale = r.scale
    ? table(
        ['tenant', 'exchanges/s', 'p50 ms', 'p99 ms'],
        [
          ['empty', r.scale.empty.rps, r.scale.empty.p50, r.scale.empty.p99],
          [
            `${r.scale.users.toLocaleString('en')} users, ${r.scale.clients.toLocaleString('en')} clients, ${r.scale.profiles} profiles`,
            r.scale.scaled.rps,
            r.scale.scaled.p50,
            r.scale.scaled.p99,
          ],
        ],
      ) + `\n\nRatio populated / empty: ${r.scale.ratio.toFixed(2)}× (${r.scale.alg} access tokens, SQLite).`
    : '_Not measured in this run._';
  return `# Benchmarks

Generated by \`${r.command}\` on ${r.date}. Do not edit by hand: the next run rewrites this file
(the raw figures are in \`bench/results/latest.json\`). Why the figures are what they are, thread by thread: \`docs/performance.md\`.

## What is measured

- **Floor**: one process, bare \`node:http\`, synchronous \`node:crypto\`: parse the form, check the client secret
  and parameters, verify the subject JWT (ES256) against a key imported once, sign an access token. No storage, no
  Action, no logs. It is what any token exchange must cost (\`bench/floor.ts\`).
- **Baton**: \`node --max-old-space-size=256 dist/cli/index.js serve\` (compiled by \`npm run build\`, run as \`npm start\`
  runs it) as a child process, seeded over the Management API with
  an API, a CTE client, the \`legacy-idp\` connection and a profile whose deployed Action verifies the subject JWT
  with the \`jose\` shim against the bench IdP's JWKS (\`createRemoteJWKSet\`, created once per Action context) and
  calls \`setUserByConnection\` (\`create_if_not_exists\`); the \`secte\` tenant log is written as usual. First on
  SQLite, then on PostgreSQL + Redis when they answer.
- Load: autocannon on loopback, ${r.settings.connections} connections, ${r.settings.durationS} s per run,
  subject tokens of ${r.settings.subjectUsers} distinct users in rotation (a warm-up exchanges each one once, so
  the measured runs are steady-state lookups). Runs alternate floor, Baton, floor, Baton for each access token
  algorithm; the table gives the mean exchanges/s and p50 and the worst p99 of the two runs. The last column
  paces Baton at half of its measured rate, open loop (\`pace\` in \`bench/load.ts\`): one request every 1/rate s,
  latency counted from when each request was due. Baton is paced ${r.settings.pacedRuns} times and the run with the
  median p99 is reported with every run's p99 (one run's p99 moves by a factor of two on a shared machine); the
  floor is paced once at the same rate, as the baseline. autocannon's \`overallRate\` is not used for it: each
  connection sends its per-second quota back to back at the start of every second (full load for part of the
  second), and its coordinated-omission correction then adds a sample for every millisecond of a slow response.
- Peak RSS is each process's \`VmHWM\` (\`/proc/<pid>/status\`), Action worker threads included.
- The Action overhead is \`ActionExecutor.run\` timed from the caller for a warm Action with one \`api\` call
  (\`bench/action-overhead.ts\`).
- The load generator shares the machine with the server under test; both servers pay that equally.

## Machine

- CPU: ${m.cpu} × ${m.cores}
- Memory: ${m.memoryGb} GB
- Node: ${m.node}
- OS: ${m.os}
- 1-minute load average: ${m.loadAvgAtStart} when the run started, ${m.loadAvgAtEnd} when it ended. Anything else
  running on the machine takes CPU from both servers and from the load generator; on a small shared machine the
  absolute figures move by tens of percent from one run to the next, the alternated ratios much less.

## Results

${resultsTable(r)}
${r.skipped.length ? `\nSkipped: ${r.skipped.join('; ')}.\n` : ''}
${r.passes
  .filter((p) => Object.keys(p.failures).length)
  .map((p) => `Failed exchanges on ${p.storage} (from the \`fecte\` log): ${JSON.stringify(p.failures)}.\n`)
  .join('')}
Baton's peak RSS before any load (start-up, seeding, one exchange): ${r.passes.map((p) => `${p.storage} ${p.batonIdleRssMb} MB`).join(', ')}.

JWKS fetches by the Action: ${r.passes.map((p) => `${p.storage} ${p.jwksFetches}`).join(', ')} (a cached remote JWKS is fetched about once per sandbox worker).

### Action overhead

Warm trivial Action, ${r.actionOverhead.runs} sequential runs: median **${r.actionOverhead.medianMs} ms**, p99
${r.actionOverhead.p99Ms} ms. Empty handler: median ${r.actionOverhead.emptyMedianMs} ms, p99 ${r.actionOverhead.emptyP99Ms} ms.

### Cost of scale

${scale}

### Every core: server processes and a cluster

${
  r.processes?.comparisons.length
    ? `${processesTable(r.processes)}\n\n${r.processes.alg} access tokens; runs alternated one process, several, one, several, each\n` +
      'against its own fresh database; the ratio compares the two measured in this run. `--workers 2` is\n' +
      '`baton serve --workers 2`; the cluster is three `baton serve` nodes on one PostgreSQL and one Redis behind\n' +
      '`scripts/round-robin-proxy.ts` (what `npm run cluster` runs), the proxy a process of its own on the same machine.'
    : '_Not measured in this run._'
}

## Targets

${table(
  ['target', 'goal', 'measured', 'result'],
  r.targets.map((t) => [t.name, t.target, t.value, t.pass ? 'pass' : '**miss**']),
)}

Timings are never asserted in tests; this file is the record.

## Diagnostics

- \`npx tsx bench/profile.ts\`: Baton under \`node --cpu-prof\` during one autocannon run; self time per function
  and per module, counting only the measured run's samples (main thread and each sandbox worker), written to
  \`bench/results/profile-<storage>-<alg>.txt\` (\`BENCH_PROFILE_ALG\`, \`BENCH_PASSES=postgres\`).
- \`npx tsx bench/queries.ts\`: the SQL statements of one steady-state exchange.
- \`npx tsx bench/action-overhead.ts\`: the Action overhead alone.
- \`npx tsx bench/action-soak.ts [runs]\`: the bench Action run many times in one sandbox, in-thread, so a runtime
  failure shows its stack.
- \`npx tsx bench/cpu-split.ts\`: CPU µs per exchange by thread (main, sandbox workers, the rest), the load generator
  and, with \`BENCH_PASSES=postgres\`, postgres and redis-server, read from \`/proc\`.
- \`npx tsx bench/ab.ts\`: alternating runs of a baseline build in \`dist-a/\` and the current one (exchanges/s and
  CPU per exchange), to judge a change under the same noise.
- \`npx tsx bench/tail.ts\`: the p99 at half of peak alone (\`BENCH_RATE\` for a fixed rate, \`BENCH_ROUNDS\`).
- \`npx tsx bench/subtle-micro.ts\`: one JWT signature and verification through jose, WebCrypto against inline.
- \`npx tsx bench/sandbox-micro.ts\`: the sandbox's per-run costs, Action by Action, and a bare worker round trip.
`;
}
