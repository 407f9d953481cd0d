/**
 * Diagnostic: what the sandbox costs per run, without HTTP or storage. `Sandbox.run` (the worker's side of a run)
 * is called in a loop in this thread for Actions that each add one thing to an empty handler, then a bare worker
 * `postMessage` round trip is timed with idle cores and with a third thread keeping them busy.
 * `npx tsx bench/sandbox-micro.ts` (BENCH_OPS runs per Action, default 4000). Signatures run inline, as in Baton.
 * Prints wall-clock and process CPU µs per run; each Action is measured twice and the second pass is the one to
 * read (the first includes V8 warming up the host side).
 */
import { Worker } from 'node:worker_threads';
import { installInlineSubtle } from '../src/crypto/inline-subtle.js';
import { Sandbox } from '../src/actions/runtime/sandbox.js';
import { startIdp } from './idp.js';
import { VERIFY_ACTION } from './seed.js';

installInlineSubtle();
const n = Number(process.env.BENCH_OPS ?? 4000);
const idp = await startIdp();
const tokens = idp.mintPool(1000, 3600);
const sandbox = await Sandbox.create({ timeoutMs: 5000, maxBytes: 1 << 20, egressAllow: undefined });
const limits = { wallMs: 20_000, cpuMs: 5_000, memoryBytes: 64 << 20, stackBytes: 512 << 10 };
const event = (token: string) =>
  JSON.stringify({
    transaction: { subject_token: token, subject_token_type: 'urn:acme:legacy-token', requested_scopes: ['read:data'] },
    client: { client_id: 'abcdefghijklmnopqrstuvwxyz012345', name: 'bench', metadata: {} },
    request: {
      ip: '127.0.0.1',
      method: 'POST',
      geoip: {},
      body: { subject_token: token, audience: 'https://api.bench.example' },
    },
    secrets: { JWKS_URL: idp.jwksUrl },
  });
const HEAD = 'exports.onExecuteCustomTokenExchange = async (event, api) => {';
const ACTIONS: Record<string, string> = {
  'empty handler': `${HEAD} };`,
  '1 console.log (host call)': `${HEAD} console.log('x'); };`,
  '3 console.log': `${HEAD} console.log('x'); console.log('y'); console.log('z'); };`,
  '4 JSON copies': `${HEAD} for (let i = 0; i < 4; i++) JSON.parse(JSON.stringify({ user_id: 'u1', email: 'a@b.c', email_verified: true })); };`,
  setUserById: `${HEAD} api.authentication.setUserById('u1'); };`,
  setUserByConnection: `${HEAD} api.authentication.setUserByConnection('legacy-idp', { user_id: 'u1', email: 'a@b.c', email_verified: true }, { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' }); };`,
  'the bench Action (jwtVerify + setUserByConnection)': VERIFY_ACTION,
};

for (const pass of [1, 2]) {
  console.log(`pass ${pass}`);
  for (const [name, code] of Object.entries(ACTIONS)) {
    const run = (i: number) =>
      sandbox.run({
        versionId: name,
        code,
        trigger: 'custom-token-exchange',
        eventJson: event(tokens[i % tokens.length]!),
        limits,
        cache: [],
      });
    for (let i = 0; i < 200; i++) await run(i);
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const r = await run(i);
      if (
        r.result.kind !== 'ok' &&
        !(name !== 'the bench Action (jwtVerify + setUserByConnection)' && r.result.kind === 'invalid_command')
      )
        throw new Error(`${name}: ${JSON.stringify(r.result)}`);
    }
    const used = process.cpuUsage(cpu);
    console.log(
      `  ${name.padEnd(52)} wall ${(((performance.now() - t0) * 1000) / n).toFixed(1).padStart(6)} µs   cpu ${((used.user + used.system) / n).toFixed(1).padStart(6)} µs`,
    );
  }
}
await sandbox.close();
await idp.close();

// A bare worker round trip, with a message the size of a run's.
const echo = new Worker(
  `require('node:worker_threads').parentPort.on('message', (m) => require('node:worker_threads').parentPort.postMessage(m));`,
  { eval: true },
);
const message = { type: 'run', input: { eventJson: 'x'.repeat(1500), code: 'y'.repeat(1000) } };
async function roundTrips(count: number): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await new Promise((resolve) => {
      echo.once('message', resolve);
      echo.postMessage(message);
    });
    times.push((performance.now() - t0) * 1000);
  }
  times.sort((a, b) => a - b);
  return `median ${times[times.length >> 1]!.toFixed(0)} µs, p99 ${times[Math.floor(times.length * 0.99)]!.toFixed(0)} µs`;
}
await roundTrips(300);
console.log(`worker postMessage round trip, idle cores:                  ${await roundTrips(3000)}`);
const spinner = new Worker(`const end = Date.now() + 60_000; while (Date.now() < end) {}`, { eval: true });
console.log(`worker postMessage round trip, a third thread keeping a core busy: ${await roundTrips(3000)}`);
await spinner.terminate();
await echo.terminate();
