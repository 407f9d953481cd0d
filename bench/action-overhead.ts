/**
 * The Action overhead: the wall time of `ActionExecutor.run` for a warm, trivial custom-token-exchange Action,
 * measured from the caller (so it includes the hop to the sandbox worker and back), against the runtime directly
 * (DESIGN section 4: "the per-request overhead of running an Action is a measured figure in the benchmark").
 * Runnable alone: `npx tsx bench/action-overhead.ts`.
 */
import { createActionExecutor } from '../src/actions/runtime/index.js';
import type { RunRequest } from '../src/actions/contract.js';
import { pathToFileURL } from 'node:url';

export interface OverheadResult {
  runs: number;
  medianMs: number;
  p99Ms: number;
  emptyMedianMs: number;
  emptyP99Ms: number;
}

/** One api command, the least an exchange Action does. */
const TRIVIAL = `exports.onExecuteCustomTokenExchange = async (event, api) => {
  api.authentication.setUserByConnection('legacy-idp', { user_id: event.transaction.subject_token },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
};`;
const EMPTY = `exports.onExecuteCustomTokenExchange = async (event, api) => {};`;

/** An event the size of a real one (run-action.ts buildExchangeEvent). */
function event(i: number): Record<string, unknown> {
  return {
    client: { client_id: 'abcdefghijklmnopqrstuvwxyz012345', name: 'bench-cte-client', metadata: {} },
    request: {
      body: {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token_type: 'urn:acme:legacy-token',
        subject_token: `u${i}`,
        audience: 'https://api.bench.example',
        scope: 'read:data',
      },
      geoip: {},
      hostname: '127.0.0.1',
      ip: '127.0.0.1',
      method: 'POST',
      user_agent: 'autocannon',
    },
    resource_server: { identifier: 'https://api.bench.example' },
    tenant: { id: 'baton' },
    transaction: {
      subject_token: `u${i}`,
      subject_token_type: 'urn:acme:legacy-token',
      requested_scopes: ['read:data'],
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(code: string, versionId: string, runs: number): Promise<{ median: number; p99: number }> {
  const executor = createActionExecutor(
    {
      timeoutMs: 20_000,
      cpuMs: 5_000,
      memoryMb: 64,
      fetchTimeoutMs: 10_000,
      fetchMaxBytes: 1_048_576,
      egressAllow: undefined,
    },
    { poolSize: 1 },
  );
  try {
    const req = (i: number): RunRequest => ({
      versionId,
      code,
      trigger: 'custom-token-exchange',
      event: event(i),
      secrets: { KEY: 'value' },
    });
    for (let i = 0; i < 300; i++) {
      const r = await executor.run(req(i));
      if (r.kind !== 'ok' && !(code === EMPTY && r.kind === 'invalid_command'))
        throw new Error(`trivial Action did not run: ${JSON.stringify(r)}`);
    }
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await executor.run(req(i));
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    return { median: r3(percentile(times, 50)), p99: r3(percentile(times, 99)) };
  } finally {
    await executor.close();
  }
}

export async function measureActionOverhead(runs = 3000): Promise<OverheadResult> {
  const trivial = await measure(TRIVIAL, 'bench-trivial', runs);
  const empty = await measure(EMPTY, 'bench-empty', runs);
  return { runs, medianMs: trivial.median, p99Ms: trivial.p99, emptyMedianMs: empty.median, emptyP99Ms: empty.p99 };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await measureActionOverhead());
}
