/**
 * Per-invocation overhead of running an Action (DESIGN section 4), warm: a trivial Action and one that verifies an
 * RS256 JWT through the jose shim, each compared with a baseline measured in the same process.
 * Run: npx tsx bench/actions-overhead.ts [iterations]
 */
import * as jose from 'jose';
import { createActionExecutor } from '../src/actions/runtime/index.js';
import { Sandbox } from '../src/actions/runtime/sandbox.js';
import type { RunResult } from '../src/actions/contract.js';

const N = Number(process.argv[2] ?? 3000);
const WARMUP = 200;
const config = {
  timeoutMs: 20_000,
  cpuMs: 5000,
  memoryMb: 64,
  fetchTimeoutMs: 10_000,
  fetchMaxBytes: 1_048_576,
  egressAllow: undefined,
};
const limits = { wallMs: 20_000, cpuMs: 5000, memoryBytes: 64 * 1024 * 1024, stackBytes: 512 * 1024 };

async function measure(
  label: string,
  fn: () => Promise<unknown>,
): Promise<{ label: string; median: number; p99: number }> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { label, median: times[Math.floor(N / 2)]!, p99: times[Math.floor(N * 0.99)]! };
}

function expectOk(r: RunResult): void {
  if (r.kind !== 'ok') throw new Error(`bench Action failed: ${JSON.stringify(r)}`);
}

const { publicKey, privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const pem = await jose.exportSPKI(publicKey);
const token = await new jose.SignJWT({ scope: 'read' })
  .setProtectedHeader({ alg: 'RS256' })
  .setIssuer('https://idp/')
  .setAudience('https://api/')
  .setSubject('u1')
  .setExpirationTime('1h')
  .sign(privateKey);
const event = { transaction: { subject_token: token } };

const TRIVIAL =
  "exports.onExecuteCustomTokenExchange = async (event, api) => { api.authentication.setUserById('auth0|1'); };";
const VERIFY = `const jose = require('jose');
const key = jose.importSPKI(${JSON.stringify(pem)}, 'RS256');
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const { payload } = await jose.jwtVerify(event.transaction.subject_token, await key, { issuer: 'https://idp/', audience: 'https://api/' });
  api.authentication.setUserById('auth0|' + payload.sub);
};`;

const ex = createActionExecutor(config, { poolSize: 1 });
const sandbox = await Sandbox.create(
  { timeoutMs: 10_000, maxBytes: 1_048_576, egressAllow: undefined },
  256 * 1024 * 1024,
);
const hostKey = await jose.importSPKI(pem, 'RS256');

const rows = [
  await measure('host baseline: jose.jwtVerify called directly', () =>
    jose.jwtVerify(token, hostKey, { issuer: 'https://idp/', audience: 'https://api/' }),
  ),
  await measure('trivial Action, QuickJS only (same thread, no worker hop)', async () =>
    expectOk(
      (
        await sandbox.run({
          versionId: 'trivial',
          code: TRIVIAL,
          trigger: 'custom-token-exchange',
          eventJson: JSON.stringify({ ...event, secrets: {} }),
          limits,
          cache: [],
        })
      ).result,
    ),
  ),
  await measure('trivial Action through the executor (worker pool)', async () =>
    expectOk(
      await ex.run({ versionId: 'trivial', code: TRIVIAL, trigger: 'custom-token-exchange', event, secrets: {} }),
    ),
  ),
  await measure('jwtVerify Action through the executor (worker pool)', async () =>
    expectOk(await ex.run({ versionId: 'verify', code: VERIFY, trigger: 'custom-token-exchange', event, secrets: {} })),
  ),
];

const base = rows[0]!;
console.log(`Actions overhead, warm, ${N} runs each after ${WARMUP} warm-up runs (node ${process.version})`);
console.log('| case | median ms | p99 ms |');
console.log('| --- | ---: | ---: |');
for (const r of rows) console.log(`| ${r.label} | ${r.median.toFixed(3)} | ${r.p99.toFixed(3)} |`);
const verify = rows[3]!;
console.log(
  `\njwtVerify in an Action costs ${(verify.median - base.median).toFixed(3)} ms (median) over the direct host call.`,
);
await sandbox.close();
await ex.close();
