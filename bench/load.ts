/**
 * Load generation with autocannon: POSTs token exchanges, rotating through a pool of pre-minted subject tokens
 * (distinct users), over a fixed number of keep-alive connections for a bounded duration, on loopback.
 */
import http from 'node:http';
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
}

export async function drive(base: string, bodies: string[], o: LoadOptions): Promise<LoadResult> {
  let next = 0;
  const result = await autocannon({
    url: `${base}oauth/token`,
    connections: o.connections,
    pipelining: 1,
    ...(o.amount ? { amount: o.amount } : { duration: o.duration ?? 10 }),
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

export interface PacedResult {
  /** Requests per second asked for, and completed (2xx) per second. */
  rate: number;
  rps: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Open-loop load at a constant rate: one request every 1/rate seconds, each on a keep-alive socket of its own while
 * it is in flight, and its latency counted from the moment it was due (so a stalled server is charged for the
 * requests it delayed: no coordinated omission). autocannon's `overallRate` is not used for this: it lets each
 * connection send its whole per-second quota back to back at the start of every second, which is full load for
 * part of each second, and its correction then records an extra sample for every millisecond of a slow response.
 */
export async function pace(
  base: string,
  bodies: string[],
  o: { rate: number; duration: number },
): Promise<PacedResult> {
  const url = new URL(`${base}oauth/token`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let next = 0;
  const intervalMs = 1000 / o.rate;
  const count = Math.round(o.rate * o.duration);
  const start = performance.now();
  const inFlight = new Set<Promise<void>>();
  const send = (due: number) => {
    const body = bodies[next++ % bodies.length]!;
    const done = new Promise<void>((resolve) => {
      const req = http.request(
        url,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(performance.now() - due);
            else non2xx++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < count && start + sent * intervalMs <= now) send(start + sent++ * intervalMs);
      if (sent < count) setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
      else resolve();
    };
    tick();
  });
  await Promise.all(inFlight);
  const elapsedS = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    rate: o.rate,
    rps: Math.round((latencies.length / elapsedS) * 10) / 10,
    p50: round(percentile(latencies, 50)),
    p99: round(percentile(latencies, 99)),
    total: sent,
    non2xx,
    errors,
  };
}

/** One exchange by hand, so a misconfigured target fails loudly instead of benchmarking its error path. */
export async function checkExchange(base: string, body: string): Promise<Record<string, unknown>> {
  const r = await fetch(`${base}oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`exchange against ${base} failed: ${r.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}
