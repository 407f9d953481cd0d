/**
 * Load generation with autocannon: POSTs token exchanges, rotating through a pool of pre-minted subject tokens
 * (distinct users), over a fixed number of keep-alive connections for a bounded duration, on loopback.
 */
import autocannon from 'autocannon';

export interface LoadResult {
  /** Successful (2xx) exchanges per second. */
  rps: number;
  p50: number;
  p99: number;
  meanMs: number;
  total: number;
  non2xx: number;
  errors: number;
  durationS: number;
  /** Responses per status code. */
  statusCodes: Record<string, number>;
}

export interface LoadOptions {
  connections: number;
  /** Seconds. */
  duration?: number;
  /** Total requests instead of a duration (warm-up: every pooled user once). */
  amount?: number;
  /** Requests per second across all connections (the half-peak run). */
  overallRate?: number;
}

export async function drive(base: string, bodies: string[], o: LoadOptions): Promise<LoadResult> {
  let next = 0;
  const result = await autocannon({
    url: `${base}oauth/token`,
    connections: o.connections,
    pipelining: 1,
    ...(o.amount ? { amount: o.amount } : { duration: o.duration ?? 10 }),
    ...(o.overallRate ? { overallRate: Math.max(1, Math.round(o.overallRate)) } : {}),
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        setupRequest(req) {
          return { ...req, body: bodies[next++ % bodies.length]! };
        },
      },
    ],
  });
  const ok = result['2xx'];
  return {
    rps: Math.round((ok / result.duration) * 10) / 10,
    p50: result.latency.p50,
    p99: result.latency.p99,
    meanMs: Math.round(result.latency.mean * 100) / 100,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    durationS: result.duration,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, v?.count ?? 0])),
  };
}

/** One exchange by hand, so a misconfigured target fails loudly instead of benchmarking its error path. */
export async function checkExchange(base: string, body: string): Promise<Record<string, unknown>> {
  const r = await fetch(`${base}oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`exchange against ${base} failed: ${r.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}
