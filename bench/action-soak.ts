/**
 * Diagnostic: runs the bench's verifying Action many times in one Sandbox, in this thread (no worker, so a crash
 * surfaces with its error instead of as a replaced worker), against the bench IdP's JWKS.
 * `npx tsx bench/action-soak.ts [runs]`; SOAK_JWKS_IN_HANDLER=1 builds the remote JWKS inside the handler instead
 * of at module scope (the pattern that defeats jose's JWKS cache).
 */
import { Sandbox } from '../src/actions/runtime/sandbox.js';
import { startIdp } from './idp.js';
import { VERIFY_ACTION } from './seed.js';

const runs = Number(process.argv[2] ?? 5000);
const code =
  process.env.SOAK_JWKS_IN_HANDLER === '1' ? VERIFY_ACTION.replace('if (!jwks) jwks =', 'jwks =') : VERIFY_ACTION;
const idp = await startIdp();
const tokens = idp.mintPool(1000, 3600);
const sandbox = await Sandbox.create({ timeoutMs: 10_000, maxBytes: 1_048_576, egressAllow: undefined });
const limits = { wallMs: 20_000, cpuMs: 5_000, memoryBytes: 64 * 1024 * 1024, stackBytes: 512 * 1024 };
const kinds: Record<string, number> = {};
const t0 = performance.now();
try {
  for (let i = 0; i < runs; i++) {
    const eventJson = JSON.stringify({
      secrets: { JWKS_URL: idp.jwksUrl },
      transaction: { subject_token: tokens[i % tokens.length] },
      request: { body: {} },
    });
    try {
      const out = await sandbox.run({
        versionId: 'soak',
        code,
        trigger: 'custom-token-exchange',
        eventJson,
        limits,
        cache: [],
      });
      const k = out.result.kind === 'ok' ? 'ok' : `${out.result.kind}: ${JSON.stringify(out.result).slice(0, 300)}`;
      kinds[k] = (kinds[k] ?? 0) + 1;
      if (out.result.kind !== 'ok' && (kinds[k] ?? 0) === 1) console.log(`run ${i}:`, k);
    } catch (err) {
      console.log(`run ${i} threw:`, (err as Error).stack);
      kinds.threw = (kinds.threw ?? 0) + 1;
      if (kinds.threw > 3) break;
    }
  }
} finally {
  console.log(
    kinds,
    `${((performance.now() - t0) / runs).toFixed(3)} ms/run`,
    'JWKS fetches',
    idp.jwksHits(),
    'heap MB',
    Math.round(process.memoryUsage().rss / 1e6),
  );
  await sandbox.close();
  await idp.close();
}
