/**
 * Graceful shutdown (docs/deployment.md, "Graceful shutdown and load balancer health checks"), shared by a single
 * `baton serve` process and each cluster worker:
 *
 * 1. `draining`: `/health/ready` answers 503 at once and every response carries `Connection: close`, so load
 *    balancers take the node out and clients' kept-alive connections move to other nodes;
 * 2. after the drain delay (BATON_SHUTDOWN_DRAIN_MS, 5 s by default; none on SIGINT, a terminal's Ctrl-C), the
 *    listeners stop accepting connections, idle ones close, and in-flight requests finish, for at most
 *    BATON_SHUTDOWN_TIMEOUT_MS (10 s by default), after which the remaining connections are cut;
 * 3. the context closes: buffered tenant logs and login counters are written, the sandbox workers, the database pool
 *    and the Redis connections close; then the process exits 0 (1 if closing failed).
 */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

export interface ShutdownTiming {
  /** How long `/health/ready` answers 503 before the listener closes. */
  drainMs: number;
  /** How long in-flight requests may take once the listener is closed. */
  timeoutMs: number;
}

interface ShutdownParts {
  /** The main listener. */
  app: FastifyInstance;
  /** Other listeners (the metrics one), closed with it. */
  others?: FastifyInstance[];
  ctx: AppContext;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs the shutdown sequence; resolves when everything is closed. */
async function shutDown(parts: ShutdownParts, timing: ShutdownTiming, signal: string): Promise<void> {
  const { app, ctx } = parts;
  ctx.draining = true;
  app.log.info({ signal, drainMs: timing.drainMs, timeoutMs: timing.timeoutMs }, 'shutting down: draining');
  if (timing.drainMs > 0) await sleep(timing.drainMs);
  app.log.info('shutting down: listener closed, finishing in-flight requests');
  const cut = setTimeout(() => {
    app.log.warn({ timeoutMs: timing.timeoutMs }, 'shutting down: in-flight requests cut after the timeout');
    for (const listener of [app, ...(parts.others ?? [])]) listener.server.closeAllConnections();
  }, timing.timeoutMs);
  try {
    await Promise.all([app, ...(parts.others ?? [])].map((listener) => listener.close()));
  } finally {
    clearTimeout(cut);
  }
  app.log.info('shutting down: requests finished, writing buffered logs and closing pools');
  await ctx.close();
  app.log.info('shut down');
}

/** Runs `shutDown` on SIGTERM or SIGINT, then exits; a second SIGINT exits at once. */
export function onShutdownSignals(parts: ShutdownParts, timing: ShutdownTiming): void {
  let started = false;
  const handle = (signal: NodeJS.Signals) => {
    if (started) {
      if (signal === 'SIGINT') process.exit(1);
      return;
    }
    started = true;
    // Ctrl-C in a terminal has no load balancer to wait for.
    const drainMs = signal === 'SIGINT' ? 0 : timing.drainMs;
    shutDown(parts, { ...timing, drainMs }, signal).then(
      () => process.exit(0),
      (err: unknown) => {
        parts.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}
